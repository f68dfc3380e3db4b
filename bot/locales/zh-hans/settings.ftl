# 社区设置的校验（python -m bot settings）。
settings-invalid = { $setting }：应为 { $expected }；收到的是 { $value }{ $detail }

# 从 CSV 文件导入楼栋（python -m bot import-buildings）。
import-duplicate-code = 第 { $first } 行和第 { $line } 行：{ $community } 的编号 { $code } 出现了两次，未导入任何内容。

# 每项小区设置的说明，用于管理后台的设置页和 `python -m bot settings COMMUNITY --explain`
# （键名见 bot/services/settings_schema.py；吹哨的三项在 whistle.ftl）。
settings-about-timezone = 小区所在时区（IANA 名称，如 Asia/Shanghai）：提醒、免打扰时段和日报都按这个时区的时间。
settings-about-nudge_backoff_hours = 工单没人接单时，在这些小时数之后提醒楼长（最多提醒三次）。
settings-about-nudge_after_hours = 把第一次提醒改到这么多小时之后（留空：用 nudge_backoff_hours 的第一个值）。
settings-about-quiet_hours = 这段时间内不发提醒（off：随时提醒）；安全等紧急类别不受限制。
settings-about-escalate_untaken_hours = 工单超过这么多小时没人接单，就同时交给本楼的协调员。
settings-about-escalate_unresolved_days = 已接单的工单超过这么多天还没解决，也同时交给本楼的协调员。
settings-about-escalation_overrides = 为某些类别单独设定升级时间：按类别代码，分别设定接单前的小时数和解决前的天数。
settings-about-escalate_second_level_hours = 已升级的工单再过这么多小时，继续交给全小区的协调员和管理员。
settings-about-confirm_reminder_hours = 工单已解决但居民还没确认：过这么多小时后问一次居民“修好了吗？”。
settings-about-autoclose_days = 已解决、居民未确认的工单，过这么多天后自动关闭。
settings-about-reopen_window_days = 工单自动关闭后的这么多天内，居民仍可以重新打开。
settings-about-followup_days = 关闭后这么多天，问居民一次是否还好；回答“没有”会新建一张关联工单。
settings-about-idle_days = 已接单的工单这么多天没有进展，就提醒处理人。
settings-about-digest_hour = 协调员每日早报的发送时间。
settings-about-weekly = 楼长每周汇总的发送日和时间。
settings-about-recurring_reports = 同一楼栋同一类别在 recurring_days 天内有这么多条报告，就标为反复出现的问题。
settings-about-recurring_days = 统计 recurring_reports 的时间窗口（天）。
settings-about-kpi_days = 日报中的响应率、解决率和时长中位数统计这么多天。
settings-about-join_policy = 新居民如何加入：open（直接加入）、approve（由楼长审核）或 link_only（只能通过楼栋的加入链接）。
settings-about-categories = 居民报事时可选的类别，每个类别有代码、表情符号、是否紧急、是否通知协调员、是否私密，自定义代码还需要中英文名称。
