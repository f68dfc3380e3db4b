## 类别
category-repairs = 维修
category-facilities = 公共设施
category-sanitation = 环境卫生
category-elevator = 电梯
category-safety = 安全隐患
category-neighbours = 邻里纠纷
category-other = 其他

## 状态
status-new = 新建，等待楼长处理
status-taken = 处理中
status-resolved = 已解决，等待住户确认
status-reopened = 已重新打开
status-closed = 已办结
status-withdrawn = 已撤回

## 工单卡片
card-urgent = ‼️ 紧急
card-building = 🏠 { $community } { $building }
card-flat = ，房号 { $flat }
card-reporter = 👤 { $name }
card-reporter-phone = 👤 { $name }，☎️ { $phone }
card-reporter-hidden = 住户（未公开姓名）
card-reporter-gone = 👤 原住户（个人信息已删除）
card-photos = { $n } 张照片
card-voice = { $n } 条语音
card-location = 📍 位置
card-followers = 🙋 另有 { $n } 位邻居反映了同样的问题
card-reported = 🕒 { $time }（{ $age }）
card-status = 状态：{ $status }
card-status-taken = 状态：{ $name } 正在处理
card-escalated = ⬆️ 已上报社区居委会
card-rating = 评价：{ $stars }
age-minutes = { $n ->
    [0] 刚刚
   *[other] { $n } 分钟前
}
age-hours = { $n } 小时前
age-days = { $n } 天前

## 工单按钮
btn-take = ✋ 接单
btn-reply = 💬 回复
btn-resolve = ✅ 办结
btn-escalate = ⬆️ 上报
btn-merge = 🔗 合并
btn-history = 📜 记录
btn-open = 查看
btn-confirm = 👍 已解决
btn-reopen = 👎 未解决
btn-rate = 评价
btn-withdraw = ↩️ 撤回
btn-message = 💬 联系楼长

## 处理记录
history-line = { $time } · { $what }
history-who = {" "}· { $who }
history-detail = ：{ $detail }
event-created = 提交反映
event-routed = 已送达楼长
event-taken = 已接单
event-resolved = 已办结
event-escalated = 上报社区居委会
event-merged = 合并到另一工单
event-merged-in = 合并了一个重复工单
event-message = 留言
event-confirmed = 住户确认已解决
event-reopened = 重新打开
event-rated = 住户评价
event-commented = 住户意见
event-withdrawn = 住户撤回
event-rerouted = 楼长无法联系，已转交他人
event-cosigned = 有邻居反映了同样的问题

## 通知
notice-taken = 您的工单 #{ $number } 已被接单，楼长正在处理。
notice-resolved = 楼长已将工单 #{ $number } 标记为已解决。问题解决了吗？
notice-resolved-note = 楼长已将工单 #{ $number } 标记为已解决。楼长的说明：
notice-escalated = 工单 #{ $number } 已上报社区居委会。
notice-escalated-staff = ⬆️ 工单 #{ $number } 需要您处理。原因：
notice-merged = 工单 #{ $number } 与 #{ $into } 是同一问题，之后您会收到 #{ $into } 的进展。
notice-reopened = 👎 住户表示工单 #{ $number } 未解决：
notice-commented = 💬 工单 #{ $number } 的住户意见：
notice-withdrawn = ↩️ 住户撤回了工单 #{ $number }。
relay-from-head = 💬 楼长 · 工单 #{ $number }（回复此消息即可答复）：
relay-from-resident = 💬 住户 · 工单 #{ $number }（回复此消息即可答复）：

## 拒绝
ticket-stale = 工单 #{ $number } 当前{ $status ->
    [new] 为新建
    [taken] 正在处理
    [resolved] 已解决
    [reopened] 已重新打开
    [closed] 已办结
   *[withdrawn] 已撤回
}，这个按钮已过期，没有做任何改动。
away-past = 这个日期已经过去了。
merge-no-target = 没有可以合并进去的进行中工单 #{ $number }。
report-empty = 请先描述一下问题。
report-limit = 您今天已提交 { $limit } 条反映，达到上限。请明天再试，或关注已有的工单。
report-bad-category = 这个类别不可用，请重新选择。
