## /forgetme
cmd-forgetme = Delete your personal data
forget-ask = Delete your personal data?
    This removes your name, phone number and flat numbers, the buildings you joined (and any role you have), your join requests and any report you have not sent.
    Your tickets stay with the building so its records stay true, but without your name, phone or flat. The description of each problem and its photos stay; the messages you wrote to the head are removed.
    This cannot be undone. If you write to me again later, you start as a new resident.
forget-ask-staff = You are also staff here: you will lose your roles, and the tickets you are handling go to the next person in line (your deputy or the community office).
forget-yes = 🗑 Yes, delete my data
forget-no = No, keep it
forget-kept = All right, nothing was deleted.
forget-done = Your personal data has been deleted. Your tickets stay with the building without your name. Thank you for caring for your neighbourhood. If you need us again, just send /start.
forget-already = Your data has already been deleted.
forget-staff-notice = The { role-name } of { $building } has deleted their data with /forgetme and no longer serves there. Their open tickets went to the next person in line; please appoint someone new with /invite.
