# The community settings, checked against their schema (python -m bot settings).
settings-invalid = { $setting }: expected { $expected }; got { $value }{ $detail }

# Importing buildings from a CSV file (python -m bot import-buildings).
import-duplicate-code = Lines { $first } and { $line }: the code { $code } appears twice for { $community }; nothing was imported.
