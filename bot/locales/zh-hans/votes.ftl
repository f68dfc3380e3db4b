## 楼栋表决：房屋、业主认证、投票、结果

cmd-vote = 楼栋表决：投票，或（楼长）发起表决
cmd-flat = 告诉楼长您是哪一户的业主（用于投票）
cmd-flats = 等待您确认的业主认证

flat-own-ask = 您是哪一户的业主？请按楼栋房屋清单发送房号，例如 502。楼长确认后即可投票。
flat-unknown = 您所在楼栋的清单里没有 { $flat } 号房。请核对房号，或询问楼长。
flat-ambiguous = 您加入的多个楼栋都有 { $flat } 号房。请联系楼长确认。
flat-yours = { $flat } 号房已确认是您的。
flat-claim-waiting = 您对 { $flat } 号房的认证正在等楼长确认。
flat-claim-sent = 谢谢。楼长会确认您是 { $flat } 号房的业主，结果我会告诉您。
flat-claim-new = { $name } 说自己是 { $building } { $flat } 号房的业主。发送 /flats 确认或拒绝。
flat-claims-none = 没有等待确认的业主认证。
flat-claim-card = { $name } 说自己是 { $building } { $flat } 号房的业主。
flat-btn-approve = ✅ 确认业主
flat-btn-decline = ❌ 拒绝
flat-claim-done-approved = 已确认为业主。
flat-claim-done-declined = 已拒绝。
flat-claim-settled = 这条认证已经处理过了。
flat-claim-approved = 楼长已确认您是 { $building } { $flat } 号房的业主。现在可以用 /vote 投票。
flat-claim-declined = 楼长未能确认您是 { $building } { $flat } 号房的业主。请与楼长联系。
flat-owner-replaced = 楼长为 { $flat } 号房确认了另一位业主，这一户的投票权归对方了。
flat-owner-replaced-voided = 楼长为 { $flat } 号房确认了另一位业主，这一户的投票权归对方了。您在 { $count } 项进行中的表决里为这一户投的票不再计入，由新业主为这一户投票。
flat-area-invalid = “{ $area }”不是以平方米计的建筑面积（例如 89.5）。
flat-building-unknown = 没有唯一一栋编号为 { $code } 的楼。

vote-none = 您的房屋目前没有进行中的表决。投票前，请先用 /flat 告诉楼长您是哪一户的业主。
vote-ballot = 🗳 { $building } { $flat } 号房：
    { $question }
vote-ballot-current = 您现在的选择：{ $option }（截止前可以更改）。
vote-receipt = { $flat } 号房的选票已记录：{ $option }。回执 { $receipt }。投票不记名：别人看不到您的选择。
vote-receipt-changed = { $flat } 号房的选票已改为：{ $option }。回执 { $receipt }。
vote-not-owner = 只有 { $flat } 号房已确认的业主才能为它投票。
vote-closed = 这次表决已经结束。
vote-unknown = 没有编号为 { $id } 的表决。
vote-opened = 🗳 { $building } 发起新表决：
    { $question }
    业主请在 { $deadline } 前用 /vote 投票（每户一票，不记名）。
vote-reminder = 🗳 提醒：您还没有在 { $building } 的表决中投票：
    { $question }
    截止时间 { $deadline }。请发送 /vote。
vote-organiser = { $count ->
    [0] 您的楼栋还没有表决。
   *[other] 您楼栋的表决：{ $count } 个（见上）。
}
vote-btn-new = ➕ 发起新表决
vote-ask-building = 为哪栋楼发起表决？请发送楼栋编号，例如 TZ-A01。
vote-building-unknown = 您不负责编号为 { $code } 的楼栋。请发送另一个编号。
vote-ask-question = { $building } 的表决。要表决什么问题？（例如：我们楼是否加装电梯？）
vote-question-invalid = 请用不超过 { $max } 个字的文字发送问题。
vote-ask-options = 请发送选项，每行一个（选举时写候选人），或按“同意 / 不同意”。
vote-options-invalid = 请发送 2 到 { $max } 个不同的选项，每行一个，每个不超过 { $length } 个字。
vote-btn-yesno = 同意 / 不同意
vote-yes = 同意
vote-no = 不同意
vote-ask-rule = 按哪条规则决定（《民法典》第二百七十八条）？
vote-btn-major = 重大事项（加装电梯、维修资金）：四分之三
vote-btn-ordinary = 一般事项：过半数
vote-rule-major = 规则：重大事项：专有部分面积占比三分之二以上且人数占比三分之二以上的业主参与表决；经参与表决专有部分面积四分之三以上且参与表决人数四分之三以上的业主同意。
vote-rule-ordinary = 规则：一般事项：专有部分面积占比三分之二以上且人数占比三分之二以上的业主参与表决；经参与表决专有部分面积过半数且参与表决人数过半数的业主同意。
vote-ask-days = 表决开放多久？
vote-btn-days = { $days } 天
vote-summary = 发起这次表决吗？
    { $building }：{ $question }
    选项：{ $options }
    { $rule }
    开放 { $days } 天。
    计入 { $flats } 户；其中 { $owners } 户已有确认的业主可以投票。将通知 { $residents } 位居民。
vote-btn-open = ✅ 发起表决
vote-opened-organiser = 表决 { $id } 已发起，正在通知居民；/vote 可查看参与情况。
vote-no-flats = { $building } 还没有房屋清单。请社区先导入（import-flats）。
vote-organiser-gone = 您已无法发起此表决：您已不再是该楼栋的楼长或协调员。未创建任何表决。
vote-progress-head = 🗳 进行中：{ $building }：{ $question }
vote-result-head = 🗳 表决结果，{ $building }：
    { $question }
vote-passed = ✅ 通过：{ $option }
vote-not-passed = ❌ 未通过
vote-threshold = { $label }：{ $figure } / { $total }（{ $share }），要求 { $need }：{ $met }
vote-met = 达到
vote-not-met = 未达到
vote-turnout-area = 参与表决面积（平方米）
vote-turnout-owners = 参与表决业主人数
vote-approve-area = 同意面积（平方米）
vote-approve-owners = 同意业主人数
vote-tally = { $option }：{ $owners } 户，{ $area } 平方米
vote-export-building = 楼栋
vote-export-question = 表决事项
vote-export-rule = 规则
vote-export-deadline = 截止时间
vote-export-outcome = 结果
vote-export-flat = 房号
vote-export-area = 面积（平方米）
vote-export-took-part = 是否参与
vote-export-signature = 业主签名
vote-yes-mark = 是
vote-no-mark = 否
vote-btn-election = 🗳 选举楼长（候选人）
vote-ask-candidates = 请发送候选人的名字，每行一个，与他们在本机器人中显示的名字一致（本楼居民）。当选者可以一键邀请为楼长。
vote-candidate-unknown = 本楼没有叫“{ $name }”的居民。请重新发送名字。
vote-candidate-ambiguous = 本楼有几位居民都叫“{ $name }”。请让他们区分名字，或选择其他候选人。
vote-invite-hint = { $name } 当选：在 /vote 中按按钮即可邀请其担任楼长。
vote-btn-invite = 👤 邀请 { $name } 担任楼长
vote-invited = { $name } 已收到担任 { $building } 楼长的邀请。
vote-invited-already = 已经邀请过当选楼长了。
vote-winner-gone = 当选者已不再使用本机器人。
vote-elected-invite = 🎉 您当选为 { $building } 的楼长。请打开这个一次性链接接受职务：{ $link }
flat-claims-more = 还有更多认证在等待。
flat-btn-more = 显示更多 ›
flat-claims-no-more = 没有更多等待确认的认证了。
