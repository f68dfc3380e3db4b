# 微信与网页推送中的社区生活：通知的更正与撤回、楼栋表决、志愿活动
notice-change-corrected-title = ✏️ 通知已更正
notice-change-corrected = ✏️ 对 { $date } 通知的更正：
notice-change-withdrawn-title = 🚫 通知已撤回
notice-change-withdrawn = 🚫 { $date } 的通知已被发布人撤回。
notice-change-remark = 点击查看通知的最新内容。
vote-door-opened = 🗳 { $building } 有新的表决：
    { $question }
    已确认产权的业主可在 { $deadline } 前投票（每户一票，无记名）。
vote-door-ballot = 🗳 { $building } { $flat } 号房的新表决：
    { $question }
    { $rule }
    请在 { $deadline } 前在下方选择；截止前可以更改。投票为无记名。
vote-door-reminder = 🗳 提醒：{ $building } { $flat } 号房还没有投票：
    { $question }
    投票于 { $deadline } 截止。请在下方选择。
vote-none-door = 您名下的房屋目前没有进行中的表决。房屋产权由楼长确认。
vote-door-template-title = 🗳 有一项楼栋表决等待您投票
vote-door-template-remark = 点击投票（每户一票，无记名；截止前可以更改）。
vote-door-page-title = 楼栋表决
vote-door-deadline = 投票于 { $deadline } 截止。
vote-door-flat = { $flat } 号房
vote-door-cast = 投票
vote-door-closed = 该表决已结束，不能再投票或更改。
vote-door-not-owner = 只有 { $building } 已确认的业主才能在这里投票。
vote-door-gone = 无法显示该投票页面：链接有误，或不是给您的。
vote-door-bad-choice = 请选择一个选项。
vol-door-template-remark = 点击在活动页面报名（或取消报名）。
vol-door-gone = 无法显示该活动页面：链接有误，或不是给您的。
vol-door-bad-action = 请使用页面上的按钮。
vol-door-hours = 计 { $hours } 小时志愿服务
vol-door-left = 剩余名额：{ $left }
vol-door-signed = ✅ 您已报名。
