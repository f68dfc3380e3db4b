# Community life in WeChat and Web Push: notices corrected or withdrawn, building votes,
# volunteering (bot/services/notice_board.py, bot/services/door_votes.py)
notice-change-corrected-title = ✏️ Notice corrected
notice-change-corrected = ✏️ Correction to the notice of { $date }:
notice-change-withdrawn-title = 🚫 Notice withdrawn
notice-change-withdrawn = 🚫 The notice of { $date } was withdrawn by its author.
notice-change-remark = Tap to read the notice as it is now.
vote-door-opened = 🗳 New vote in { $building }:
    { $question }
    Owners of a confirmed flat vote until { $deadline } (one ballot per flat, secret).
vote-door-ballot = 🗳 New vote in { $building }, flat { $flat }:
    { $question }
    { $rule }
    Choose below until { $deadline }; you can change your choice until then. The ballot is secret.
vote-door-reminder = 🗳 Reminder: flat { $flat } has not voted yet in { $building }:
    { $question }
    Voting closes { $deadline }. Choose below.
vote-none-door = There is no open vote for a flat you own. Your building head confirms which flat you own.
vote-door-template-title = 🗳 A building vote is waiting for your ballot
vote-door-template-remark = Tap to vote (one ballot per flat, secret; you can change it until the deadline).
vote-door-page-title = Building vote
vote-door-deadline = Voting closes { $deadline }.
vote-door-flat = Flat { $flat }
vote-door-cast = Cast my ballot
vote-door-closed = This vote is closed; ballots can no longer be cast or changed.
vote-door-not-owner = Only the confirmed owner of a flat in { $building } can vote here.
vote-door-gone = This ballot page cannot be shown: the link is wrong, or it is not for you.
vote-door-bad-choice = Please choose one of the options.
vol-door-template-remark = Tap to sign up (or cancel) on the activity's page.
vol-door-gone = This activity's page cannot be shown: the link is wrong, or it is not for you.
vol-door-bad-action = Please use the button on the page.
vol-door-hours = counts for { $hours } h of service
vol-door-left = Places left: { $left }
vol-door-signed = ✅ You are signed up.
