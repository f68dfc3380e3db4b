## 接单：别人已经先接了
tk-taken-by = ✋ 工单 #{ $number } 已经由 { $name } 接单，没有做任何改动。
tk-taken-by-you = ✋ 您已经接下工单 #{ $number } 了。

## 步骤已结束后再点“跳过”
step-skip-spent = ✅ 已经处理过了：这一步已经结束，没有做任何改动。
