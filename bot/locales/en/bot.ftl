## Roles
role-name = { $role ->
    [head] building head
    [deputy] deputy building head
    [coordinator] coordinator
   *[resident] resident
}

## Command menu (one line each, shown in Telegram's menu and in /help)
cmd-report = Report a problem to your building head
cmd-my = Your tickets and their progress
cmd-tickets = Tickets of your buildings
cmd-away = Going away: /away 3 or /away 2026-12-01 (others cover)
cmd-back = Back from away: receive new tickets again
cmd-start = Start and join your building
cmd-join = Choose your building from a list
cmd-help = What you can do here
cmd-language = Language: 简体中文 / English
cmd-cancel = Stop what you are doing
cmd-joinlink = Join link and QR poster of a building
cmd-invite-deputy = Invite a deputy: /invite deputy CODE
cmd-invite = Invite a head, deputy or coordinator: /invite ROLE CODE

## /help
help-roles = { $count ->
    [0] You have not joined a building yet.
   *[other] Your roles:
}
role-line = { role-name } of { $building } ({ $community })
role-line-flat = , flat { $flat }
role-line-coordinator = Coordinator of { $place }
role-line-admin = Administrator
help-not-joined = Open your building's join link (the QR code in the stairwell), or send /join to choose your building.
help-commands = Commands:

## Language
language-choose = Choose your language:
language-set = Language set: English.

## Conversation
cancelled = Stopped. Nothing was changed.
nothing-to-cancel = There is nothing to stop.
button-stale = This button is no longer valid. Please use the latest message.
unknown-command = I don't know that command. Send /help to see what you can do.
fallback = I'm here to connect you with your building head. Send /help to see what you can do.
error-generic = Sorry, something went wrong on our side. Nothing was lost; please try again in a moment.

## Joining
welcome = Welcome! This bot connects residents with their building head (楼长).
pick-community = Which community do you live in?
pick-building = Which building of { $community } do you live in?
no-communities = No community has been set up yet. Please ask your community office for your building's join link.
picker-back = « Communities
joined = You have joined { $building } ({ $community }). Your building head will now receive your reports.
joined-already = You are already a resident of { $building } ({ $community }).
flat-ask = What is your flat number (for example 3-502)? It helps your head find you. You can also skip this.
flat-skip = Skip
flat-skipped = All right, no flat number. To report a problem, press “📝 Report a problem” below.
flat-saved = Saved: flat { $flat }. To report a problem, press “📝 Report a problem” below.
flat-not-text = Please send your flat number as a short text message, or press Skip.
flat-invalid = That does not look like a flat number. Please send up to { $max } letters, digits or dashes, for example 3-502.

## Invitations
appointed = You are now { role-name } of { $place } ({ $community }). Thank you for serving your neighbours!
appointed-already = You already are { role-name } of { $place } ({ $community }).
appointed-community = You are now { role-name } of { $place }. Thank you for serving your neighbours!
appointed-already-community = You already are { role-name } of { $place }.
appointed-notice-community = { $name } is now { role-name } of { $place }.
duties-head = As building head you receive your building's reports, answer residents and close their tickets. Your commands: /joinlink shows your building's join link and QR poster for the stairwell; /invite deputy CODE invites a deputy; /help lists everything.
duties-deputy = As deputy you stand in for the building head: you receive the building's reports too. Your commands: /joinlink shows the building's join link and QR poster; /help lists everything.
duties-coordinator = As coordinator you see your area's buildings, appoint heads and take over tickets nobody else can. Your commands: /invite ROLE CODE for one-time invitation links, /joinlink CODE for join links and posters; /help lists everything.
appointed-notice = { $name } is now { role-name } of { $place } ({ $community }).

## Staff commands
joinlink-usage = Send /joinlink CODE with the building code, for example /joinlink TZ-A01.
joinlink-poster = Join link of { $building }: { $link }
    Print this QR code for the stairwell; residents who scan it join the building.
invite-usage = Send /invite ROLE CODE, where ROLE is head, deputy or coordinator and CODE is a building code, for example /invite head TZ-A01.
invite-issued = One-time invitation for the { role-name } of { $place } (valid until { $expires }):
    { $link }
    Send it only to that person: whoever opens it first gets the role.

## Refusals
not-allowed = Sorry, you are not allowed to do that.
start-link-malformed = This link is not valid. Please scan the QR code again or ask your building head for a new link.
start-link-unknown = This link is unknown or no longer valid. Please ask your building head or community office for a new one.
invite-used = This invitation has already been used. Please ask for a new one.
invite-expired = This invitation has expired. Please ask for a new one.
invite-bad-role = The role must be head, deputy or coordinator.
building-gone = That building no longer exists. Please send /join and choose again.
community-gone = That community no longer exists. Please send /join and choose again.
building-not-found = There is no building with the code { $code }.
building-ambiguous = Several communities have a building with the code { $code }; please name the community.
community-not-found = There is no community called { $name }.
language-unknown = That language is not available.
settings-unknown = Unknown setting: { $keys }.
import-bad-header = The CSV file must start with the header { $expected }.
import-bad-row = Line { $line } of the CSV file needs a community, a code and a name.
import-bad-code = Line { $line }: the code { $code } may only hold letters, digits, - and _ (at most 32).
