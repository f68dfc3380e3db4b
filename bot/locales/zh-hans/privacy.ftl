## 邻里隐私：关注者（“我也是”）能收到什么，哪些内容只属于当事人

## 发给关注者的通知：只有进度，没有对话内容
notice-taken-follower = 您关注的工单 #{ $number } 已被接单，楼长正在处理。
notice-resolved-follower = 楼长已将您关注的工单 #{ $number } 标记为已解决。如果您这边问题还在，请点下面的按钮。
notice-escalated-follower = 您关注的工单 #{ $number } 已上报社区居委会。
notice-closed-follower = 您关注的工单 #{ $number } 已办结。如果您这边问题还在，请点下面的按钮。
notice-reopened-follower = 您关注的工单 #{ $number } 已重新打开：反映人表示问题还没有解决。
notice-withdrawn-follower = 您关注的工单 #{ $number } 已被反映人撤回。如果您这边问题还在，请点下面的按钮。
btn-still = 🙋 我这边问题还在
follower-not-author = 只有反映工单 #{ $number } 的邻居本人才能这样操作。如果您这边问题还在，请在 /my 里打开这张工单，点“我这边问题还在”。

## 工单卡片与记录
card-following = 🙋 您关注了这张工单：进度有变化时会通知您。
card-no-access = 您已不再负责这张工单，详情和按钮已收回。
history-neighbour = 一位邻居
event-still-problem = 有邻居表示问题仍然存在
event-handed-over = 已转交：原经办人不再负责本楼
merge-private = 邻里纠纷属于个人隐私，不能和工单 #{ $number } 合并，请分别处理。
merge-other-building = 工单 #{ $number } 属于另一栋楼，住户只能关注本楼的工单，因此没有合并。请分别处理。
still-description = 我关注的工单 #{ $number } 已处理，但我这边问题还在。
still-ask = 很抱歉，您这边问题还在。请简单说说现在是什么情况，也可以点“跳过”。我们会为您单独建一张工单（关联 #{ $number }）送给楼长，不会显示您的姓名和电话。
still-filed = 📝 您的工单 #{ $number } 已送给楼长。有进展会在这里通知您，也可以在 /my 里查看。

## 撤销职务（python -m bot revoke、/staff）
cmd-staff = 撤销本片区某栋楼的楼长或副楼长
revoke-bad-role = 只能这样撤销楼长、副楼长或协调员；管理员请从 ADMIN_IDS 中删除。
revoke-not-holder = { $id } 不是 { $place } 的{ role-name }。现任{ role-name }：{ $holders }。
revoked-you = 您已不再担任 { $place }（{ $community }）的{ role-name }。衷心感谢您一直以来为邻里付出！您负责的工单已转交他人。
revoked-notice = { $name } 已不再担任 { $place } 的{ role-name }。{ $handed ->
    [0] {""}
   *[other] 其负责的 { $handed } 张未完成工单已转交。
}
staff-usage = 请发送 /staff 加楼栋编号，例如 /staff TZ-A01。
staff-none = { $building } 目前没有楼长或副楼长。
staff-list = 👥 { $building } 的楼长和副楼长。点一下即可撤销其职务：
staff-line = • { $name }：{ role-name }
staff-remove = 撤销 { $name }（{ role-name }）
staff-confirm = 确定撤销 { $name } 在 { $building } 的{ role-name }职务吗？其工单卡片上的按钮会被收回，负责中的工单会转交给下一位负责人，系统也会礼貌地通知本人。
staff-yes = 确定撤销
staff-no = 不，保留
staff-kept = 没有做任何改动。
staff-gone = 此人已不再担任该职务，没有做任何改动。
staff-removed = ✅ { $name } 已不再担任 { $building } 的{ role-name }。{ $handed ->
    [0] {""}
   *[other] 已转交 { $handed } 张未完成工单。
}

## 反映人是否同意把描述给遇到同样问题的邻居看（提交反映时的隐私一步）
report-share-description = 遇到同样问题的邻居可以看我的描述：{ $mark }
report-summary-share = 向遇到同样问题的邻居显示描述：{ $share }
report-metoo-shared = 这位邻居同意公开的描述：
staff-page = 第 { $page }/{ $pages } 页（共 { $count } 人），可用下方 ‹ › 翻页。
