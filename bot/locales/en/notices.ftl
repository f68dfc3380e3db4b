# Notices (通知): a head, a coordinator or an admin to the residents of some buildings.

cmd-notice = Write a notice to your buildings' residents
cmd-notices = Your notices: reached, blocked, pending; cancel, withdraw, correct

## Writing
notice-not-allowed = Only a building head, a coordinator or an admin can send notices, and only to the buildings they look after.
notice-ask-targets = 📢 Which buildings is the notice for? Tap to choose one or several, then “Next”.
notice-btn-all = All { $count } buildings
notice-btn-next = Next ›
notice-choose-one = Choose at least one building first.
notice-stale = This step is over. Send /notice to start again.
notice-ask-text = ✍️ Write the notice as one text message (up to { $max } characters). It reaches residents exactly as you write it. /cancel stops.
notice-too-long = That notice is too long ({ $length } characters). Please keep it under { $max }.
notice-ask-photos = 🖼 Add up to { $max } photos now, or continue without.
notice-btn-no-photos = No photos ›
notice-btn-photos-done = Done ›
notice-photo-added = Photo { $count } of { $max } added. Send more, or tap “Done”.
notice-photos-added = Photos added (a notice carries { $max } at most). Send more, or tap “Done”.
notice-photos-only = Send a photo, or tap the button to go on.
notice-too-many-photos = A notice can carry at most { $max } photos; this one was not added.
notice-ask-when = 🕒 When should it go? Tap a button, or type a time as HH:MM or YYYY-MM-DD HH:MM (the community's time).
notice-btn-now = Now
notice-btn-tomorrow = Tomorrow 07:30
notice-bad-time = I could not read that time, or it has passed. Type HH:MM or YYYY-MM-DD HH:MM, in the future.
notice-ask-urgent = Is it urgent? Urgent notices go even during quiet hours; others wait until morning.
notice-btn-normal = Not urgent
notice-btn-urgent = ⚠️ Urgent
notice-summary-head = 📢 Your notice, ready to go:
notice-summary-to = To: { $buildings }
notice-summary-reach = Reaches { $count ->
    [one] one person
   *[other] { $count } people
  }, about { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
  } at Telegram's pace.
notice-summary-at = Scheduled for { $when }.
notice-summary-quiet = It waits for the end of quiet hours: from { $when }.
notice-summary-urgent = ⚠️ Urgent: goes even during quiet hours.
notice-summary-normal = Not urgent.
notice-summary-photos = With { $count } photo(s).
notice-btn-send = ✅ Send
notice-btn-drop = ✖️ Discard
notice-dropped = Discarded; nothing was sent.
notice-queued = 📢 Notice #{ $id } is on its way to { $count } people; about { $minutes } min at Telegram's pace. /notices shows its progress.
notice-scheduled = 🕒 Notice #{ $id } will go at { $when } ({ $count } people now). /notices can cancel it.

## What readers get
notice-header = 📢 Notice for { $building }
notice-header-urgent = ⚠️ Urgent notice for { $building }
notice-corrected = ✏️ Corrected by its author.
notice-withdrawn-copy = 🚫 A notice for { $building } was withdrawn by its author.
notice-withdrawn-copy-office = 🚫 A notice for { $building } was withdrawn by the community office.
notice-btn-mute = 🔕 Mute notices from this building
notice-btn-unmute = 🔔 Unmute this building's notices
notice-muted = Muted: no more non-urgent notices from { $building }. Urgent ones still come.
notice-unmuted = Notices from { $building } come again.
notice-not-member = You can mute only the buildings you belong to.

## The author's list
notice-list-empty = You have sent no notices yet. /notice writes one.
notice-list-head = 📢 Your latest notices:
notice-list-office = 🏢 Notices others sent in your community (the office may withdraw them):
notice-list-item = #{ $id } · { $buildings } · { $when } · { $status }{ $urgent ->
    [yes] {" "}· ⚠️ urgent
   *[no] {""}
  }
notice-list-counts = Reached { $reached }, blocked { $blocked }, pending { $pending }, cancelled { $cancelled }
notice-list-left = (about { $minutes } min left)
notice-status-scheduled = scheduled
notice-status-released = sent
notice-status-cancelled = cancelled
notice-status-withdrawn = withdrawn
notice-btn-cancel = Stop #{ $id }
notice-btn-withdraw = Withdraw #{ $id }
notice-btn-correct = Correct #{ $id }
notice-gone = That notice is not yours, or it can no longer be changed that way.
notice-cancelled = Notice #{ $id }: stopped. { $count } copies that had not gone will not go.
notice-withdraw-done = Notice #{ $id } withdrawn: { $deleted } copies will be deleted, { $edited } older ones marked as withdrawn.
notice-ask-correction = ✏️ Write the corrected text of notice #{ $id } (up to { $max } characters). Every copy already sent is edited.
notice-corrected-done = Notice #{ $id } corrected; { $count } copies sent will be edited.
