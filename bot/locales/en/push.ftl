# Web Push: the notification a resident's phone shows, and the page's offer to send them.
push-title = Your building head
push-ticket-title = Ticket #{ $number }
push-news = There is news on your ticket. Tap to open it.
push-location = The head sent a location.
door-push-offer = Tell me when the head answers
door-push-on = Notifications are on for this phone.
door-push-off = Turn notifications off
door-push-denied = Notifications are blocked in this browser; this page still shows the progress.
door-push-none = This browser cannot notify; open this page again to see news.
door-push-bad = The browser sent something unexpected. Please try again.
door-push-stopped = Notifications are off for this phone.
door-app-name = Building head
# A message relayed to a web contact (a push; the ticket's number is in its title).
relay-from-head-web = 💬 Building head:
relay-from-resident-web = 💬 Resident:
