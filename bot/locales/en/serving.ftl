# Every building has a head: residents of a building without one are asked to serve.

serve-offer = 🏠 { $building } has no building head yet. A head is the neighbour residents bring problems to, and who carries them to the community office. Would you like to serve?
serve-btn-yes = 🙋 Yes, I'd serve
serve-thanks = Thank you! The community office will get back to you about { $building }.
serve-not-yours = This offer is not yours.
serve-has-head = { $building } has a head now. Thank you for offering!
serve-answered = You have answered this already.
serve-volunteered = 🙋 { $name } of { $building } offers to serve as its building head.
serve-btn-accept = ✅ Accept
serve-btn-decline = Decline
serve-not-coordinator = Only the coordinators of that building decide.
serve-decided = This offer has been decided already.
serve-you-accepted = ✅ Accepted: the invitation to head { $building } is sent.
serve-accepted = 🎉 The community office accepted your offer to head { $building }. Tap to become its head.
serve-btn-take = Become the head
serve-now-head = 🎉 You are now the head of { $building }. /help shows what you can do.
serve-ask-note = Why not? Write a short note for the resident (one message).
serve-note-empty = Please write a few words for the resident.
serve-note-long = Please keep the note under { $max } characters.
serve-you-declined = Declined; your note is sent to the resident.
serve-declined =
    Thank you for offering to head { $building }. The community office replied:
    { $note }
digest-coverage-weeks = • By week (Monday: with a head / buildings): { $weeks }
