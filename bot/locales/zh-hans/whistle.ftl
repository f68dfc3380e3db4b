# 吹哨：把工单转交给社区以外的部门处理。

## 工单卡片
btn-whistle = 📣 吹哨转办
btn-whistle-answer = 📥 已收到答复
card-whistle-waiting = 📣 已转交{ $department }（{ $reference }），自 { $since } 起等待答复
card-whistle-answered = 📥 { $department }已于 { $time } 答复（{ $reference }）

## 在聊天中转办
whistle-choose = 📣 工单 #{ $number } 转交给哪个部门？住户会收到转交去向的通知。
whistle-confirm = 📣 确定转交{ $department }？工单保持未办结；在登记答复之前，机器人会定期提醒您。
whistle-btn-confirm = ✅ 转交{ $department }
whistle-btn-back = ‹ 返回
whistle-done = 📣 工单 #{ $number } 已转办：转办单 { $reference }。
whistle-usage = 发送 /whistle 加工单号（例如 /whistle 12），即可把该工单转交给外部部门。
whistle-answer-ask = 📥 请用一条消息写下部门对工单 #{ $number }（转办单 { $reference }）的答复，或发送 /cancel 取消。
whistle-answer-done = ✅ 答复已登记到工单 #{ $number }，并已告知住户。
cmd-whistle = 把工单转交给外部部门（吹哨）

## 拒绝
whistle-office-only = 工单 #{ $number } 的吹哨转办由社区居委会负责。如需外部协助，请将工单上报居委会。
whistle-unknown-department = 该部门不在（或已不在）社区的部门列表中，未作任何更改。
whistle-already = 工单 #{ $number } 正在等待{ $department }答复（转办单 { $reference }），未作任何更改。
whistle-nothing-waiting = 工单 #{ $number } 没有等待答复的转办单，未作任何更改。
whistle-no-ticket = 您没有可转办的工单 #{ $number }。
whistle-answer-empty = 请写下部门的答复。

## 通知
whistle-resident-forwarded = 📣 您的工单 #{ $number } 需要社区以外的部门协助：社区居委会已将其转交{ $department }（转办单 { $reference }）。对方答复后会通知您。
whistle-resident-answered = 📥 { $department }对工单 #{ $number } 的答复：
whistle-follower-answered = 📥 您关注的工单 #{ $number } 已收到{ $department }的答复。
whistle-follower-forwarded = 📣 您关注的工单 #{ $number } 需要社区以外的部门协助，已转交{ $department }（转办单 { $reference }）。
whistle-staff-forwarded = 📣 社区居委会已将工单 #{ $number } 转交{ $department }（转办单 { $reference }）。
whistle-staff-answered = 📥 { $department }对工单 #{ $number }（转办单 { $reference }）的答复：
whistle-reminder = ⏰ 转办单 { $reference }（工单 #{ $number }）已等待{ $department }答复 { $days } 天。请跟进，并在工单卡片上登记答复。

## 记录
event-whistled = 吹哨转办
event-whistle-answered = 部门已答复
event-whistle-reminded = 转办提醒
history-web = {" "}（网页）

## 设置说明（供管理后台使用）
settings-about-whistle_departments = 协调员可以把工单转交（吹哨）的部门，每个部门有一个代码和中英文名称。
settings-about-whistle_reminder_days = 转办单超过这么多天没有答复，就提醒转办的协调员，之后每隔同样天数再提醒。
settings-about-whistle_reminders = 每张转办单最多提醒的次数（0：不提醒）。

## 每日简报
digest-whistle-title = 📣 逾期未答复的转办单（{ $count }）：
digest-whistle-line = · { $reference }（#{ $number }）{ $department }，已等待 { $days } 天
