## 微信入口：公众号回复居民的话
wechat-joined = 欢迎！您已成为{ $building }的居民。请在这里写下遇到的问题（一条消息），会转给您的楼长。
wechat-welcome = 欢迎！请扫描您所在楼栋海报上的二维码加入楼栋，然后在这里写下遇到的问题。
wechat-reported = 已作为工单 #{ $number } 发给{ $building }的楼长。工单关闭前，您接下来写的内容都会转给楼长。
wechat-message-sent = 已转给楼长（工单 #{ $number }）。
wechat-refused = 抱歉，没有成功：{ $reason }
wechat-template-title = 您的工单 #{ $number } 有新消息
wechat-template-remark = 点开查看并回复。
wechat-no-building = 您还没有加入楼栋：请先扫描楼栋海报上的二维码。
