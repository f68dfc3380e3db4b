## The WeChat door: what the account answers a resident
wechat-joined = Welcome! You are now a resident of { $building }. Write here what is wrong (one message) and it goes to your building head.
wechat-welcome = Welcome! Scan the QR code on your building's poster to join your building; then write here what is wrong.
wechat-reported = Sent as ticket #{ $number } to the head of { $building }. What you write next goes to the head about this ticket until it is closed.
wechat-message-sent = Passed on to the head (ticket #{ $number }).
wechat-refused = Sorry, that did not work: { $reason }
wechat-template-title = News about your ticket #{ $number }
wechat-template-remark = Open to read it and answer.
wechat-no-building = you have not joined a building yet: scan the QR code on your building's poster first.
