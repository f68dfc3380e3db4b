# Places that would build a t.me link with no bot username (no BOT_TOKEN, no BOT_USERNAME).
invite-needs-telegram = 邀请需要在 Telegram 中打开：请设置 BOT_TOKEN（或 BOT_USERNAME）后再邀请楼长和副楼长。
# The person the console signs in as on this machine (console-link, the example community).
local-office-name = 社区办公室（本机）
# python -m bot revoke: the person by a Telegram user id or by --person ID, one of the two.
revoke-whom = 请只用一种方式指定此人：Telegram 用户 ID，或（没有 Telegram 的人）--person ID。
