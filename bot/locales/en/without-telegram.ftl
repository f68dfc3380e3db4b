# Places that would build a t.me link with no bot username (no BOT_TOKEN, no BOT_USERNAME).
invite-needs-telegram = Invitations are opened in Telegram: set BOT_TOKEN (or BOT_USERNAME) to invite heads and deputies.
