## The WeChat door: claiming a flat, checking in at an activity, muting a building's notices

flat-owned = flat { $flat } is already confirmed as another owner's; if that is wrong, please speak to your building head.
wechat-flat-claim-new = { $name } says they own flat { $flat } in { $building }. Confirm or decline:
wechat-flat-ask = Which flat do you own? Send "flat" and its number, for example: flat 502. Your building head will confirm it.
wechat-flat-choose = Which flat do you own? Choose it below (or send "flat" and its number, for example: flat 502). Your building head will confirm it.
wechat-flat-none = no flat of your building is waiting for an owner: send "flat" and its number if yours is confirmed as somebody else's by mistake, or ask your building head.
wechat-flat-sent = Thank you. Your building head will confirm that you own flat { $flat }; you will hear from me.
wechat-flat-decided-yes = Confirmed as owner.
wechat-flat-decided-no = Declined.
wechat-checkin-qr = For volunteers on WeChat: they scan this code in WeChat to check in at “{ $title }”.
wechat-muted = Muted: no more non-urgent notices from { $building }. Urgent ones still come. Send "unmute notices" to get them again.
wechat-unmuted = Notices from { $building } come again.
wechat-mute-already = Notices from { $building } are already muted.
wechat-unmute-already = Notices from { $building } are not muted.
wechat-help-more = To vote in building votes, tell your head which flat you own: write "flat" and its number, for example: flat 502. At a volunteering activity, scan the organiser's WeChat check-in code. To stop non-urgent notices from your building, write "mute notices" ("unmute notices" to get them again).
wechat-checkin-qr-failed = WeChat's check-in code could not be made just now (WeChat did not answer). Volunteers on WeChat can check in when you ask again with /checkin.
