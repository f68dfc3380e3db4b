## 接单：别人已经先接了
tk-taken-by = ✋ 工单 #{ $number } 已经由 { $name } 接单，没有做任何改动。
tk-taken-by-you = ✋ 您已经接下工单 #{ $number } 了。

## 步骤已结束后再点“跳过”
step-skip-spent = ✅ 已经处理过了：这一步已经结束，没有做任何改动。

## “还没修好”：工单重新打开
reopened-to-holder = 🔁 住户说工单 #{ $number } 还没修好，工单已退回给您继续处理。
reopened-to-anyone = 🔁 住户说工单 #{ $number } 还没修好，工单已重新打开。哪位能处理，请在工单卡片上点“接单”。
card-reopened = 🔁 住户反映还没修好
card-reopened-note = 🔁 住户反映还没修好：{ $note }
event-returned = 退回原处理人继续处理

## /digest：今天到目前为止
digest-title-partial = 📊 { $community } · 今天到目前为止 { $date }（截至 { $time }）
digest-today-so-far = 今天截至 { $time }（还不是全天）：新反映 { $new } · 接单 { $taken } · 解决 { $resolved } · 办结 { $closed }
digest-btn-today = 📊 今天到目前为止

## /joinlink：楼道海报
poster-subheading = { $community } · { $code }
poster-instruction = 用手机扫一扫，加入本楼，有问题直接告诉楼长。
poster-english = （服务器上没有中文字体，所以海报上的文字是英文。安装 fonts-noto-cjk 后即可生成中文海报。）
poster-bare = （这次没能在海报上写上文字：打印前请手写楼栋名称，或稍后再发送 /joinlink。）
event-assigned = 已指派
notice-assigned = ✋ 工单 #{ $number } 已指派给您，现在由您负责处理。
assign-not-staff = 此人目前不（再）负责这张工单所在的楼栋。未做任何更改。
