## 微信入口：工单对话中的照片，以及报修的问题类别
wechat-photo-relayed = 照片已转交（工单 #{ $number }）。
wechat-category-ask = 是哪一类问题？请点选下面的一项，或回复它的序号。
wechat-category-photo-kept = 已收到 { $count } 张照片。请在上面选择问题类别（或回复序号），照片会随报修一起提交。
wechat-category-pick = 您的报修还差问题类别，请点选上面列表中的一项，或回复序号（1 到 { $max }）。
wechat-category-stale = 这个列表已过期，或报修已经提交；如需报修，请重新写下遇到的问题。
