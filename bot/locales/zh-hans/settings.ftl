# 社区设置的校验（python -m bot settings）。
settings-invalid = { $setting }：应为 { $expected }；收到的是 { $value }{ $detail }

# 从 CSV 文件导入楼栋（python -m bot import-buildings）。
import-duplicate-code = 第 { $first } 行和第 { $line } 行：{ $community } 的编号 { $code } 出现了两次，未导入任何内容。
