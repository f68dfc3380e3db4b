# 微信与网页推送中的社区生活：通知的更正与撤回、楼栋表决、志愿活动
notice-change-corrected-title = ✏️ 通知已更正
notice-change-corrected = ✏️ 对 { $date } 通知的更正：
notice-change-withdrawn-title = 🚫 通知已撤回
notice-change-withdrawn = 🚫 { $date } 的通知已被发布人撤回。
notice-change-remark = 点击查看通知的最新内容。
