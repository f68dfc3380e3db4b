## Take, when someone was faster
tk-taken-by = ✋ Ticket #{ $number } has already been taken by { $name }. Nothing was changed.
tk-taken-by-you = ✋ You have already taken ticket #{ $number }.

## A Skip button whose step is over
step-skip-spent = ✅ Already done: this step is over, and nothing was changed.
