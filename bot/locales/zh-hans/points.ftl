# 积分银行：余额、兑换目录、兑换申请、年度排名。

cmd-points = 我的积分：余额、最近记录、兑换目录
cmd-catalogue = 积分兑换目录：查看、添加、补货、下架
cmd-ranking = 年度楼长和志愿者排名（表格）

## /points
points-balance = 💰 您的积分：{ $balance }
points-last-title = 最近 { $count } 条记录：
points-no-entries = 还没有记录。居民确认解决的问题、志愿服务时长和参与投票都可以获得积分。
points-entry-line = { $points } · { $date } · { $reason }
points-reason-fix = 居民确认已解决，工单 #{ $number }
points-reason-redemption = 兑换，申请 #{ $number }
points-reason-hours = 志愿服务 { $hours } 小时
points-reason-vote = 参与投票
points-reason-other = { $reason }：{ $reference }
points-catalogue-title = 🎁 兑换目录：
points-catalogue-empty = 兑换目录暂时是空的。
points-item-line = { $name }：{ $price } 积分（剩 { $stock } 件）
points-btn-redeem = 🎁 { $name } · { $price }

## 兑换
points-ask-confirm = 用 { $price } 积分兑换“{ $item }”吗？由社区办公室审批并发放。
points-btn-confirm = ✅ 确认
points-btn-cancel = 取消
points-cancelled = 没有兑换。
points-requested = 📨 兑换申请 #{ $number } 已提交社区办公室，审批后会通知您。
points-item-gone = 该物品已不在兑换目录中。
points-out-of-stock = “{ $item }”已兑完。
points-price-changed = “{ $item }”现在需要 { $price } 积分，本次未提交申请。如仍要兑换，请发送 /points 按新价格兑换。
points-too-few = 兑换需要 { $price } 积分；您的余额为 { $balance }，其中 { $waiting } 积分已用于待审批的申请。
points-approved = ✅ 兑换申请 #{ $number } 已批准：“{ $item }”（{ $price } 积分）。请到社区办公室领取。
points-denied = 兑换申请 #{ $number }（“{ $item }”）未获批准，您的积分不变。

## 社区办公室
points-request-to-office = 🎁 积分兑换申请 #{ $number }：{ $name } 申请兑换“{ $item }”（{ $price } 积分；余额 { $balance }）。
points-btn-approve = ✅ 批准
points-btn-deny = ❌ 拒绝
points-btn-handed = 🤝 已发放
points-office-approved = ✅ 兑换申请 #{ $number } 已批准：“{ $item }”（剩 { $stock } 件）。居民领取后请点“已发放”。
points-office-denied = ❌ 兑换申请 #{ $number }（“{ $item }”）已拒绝，已通知居民。
points-office-handed = 🤝 兑换申请 #{ $number }：“{ $item }”已发放。
points-decided = 兑换申请 #{ $number } 已经处理过了。
points-short = 兑换申请 #{ $number } 无法批准：该居民现在只有 { $balance } 积分。请拒绝或稍后再处理。
points-office-only = 只有社区办公室（整个社区的协调员或管理员）可以管理积分兑换目录。
points-office-catalogue-title = 🎁 兑换目录（编号：物品）：
points-office-item = { $id }：{ $line }{ $active ->
    [true] {""}
   *[false] （已下架）
}
points-catalogue-usage = /catalogue add 积分 库存 名称：添加物品 · /catalogue stock 编号 数量 · /catalogue price 编号 积分 · /catalogue off 编号（下架）· /catalogue on 编号
points-item-added = 已添加 { $id }：{ $line }
points-item-changed = 已修改 { $id }：{ $line }{ $active ->
    [true] {""}
   *[false] （已下架）
}
points-no-item = 没有编号为 { $id } 的兑换物品。
points-bad-name = 物品名称不能为空，最多 { $most } 个字符。
points-item-name-taken = 目录中已有名为“{ $name }”的物品（可能已下架，可重新上架）。请换一个名称。
points-bad-price = 价格是 1 到 { $most } 之间的整数积分。
points-bad-stock = 库存是 0 到 { $most } 之间的整数。
points-bad-amount = 一条记录的积分是不为 0 的整数，正负都不超过 { $most }。

## 年度排名
points-bad-year = “{ $year }”不是排名可以统计的年份。
points-ranking-caption = 🏅 { $community }：{ $year } 年楼长和志愿者排名（{ $count } 人），供评选优秀楼长。
points-col-place = 名次
points-col-name = 姓名
points-col-role = 角色
points-col-points = 获得积分
points-col-fixes = 确认解决
points-col-hours = 服务时长
points-col-satisfaction = 满意度（平均评分）
points-col-rated = 已评分工单
points-volunteer = 志愿者
points-former-person = 已注销的居民
points-resident-unnamed = 居民（未显示姓名）

## 日报
digest-points = 💰 积分银行 { $month }：发放 { $issued }，兑换 { $redeemed }

## 设置
settings-about-points_per_fix = 积分银行：居民确认问题已解决时，解决该工单的人获得的积分（每张工单一次）。
settings-about-points_per_service_hour = 积分银行：每小时志愿服务获得的积分。
settings-about-points_per_vote = 积分银行：参与一次楼栋投票获得的积分。

## 后台
console-nav-points = 积分
points-console-year = 年份
points-console-ranking = { $year } 年楼长和志愿者排名
points-console-ranking-how = 所有楼长、副楼长以及本年度获得积分的人，按成绩排序：获得积分、居民确认解决的问题、服务时长和所处理工单的平均评分。供评选优秀楼长。
points-console-download = 下载 { $kind }
points-console-no-ranking = 暂时没有可排名的人。
points-console-saved = 已保存。
points-console-withdrawn = 已下架
points-console-stock = 库存
points-console-price = 价格（积分）
points-console-name = 名称
points-console-withdraw = 下架
points-console-offer = 重新上架
points-console-add = 添加物品
points-catalogue-number = 请输入整数。
digest-ranking-ready = 🏅 { $year } 年楼长和志愿者排名已生成，可据此评选优秀楼长：在聊天中发送 /ranking { $year }，或在后台“积分”页查看。
