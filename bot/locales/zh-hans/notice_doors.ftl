# 微信与网页上的通知（bot/services/notice_board.py）
notice-door-photos = 附 { $count } 张照片，请在通知页面查看。
notice-door-more = 阅读完整通知：{ $url }
notice-door-remark = 点击查看通知。
notice-door-board = 通知
notice-door-title = { $building } 通知
notice-door-urgent = ⚠️ 紧急
notice-door-corrected = 作者已更正
notice-door-withdrawn = 这条 { $building } 的通知已被作者撤回。
notice-door-gone = 无法显示这条通知：链接有误，或它不是（或不再是）发给您的。
notice-door-news = 来自您所在楼栋的消息
notice-door-photo-alt = 通知的第 { $number } 张照片
