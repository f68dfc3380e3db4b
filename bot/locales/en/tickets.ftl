## Categories
category-repairs = Repairs
category-facilities = Public facilities
category-sanitation = Sanitation
category-elevator = Elevator
category-safety = Safety hazard
category-neighbours = Neighbours
category-other = Other

## Statuses
status-new = new, waiting for the head
status-taken = being handled
status-resolved = resolved, waiting for the resident
status-reopened = reopened
status-closed = closed
status-withdrawn = withdrawn

## Ticket card
card-urgent = ‼️ URGENT
card-building = 🏠 { $building } ({ $community })
card-flat = , flat { $flat }
card-reporter = 👤 { $name }
card-reporter-phone = 👤 { $name }, ☎️ { $phone }
card-reporter-hidden = resident (name hidden)
card-reporter-gone = 👤 A former resident (personal data deleted)
card-photos = { $n ->
    [one] 1 photo
   *[other] { $n } photos
}
card-voice = { $n ->
    [one] 1 voice note
   *[other] { $n } voice notes
}
card-location = 📍 location
card-followers = 🙋 { $n ->
    [one] 1 neighbour has the same problem
   *[other] { $n } neighbours have the same problem
}
card-reported = 🕒 { $time } ({ $age })
card-status = Status: { $status }
card-status-taken = Status: being handled by { $name }
card-escalated = ⬆️ Passed to the community office
card-rating = Rating: { $stars }
age-minutes = { $n ->
    [0] just now
    [one] 1 minute ago
   *[other] { $n } minutes ago
}
age-hours = { $n ->
    [one] 1 hour ago
   *[other] { $n } hours ago
}
age-days = { $n ->
    [one] 1 day ago
   *[other] { $n } days ago
}

## Ticket buttons
btn-take = ✋ Take
btn-reply = 💬 Reply
btn-resolve = ✅ Resolve
btn-escalate = ⬆️ Escalate
btn-merge = 🔗 Merge
btn-history = 📜 History
btn-open = Open
btn-confirm = 👍 Yes, fixed
btn-reopen = 👎 Not fixed
btn-rate = Rate
btn-withdraw = ↩️ Withdraw
btn-message = 💬 Message the head

## History
history-line = { $time } · { $what }
history-who = {" "}· { $who }
history-detail = : { $detail }
event-created = reported
event-routed = sent to the building head
event-taken = taken
event-resolved = resolved
event-escalated = passed to the community office
event-merged = merged into another ticket
event-merged-in = a duplicate was merged in
event-message = message
event-confirmed = confirmed fixed
event-reopened = reopened
event-rated = rated
event-commented = comment
event-withdrawn = withdrawn
event-rerouted = the head cannot be reached: passed on
event-cosigned = a neighbour has the same problem

## Notifications
notice-taken = Your ticket #{ $number } has been taken: the building head is on it.
notice-resolved = The building head marked ticket #{ $number } as resolved. Is it fixed?
notice-resolved-note = The building head marked ticket #{ $number } as resolved. Their note:
notice-escalated = Ticket #{ $number } has been passed to the community office.
notice-escalated-staff = ⬆️ Ticket #{ $number } needs you. The reason:
notice-merged = Ticket #{ $number } is the same problem as #{ $into }; you will hear about #{ $into } from now on.
notice-reopened = 👎 The resident says ticket #{ $number } is not fixed:
notice-commented = 💬 Comment on ticket #{ $number }:
notice-withdrawn = ↩️ The resident withdrew ticket #{ $number }.
relay-from-head = 💬 Building head, ticket #{ $number } (reply to this message to answer):
relay-from-resident = 💬 Resident, ticket #{ $number } (reply to this message to answer):

## Refusals
ticket-stale = Ticket #{ $number } is now { $status ->
    [new] new
    [taken] being handled
    [resolved] resolved
    [reopened] reopened
    [closed] closed
   *[withdrawn] withdrawn
}: this button is out of date. Nothing was changed.
away-past = That date has already passed.
merge-no-target = There is no open ticket #{ $number } you can merge into.
report-empty = Please describe the problem first.
report-limit = You have reached today's limit of { $limit } new reports. Please try again tomorrow, or follow an existing ticket.
report-bad-category = That category is not available. Please choose again.
