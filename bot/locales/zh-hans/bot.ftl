## 角色
role-name = { $role ->
    [head] 楼长
    [deputy] 副楼长
    [coordinator] 协调员
   *[resident] 住户
}

## 命令菜单
cmd-report = 向楼长反映问题
cmd-my = 我的工单及进展
cmd-tickets = 本楼栋的工单
cmd-away = 外出：/away 3 或 /away 2026-12-01（由他人代管）
cmd-back = 回来了：重新接收新工单
cmd-start = 开始并加入您的楼栋
cmd-join = 从列表中选择您的楼栋
cmd-help = 查看可用功能
cmd-language = 语言：简体中文 / English
cmd-cancel = 停止当前操作
cmd-joinlink = 楼栋加入链接和二维码海报
cmd-invite-deputy = 邀请副楼长：/invite deputy 楼栋编号
cmd-invite = 邀请楼长、副楼长或协调员：/invite 角色 楼栋编号

## /help
help-roles = { $count ->
    [0] 您还没有加入任何楼栋。
   *[other] 您的身份：
}
role-line = { $community } { $building } { role-name }
role-line-flat = ，房号 { $flat }
role-line-coordinator = { $place } 协调员
role-line-admin = 管理员
help-not-joined = 请打开您楼栋的加入链接（楼道里张贴的二维码），或发送 /join 选择您的楼栋。
help-commands = 可用命令：

## 语言
language-choose = 请选择语言：
language-set = 已切换为简体中文。

## 对话
cancelled = 已停止，没有任何改动。
nothing-to-cancel = 当前没有需要停止的操作。
button-stale = 这个按钮已失效，请使用最新的消息。
unknown-command = 没有这个命令。发送 /help 查看可用功能。
fallback = 我负责把您和楼长联系起来。发送 /help 查看可用功能。
error-generic = 抱歉，系统出了点问题。您的内容没有丢失，请稍后再试。

## 加入楼栋
welcome = 欢迎！本机器人帮助住户联系自己楼栋的楼长。
pick-community = 请问您住在哪个社区？
pick-building = 请问您住在{ $community }的哪一栋楼？
no-communities = 还没有设置任何社区。请向社区居委会索取您楼栋的加入链接。
picker-back = « 社区列表
joined = 您已加入 { $community } { $building }。您的反映将直接送到楼长那里。
joined-already = 您已经是 { $community } { $building } 的住户了。
flat-ask = 请问您的房号是多少（例如 3-502）？方便楼长找到您。也可以跳过。
flat-skip = 跳过
flat-skipped = 好的，不填房号。有问题需要反映时，请点击下方的“📝 反映问题”。
flat-saved = 已保存房号：{ $flat }。有问题需要反映时，请点击下方的“📝 反映问题”。
flat-not-text = 请用一条简短的文字发送房号，或点击“跳过”。
flat-invalid = 这看起来不像房号。请发送不超过 { $max } 个字的字母、数字或短横线，例如 3-502。

## 邀请
appointed = 您现在是 { $community } { $place } 的{ role-name }。感谢您为邻里服务！
appointed-already = 您已经是 { $community } { $place } 的{ role-name }了。
appointed-community = 您现在是 { $place } 的{ role-name }。感谢您为邻里服务！
appointed-already-community = 您已经是 { $place } 的{ role-name }了。
appointed-notice-community = { $name } 现在是 { $place } 的{ role-name }。
duties-head = 作为楼长，您会收到本楼住户的反映，回复住户并办结工单。您的命令：/joinlink 查看本楼加入链接和楼道二维码海报；/invite deputy 楼栋编号 邀请副楼长；/help 查看全部功能。
duties-deputy = 作为副楼长，您协助并替补楼长，同样会收到本楼住户的反映。您的命令：/joinlink 查看本楼加入链接和二维码海报；/help 查看全部功能。
duties-coordinator = 作为协调员，您负责辖区内的楼栋，任命楼长，并接手无人处理的工单。您的命令：/invite 角色 楼栋编号 生成一次性邀请链接，/joinlink 楼栋编号 查看加入链接和海报；/help 查看全部功能。
appointed-notice = { $name } 现在是 { $community } { $place } 的{ role-name }。

## 楼长和协调员命令
joinlink-usage = 请发送 /joinlink 楼栋编号，例如 /joinlink TZ-A01。
joinlink-poster = { $building } 的加入链接：{ $link }
    请打印这个二维码张贴在楼道里，住户扫码即可加入本楼。
invite-usage = 请发送 /invite 角色 楼栋编号，角色为 head（楼长）、deputy（副楼长）或 coordinator（协调员），例如 /invite head TZ-A01。
invite-issued = { $place } { role-name }的一次性邀请链接（有效期至 { $expires }）：
    { $link }
    请只发给本人：第一个打开链接的人将获得该身份。

## 拒绝与错误
not-allowed = 抱歉，您没有权限进行此操作。
start-link-malformed = 这个链接无效。请重新扫描二维码，或向楼长索取新链接。
start-link-unknown = 这个链接不存在或已失效。请向楼长或社区居委会索取新链接。
invite-used = 这个邀请已被使用。请索取新的邀请。
invite-expired = 这个邀请已过期。请索取新的邀请。
invite-bad-role = 角色必须是 head（楼长）、deputy（副楼长）或 coordinator（协调员）。
building-gone = 这个楼栋已不存在。请发送 /join 重新选择。
community-gone = 这个社区已不存在。请发送 /join 重新选择。
building-not-found = 没有编号为 { $code } 的楼栋。
building-ambiguous = 多个社区都有编号为 { $code } 的楼栋，请注明社区。
community-not-found = 没有名为 { $name } 的社区。
language-unknown = 暂不支持这种语言。
settings-unknown = 没有这个设置项：{ $keys }。
import-bad-header = CSV 文件第一行必须是表头 { $expected }。
import-bad-row = CSV 文件第 { $line } 行缺少社区、编号或名称。
import-bad-code = 第 { $line } 行：编号 { $code } 只能包含字母、数字、- 和 _（最多 32 个字符）。
