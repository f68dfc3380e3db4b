# 志愿服务：活动、报名、签到、服务时长；邻里互助。

cmd-activity = 为您的楼栋组织一次志愿活动
cmd-activities = 您组织的活动：签到二维码、确认时长、取消
cmd-checkin = 您下一次活动的签到二维码
cmd-hours = 您的志愿服务时长
cmd-helped = 登记邻里互助：/helped 2 帮邻居修风扇

## 组织
vol-not-allowed = 只有楼长、协调员或管理员可以组织活动，且只能面向自己负责的楼栋。
vol-ask-form =
    🙋 请用一条消息描述活动，每行一项：
    活动内容
    地点
    时间（YYYY-MM-DD HH:MM）
    计入的服务时长（小时）
    名额
    例如：
    植树
    3栋后面的花园
    2026-12-12 09:00
    2
    10
vol-form-bad = 请正好发送五行：活动内容、地点、时间（YYYY-MM-DD HH:MM）、小时数、名额。
vol-form-long = 活动内容和地点各不超过 { $max } 个字符。
vol-form-when = 无法识别时间，或时间已过。请写成 YYYY-MM-DD HH:MM，且在将来。
vol-form-hours = 小时数须大于 0 且不超过 { $max }（可写半小时：1.5）。
vol-form-places = 名额须为 1 到 { $max } 之间的整数。
vol-summary-head = 🙋 您的活动，准备发布：
vol-summary =
    { $title }
    📍 { $place }
    🕒 { $when } · 计 { $hours } 小时服务时长 · { $places } 个名额
vol-summary-to = 发给以下楼栋的居民：{ $buildings }
vol-summary-reach = 将送达 { $count } 人。
vol-btn-send = ✅ 发布
vol-btn-drop = 放弃
vol-dropped = 已放弃。
vol-published = 🙋 “{ $title }”已发布给 { $count } 人。/activities 可查看报名情况、签到二维码和待确认的时长。
vol-none-organised = 您还没有组织活动。/activity 可组织一次。
vol-listed = #{ $id } · { $title } · { $when }
    已报名 { $signed }/{ $places }，已签到 { $checked } · { $status }
vol-listed-left-behind = 组织者已不再负责这些楼栋，此活动现由您接管。
vol-btn-qr = 📷 签到二维码
vol-btn-confirm = ✅ 确认时长
vol-btn-cancel-activity = 取消活动
vol-qr = 📷 “{ $title }”签到：志愿者在活动现场扫描此码（或打开 { $link }）。只有已报名的人可以签到，时间为开始前一小时至结束后一小时。
vol-confirm-early = 活动开始后才能确认时长。
vol-confirmed = ✅ 已确认：{ $count } 位志愿者各 { $hours } 小时。
vol-activity-cancelled = “{ $title }”已取消，已通知志愿者。
vol-gone = 此活动已结束或已取消。

## 志愿者
vol-announce =
    🙋 招募志愿者：{ $title }
    📍 { $place }
    🕒 { $when } · 计 { $hours } 小时服务时长 · { $places } 个名额
vol-btn-sign-up = 🙋 报名
vol-not-yours = 此活动面向其他楼栋。
vol-signed = ✅ 您已报名 { $when } 的“{ $title }”。{ $left ->
    [0] 这是最后一个名额。
   *[other] 还剩 { $left } 个名额。
    } 活动现场请扫描组织者的二维码签到。
vol-signed-already = 您已报名“{ $title }”。
vol-full = 抱歉，“{ $title }”名额已满。感谢您的热心！
vol-btn-unsign = 取消报名
vol-unsigned = 您已取消“{ $title }”的报名，名额已让给他人。
vol-not-signed = 您没有报名此活动。
vol-checked-in-already = 您已在“{ $title }”签到。
vol-cancelled = 活动“{ $title }”已被组织者取消。仍然感谢您！
vol-reminder =
    ⏰ 活动提醒：{ $title }
    📍 { $place }
    🕒 { $when } · { $hours } 小时服务时长
vol-checkin-unknown = 此签到码无效，或活动已结束。
vol-checkin-closed = “{ $title }”的签到时间为开始前一小时至结束后一小时。
vol-checkin-not-signed = 您没有报名“{ $title }”：请先在活动通知下报名。
vol-checkin-not-member = 您已不再是“{ $title }”所面向楼栋的住户，因此无法签到，未作任何记录。如有误，请联系您的楼长。
vol-checked-in = ✅ 已在“{ $title }”签到：记 { $hours } 小时，活动后由组织者确认。
vol-checked-in-again = 您已在“{ $title }”签到。
vol-hours-confirmed = ✅ 您在“{ $title }”的 { $hours } 小时服务时长已确认。谢谢！
vol-hours = 🙋 您的服务时长：已确认 { $confirmed } 小时，待确认 { $waiting } 小时。

## 邻里互助
vol-help-usage = 请写明小时数和所做的事（不必写邻居的名字）：/helped 2 帮老人修风扇
vol-help-long = 请用不超过 { $max } 个字符描述。
vol-help-no-building = 请先加入您的楼栋：由楼长确认互助。
vol-help-no-head = 您的楼栋还没有楼长来确认。
vol-help-logged = 谢谢！{ $hours } 小时的互助等待楼长确认。
vol-help-ask =
    🤝 { $building } 的一位居民帮助了邻居，{ $hours } 小时：
    { $note }
vol-btn-help-ok = ✅ 确认
vol-btn-help-no = 不确认
vol-help-gone = 此事已处理。
vol-help-own = 您不能确认自己的互助。
vol-help-confirmed = ✅ 您帮助邻居的 { $hours } 小时已确认。谢谢！
vol-help-declined = 楼长没有确认您登记的 { $hours } 小时互助。
vol-help-you-confirmed = ✅ 已确认：{ $hours } 小时。
vol-help-you-declined = 已不确认。
vol-ask-targets = 🙋 活动面向哪些楼栋的居民？点击选择一栋或多栋，然后点“下一步”。
vol-stale = 此步骤已结束。请发送 /activity 重新开始。
vol-status-open = 进行中
vol-status-cancelled = 已取消
vol-status-confirmed = 时长已确认
