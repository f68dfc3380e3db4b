## 微信入口：认领房号、活动签到、屏蔽本楼通知

flat-owned = { $flat } 号房已确认为其他业主所有；如有错误，请联系楼长。
wechat-flat-claim-new = { $name } 说自己是 { $building } { $flat } 号房的业主。请确认或拒绝：
wechat-flat-ask = 您是哪一户的业主？请发送“我的房号”加房号，例如：我的房号 502。楼长会确认。
wechat-flat-choose = 您是哪一户的业主？请在下面选择（或发送“我的房号”加房号，例如：我的房号 502）。楼长会确认。
wechat-flat-none = 本楼没有等待认领的房号：如果您的房号被误认为他人所有，请发送“我的房号”加房号，或联系楼长。
wechat-flat-sent = 谢谢。楼长会确认您是 { $flat } 号房的业主，确认后会通知您。
wechat-flat-decided-yes = 已确认为业主。
wechat-flat-decided-no = 已拒绝。
wechat-checkin-qr = 微信用户：请用微信扫描此码，在“{ $title }”签到。
wechat-muted = 已屏蔽：不再接收 { $building } 的非紧急通知。紧急通知仍会送达。发送“恢复通知”可重新接收。
wechat-unmuted = 将重新接收 { $building } 的通知。
wechat-mute-already = { $building } 的通知已屏蔽。
wechat-unmute-already = { $building } 的通知没有屏蔽。
wechat-help-more = 参加楼栋表决，请告诉楼长您是哪一户的业主：发送“我的房号”加房号，例如：我的房号 502。参加志愿活动时，扫描组织者的微信签到码即可签到。不想接收本楼的非紧急通知，请发送“静音通知”（发送“恢复通知”可重新接收）。
wechat-checkin-qr-failed = 暂时无法生成微信签到码（微信没有响应）。请稍后再发送 /checkin，微信用户即可签到。
