# The whistle (吹哨): a ticket forwarded to an outside department as a work order.

## The card
btn-whistle = 📣 Forward outside (吹哨)
btn-whistle-answer = 📥 Answer received
card-whistle-waiting = 📣 Forwarded to { $department } ({ $reference }), waiting since { $since }
card-whistle-answered = 📥 { $department } answered ({ $reference }) on { $time }

## Forwarding in chat
whistle-choose = 📣 Forward ticket #{ $number } to which department? The resident will be told where it went.
whistle-confirm = 📣 Forward to { $department }? The ticket stays open; you will be reminded until the answer is recorded.
whistle-btn-confirm = ✅ Forward to { $department }
whistle-btn-back = ‹ Back
whistle-done = 📣 Ticket #{ $number } forwarded: work order { $reference }.
whistle-usage = Send /whistle and a ticket number, e.g. /whistle 12, to forward that ticket to an outside department.
whistle-answer-ask = 📥 Write the department's answer for ticket #{ $number } (work order { $reference }) in one message, or send /cancel.
whistle-answer-done = ✅ The answer is recorded on ticket #{ $number }; the resident has been told.
cmd-whistle = Forward a ticket to an outside department (吹哨)

## Refusals
whistle-office-only = Forwarding ticket #{ $number } outside is done by the community office. If it needs outside help, please escalate it to them.
whistle-unknown-department = That department is not on the community's list (any more). Nothing was changed.
whistle-already = Ticket #{ $number } is already waiting for { $department } (work order { $reference }). Nothing was changed.
whistle-nothing-waiting = No work order of ticket #{ $number } is waiting for an answer. Nothing was changed.
whistle-no-ticket = You have no ticket #{ $number } to forward.
whistle-answer-empty = Please write the department's answer.

## Notifications
whistle-resident-forwarded = 📣 Your ticket #{ $number } needs help from outside the community: the community office has forwarded it to { $department } (work order { $reference }). You will be told when they answer.
whistle-resident-answered = 📥 { $department } answered about ticket #{ $number }:
whistle-follower-answered = 📥 { $department } has answered about ticket #{ $number }, which you follow.
whistle-follower-forwarded = 📣 Ticket #{ $number }, which you follow, needs help from outside the community: it has been forwarded to { $department } (work order { $reference }).
whistle-staff-forwarded = 📣 Ticket #{ $number } has been forwarded to { $department } by the community office (work order { $reference }).
whistle-staff-answered = 📥 { $department } answered about ticket #{ $number } (work order { $reference }):
whistle-reminder = ⏰ Work order { $reference } (ticket #{ $number }) has waited { $days ->
    [one] { $days } day
   *[other] { $days } days
} for { $department } to answer. Please follow it up, then record the answer on the ticket's card.

## History
event-whistled = forwarded outside (吹哨)
event-whistle-answered = the department answered
event-whistle-reminded = work order reminder
history-web = {" "}(web)

## Settings (their explanations, for the console)
settings-about-whistle_departments = The departments a coordinator may forward a ticket to (吹哨), each with a code and its names in Chinese and English.
settings-about-whistle_reminder_days = A work order with no answer this many days reminds the coordinator who forwarded it, then again every as many days.
settings-about-whistle_reminders = At most this many reminders per work order (0: none).

## The digest
digest-whistle-title = 📣 Work orders waiting for an answer ({ $count }):
digest-whistle-line = · { $reference } (#{ $number }) { $department }, { $days ->
    [one] { $days } day
   *[other] { $days } days
}
