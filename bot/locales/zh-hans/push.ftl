# Web Push：居民手机上显示的通知，以及页面上开启通知的按钮。
push-title = 您的楼长
push-ticket-title = 工单 #{ $number }
push-news = 您的工单有新进展，点击查看。
push-location = 楼长发送了一个位置。
door-push-offer = 楼长回复时通知我
door-push-on = 本机已开启通知。
door-push-off = 关闭通知
door-push-denied = 此浏览器已禁止通知；本页面仍会显示进展。
door-push-none = 此浏览器无法接收通知；请再次打开本页面查看进展。
door-push-bad = 浏览器发送的内容有误，请重试。
door-push-stopped = 本机已关闭通知。
door-app-name = 楼长
# 转发给网页用户的消息（推送通知；工单号在通知标题中）。
relay-from-head-web = 💬 楼长：
relay-from-resident-web = 💬 住户：
