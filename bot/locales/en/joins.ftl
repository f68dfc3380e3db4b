## Joining with approval (join_policy): the resident's side
jr-ask-flat = To join { $building } ({ $community }), your building head first confirms that you live there.
    What is your flat number (for example 3-502)? The head will see your Telegram name “{ $name }” and the flat number you send here, nothing else.
    Send it now, or press the button to ask without a flat number.
jr-btn-send = Ask without a flat number
jr-flat-not-text = Please send your flat number as a short text message, or press “Ask without a flat number”.
jr-requested = Your request to join { $building } has been sent to { $who ->
    [head] your building head
    [admin] the administrator
   *[coordinator] the community office
}. You will hear here as soon as they decide.
jr-pending-already = You have already asked to join { $building }. Your request is waiting for approval; you will hear here as soon as it is decided.
jr-btn-cancel = Withdraw my request
jr-cancelled = Your request has been withdrawn. Nothing else was changed.
jr-link-only = { $building } is joined by its join link only. Please scan the QR code on the poster in your stairwell, or ask your building head for the link.
jr-approved = Welcome! Your request was approved: you are now a resident of { $building } ({ $community }). To report a problem, send /report.
jr-declined = Your request to join { $building } ({ $community }) was not approved. If you do live there, please scan the QR code in your stairwell or speak to your building head.
jr-declined-wait = Your last request to join { $building } was not approved. Please wait a day before asking again, or scan the QR code in your stairwell.
jr-too-many = You have sent { $count } join requests today, the most allowed. Please try again tomorrow, or scan the QR code in your stairwell.
jr-no-approver = Nobody can approve new residents for this building yet. Please scan the QR code in your stairwell, or ask your community office.

## The approvers' side
jr-card = 🏠 Join request: { $name } asks to join { $building } ({ $community }).
jr-flat = Flat: { $flat }
jr-no-flat = No flat number given.
jr-asked = Asked { $age }.
jr-card-no-access = 🏠 A join request for { $building } ({ $community }). You no longer decide requests there, so its details and buttons are gone.
jr-card-hint = Approve only if you know this neighbour lives in the building.
jr-btn-approve = ✅ Approve
jr-btn-decline = ❌ Decline
jr-former-resident = a former resident
jr-outcome = { $status ->
    [approved] ✅ Approved.
    [declined] ❌ Declined.
    [withdrawn] ↩️ Withdrawn by the neighbour.
    [joined] 🔗 The neighbour joined with the building's QR code.
   *[other] Waiting for approval.
}
jr-outcome-by = { $status ->
    [approved] ✅ Approved by { $name }.
   *[declined] ❌ Declined by { $name }.
}
jr-stale = This request is already settled: { $status ->
    [approved] it was approved.
    [declined] it was declined.
    [withdrawn] the neighbour withdrew it.
    [joined] the neighbour joined with the building's QR code.
   *[other] nothing more to do.
}
jr-done = { $status ->
    [approved] Approved: the neighbour has been told.
   *[declined] Declined: the neighbour has been told.
}
jr-list-button = 🏠 Join requests ({ $count })
jr-list = 🏠 Join requests waiting: { $total }, page { $page } of { $pages }.
jr-list-empty = 🏠 No join requests are waiting.
jr-list-line = { $index }. { $name } · { $flat } → { $building } · { $age }
jr-btn-approve-n = ✅ { $index }
jr-btn-decline-n = ❌ { $index }
jr-btn-tickets = « Tickets

## Settings

## The coordinators' digest
digest-joins = 🏠 Join requests waiting: { $buildings } (open them from /tickets)
