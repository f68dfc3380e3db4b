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

## /joinlink: the stairwell poster
poster-subheading = { $community } · { $code }
poster-instruction = Scan with your phone camera to join this building and report problems to your building head.
poster-english = (This server has no Chinese font, so the poster's words are in English. Install fonts-noto-cjk for a Chinese poster.)
poster-bare = (The poster's words could not be drawn this time: write the building's name on it before printing, or send /joinlink again later.)
event-assigned = assigned
notice-assigned = ✋ Ticket #{ $number } has been assigned to you: you hold it now.
assign-not-staff = That person does not serve this ticket's building (any more). Nothing was changed.
