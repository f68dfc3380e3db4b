## The WeChat door: what the account answers a resident
wechat-joined = Welcome! You are now a resident of { $building }. Write here what is wrong (one message) and it goes to your building head.
wechat-welcome = Welcome! Scan the QR code on your building's poster to join your building; then write here what is wrong.
wechat-reported = Sent as ticket #{ $number } to the head of { $building }. What you write next goes to the head about this ticket until it is closed.
wechat-message-sent = Passed on to the head (ticket #{ $number }).
# A refusal: one apology, then the reason (one that apologises already, containing
# wechat-apology, goes alone: bot/services/wechat_door.py refusal).
wechat-refused = Sorry, { $reason }
wechat-apology = sorry
wechat-template-title = News about your ticket #{ $number }
wechat-template-remark = Open to read it and answer.
wechat-no-building = you have not joined a building yet: please scan the QR code on your building's poster first.
wechat-menu-unknown = that choice is not one this account sent you, or it is too old; please open the ticket's page to act on it.
wechat-confirmed = Thank you! Ticket #{ $number } is closed. How well was it handled?
wechat-rated = Thank you for rating ticket #{ $number }.
wechat-ask-reply = Write your answer to ticket #{ $number } as your next message: it goes to the resident.
wechat-ask-reopen = What is still wrong with ticket #{ $number }? Write it as your next message.
wechat-reply-sent = Your answer went to the resident of ticket #{ $number }.
wechat-reopened = Ticket #{ $number } is open again; the head has your words.
wechat-photo-kept = { $count ->
    [one] Photo received. Now write in one message what is wrong: the photo goes with it.
   *[other] { $count } photos received. Now write in one message what is wrong: the photos go with it.
}
wechat-photos-full = at most { $max } photos go with one report, so please write what is wrong now.
wechat-linked = Linked: this WeChat is now one of your doors, with your roles and tickets.
wechat-voice-unheard = a voice message cannot be passed on from here, so please write it in words (WeChat's "convert to text" helps) or send a photo.
wechat-kind-unread = this account reads words and photos only, so please write what is wrong in words or send a photo.
wechat-input-too-long = that is too long ({ $length } characters). Please keep one message under { $max }, or send it in parts.
## The account's custom menu (python -m bot wechat-menu) and its answers
wechat-menu-report = Report
wechat-menu-mine = My tickets
wechat-menu-help = Help
wechat-menu-report-how = Write in one message what is wrong (send photos first if you have some): it goes to your building head as a ticket.
wechat-mine-title = Your tickets:
wechat-mine-line = #{ $number }: { $status }
wechat-mine-none = You have no tickets yet.
wechat-help = Write here what is wrong in your building: one message is one ticket for your building head, and what you write next goes to the head until it is closed. Photos sent before the text go with it. The head's answers come here; the buttons under them (Yes, fixed; Not fixed; stars) answer back. Joining: scan the QR code on your building's poster. To delete your personal data, write "forget me".
## The WeChat posters (python -m bot wechat-qr --out)
wechat-poster-step-1 = Scan the QR code with WeChat (扫一扫) and follow the account: you join this building.
wechat-poster-step-2 = Write what is wrong in one message; send photos first if you have some.
wechat-poster-step-3 = Your building head gets it at once, and answers you in WeChat.
wechat-posters-print = WeChat posters (PDF)
# A photo while "Not fixed" waits for its words: the words first (the question still waits).
wechat-photo-reason-first = please first write in words what is still wrong with ticket #{ $number }; you can send the photo after that.
