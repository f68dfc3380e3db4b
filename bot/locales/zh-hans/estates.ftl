# 小区：每栋楼所属的小区，以及各小区楼长覆盖的变化。

digest-estates-title = • 按小区（有楼长/总栋数；近 { $weeks } 周，▁ 无 … █ 全）：
digest-estate-line = { "  " }{ $estate } { $covered }/{ $total } { $trend }
digest-estate-none = 未分小区
estate-too-long = 小区名称请不超过 { $max } 个字。
buildings-col-estate = 小区
buildings-estate-save = 保存
buildings-estate-saved = 已保存。
buildings-estate-placeholder = 例如：翠湖苑
numbers-estates = 各小区楼长覆盖
numbers-estates-explained = 有楼长的楼栋数/总栋数，每周统计一次。未分小区的楼栋合为一行。
numbers-estates-now = 本周
import-bad-estate = CSV 文件第 { $line } 行：小区名称超过 { $max } 个字。
