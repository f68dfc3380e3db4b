# The community settings, checked against their schema (python -m bot settings).
settings-invalid = { $setting }: expected { $expected }; got { $value }{ $detail }

# Importing buildings from a CSV file (python -m bot import-buildings).
import-duplicate-code = Lines { $first } and { $line }: the code { $code } appears twice for { $community }; nothing was imported.

# What each community setting means, for the console's settings page and
# `python -m bot settings COMMUNITY --explain` (the keys of bot/services/settings_schema.py;
# the whistle's three are in whistle.ftl).
settings-about-timezone = The community's time zone (an IANA name such as Asia/Shanghai): reminders, quiet hours and the digest follow its clock.
settings-about-nudge_backoff_hours = When a ticket is not taken, the heads are reminded after these many hours (up to three reminders).
settings-about-nudge_after_hours = Moves the first reminder to this many hours (empty: the first of nudge_backoff_hours).
settings-about-quiet_hours = No reminders during these hours (off: reminders at any time); urgent categories such as safety ignore them.
settings-about-escalate_untaken_hours = A ticket nobody has taken after this many hours is shared with the building's coordinators.
settings-about-escalate_unresolved_days = A taken ticket not resolved after this many days is shared with the building's coordinators too.
settings-about-escalation_overrides = Faster or slower escalation for some categories: per category code, its own hours before it is taken and days before it is resolved.
settings-about-escalate_second_level_hours = After this many more hours, an escalated ticket goes on to the community's coordinators and the administrators.
settings-about-confirm_reminder_hours = A resolved ticket not yet confirmed: the resident is asked once "is it fixed?" after this many hours.
settings-about-autoclose_days = A resolved ticket the resident has not confirmed closes by itself after this many days.
settings-about-reopen_window_days = For this many days after closing by itself, the resident may still reopen a ticket.
settings-about-followup_days = This many days after closing, the resident is asked once whether it is still fixed; "no" opens a linked ticket.
settings-about-idle_days = A taken ticket with no news for this many days reminds the person holding it.
settings-about-digest_hour = The time of the coordinators' morning digest.
settings-about-weekly = The weekday and time of the heads' weekly summary.
settings-about-recurring_reports = A building and category with this many reports within recurring_days is flagged as a recurring problem.
settings-about-recurring_days = The window, in days, in which recurring_reports are counted.
settings-about-kpi_days = The digest's rates and median times cover this many days.
settings-about-join_policy = How new residents join: open (at once), approve (a head approves each one) or link_only (only with a building's join link).
settings-about-categories = The categories residents choose from when they report, each with a code, an emoji, whether it is urgent, whether coordinators are told, whether it is private, and names for a code of the community's own.
