## 办公室的文件：工单导出、月报、海报、派单

export-sheet-tickets = 工单
export-col-number = 编号
export-col-reported = 报告时间
export-col-building-code = 楼栋编号
export-col-building = 楼栋
export-col-flat = 门牌号
export-col-category = 类别
export-col-status = 状态
export-col-urgent = 紧急
export-col-escalated = 已上报
export-col-description = 问题描述
export-col-reporter = 报告人
export-col-phone = 电话
export-col-holder = 处理人
export-col-taken = 受理时间
export-col-resolved = 解决时间
export-col-closed = 关闭时间
export-col-rating = 评分
export-col-photos = 照片数
export-col-latitude = 纬度
export-col-longitude = 经度
export-yes = 是
export-reporter-gone = 原居民（个人信息已删除）
export-bad-range = 结束日期（{ $last }）早于开始日期（{ $first }）。

report-title = { $community } { $month } 月报
report-note = 时间为 { $zone }。新增：当月报告；已解决：当月解决。各项比率按当月报告的工单计算（不含合并和撤回）：响应率 = 在上报时限内受理（{ $hours } 小时，个别类别另有规定）；解决率 = 已解决或已关闭；满意率 = 评分中 4 星和 5 星的比例。中位时长按小时计，从报告时起算。
report-sheet-buildings = 按楼栋
report-sheet-categories = 按类别
report-sheet-pairs = 楼栋与类别
report-col-code = 编号
report-col-building = 楼栋
report-col-category = 类别
report-col-new = 新增
report-col-resolved = 已解决
report-col-reports = 计入工单
report-col-response = 响应率
report-col-resolution = 解决率
report-col-satisfaction = 满意率
report-col-median-take = 受理中位时长（小时）
report-col-median-resolve = 解决中位时长（小时）
report-total = 合计
report-future = { $month } 还没有开始。

posters-title = 楼栋加入海报
posters-step-1 = 用手机相机扫描二维码，打开楼长机器人。
posters-step-2 = 点「开始」，加入本楼（门牌号可填可不填）。
posters-step-3 = 有问题点「反映问题」，楼长马上就能收到。

work-order-title = 派单 { $reference }
work-order-community = 社区
work-order-building = 楼栋
work-order-category = 类别
work-order-created = 报告时间
work-order-forwarded = 派出时间
work-order-department = 接收部门
work-order-description = 问题描述
work-order-location = 位置
work-order-coordinates = 坐标
work-order-reporter = 报告人
work-order-coordinator = 派单人
work-order-photos = 照片
work-order-photo-unreadable = （有一张照片无法读取）
work-order-no-photos = 无照片。
work-order-footer = 回复时请注明编号 { $reference }。
work-order-sheet = 派单
