## 流程之外的消息
flow-step-over = 这个按钮所属的步骤已经结束了，所以没有任何操作。下方已恢复主菜单。
free-staff = 如需答复住户，请点工单卡片上的“💬 回复”，或直接回复住户发来的那条消息（在消息上向左滑）。查看您的工单：/tickets
flow-ended-unsent = 此操作已结束，未发送任何内容。

## 反映问题
report-place-noted = 📍 谢谢，已把位置说明加到描述里。
report-open-describe = ✏️ 您的反映还没有提交：准备好后直接发送描述（文字、照片或语音）即可，或发送 /cancel 放弃。
report-open-keyboard = ✏️ 您的反映还没有提交：请用输入框下方的按钮回答，或发送 /cancel 放弃。
report-open-buttons = ✏️ 您的反映还没有提交：请点聊天记录上方那条问题下面的按钮，或发送 /cancel 放弃。
report-reply-elsewhere = ✋ 您正在填写一个新的反映，所以这条回复没有发到工单 #{ $number }，也没有加入新的反映。如要给工单 #{ $number } 留言，请先完成新的反映或发送 /cancel 取消，再重新回复。

## 正在进行的对话：直接发来的消息
conv-sent-resident = ✅ 已转给您的楼长（工单 #{ $number }）。
conv-sent-staff = ✅ 已转给住户（工单 #{ $number }）。
conv-new-problem = 📝 不是，这是新问题
conv-not-for = ↩️ 不是 #{ $number } 的，撤回
conv-taken-back = ↩️ 已撤回：已请楼长忽略您在工单 #{ $number } 里的那条消息。
conv-taken-back-staff = ↩️ 已撤回：已请住户忽略您在工单 #{ $number } 里的那条消息。
conv-taken-back-unsent = ↩️ 已撤回：您在工单 #{ $number } 里的那条消息还没送到楼长，不会再送出。
conv-taken-back-staff-unsent = ↩️ 已撤回：您在工单 #{ $number } 里的那条消息还没送到住户，不会再送出。
conv-retracted-resident = ↩️ 工单 #{ $number }：住户说{ $count ->
        [1] 刚才那条消息
       *[other] 刚才的 { $count } 条消息
    }与这张工单无关，请忽略。
conv-retracted-head = ↩️ 工单 #{ $number }：楼长说{ $count ->
        [1] 刚才那条消息
       *[other] 刚才的 { $count } 条消息
    }不是发给这张工单的，请忽略。
conv-retracted-already = 这条消息已经撤回过了。
conv-which = { $count ->
        [1] 这条消息
       *[other] 这 { $count } 条消息
    }是关于哪张工单的？选好之后才会发送。
conv-none = ✖️ 都不是，不发送
conv-pick-new = 📝 是新问题
conv-not-sent = 好的，没有发送。
conv-pick-hint = 请用上方的按钮选择工单，或发送 /cancel。
conv-pick-full = 内容已达到一条报修能容纳的上限，刚才这条消息没有保留。请用上方的按钮选择工单，或发送 /cancel。
event-retracted = 撤回了一条消息

## 加入楼栋：直接输入楼号或楼名
picker-type = 也可以直接输入楼号或楼名，例如 A01 或 1栋。
picker-none = 没有找到叫“{ $query }”的楼栋。请试试您家门上或楼道海报上的楼号，或在上方列表中选择。
picker-none-long = 这看起来不像楼号或楼名。请试试您家门上或楼道海报上的楼号，或在上方列表中选择。
picker-type-hint = 请用上方的按钮选择您的楼栋，或直接输入楼号或楼名。
picker-found-one = 找到了。是这栋楼吗？
picker-join = ✅ 加入 { $building }
picker-found = 有 { $count } 栋楼与“{ $query }”相符：
picker-all = « 全部楼栋

## A message where a step waits for a button
step-buttons = ⬆️ 这一步需要您按按钮：请按上方“{ $question }”这个问题下面的按钮之一。或发送 /cancel 停止。
step-waiting = ⬆️ 上方还有一个问题在等您回答。或发送 /cancel 停止。
step-q-report-building = 是哪一栋楼的问题？
step-q-report-category = 是哪一类问题？
step-q-report-metoo = 和邻居反映的是同一个问题吗？
step-q-report-privacy = 谁可以看到您的信息？
step-q-report-summary = 请核对您的反映
step-q-report-offer = 要把这条消息作为问题反映吗？
step-q-notice-targets = 通知发给哪些楼栋？
step-q-notice-urgent = 是否紧急？
step-q-notice-confirm = 通知已准备好
step-q-activity-targets = 活动面向哪些楼栋？
step-q-activity-confirm = 您的活动，准备发布
step-q-vote-rule = 按哪条规则决定？
step-q-vote-days = 表决开放多久？
step-q-vote-confirm = 发起这次表决吗？
