## Reminders to the staff
sched-nudge-waiting = ⏰ A gentle reminder: { $count ->
    [one] one ticket is
   *[other] { $count } tickets are
} waiting for someone to take it:
sched-nudge-idle = 🕰 { $count ->
    [one] This ticket has
   *[other] These tickets have
} had no news for a few days. A short word to the resident helps:
sched-nudge-footer = Tap a ticket to open it. Busy right now? Choose when to be reminded again.
sched-line = • #{ $number } { $category } · { $building } · { $age }
sched-more = …and { $count } more
sched-btn-open = Open #{ $number }
sched-btn-snooze-hour = ⏰ In 1 hour
sched-btn-snooze-morning = 🌅 Tomorrow 9:00
sched-snoozed = 👌 Fine, I will remind you again at { $time }.

## The escalation ladder
sched-ladder-untaken = ⬆️ Ticket #{ $number } has not been taken for { $hours } hours, so it now comes to you as well (level { $level }). Please take it or find someone who can.
sched-ladder-unresolved = ⬆️ Ticket #{ $number } was taken { $days } days ago and is still not resolved, so it now comes to you as well (level { $level }).
sched-ladder-holder = ⬆️ Ticket #{ $number } has been open for more than { $days } days since you took it, so the community office is now following it with you.

## Closing the loop (residents)
sched-confirm-reminder = 🙂 Is ticket #{ $number } really fixed? Please let us know. Without an answer it will close by itself on { $date }.
sched-autoclosed = ✅ Ticket #{ $number } was resolved { $days } days ago and we heard nothing back, so it is now closed. If the problem is still there, tap "Not fixed" before { $until } and it goes back to the building head.
sched-btn-reopen = 👎 Not fixed
sched-reopened = 🔁 Ticket #{ $number } is open again; the building head has been told. You can add details in /my.
sched-reopen-expired = Ticket #{ $number } was closed more than { $days } days ago and cannot be reopened. Please send /report to report it again.
sched-reopened-staff = 🔁 Ticket #{ $number } was closed automatically, but the resident says it is not fixed: it is open again.
sched-followup-ask = 👋 A month ago ticket #{ $number } ({ $category }) was closed on { $date }. Is it still fixed?
sched-btn-fixed-yes = 👍 Yes, still fine
sched-btn-fixed-no = 👎 No, it is back
sched-followup-thanks = 😊 Thank you! Glad ticket #{ $number } is still fixed.
sched-followup-linked = 📝 Sorry to hear that. New ticket #{ $number } (linked to #{ $old }) has gone to the building head.
sched-followup-answered = Thank you, your answer about ticket #{ $number } is already recorded.
sched-followup-description = The problem of ticket #{ $number } is back (follow-up after a month).

## History
event-nudged = reminder sent to the staff
event-ladder-untaken-1 = not taken in time: passed to the building's coordinator
event-ladder-untaken-2 = still not taken: passed to the community office
event-ladder-unresolved-1 = not resolved in time: passed to the building's coordinator
event-ladder-unresolved-2 = still not resolved: passed to the community office
event-auto-closed = closed automatically (no answer from the resident)
event-followup-asked = resident asked "still fixed?"
event-followup-yes = resident: still fixed
event-followup-no = resident: the problem is back
event-linked = follow-up of an earlier ticket

## The morning digest
cmd-digest = The daily report of your area
digest-usage = Send /digest for yesterday's report, or /digest 2026-11-25 for a given day.
digest-not-allowed = Sorry, the daily report is for coordinators and the community office.
digest-future = That day has not happened yet; the latest report is for { $today }.
digest-title = 📊 { $community } · daily report for { $date }
digest-date = { $weekday } { $day }/{ $month }
weekday-mon = Mon
weekday-tue = Tue
weekday-wed = Wed
weekday-thu = Thu
weekday-fri = Fri
weekday-sat = Sat
weekday-sun = Sun
digest-scope = Buildings: { $buildings }
digest-yesterday = That day: { $new } new · { $taken } taken · { $resolved } resolved · { $closed } closed
digest-open = Open now: { $open }, of which overdue: { $overdue }
digest-overdue-line = • #{ $number } { $category } · { $building } · { $age }
digest-more = …and { $count } more
digest-and-more = { " " }and { $count } more
digest-none = none
digest-buildings = Buildings with news that day:
digest-building-line = • { $building }: { $new } new · { $taken } taken · { $resolved } resolved · { $open } open
digest-kpi-title = Last { $days } days ({ $reports } reports):
digest-kpi-response = • Response rate (taken within { $hours } h): { $rate } ({ $part }/{ $whole })
digest-kpi-resolution = • Resolution rate: { $rate } ({ $part }/{ $whole })
digest-kpi-satisfaction = • Satisfaction rate (4–5 stars): { $rate } ({ $part }/{ $whole })
digest-kpi-times = • Median time to take: { $take } · to resolve: { $resolve }
digest-coverage = Coverage: { $covered } of { $total } buildings have a head
digest-coverage-missing = • Without a head: { $names }
digest-recurring-title = Recurring problems (at least { $threshold } reports in { $days } days):
digest-recurring-line = • { $building } · { $category } · { $count ->
    [one] 1 report
   *[other] { $count } reports
}
digest-unreachable-title = Cannot be reached (blocked the bot):
digest-unreachable-line = • { $name } ({ $role })
digest-leaders-title = Heads' leaderboard (resolved, last { $days } days):
digest-leader-line = { $medal } { $name }: { $count } resolved · median { $time } · { $rating }
digest-rating = { $rating }★ ({ $count ->
    [one] 1 rating
   *[other] { $count } ratings
})
digest-no-rating = no ratings yet
duration-minutes = { $value } min
duration-hours = { $value } h
duration-days = { $value } days
digest-chart-title = New and resolved tickets, last 14 days
digest-chart-new = New
digest-chart-resolved = Resolved
digest-caption = 📈 New and resolved tickets per day, last 14 days

## The heads' weekly summary
weekly-title = 📅 Your week, { $first } – { $last }
weekly-open = Open tickets in your buildings: { $count }
weekly-resolved = You resolved { $count ->
    [one] 1 ticket
   *[other] { $count } tickets
} this week.
weekly-rating = Residents' rating: { $rating }★ ({ $count ->
    [one] 1 rating
   *[other] { $count } ratings
})
weekly-thanks = Thank you for looking after your neighbours! 🙏
