## Messages outside any flow
flow-step-over = That button belonged to a step that is already finished, so nothing happened. Here is the main menu again.
free-staff = To answer a resident, press 💬 Reply on the ticket's card, or reply to their message (swipe it to the left). Your tickets: /tickets

## The report
report-place-noted = 📍 Thank you, I added that to the description.
report-open-describe = ✏️ Your report is still open: just send the description (text, photos or a voice note) when you are ready, or /cancel to drop it.
report-open-keyboard = ✏️ Your report is still open: answer it with the buttons under the text field, or /cancel to drop it.
report-open-buttons = ✏️ Your report is still open: press a button under its last question, further up in this chat, or /cancel to drop it.
