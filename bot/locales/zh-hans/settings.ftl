# 社区设置的校验（python -m bot settings）。
settings-invalid = { $setting }：应为 { $expected }；收到的是 { $value }{ $detail }
