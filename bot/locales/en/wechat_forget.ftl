## The WeChat door's "forget me" (/forgetme's equivalent)
wechat-forget-done = Your personal data has been deleted. Your tickets stay with the building without your name. Thank you for caring for your neighbourhood. If you write here again, you start as a new resident.
