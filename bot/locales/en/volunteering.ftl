# Volunteering (志愿服务): activities, sign-up, check-in, service hours; neighbour help.

cmd-activity = Organise a volunteer activity for your buildings
cmd-activities = Your activities: check-in QR, confirm hours, cancel
cmd-checkin = The check-in QR of your next activity
cmd-hours = Your volunteer service hours
cmd-helped = Log help to a neighbour: /helped 2 fixed a fan

## Organising
vol-not-allowed = Only a building head, a coordinator or an admin can organise activities, and only for the buildings they look after.
vol-ask-form =
    🙋 Describe the activity in one message, one item per line:
    what
    where
    when (YYYY-MM-DD HH:MM)
    hours it counts for
    places
    For example:
    Tree planting
    Garden behind building 3
    2026-12-12 09:00
    2
    10
vol-form-bad = Please send exactly five lines: what, where, when (YYYY-MM-DD HH:MM), hours, places.
vol-form-long = The name and the place may be at most { $max } characters each.
vol-form-when = I could not read the time, or it has passed. Write it as YYYY-MM-DD HH:MM, in the future.
vol-form-hours = The hours must be a number above 0 and at most { $max } (halves allowed: 1.5).
vol-form-places = The places must be a whole number from 1 to { $max }.
vol-summary-head = 🙋 Your activity, ready to announce:
vol-summary =
    { $title }
    📍 { $place }
    🕒 { $when } · { $hours } h of service · { $places } places
vol-summary-to = To the residents of: { $buildings }
vol-summary-reach = Reaches { $count ->
    [one] one person
   *[other] { $count } people
    }.
vol-btn-send = ✅ Announce
vol-btn-drop = Drop
vol-dropped = Dropped.
vol-published = 🙋 “{ $title }” is announced to { $count ->
    [one] one person
   *[other] { $count } people
    }. /activities shows who signed up, the check-in QR and the hours to confirm.
vol-none-organised = You have no activities yet. /activity organises one.
vol-listed = #{ $id } · { $title } · { $when }
    Signed up { $signed } of { $places }, checked in { $checked } · { $status }
vol-listed-left-behind = Its organiser no longer serves these buildings: it is yours to run now.
vol-btn-qr = 📷 Check-in QR
vol-btn-confirm = ✅ Confirm hours
vol-btn-cancel-activity = Cancel activity
vol-qr = 📷 Check-in for “{ $title }”: volunteers scan this code at the event (or open { $link }). Only people who signed up are checked in, from an hour before the start to an hour after the end.
vol-confirm-early = The hours can be confirmed once the activity has started.
vol-confirmed = ✅ Confirmed: { $hours } h for each of { $count ->
    [one] one volunteer
   *[other] { $count } volunteers
    }.
vol-activity-cancelled = “{ $title }” is cancelled; the volunteers are told.
vol-gone = This activity is over or cancelled.

## Volunteers
vol-announce =
    🙋 Volunteers wanted: { $title }
    📍 { $place }
    🕒 { $when } · counts for { $hours } h of service · { $places } places
vol-btn-sign-up = 🙋 Sign up
vol-not-yours = This activity is for other buildings.
vol-signed = ✅ You are signed up for “{ $title }” on { $when }. { $left ->
    [0] That was the last place.
    [one] One place is left.
   *[other] { $left } places are left.
    } At the event, scan the organiser's QR code to check in.
vol-signed-already = You are already signed up for “{ $title }”.
vol-full = Sorry, “{ $title }” is full. Thank you for offering!
vol-btn-unsign = Cancel my sign-up
vol-unsigned = Your sign-up for “{ $title }” is cancelled; your place is free for someone else.
vol-not-signed = You are not signed up for this activity.
vol-checked-in-already = You have already checked in at “{ $title }”.
vol-cancelled = The activity “{ $title }” is cancelled by its organiser. Thank you all the same!
vol-reminder =
    ⏰ Coming up: { $title }
    📍 { $place }
    🕒 { $when } · { $hours } h of service
vol-checkin-unknown = This check-in code is not valid, or its activity is over.
vol-checkin-closed = Check-in for “{ $title }” is open from an hour before the start to an hour after the end.
vol-checkin-not-signed = You are not signed up for “{ $title }”: sign up under its announcement first.
vol-checkin-not-member = You are no longer registered in a building “{ $title }” is for, so you cannot check in. Nothing was recorded. If this is a mistake, please ask your building head.
vol-checked-in = ✅ Checked in at “{ $title }”: { $hours } h credited. The organiser confirms them after the event.
vol-checked-in-again = You are already checked in at “{ $title }”.
vol-hours-confirmed = ✅ Your { $hours } h of service at “{ $title }” are confirmed. Thank you!
vol-hours = 🙋 Your service hours: { $confirmed } h confirmed, { $waiting } h waiting for confirmation.

## Neighbour help
vol-help-usage = Tell me how many hours and what you did, without naming the neighbour: /helped 2 repaired an elderly neighbour's fan
vol-help-long = Please describe it in at most { $max } characters.
vol-help-no-building = Join your building first: your building's head confirms the help.
vol-help-no-head = Your building has no head yet to confirm it.
vol-help-logged = Thank you! { $hours } h of help are waiting for your building head's confirmation.
vol-help-ask =
    🤝 A resident of { $building } helped a neighbour, { $hours } h:
    { $note }
vol-btn-help-ok = ✅ Confirm
vol-btn-help-no = Decline
vol-help-gone = This has already been decided.
vol-help-own = You cannot confirm your own help.
vol-help-confirmed = ✅ Your { $hours } h of help to a neighbour are confirmed. Thank you!
vol-help-declined = Your building head did not confirm the { $hours } h of help you logged.
vol-help-you-confirmed = ✅ Confirmed: { $hours } h.
vol-help-you-declined = Declined.
vol-ask-targets = 🙋 Which buildings' residents is the activity for? Tap to choose one or several, then “Next”.
vol-stale = This step is over. Send /activity to start again.
vol-status-open = open
vol-status-cancelled = cancelled
vol-status-confirmed = hours confirmed
