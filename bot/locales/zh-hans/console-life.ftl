## 办公台的社区生活页面：楼栋表决和志愿活动

console-nav-votes = 表决
console-nav-activities = 志愿服务
vote-console-how = 您负责区域的楼栋表决：进行中的显示参与情况，结束后显示结果。不显示任何人的选择。
vote-console-status = 状态
vote-console-status-open = 进行中
vote-console-status-closed = 已结束
vote-console-none = 您的楼栋还没有表决。楼长在聊天中用 /vote 发起。
vote-console-turnout = 目前的参与情况
vote-console-figures = 按规则计算的结果
vote-console-tallies = 各选项票数
vote-console-open-how = 表决结束后才显示各选项票数，以免早期数字影响其他业主。
vote-console-sheet-how = 表格列出每户的面积和是否参与（从不显示其选择），并留有业主签名栏。
vote-console-export-open = 这项表决仍在进行中，结束后才能下载表格。
vol-console-how = 向您的楼栋发布的志愿活动，最新的在前。只显示数字：志愿者的姓名只在聊天中。
vol-console-title = 活动
vol-console-when = 开始时间
vol-console-places = 名额
vol-console-signed = 已报名
vol-console-checked-in = 已签到
vol-console-hours = 已确认时长
vol-console-each = 每人 { $hours } 小时
vol-console-confirmed = { $hours } 小时（{ $count } 名志愿者）
vol-console-none = 您的楼栋还没有志愿活动。楼长在聊天中用 /activity 发布。
