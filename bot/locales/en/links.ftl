## /link: one person in several apps (this chat and, later, a web page or WeChat)
link-code = Your code to link another app to this account: { $code }
    Enter it there within 10 minutes; it works once. Notifications then go to whichever you used last.
link-done = Linked: this chat and the other app are now one account. Notifications go to whichever you used last.
link-code-invalid = That code is wrong, used or expired. Ask for a new one where you use the bot already.
link-same-person = That is your own code: this chat already belongs to that account.
link-too-many = Too many wrong codes. Please try again in 10 minutes.
