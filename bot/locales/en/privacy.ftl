## Privacy between neighbours: what followers ("me too") hear, and what is nobody else's business

## Notices to followers: the status, never the conversation
notice-taken-follower = Ticket #{ $number }, which you follow, has been taken: the building head is on it.
notice-resolved-follower = The building head marked ticket #{ $number }, which you follow, as resolved. If it is still a problem for you, tap the button below.
notice-escalated-follower = Ticket #{ $number }, which you follow, has been passed to the community office.
notice-closed-follower = Ticket #{ $number }, which you follow, is now closed. If it is still a problem for you, tap the button below.
notice-reopened-follower = Ticket #{ $number }, which you follow, is open again: the neighbour who reported it says it is not fixed.
notice-withdrawn-follower = Ticket #{ $number }, which you follow, was withdrawn by the neighbour who reported it. If it is still a problem for you, tap the button below.
btn-still = 🙋 Still a problem for me
follower-not-author = Only the neighbour who reported ticket #{ $number } can do that. If it is still a problem for you, open the ticket in /my and tap “Still a problem for me”.

## Cards and history
card-following = 🙋 You follow this ticket: you hear when its status changes.
card-no-access = You no longer have a role for this ticket, so its details and buttons are gone.
history-neighbour = a neighbour
event-still-problem = a neighbour says it is still a problem for them
event-handed-over = handed over: the person handling it no longer serves the building
merge-private = Neighbour disputes are private: ticket #{ $number } cannot be merged with this one. Please handle each on its own.
merge-other-building = Ticket #{ $number } belongs to another building, and residents follow only their own building's tickets: nothing was merged. Please handle each on its own.
still-description = Still a problem for me after ticket #{ $number }, which I followed.
still-ask = Sorry it is still a problem for you. What is still wrong? Write a few words, or tap Skip. Your own ticket, linked to #{ $number }, will go to the building head; your name and phone stay hidden.
still-filed = 📝 Your own ticket #{ $number } has gone to the building head. You will hear about it in this chat, and you can find it in /my.

## Taking a role away (python -m bot revoke, /staff)
cmd-staff = Remove a head or deputy of a building in your area
revoke-bad-role = Only a head, a deputy or a coordinator can be removed this way; an administrator is removed from ADMIN_IDS.
revoke-not-holder = { $id } is not { role-name } of { $place }. The { role-name } there now: { $holders }.
revoked-you = You are no longer { role-name } of { $place } ({ $community }). Thank you very much for everything you did for your neighbours! The tickets you were looking after have been handed over.
revoked-notice = { $name } is no longer { role-name } of { $place }.{ $handed ->
    [0] {""}
    [one] {" "}One open ticket they were looking after has been handed over.
   *[other] {" "}{ $handed } open tickets they were looking after have been handed over.
}
staff-usage = Send /staff CODE with the building code, for example /staff TZ-A01.
staff-none = { $building } has no head or deputy at the moment.
staff-list = 👥 Heads and deputies of { $building }. Tap someone to remove them from the role:
staff-line = • { $name }: { role-name }
staff-remove = Remove { $name } ({ role-name })
staff-confirm = Remove { $name } as { role-name } of { $building }? Their cards lose their buttons, the open tickets they look after go to the next person, and they will be told politely.
staff-yes = Yes, remove
staff-no = No, keep
staff-kept = Nothing was changed.
staff-gone = That person no longer has this role. Nothing was changed.
staff-removed = ✅ { $name } is no longer { role-name } of { $building }.{ $handed ->
    [0] {""}
    [one] {" "}One open ticket was handed over.
   *[other] {" "}{ $handed } open tickets were handed over.
}

## The author's consent to share the description with neighbours (the report's privacy step)
report-share-description = Neighbours with the same problem may read my description: { $mark }
report-summary-share = Description shown to neighbours with the same problem: { $share }
report-metoo-shared = The neighbour agreed to share their description:
staff-page = Page { $page } of { $pages } ({ $count } people): ‹ › below.
