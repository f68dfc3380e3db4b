## Messages outside any flow
flow-step-over = That button belonged to a step that is already finished, so nothing happened. Here is the main menu again.
free-staff = To answer a resident, press 💬 Reply on the ticket's card, or reply to their message (swipe it to the left). Your tickets: /tickets
flow-ended-unsent = This step has ended: nothing was sent.

## The report
report-place-noted = 📍 Thank you, I added that to the description.
report-open-describe = ✏️ Your report is still open: just send the description (text, photos or a voice note) when you are ready, or /cancel to drop it.
report-open-keyboard = ✏️ Your report is still open: answer it with the buttons under the text field, or /cancel to drop it.
report-open-buttons = ✏️ Your report is still open: press a button under its last question, further up in this chat, or /cancel to drop it.
report-reply-elsewhere = ✋ You are in the middle of a new report, so that reply did not go to ticket #{ $number }, and it was not added to the new report either. To write to ticket #{ $number }, first finish the new report or /cancel it, then reply again.

## A plain message to the conversation in progress
conv-sent-resident = ✅ Sent to your building head (ticket #{ $number }).
conv-sent-staff = ✅ Sent to the resident (ticket #{ $number }).
conv-new-problem = 📝 No, this is a new problem
conv-not-for = ↩️ Not for #{ $number }: take it back
conv-taken-back = ↩️ Taken back: your building head has been asked to ignore that message on ticket #{ $number }.
conv-taken-back-staff = ↩️ Taken back: the resident has been asked to ignore that message on ticket #{ $number }.
conv-taken-back-unsent = ↩️ Taken back: that message on ticket #{ $number } had not reached your building head yet, and will not.
conv-taken-back-staff-unsent = ↩️ Taken back: that message on ticket #{ $number } had not reached the resident yet, and will not.
conv-retracted-resident = ↩️ Ticket #{ $number }: the resident says { $count ->
        [one] their last message was
       *[other] their last { $count } messages were
    } not about this ticket. Please ignore { $count ->
        [one] it
       *[other] them
    }.
conv-retracted-head = ↩️ Ticket #{ $number }: the building head says { $count ->
        [one] their last message was
       *[other] their last { $count } messages were
    } not meant for this ticket. Please ignore { $count ->
        [one] it
       *[other] them
    }.
conv-retracted-already = That message has been taken back already.
conv-which = Which ticket { $count ->
        [one] is this message
       *[other] are these { $count } messages
    } about? Nothing is sent until you choose.
conv-none = ✖️ None of them: don't send
conv-pick-new = 📝 A new problem
conv-not-sent = All right, nothing was sent.
conv-pick-hint = Please choose the ticket with the buttons above, or send /cancel.
conv-pick-full = That is as much as one report can hold, so this last message was not kept. Please choose the ticket with the buttons above, or send /cancel.
event-retracted = message taken back

## The join picker: typing a building's number or name
picker-type = You can also type its number or name, e.g. A01 or 1栋.
picker-none = There is no building called “{ $query }”. Please try the number on your door or on the poster in the stairwell, or choose from the list above.
picker-none-long = That does not look like a building's number or name. Please try the number on your door or on the poster in the stairwell, or choose from the list above.
picker-type-hint = Please choose your building with the buttons above, or type its number or name.
picker-found-one = Found it. Is this your building?
picker-join = ✅ Join { $building }
picker-found = { $count } buildings match “{ $query }”:
picker-all = « All buildings

## A message where a step waits for a button
step-buttons = ⬆️ This step is waiting for a button: please press one of the buttons under the question “{ $question }” further up in this chat. Or send /cancel to stop.
step-waiting = ⬆️ A step is still waiting for your answer to the question further up in this chat. Or send /cancel to stop.
step-q-report-building = Which building is it about?
step-q-report-category = What kind of problem is it?
step-q-report-metoo = Is it the same problem as the neighbour's?
step-q-report-privacy = Who may see your details?
step-q-report-summary = Please check your report
step-q-report-offer = Would you like to report this?
step-q-notice-targets = Which buildings is the notice for?
step-q-notice-urgent = Is it urgent?
step-q-notice-confirm = Your notice, ready to go
step-q-activity-targets = Which buildings is the activity for?
step-q-activity-confirm = Your activity, ready to announce
step-q-vote-rule = Which rule decides?
step-q-vote-days = How long is the vote open?
step-q-vote-confirm = Open this vote?
