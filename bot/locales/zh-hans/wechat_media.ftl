## 微信入口：工单对话中的照片，以及报修的问题类别
wechat-photo-relayed = 照片已转交（工单 #{ $number }）。
wechat-category-ask = 是哪一类问题？请点选下面的一项，或回复它的序号。
wechat-category-photo-kept = 已收到 { $count } 张照片。请在上面选择问题类别（或回复序号），照片会随报修一起提交。
wechat-category-pick = 您的报修还差问题类别，请点选上面列表中的一项，或回复序号（1 到 { $max }）。
wechat-category-stale = 这个列表已过期，或报修已经提交；如需报修，请重新写下遇到的问题。
wechat-metoo-how = 请点下面的选项，或回复 1（是同一个问题）或 2（新问题）。
wechat-metoo-pick = 您的报修还在等您回答：和邻居反映的是同一个问题吗？请点上面列表中的选项，或回复 1（是）或 2（不是，新问题）。
wechat-metoo-words-not-sent = 您刚才写的内容没有发送：楼长已经知道这个问题。如果还有别的情况，请重新写一遍并选择 2（新问题）。
wechat-metoo-photo-kept = { $count ->
    [one] 照片已收到。请先回答上面的问题（1 或 2）：如果您提交新报修，照片会一起提交。
   *[other] 已收到 { $count } 张照片。请先回答上面的问题（1 或 2）：如果您提交新报修，照片会一起提交。
}
