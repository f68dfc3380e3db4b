## 需要审核的加入（join_policy）：住户一方
jr-ask-flat = 加入 { $community } { $building } 需要楼长先确认您住在这栋楼。
    请问您的房号是多少（例如 3-502）？楼长只会看到您的 Telegram 名字“{ $name }”和您在这里填写的房号。
    请现在发送房号，或点击下方按钮，不填房号直接申请。
jr-btn-send = 不填房号，直接申请
jr-flat-not-text = 请用一条简短的文字发送房号，或点击“不填房号，直接申请”。
jr-requested = 您加入 { $building } 的申请已发送给{ $who ->
    [head] 您的楼长
    [admin] 系统管理员
   *[coordinator] 社区居委会
}。审核结果出来后，会在这里第一时间通知您。
jr-pending-already = 您已经申请加入 { $building }，正在等待审核。有结果后会在这里通知您。
jr-btn-cancel = 撤回申请
jr-cancelled = 您的申请已撤回，其他内容没有改动。
jr-link-only = { $building } 只能通过加入链接加入。请扫描楼道海报上的二维码，或向楼长索取链接。
jr-approved = 欢迎您！您的申请已通过，您现在是 { $community } { $building } 的住户了。有问题需要反映时，请发送 /report。
jr-declined = 很抱歉，您加入 { $community } { $building } 的申请没有通过。如果您确实住在这里，请扫描楼道里的二维码，或直接联系楼长。
jr-declined-wait = 您上次加入 { $building } 的申请没有通过。请过一天再申请，或扫描楼道里的二维码加入。
jr-too-many = 您今天已经发出 { $count } 个加入申请，已达上限。请明天再试，或扫描楼道里的二维码加入。
jr-no-approver = 这栋楼暂时还没有人可以审核新住户。请扫描楼道里的二维码，或联系社区居委会。

## 审核人一方
jr-card = 🏠 加入申请：{ $name } 申请加入 { $community } { $building }。
jr-flat = 房号：{ $flat }
jr-no-flat = 未填写房号。
jr-asked = 申请时间：{ $age }。
jr-card-no-access = 🏠 { $community } { $building } 的一份加入申请。您已不再负责审核该楼的申请，详情和按钮已收回。
jr-card-hint = 请确认这位邻居确实住在本楼后再通过。
jr-btn-approve = ✅ 通过
jr-btn-decline = ❌ 不通过
jr-former-resident = 一位原住户
jr-outcome = { $status ->
    [approved] ✅ 已通过。
    [declined] ❌ 未通过。
    [withdrawn] ↩️ 邻居已撤回申请。
    [joined] 🔗 邻居已扫描楼道二维码加入。
   *[other] 等待审核。
}
jr-outcome-by = { $status ->
    [approved] ✅ 已由 { $name } 审核通过。
   *[declined] ❌ 已由 { $name } 审核为不通过。
}
jr-stale = 这个申请已经处理过了：{ $status ->
    [approved] 已通过。
    [declined] 未通过。
    [withdrawn] 邻居已撤回。
    [joined] 邻居已扫描楼道二维码加入。
   *[other] 无需再操作。
}
jr-done = { $status ->
    [approved] 已通过，已通知这位邻居。
   *[declined] 未通过，已通知这位邻居。
}
jr-list-button = 🏠 加入申请（{ $count }）
jr-list = 🏠 等待审核的加入申请：共 { $total } 个，第 { $page }/{ $pages } 页。
jr-list-empty = 🏠 目前没有等待审核的加入申请。
jr-list-line = { $index }. { $name } · { $flat } → { $building } · { $age }
jr-btn-approve-n = ✅ { $index }
jr-btn-decline-n = ❌ { $index }
jr-btn-tickets = « 工单列表

## 设置

## 协调员每日简报
digest-joins = 🏠 等待审核的加入申请：{ $buildings }（可在 /tickets 中处理）
