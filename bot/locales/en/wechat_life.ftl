# Community life in WeChat and Web Push: notices corrected or withdrawn, building votes,
# volunteering (bot/services/notice_board.py, bot/services/door_votes.py)
notice-change-corrected-title = ✏️ Notice corrected
notice-change-corrected = ✏️ Correction to the notice of { $date }:
notice-change-withdrawn-title = 🚫 Notice withdrawn
notice-change-withdrawn = 🚫 The notice of { $date } was withdrawn by its author.
notice-change-remark = Tap to read the notice as it is now.
