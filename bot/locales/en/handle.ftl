## Any step that waits for a message
input-unsupported = I can pass on text, photos and voice notes. Please send one of those, or /cancel to stop.
input-text-only = Please write it as a text message, or send /cancel to stop.
input-other-ticket = That is a reply to a message of another ticket, and this step is for ticket #{ $number }, so nothing was sent. Send it again without replying to a message, or /cancel to stop.
input-too-long = That is too long ({ $length } characters). Please keep it under { $max }, or send /cancel to stop.
step-skip = Skip

## Staff: the card's buttons
tk-taken = ✋ You took ticket #{ $number }. The resident has been told.
tk-history = 📜 History of ticket #{ $number }:
tk-reply-ask = 💬 Write your reply to the resident of ticket #{ $number }: a text, a photo or a voice note. Send /cancel to stop.
tk-reply-sent = ✅ Sent to the resident of ticket #{ $number }.
tk-resolve-ask = ✅ Ticket #{ $number }: what was done? Write a short note for the resident (a photo of the repair is welcome too), or press Skip.
tk-resolved = ✅ Ticket #{ $number } is resolved. The resident will be asked whether it is really fixed.
tk-escalate-ask = ⬆️ Why should the community office take over ticket #{ $number }? A few words are enough. Send /cancel to stop.
tk-escalated = ⬆️ Ticket #{ $number } has been passed to the community office.
tk-merge-ask = 🔗 Ticket #{ $number } is the same problem as which ticket? Send that ticket's number, for example 123.
tk-merge-number = Please send just the ticket number, for example 123, or /cancel to stop.
tk-merged = 🔗 Merged into ticket #{ $number }. Everyone who reported the duplicate now follows #{ $number }.

## Staff: /tickets
tk-list = 📋 Tickets ({ $filter }): { $total }, page { $page } of { $pages }. Tap one to open it.
tk-list-empty = 📋 No tickets here ({ $filter }).
tk-list-many = 📋 Tickets ({ $filter }): more than { $total }, page { $page }. Tap one to open it.
tk-newer = ‹ Newer
tk-older = Older ›
tk-filter-open = open
tk-filter-new = waiting
tk-filter-taken = being handled
tk-filter-resolved = resolved
tk-filter-escalated = escalated
tk-filter-all = all
tk-staff-only = Sorry, this is for building heads and the community office. To see your own reports, send /my.

## Staff: /away and /back
tk-away-usage = Send /away with a number of days (/away 3) or a date (/away 2026-12-01). /away alone means until you send /back.
tk-away-open = 🏖 Noted: you are away until you send /back. Meanwhile new reports go to your deputy or the community office.
tk-away-until = 🏖 Noted: you are away until { $until }. Meanwhile new reports go to your deputy or the community office. Send /back when you return.
tk-back = 👋 Welcome back! New reports come to you again.

## Residents: /my and the answers to the head
my-empty = You have no tickets yet. To report a problem, send /report or press the menu button.
my-list = 📋 Your tickets: { $total }, page { $page } of { $pages }. Tap one to see it.
my-rate-ask = 👍 Thank you for confirming! How happy are you with how ticket #{ $number } was handled? (1 = not at all, 5 = very)
my-rated = Thank you for your rating { $stars }! Would you like to say a few words to the building head? Just write them now, or press Skip.
my-thanks = Thank you!
my-commented = 💬 Thank you! Your words about ticket #{ $number } have been passed on to the building head.
my-reopen-ask = 👎 Sorry it is not fixed yet. What is still wrong with ticket #{ $number }? A few words are enough (a photo helps too).
my-reopened = 🔁 Ticket #{ $number } is open again, and the building head has been told.
my-withdraw-ask = ↩️ Withdraw ticket #{ $number }? The building head will be told you no longer need help with it.
my-withdraw-yes = Yes, withdraw it
my-withdraw-no = No, keep it
my-withdrawn = ↩️ Ticket #{ $number } has been withdrawn.
my-kept = All right, the ticket stays as it is.
my-message-ask = 💬 Write your message to the building head about ticket #{ $number }: a text, a photo or a voice note. Send /cancel to stop.
my-message-sent = ✅ Sent to the building head (ticket #{ $number }).

## Replies to a ticket's messages
relay-sent = ✅ Sent (ticket #{ $number }).
relay-not-open = Ticket #{ $number } is { $status } now, so your message was not passed on.
