## 微信入口：公众号回复居民的话
wechat-joined = 欢迎！您已成为{ $building }的居民。请在这里写下遇到的问题（一条消息），会转给您的楼长。
wechat-welcome = 欢迎！请扫描您所在楼栋海报上的二维码加入楼栋，然后在这里写下遇到的问题。
wechat-reported = 已作为工单 #{ $number } 发给{ $building }的楼长。工单关闭前，您接下来写的内容都会转给楼长。
wechat-message-sent = 已转给楼长（工单 #{ $number }）。
# 拒绝：一次致歉加理由（理由里已有 wechat-apology 的，单独发送）。
wechat-refused = 抱歉，{ $reason }
wechat-apology = 抱歉
wechat-template-title = 您的工单 #{ $number } 有新消息
wechat-template-remark = 点开查看并回复。
wechat-no-building = 您还没有加入楼栋，请先扫描楼栋海报上的二维码。
wechat-menu-unknown = 这个选项不是本公众号发给您的，或已过期，请打开工单页面操作。
wechat-confirmed = 谢谢！工单 #{ $number } 已关闭。您对处理结果满意吗？
wechat-rated = 感谢您为工单 #{ $number } 评分。
wechat-ask-reply = 请把您对工单 #{ $number } 的回复作为下一条消息发送，会转给居民。
wechat-ask-reopen = 工单 #{ $number } 还有什么问题？请在下一条消息里写下来。
wechat-reply-sent = 您的回复已转给工单 #{ $number } 的居民。
wechat-reopened = 工单 #{ $number } 已重新打开，楼长会看到您的说明。
wechat-photo-kept = 已收到 { $count } 张照片。请用一条消息写下遇到的问题，照片会一起提交。
wechat-photos-full = 一次报修最多附 { $max } 张照片，请现在写下遇到的问题。
wechat-linked = 已关联：这个微信现在是您的入口之一，角色和工单都在。
wechat-voice-unheard = 这里无法转交语音消息，请用文字写下来（可用微信的"转文字"），或发送照片。
wechat-kind-unread = 这里只能接收文字和照片，请用文字写下遇到的问题，或发送照片。
wechat-input-too-long = 内容太长了（{ $length } 个字）。每条消息请控制在 { $max } 个字以内，或分几条发送。
## 公众号自定义菜单（python -m bot wechat-menu）及其回复
wechat-menu-report = 报修
wechat-menu-mine = 我的工单
wechat-menu-help = 帮助
wechat-menu-report-how = 请用一条消息写下遇到的问题（有照片请先发照片），会作为工单转给您的楼长。
wechat-mine-title = 您的工单：
wechat-mine-line = #{ $number }：{ $status }
wechat-mine-none = 您还没有工单。
wechat-help = 在这里写下楼里遇到的问题：一条消息就是给楼长的一张工单，工单关闭前您接下来写的内容都会转给楼长。先发的照片会一起提交。楼长的回复会发到这里，回复下方的选项（已解决、未解决、评分）可以直接点选。加入楼栋：扫描楼栋海报上的二维码。如需删除您的个人信息，请发送“删除我的数据”。
## 微信海报（python -m bot wechat-qr --out）
wechat-poster-step-1 = 用微信"扫一扫"扫描二维码并关注公众号，即加入本楼栋。
wechat-poster-step-2 = 用一条消息写下遇到的问题；有照片请先发照片。
wechat-poster-step-3 = 楼长会立即收到，并在微信里回复您。
wechat-posters-print = 微信海报（PDF）
# A photo while "Not fixed" waits for its words: the words first (the question still waits).
wechat-photo-reason-first = 请先用文字写下工单 #{ $number } 还有什么问题，之后再发照片。
