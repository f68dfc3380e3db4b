# The community settings, checked against their schema (python -m bot settings).
settings-invalid = { $setting }: expected { $expected }; got { $value }{ $detail }
