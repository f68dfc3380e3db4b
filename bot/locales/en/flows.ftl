## Messages outside any flow
flow-step-over = That button belonged to a step that is already finished, so nothing happened. Here is the main menu again.
free-staff = To answer a resident, press 💬 Reply on the ticket's card, or reply to their message (swipe it to the left). Your tickets: /tickets

## The report
report-place-noted = 📍 Thank you, I added that to the description.
