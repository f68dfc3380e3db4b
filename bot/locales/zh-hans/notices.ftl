# 通知：楼长、协调员或管理员发给若干楼栋的住户。

cmd-notice = 给您的楼栋住户发通知
cmd-notices = 您的通知：已送达、被屏蔽、待发送；撤回、更正

## 撰写
notice-not-allowed = 只有楼长、协调员或管理员可以发通知，且只能发给自己负责的楼栋。
notice-ask-targets = 📢 通知发给哪些楼栋？点按选择一栋或多栋，然后点“下一步”。
notice-btn-all = 全部 { $count } 栋
notice-btn-next = 下一步 ›
notice-choose-one = 请先至少选择一栋楼。
notice-stale = 这一步已结束。发送 /notice 重新开始。
notice-ask-text = ✍️ 请用一条文字消息写通知（最多 { $max } 字）。住户看到的就是您写的原文。/cancel 取消。
notice-too-long = 通知太长了（{ $length } 字），请控制在 { $max } 字以内。
notice-ask-photos = 🖼 现在可以添加最多 { $max } 张照片，也可以不加照片继续。
notice-btn-no-photos = 不加照片 ›
notice-btn-photos-done = 完成 ›
notice-photo-added = 已添加第 { $count } 张照片（最多 { $max } 张）。可继续发送，或点“完成”。
notice-photos-added = 照片已添加（一条通知最多 { $max } 张）。可继续发送，或点“完成”。
notice-photos-only = 请发送照片，或点按钮继续。
notice-too-many-photos = 一条通知最多 { $max } 张照片；这张没有添加。
notice-ask-when = 🕒 什么时候发送？点按钮，或输入时间 HH:MM 或 YYYY-MM-DD HH:MM（社区当地时间）。
notice-btn-now = 现在
notice-btn-tomorrow = 明天 07:30
notice-bad-time = 无法识别这个时间，或时间已过。请输入将来的 HH:MM 或 YYYY-MM-DD HH:MM。
notice-ask-urgent = 是否紧急？紧急通知在免打扰时段也会发送；其他通知等到早上。
notice-btn-normal = 不紧急
notice-btn-urgent = ⚠️ 紧急
notice-summary-head = 📢 通知已准备好：
notice-summary-to = 发给：{ $buildings }
notice-summary-reach = 将送达 { $count } 人，按 Telegram 的速度约需 { $minutes } 分钟。
notice-summary-at = 定时发送：{ $when }。
notice-summary-quiet = 将等免打扰时段结束后发送：{ $when } 起。
notice-summary-urgent = ⚠️ 紧急：免打扰时段也发送。
notice-summary-normal = 不紧急。
notice-summary-photos = 附 { $count } 张照片。
notice-btn-send = ✅ 发送
notice-btn-drop = ✖️ 放弃
notice-dropped = 已放弃，没有发送任何内容。
notice-queued = 📢 通知 #{ $id } 正在发给 { $count } 人；按 Telegram 的速度约需 { $minutes } 分钟。/notices 可查看进度。
notice-scheduled = 🕒 通知 #{ $id } 将于 { $when } 发送（目前 { $count } 人）。/notices 可以取消。

## 住户收到的
notice-header = 📢 { $building } 通知
notice-header-urgent = ⚠️ { $building } 紧急通知
notice-corrected = ✏️ 发布人已更正。
notice-withdrawn-copy = 🚫 { $building } 的一条通知已被发布人撤回。
notice-withdrawn-copy-office = 🚫 { $building } 的一条通知已被社区居委会撤回。
notice-btn-mute = 🔕 不再接收本楼通知
notice-btn-unmute = 🔔 恢复接收本楼通知
notice-muted = 已屏蔽：不再接收 { $building } 的非紧急通知。紧急通知仍会送达。
notice-unmuted = 将重新接收 { $building } 的通知。
notice-not-member = 只能屏蔽您所在楼栋的通知。

## 发布人的列表
notice-list-empty = 您还没有发过通知。/notice 可以写一条。
notice-list-head = 📢 您最近的通知：
notice-list-office = 🏢 社区内其他人发出的通知（社区居委会可以撤回）：
notice-list-item = #{ $id } · { $buildings } · { $when } · { $status }{ $urgent ->
    [yes] {" "}· ⚠️ 紧急
   *[no] {""}
  }
notice-list-counts = 已送达 { $reached }，被屏蔽 { $blocked }，待发送 { $pending }，已取消 { $cancelled }
notice-list-left = （约剩 { $minutes } 分钟）
notice-status-scheduled = 定时
notice-status-released = 已发送
notice-status-cancelled = 已取消
notice-status-withdrawn = 已撤回
notice-btn-cancel = 停止 #{ $id }
notice-btn-withdraw = 撤回 #{ $id }
notice-btn-correct = 更正 #{ $id }
notice-gone = 这条通知不是您的，或已不能这样修改。
notice-cancelled = 通知 #{ $id } 已停止：尚未发出的 { $count } 份不会再发。
notice-withdraw-done = 通知 #{ $id } 已撤回：{ $deleted } 份将被删除，{ $edited } 份较早的将标注为已撤回。
notice-ask-correction = ✏️ 请写通知 #{ $id } 更正后的全文（最多 { $max } 字）。已发出的每一份都会被修改。
notice-corrected-done = 通知 #{ $id } 已更正；已发出的 { $count } 份将被修改。
