## 给楼长的提醒
sched-nudge-waiting = ⏰ 温馨提醒：有 { $count } 件反映还在等人接单：
sched-nudge-idle = 🕰 下面 { $count } 件接单后好几天没有新进展了，方便时给居民回个话吧：
sched-nudge-footer = 点下面的按钮就能打开。现在忙的话，可以选个时间再提醒您。
sched-line = • #{ $number } { $category } · { $building } · { $age }
sched-more = …还有 { $count } 件
sched-btn-open = 打开 #{ $number }
sched-btn-snooze-hour = ⏰ 1小时后再提醒
sched-btn-snooze-morning = 🌅 明早9点再提醒
sched-snoozed = 👌 好的，{ $time } 再提醒您。

## 自动上报
sched-ladder-untaken = ⬆️ 工单 #{ $number } 已经 { $hours } 小时没人接单，现在也转给您了（第 { $level } 级）。请帮忙接单或安排人处理。
sched-ladder-unresolved = ⬆️ 工单 #{ $number } 接单 { $days } 天了还没解决，现在也转给您了（第 { $level } 级）。
sched-ladder-holder = ⬆️ 工单 #{ $number } 接单已超过 { $days } 天，社区居委会会和您一起跟进。

## 住户：确认与回访
sched-confirm-reminder = 🙂 工单 #{ $number } 真的修好了吗？请点一下告诉我们。{ $date } 前没有回复的话会自动办结。
sched-autoclosed = ✅ 工单 #{ $number } 已处理 { $days } 天，没收到您的回复，现在已自动办结。如果问题还在，{ $until } 前点“没修好”，会重新交给楼长。
sched-btn-reopen = 👎 没修好
sched-reopened = 🔁 工单 #{ $number } 已重新打开，楼长已收到通知。要补充情况，可以在 /my 里留言。
sched-reopen-expired = 工单 #{ $number } 办结已超过 { $days } 天，不能再重新打开了。请发送 /report 重新反映。
sched-reopened-staff = 🔁 工单 #{ $number } 之前自动办结了，但住户说还没修好，现已重新打开。
sched-followup-ask = 👋 您一个月前反映的工单 #{ $number }（{ $category }）在 { $date } 办结了。现在还好吗？
sched-btn-fixed-yes = 👍 还好着
sched-btn-fixed-no = 👎 又坏了
sched-followup-thanks = 😊 谢谢您！#{ $number } 一直好着就好。
sched-followup-linked = 📝 给您添麻烦了。已新建工单 #{ $number }（关联 #{ $old }），交给楼长处理。
sched-followup-answered = 谢谢，您对工单 #{ $number } 的回复已经记下了。
sched-followup-description = 工单 #{ $number } 的问题又出现了（一个月回访）。

## 处理记录
event-nudged = 已提醒处理人
event-ladder-untaken-1 = 超时未接单，自动转给本楼协调员
event-ladder-untaken-2 = 仍未接单，自动上报社区居委会
event-ladder-unresolved-1 = 超时未解决，自动转给本楼协调员
event-ladder-unresolved-2 = 仍未解决，自动上报社区居委会
event-auto-closed = 住户未回复，自动办结
event-followup-asked = 回访住户：现在还好吗？
event-followup-yes = 住户回复：一直好着
event-followup-no = 住户回复：问题又出现了
event-linked = 由之前的工单回访而来

## 每日简报
cmd-digest = 查看负责片区的每日简报
digest-usage = 发送 /digest 查看昨天的简报，或 /digest 2026-11-25 查看某一天。
digest-not-allowed = 抱歉，每日简报只给协调员和社区居委会看。
digest-future = 那一天还没到，最新的简报是 { $today } 的。
digest-title = 📊 { $community } · 每日简报 { $date }
digest-date = { $month }月{ $day }日（{ $weekday }）
weekday-mon = 周一
weekday-tue = 周二
weekday-wed = 周三
weekday-thu = 周四
weekday-fri = 周五
weekday-sat = 周六
weekday-sun = 周日
digest-scope = 范围：{ $buildings }
digest-yesterday = 当天：新反映 { $new } · 接单 { $taken } · 解决 { $resolved } · 办结 { $closed }
digest-open = 目前未办结 { $open } 件，其中超时 { $overdue } 件
digest-overdue-line = • #{ $number } { $category } · { $building } · { $age }
digest-more = …还有 { $count } 项
digest-and-more = { " " }等另外 { $count } 栋
digest-none = 无
digest-buildings = 当天有动静的楼：
digest-building-line = • { $building }：新 { $new } · 接单 { $taken } · 解决 { $resolved } · 未办结 { $open }
digest-kpi-title = 近 { $days } 天（共 { $reports } 件反映）：
digest-kpi-response = • 响应率 { $rate }（{ $hours } 小时内接单 { $part }/{ $whole }）
digest-kpi-resolution = • 解决率 { $rate }（{ $part }/{ $whole }）
digest-kpi-satisfaction = • 满意率 { $rate }（4–5 星 { $part }/{ $whole }）
digest-kpi-times = • 接单用时中位数 { $take } · 解决用时中位数 { $resolve }
digest-coverage = 楼长覆盖：{ $total } 栋楼中 { $covered } 栋有楼长
digest-coverage-missing = • 还没有楼长：{ $names }
digest-recurring-title = 反复出现的问题（{ $days } 天内 ≥{ $threshold } 次）：
digest-recurring-line = • { $building } · { $category } · { $count } 次
digest-unreachable-title = 联系不上的人（已屏蔽机器人）：
digest-unreachable-line = • { $name }（{ $role }）
digest-leaders-title = 楼长榜（近 { $days } 天解决）：
digest-leader-line = { $medal } { $name }：解决 { $count } 件 · 中位 { $time } · { $rating }
digest-rating = { $rating }★（{ $count } 个评价）
digest-no-rating = 暂无评价
duration-minutes = { $value } 分钟
duration-hours = { $value } 小时
duration-days = { $value } 天
digest-chart-title = 近14天 新反映与解决
digest-chart-new = 新反映
digest-chart-resolved = 已解决
digest-caption = 📈 近14天每天的新反映与解决数

## 楼长每周小结
weekly-title = 📅 本周小结（{ $first } – { $last }）
weekly-open = 您负责的楼还有 { $count } 件未办结
weekly-resolved = 本周您解决了 { $count } 件。
weekly-rating = 居民评分：{ $rating }★（{ $count } 个评价）
weekly-thanks = 辛苦了，谢谢您为邻居们操心！🙏
