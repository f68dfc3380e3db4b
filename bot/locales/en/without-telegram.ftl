# Places that would build a t.me link with no bot username (no BOT_TOKEN, no BOT_USERNAME).
invite-needs-telegram = Invitations are opened in Telegram: set BOT_TOKEN (or BOT_USERNAME) to invite heads and deputies.
# The person the console signs in as on this machine (console-link, the example community).
local-office-name = Office (this computer)
# python -m bot revoke: the person by a Telegram user id or by --person ID, one of the two.
revoke-whom = Name the person once: by their Telegram user id, or by --person ID for someone without Telegram.
