## 等待输入的步骤
input-unsupported = 我可以转达文字、照片和语音。请发送其中一种，或发送 /cancel 取消。
input-text-only = 请用文字发送，或发送 /cancel 取消。
input-other-ticket = 您回复的是另一张工单的消息，而当前这一步是工单 #{ $number } 的，所以什么也没有发送。请不要用“回复”直接重新发送，或发送 /cancel 取消。
input-too-long = 内容太长了（{ $length } 个字）。请控制在 { $max } 个字以内，或发送 /cancel 取消。
step-skip = 跳过

## 楼长：工单卡片上的按钮
tk-taken = ✋ 您已接下工单 #{ $number }，已通知住户。
tk-history = 📜 工单 #{ $number } 的处理记录：
tk-reply-ask = 💬 请输入给工单 #{ $number } 住户的回复，文字、照片或语音都可以。发送 /cancel 可取消。
tk-reply-sent = ✅ 已转给工单 #{ $number } 的住户。
tk-resolve-ask = ✅ 工单 #{ $number }：请简单说说是怎么处理的（也可以拍一张处理后的照片），或点“跳过”。
tk-resolved = ✅ 工单 #{ $number } 已办结，我们会请住户确认问题是否真的解决了。
tk-escalate-ask = ⬆️ 为什么需要社区居委会接手工单 #{ $number }？简单写几句就好。发送 /cancel 可取消。
tk-escalated = ⬆️ 工单 #{ $number } 已上报社区居委会。
tk-merge-ask = 🔗 工单 #{ $number } 和哪一张工单是同一个问题？请发送那张工单的编号，例如 123。
tk-merge-number = 请只发送工单编号，例如 123；发送 /cancel 可取消。
tk-merged = 🔗 已合并到工单 #{ $number }。反映过这个问题的邻居，之后都会收到 #{ $number } 的进展。

## 楼长：/tickets
tk-list = 📋 工单（{ $filter }）：共 { $total } 张，第 { $page }/{ $pages } 页。点一下即可查看。
tk-list-empty = 📋 这里暂时没有工单（{ $filter }）。
tk-list-many = 📋 工单（{ $filter }）：超过 { $total } 张，第 { $page } 页。点一下即可查看。
tk-newer = ‹ 较新
tk-older = 较早 ›
tk-filter-open = 进行中
tk-filter-new = 待接单
tk-filter-taken = 处理中
tk-filter-resolved = 待确认
tk-filter-escalated = 已上报
tk-filter-all = 全部
tk-staff-only = 抱歉，这个功能是给楼长和社区居委会用的。查看您自己反映的问题，请发送 /my。

## 楼长：/away 和 /back
tk-away-usage = 请发送 /away 加天数（例如 /away 3）或日期（例如 /away 2026-12-01）。只发送 /away 表示直到您发送 /back 为止。
tk-away-open = 🏖 好的，已记下您外出。在您发送 /back 之前，新的反映会交给副楼长或社区居委会。
tk-away-until = 🏖 好的，已记下您外出到 { $until }。这段时间新的反映会交给副楼长或社区居委会。回来后请发送 /back。
tk-back = 👋 欢迎回来！新的反映会重新送到您这里。

## 住户：/my 以及给楼长的答复
my-empty = 您还没有工单。需要反映问题时，请发送 /report 或点下方的菜单按钮。
my-list = 📋 您的工单：共 { $total } 张，第 { $page }/{ $pages } 页。点一下即可查看。
my-rate-ask = 👍 谢谢您的确认！您对工单 #{ $number } 的处理满意吗？请打个分（1 分不满意，5 分非常满意）。
my-rated = 谢谢您的评价 { $stars }！还想对楼长说几句吗？直接输入就行，或点“跳过”。
my-thanks = 谢谢您！
my-commented = 💬 谢谢！您对工单 #{ $number } 的意见已经转给楼长。
my-reopen-ask = 👎 很抱歉问题还没解决。工单 #{ $number } 还有什么问题？简单说几句就好（也可以发张照片）。
my-reopened = 🔁 工单 #{ $number } 已重新打开，已经通知楼长。
my-withdraw-ask = ↩️ 确定要撤回工单 #{ $number } 吗？我们会告诉楼长您不再需要处理这件事。
my-withdraw-yes = 确定撤回
my-withdraw-no = 不撤回
my-withdrawn = ↩️ 工单 #{ $number } 已撤回。
my-kept = 好的，工单保持不变。
my-message-ask = 💬 请输入要给楼长的留言（工单 #{ $number }），文字、照片或语音都可以。发送 /cancel 可取消。
my-message-sent = ✅ 已转给楼长（工单 #{ $number }）。

## 回复工单消息
relay-sent = ✅ 已转达（工单 #{ $number }）。
relay-not-open = 工单 #{ $number } 现在{ $status }，这条消息没有转达。
