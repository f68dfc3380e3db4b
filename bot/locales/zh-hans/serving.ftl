# 每栋楼都有楼长：没有楼长的楼栋，邀请居民出任。

serve-offer = 🏠 { $building } 还没有楼长。楼长是居民有事可以找的邻居，也把问题带到社区办公室。您愿意担任吗？
serve-btn-yes = 🙋 我愿意
serve-thanks = 谢谢！社区办公室会就 { $building } 与您联系。
serve-not-yours = 这不是给您的邀请。
serve-has-head = { $building } 现在已有楼长。感谢您的热心！
serve-answered = 您已经回答过了。
serve-volunteered = 🙋 { $building } 的 { $name } 愿意担任楼长。
serve-btn-accept = ✅ 接受
serve-btn-decline = 婉拒
serve-not-coordinator = 只有该楼栋的协调员可以决定。
serve-decided = 此申请已处理。
serve-you-accepted = ✅ 已接受：担任 { $building } 楼长的邀请已发出。
serve-accepted = 🎉 社区办公室接受了您担任 { $building } 楼长的申请。点击即可成为楼长。
serve-btn-take = 成为楼长
serve-now-head = 🎉 您现在是 { $building } 的楼长。/help 可查看您能做的事。
serve-ask-note = 请给居民写一句简短的说明（一条消息）。
serve-note-empty = 请给居民写几句话。
serve-note-long = 说明请不超过 { $max } 个字符。
serve-you-declined = 已婉拒，您的说明已发给居民。
serve-declined =
    感谢您愿意担任 { $building } 的楼长。社区办公室回复：
    { $note }
digest-coverage-weeks = • 按周（周一：有楼长/总栋数）：{ $weeks }
