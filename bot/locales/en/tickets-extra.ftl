## Take, when someone was faster
tk-taken-by = ✋ Ticket #{ $number } has already been taken by { $name }. Nothing was changed.
tk-taken-by-you = ✋ You have already taken ticket #{ $number }.

## A Skip button whose step is over
step-skip-spent = ✅ Already done: this step is over, and nothing was changed.

## "Not fixed": the ticket opens again
reopened-to-holder = 🔁 Ticket #{ $number } is back with you: the resident says it is not fixed.
reopened-to-anyone = 🔁 Ticket #{ $number } is open again: the resident says it is not fixed. Whoever can take it, please press Take on its card.
card-reopened = 🔁 Reopened by the resident
card-reopened-note = 🔁 Reopened by the resident: { $note }
event-returned = back with the staff member who handled it

## /digest: today so far
digest-title-partial = 📊 { $community } · today so far, { $date } (until { $time })
digest-today-so-far = Today until { $time } (not a whole day yet): { $new } new · { $taken } taken · { $resolved } resolved · { $closed } closed
digest-btn-today = 📊 Today so far
