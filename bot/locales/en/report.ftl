## The menu under the text field
menu-report = 📝 Report a problem
menu-my = 📋 My tickets
menu-help = ❓ Help

## Report flow
report-join-first = First join your building: open its join link (the QR code in the stairwell) or send /join.
report-which-building = Which building is it about?
report-which-category = What kind of problem is it?
report-building-chosen = Building: { $building }
report-category-chosen = Problem: { $category }
report-metoo = A neighbour already reported a problem like this { $age }:
    Ticket #{ $number } · { $category } · { $building }
    Status: { $status }
    Is it the same problem? If you follow it, you will hear when its status changes.
report-metoo-follow = 🙋 Same problem: follow #{ $number }
report-metoo-new = 📝 No, a new problem
report-following = You now follow ticket #{ $number }: you will hear when its status changes (taken, resolved, reopened, closed).
report-describe = Please describe the problem: write a message, send up to { $max } photos (with a caption if you like), or record a voice note.
report-describe-hint = Please send text, photos or a voice note, or /cancel to stop.
report-photo-added = Photo received. Send more (up to { $max }), or press Continue.
report-too-many-photos = That is enough photos: at most { $max } per report. Press Continue.
report-continue = Continue ›
report-location = Where is it? Send your location with the button below, or press Skip.
report-send-location = 📍 Send my location
report-skip = Skip
report-location-saved = 📍 Location added.
report-location-skipped = No location, that's fine.
report-privacy = Who may see your details? The head sees your flat number either way.
report-show-name = Show my name to the head: { $mark }
report-show-phone = Show my phone to the head: { $mark }
report-contact = Press the button below to share your phone number (only your own).
report-share-phone = ☎️ Share my phone number
report-dont-share = Don't share
report-contact-not-yours = Please share your own phone number with the button, not someone else's contact.
report-phone-saved = ☎️ Phone number saved.
report-phone-not-shared = All right, your phone stays private.
phone-invalid = That phone number does not look right.
report-summary = Please check your report:
    Category: { $category }
    Photos: { $photos }, voice notes: { $voices }
    Location: { $location }
    Name shown to the head: { $name }
    Phone shown to the head: { $phone }
report-send = ✅ Send
report-edit = ✏️ Edit
report-cancel = ✖️ Cancel
report-edit-category = Category
report-edit-description = Description
report-edit-location = Location
report-edit-privacy = Privacy
report-sent = ✅ Sent! Your ticket number is #{ $number }. It went to the { $who } of { $building }; you will be told as soon as someone takes it.
report-cancelled = Report cancelled. Nothing was sent.
report-offer = Would you like to report this as a problem to your building head?
report-offer-yes = 📝 Yes, report it
report-offer-no = No, thanks
report-offer-declined = All right. Send /help to see what you can do.
yes-mark = ✅
no-mark = ❌
yes-word = yes
no-word = no

## Any flow
flow-hint = Please use the buttons above, or send /cancel to stop.
text-too-long = That text is too long ({ $length } characters). Please keep it under { $max }.
flood-slow-down = You are sending messages very fast. Please wait a minute; messages sent meanwhile are ignored.
