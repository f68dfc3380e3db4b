"""The scheduler's policies: pure functions of (data, now), no database, no aiogram.

Every interval and hour is a per-community setting (``community.settings``) with the default of
../shared/PRODUCT.md; all wall-clock times are in the community's time zone, and all durations
are measured in absolute time, so a daylight-saving change moves neither a reminder nor a quiet
hour. "Due" functions look at what has passed by ``now``, not at what happened at one instant:
after downtime the work is due once, however much of it was missed.

Settings (a missing or malformed one keeps its default):
    nudge_backoff_hours [2, 6, 24]   reminders at these ages since routing (at most 3)
    nudge_after_hours 2              moves the first of them
    quiet_hours "22:00-08:00"        no reminders then (null: none); urgent categories ignore it
    escalate_untaken_hours 24        ladder level 1 when not taken by then …
    escalate_unresolved_days 7       … or not resolved this long after being taken
    escalation_overrides {}          per category: {"safety": {"untaken_hours": 4,
                                     "unresolved_days": 2}}
    escalate_second_level_hours 48   level 2 this long after level 1, if still overdue
    confirm_reminder_hours 24        one "is it fixed?" reminder to the resident
    autoclose_days 3                 resolved and not confirmed: closed
    reopen_window_days 7             an auto-closed ticket may be reopened this long
    followup_days 30                 "still fixed?" this long after closing, once
    idle_days 3                      taken with no event this long: a reminder to the holder
    digest_hour 8 (or "7:30")        the coordinators' morning digest
    weekly "Mon 09:00"               the heads' weekly summary
    recurring_reports 3, recurring_days 30, kpi_days 30   digest figures
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import TicketStatus

log = logging.getLogger(__name__)
S = TicketStatus
WAITING = frozenset({S.NEW, S.REOPENED})  # routed, not taken
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_NUDGES = 3
# How long past its hour a digest or weekly summary missed during downtime may still go out at
# night (quiet hours); after that the next one is only hours away.
LATE_AT_NIGHT = timedelta(hours=1)
# Until this hour, "tomorrow morning" is the coming one.
NIGHT_ENDS = time(5)


@dataclass(frozen=True, slots=True)
class Thresholds:
    untaken: timedelta
    unresolved: timedelta


@dataclass(frozen=True, slots=True)
class Sla:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # Ages since routing (creation or reopening) at which the recipients are reminded.
    nudges: tuple[timedelta, ...] = (timedelta(hours=2), timedelta(hours=6), timedelta(hours=24))
    quiet: tuple[time, time] | None = (time(22), time(8))
    escalation: Thresholds = Thresholds(timedelta(hours=24), timedelta(days=7))
    overrides: Mapping[str, Thresholds] = field(default_factory=dict)
    second_level: timedelta = timedelta(hours=48)
    confirm_reminder: timedelta = timedelta(hours=24)
    autoclose: timedelta = timedelta(days=3)
    reopen_window: timedelta = timedelta(days=7)
    followup: timedelta = timedelta(days=30)
    # A follow-up missed by more than this (a ticket closed long before the feature existed,
    # a long outage) is not asked any more.
    followup_grace: timedelta = timedelta(days=7)
    idle: timedelta = timedelta(days=3)
    digest_at: time = time(8)
    weekly_day: int = 0  # Monday
    weekly_at: time = time(9)
    snooze_morning: time = time(9)
    recurring_reports: int = 3
    recurring_days: int = 30
    kpi_days: int = 30

    def thresholds(self, category: str) -> Thresholds:
        return self.overrides.get(category, self.escalation)


# ----------------------------------------------------------------------------- settings


def sla_for(settings: Mapping[str, Any], timezone: str | None) -> Sla:
    """A community's policies from its settings; a missing or malformed value keeps the
    default (logged), so one typo in the office's settings never stops the scheduler."""
    default = Sla()
    zone = _zone(timezone)
    after = _hours(settings, "nudge_after_hours", None)
    backoff = settings.get("nudge_backoff_hours", [2, 6, 24])
    try:
        steps = [float(h) for h in backoff][:MAX_NUDGES]
    except (TypeError, ValueError):
        log.warning("nudge_backoff_hours %r is malformed; using the default", backoff)
        steps = [2.0, 6.0, 24.0]
    if after is not None:
        # nudge_after_hours moves the first reminder; later ones stay if they come after it.
        steps = [after] + [h for h in steps[1:] if h > after]
    nudges = tuple(timedelta(hours=h) for h in sorted(h for h in steps if h > 0))
    escalation = Thresholds(
        timedelta(hours=_hours(settings, "escalate_untaken_hours", 24) or 24),
        timedelta(days=_hours(settings, "escalate_unresolved_days", 7) or 7),
    )
    overrides: dict[str, Thresholds] = {}
    raw = settings.get("escalation_overrides") or {}
    if isinstance(raw, Mapping):
        for category, values in raw.items():
            if not isinstance(values, Mapping):
                continue
            overrides[str(category)] = Thresholds(
                timedelta(
                    hours=_hours(values, "untaken_hours", None)
                    or escalation.untaken.total_seconds() / 3600
                ),
                timedelta(
                    days=_hours(values, "unresolved_days", None) or escalation.unresolved.days
                ),
            )
    weekly_day, weekly_at = _weekly(settings.get("weekly", "Mon 09:00"))
    return Sla(
        zone=zone,
        nudges=nudges,
        quiet=_quiet(settings.get("quiet_hours", "22:00-08:00")),
        escalation=escalation,
        overrides=overrides,
        second_level=timedelta(hours=_hours(settings, "escalate_second_level_hours", 48) or 48),
        confirm_reminder=timedelta(hours=_hours(settings, "confirm_reminder_hours", 24) or 24),
        autoclose=timedelta(days=_hours(settings, "autoclose_days", 3) or 3),
        reopen_window=timedelta(days=_hours(settings, "reopen_window_days", 7) or 7),
        followup=timedelta(days=_hours(settings, "followup_days", 30) or 30),
        idle=timedelta(days=_hours(settings, "idle_days", 3) or 3),
        digest_at=_clock(settings.get("digest_hour", 8), default.digest_at),
        weekly_day=weekly_day,
        weekly_at=weekly_at,
        recurring_reports=int(_hours(settings, "recurring_reports", 3) or 3),
        recurring_days=int(_hours(settings, "recurring_days", 30) or 30),
        kpi_days=int(_hours(settings, "kpi_days", 30) or 30),
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r is unknown; using Asia/Shanghai", name)
        return ZoneInfo("Asia/Shanghai")


def _hours(settings: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = settings.get(key, default)
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number <= 0:
        log.warning("setting %s=%r is malformed; using %s", key, value, default)
        return default
    return number


_HHMM = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


def _clock(value: Any, default: time) -> time:
    match = _HHMM.match(str(value))
    if match and int(match[1]) < 24 and int(match[2] or 0) < 60:
        return time(int(match[1]), int(match[2] or 0))
    log.warning("time of day %r is malformed; using %s", value, default)
    return default


def _quiet(value: Any) -> tuple[time, time] | None:
    if value in (None, "", False):
        return None  # the community wants no quiet hours
    parts = str(value).split("-")
    if len(parts) != 2:
        log.warning("quiet_hours %r is malformed; using 22:00-08:00", value)
        return (time(22), time(8))
    start, end = _clock(parts[0], time(22)), _clock(parts[1], time(8))
    return None if start == end else (start, end)


def _weekly(value: Any) -> tuple[int, time]:
    parts = str(value).split()
    if len(parts) == 2 and parts[0][:3].lower() in WEEKDAYS:
        return WEEKDAYS.index(parts[0][:3].lower()), _clock(parts[1], time(9))
    log.warning("weekly %r is malformed; using Mon 09:00", value)
    return 0, time(9)


# ----------------------------------------------------------------------------- wall clock


def local(moment: datetime, sla: Sla) -> datetime:
    return moment.astimezone(sla.zone)


def at_local(day: date, when: time, sla: Sla) -> datetime:
    """``when`` on ``day`` in the community's zone, as an aware UTC moment. A wall time that a
    daylight-saving change skips resolves forward (fold=0), as clocks do."""
    return datetime.combine(day, when, tzinfo=sla.zone).astimezone(UTC)


def day_window(day: date, sla: Sla) -> tuple[datetime, datetime]:
    """The local calendar day as [start, end) in UTC (23 or 25 hours long on DST days)."""
    return at_local(day, time(0), sla), at_local(day + timedelta(days=1), time(0), sla)


def is_quiet(now: datetime, sla: Sla) -> bool:
    if sla.quiet is None:
        return False
    start, end = sla.quiet
    wall = local(now, sla).time()
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end  # across midnight


def may_send(now: datetime, sla: Sla, *, urgent: bool = False) -> bool:
    """Reminders wait for the morning; urgent categories (safety) do not."""
    return urgent or not is_quiet(now, sla)


def quiet_ends(now: datetime, sla: Sla) -> datetime:
    """When a message held back at ``now`` may go (``now`` itself outside quiet hours)."""
    if sla.quiet is None or not is_quiet(now, sla):
        return now
    today = local(now, sla).date()
    end = at_local(today, sla.quiet[1], sla)
    return end if end > now else at_local(today + timedelta(days=1), sla.quiet[1], sla)


def snooze_until(kind: str, now: datetime, sla: Sla) -> datetime:
    """An hour from now ("hour"), or tomorrow at 09:00 community time ("morning"); a press in
    the small hours (an urgent reminder at 01:00) means the coming morning."""
    if kind == "hour":
        return now + timedelta(hours=1)
    wall = local(now, sla)
    day = wall.date() if wall.time() < NIGHT_ENDS else wall.date() + timedelta(days=1)
    return at_local(day, sla.snooze_morning, sla)


# ----------------------------------------------------------------------------- nudges


def nudge_due(waiting_since: datetime, sent: int, now: datetime, sla: Sla) -> int | None:
    """The reminder count to claim when a reminder is due now, else None. Every step passed
    by now counts at once: after downtime one reminder goes out, not three."""
    passed = sum(1 for offset in sla.nudges if waiting_since + offset <= now)
    return passed if passed > sent else None


def nudge_count(
    status: TicketStatus,
    since: datetime,
    sent: int,
    sent_since: datetime | None,
) -> int:
    """Reminders already sent for the current wait: a reopened ticket starts again at 0."""
    if status not in WAITING or sent_since is None or sent_since != since:
        return 0
    return sent


def idle_due(
    last_activity: datetime, reminded_at: datetime | None, now: datetime, sla: Sla
) -> bool:
    """A taken ticket with no event for ``idle`` gets one reminder per quiet spell."""
    if now - last_activity < sla.idle:
        return False
    return reminded_at is None or reminded_at < last_activity


# ----------------------------------------------------------------------------- escalation


@dataclass(frozen=True, slots=True)
class Rung:
    level: int  # 1: the building's coordinators; 2: the community's coordinators / admins
    reason: str  # "untaken" or "unresolved"


def overdue_reason(
    status: TicketStatus,
    category: str,
    waiting_since: datetime | None,
    taken_at: datetime | None,
    now: datetime,
    sla: Sla,
) -> str | None:
    limits = sla.thresholds(category)
    if status in WAITING and waiting_since is not None and now - waiting_since >= limits.untaken:
        return "untaken"
    if status is S.TAKEN and taken_at is not None and now - taken_at >= limits.unresolved:
        return "unresolved"
    return None


def next_rung(
    status: TicketStatus,
    category: str,
    waiting_since: datetime | None,
    taken_at: datetime | None,
    level: int,
    level_at: datetime | None,
    now: datetime,
    sla: Sla,
) -> Rung | None:
    """The ladder step due now, if any. The second level comes ``second_level`` after the first
    and only while the ticket is still overdue (taken since, or resolved: no second step)."""
    reason = overdue_reason(status, category, waiting_since, taken_at, now, sla)
    if reason is None or level >= 2:
        return None
    if level == 0:
        return Rung(1, reason)
    if level_at is not None and now - level_at >= sla.second_level:
        return Rung(2, reason)
    return None


# ----------------------------------------------------------------------------- closing the loop


def confirm_reminder_due(
    resolved_at: datetime, reminded_at: datetime | None, now: datetime, sla: Sla
) -> bool:
    """Once per resolution, a day after it, while the auto-close is still ahead."""
    age = now - resolved_at
    if age < sla.confirm_reminder or age >= sla.autoclose:
        return False
    return reminded_at is None or reminded_at < resolved_at


def autoclose_due(resolved_at: datetime, now: datetime, sla: Sla) -> bool:
    return now - resolved_at >= sla.autoclose


def reopen_allowed(
    status: TicketStatus,
    autoclosed_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
    sla: Sla,
) -> bool:
    """A ticket closed by the scheduler (not confirmed by the resident) may be reopened by the
    resident for ``reopen_window`` more days."""
    if status is not S.CLOSED or autoclosed_at is None or closed_at is None:
        return False
    return now - closed_at <= sla.reopen_window


def followup_due(closed_at: datetime, asked_at: datetime | None, now: datetime, sla: Sla) -> bool:
    if asked_at is not None:
        return False
    age = now - closed_at
    return sla.followup <= age < sla.followup + sla.followup_grace


# ----------------------------------------------------------------------------- digests


def _late_ok(now: datetime, slot: datetime, sla: Sla) -> bool:
    # Missed during downtime and caught up at night: only just after its hour.
    return not is_quiet(now, sla) or now - slot < LATE_AT_NIGHT


def digest_due(
    now: datetime, last_sent: date | None, sla: Sla, *, since: datetime | None = None
) -> date | None:
    """The local date whose morning digest is due now (it reports on the day before). Not
    before the community existed (``since``): a community created today has no yesterday."""
    today = local(now, sla).date()
    slot = at_local(today, sla.digest_at, sla)
    if now < slot or (last_sent is not None and last_sent >= today):
        return None
    if not had_day(since, today - timedelta(days=1), sla):
        return None
    return today if _late_ok(now, slot, sla) else None


def weekly_due(
    now: datetime, last_sent: date | None, sla: Sla, *, since: datetime | None = None
) -> date | None:
    """The local date of this week's summary slot when it is due now (caught up on a later
    day of the same week after downtime). Not for a week the community (``since``) did not
    see a day of: created on the slot's day or later, it waits for next week's."""
    today = local(now, sla).date()
    slot_day = today - timedelta(days=(today.weekday() - sla.weekly_day) % 7)
    slot = at_local(slot_day, sla.weekly_at, sla)
    if now < slot or (last_sent is not None and last_sent >= slot_day):
        return None
    if not had_day(since, slot_day - timedelta(days=1), sla):
        return None
    return slot_day if _late_ok(now, slot, sla) else None


def had_day(since: datetime | None, day: date, sla: Sla) -> bool:
    """Whether something that began at ``since`` (a community, someone's role) existed on local
    ``day``: a report about that day, or a period ending with it, may reach it. Catching up on
    missed work never reaches back before the community or the role existed."""
    return since is None or local(since, sla).date() <= day
