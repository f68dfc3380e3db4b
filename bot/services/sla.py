"""The scheduler's policies: pure functions of (data, now), no database, no aiogram.

Every interval and hour is a per-community setting (``community.settings``) with the default of
../shared/PRODUCT.md; all wall-clock times are in the community's time zone, and all durations
are measured in absolute time, so a daylight-saving change moves neither a reminder nor a quiet
hour. "Due" functions look at what has passed by ``now``, not at what happened at one instant:
after downtime the work is due once, however much of it was missed.

The settings, their bounds and defaults are bot/services/settings_schema.py; a stored value
that does not validate keeps its default there (logged once), so one bad value in the office's
settings never stops the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.settings_schema import read_settings
from storage.models import TicketStatus

log = logging.getLogger(__name__)
S = TicketStatus
WAITING = frozenset({S.NEW, S.REOPENED})  # routed, not taken
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
    # A work order waiting for its department's answer (the whistle) reminds its coordinator
    # every ``whistle_every``, at most ``whistle_most`` times.
    whistle_every: timedelta = timedelta(days=3)
    whistle_most: int = 3

    def thresholds(self, category: str) -> Thresholds:
        return self.overrides.get(category, self.escalation)


# ----------------------------------------------------------------------------- settings


def sla_for(settings: Mapping[str, Any], timezone: str | None) -> Sla:
    """A community's policies from its stored settings and time zone."""
    values = read_settings(settings)
    steps = list(values.nudge_backoff_hours)
    after = values.nudge_after_hours
    if after is not None:
        # nudge_after_hours moves the first reminder; later ones stay if they come after it.
        steps = [after] + [h for h in steps[1:] if h > after]
    escalation = Thresholds(
        timedelta(hours=values.escalate_untaken_hours),
        timedelta(days=values.escalate_unresolved_days),
    )
    overrides = {
        code: Thresholds(
            timedelta(hours=o.untaken_hours) if o.untaken_hours else escalation.untaken,
            timedelta(days=o.unresolved_days) if o.unresolved_days else escalation.unresolved,
        )
        for code, o in values.escalation_overrides.items()
    }
    weekly_day, weekly_at = values.weekly
    return Sla(
        zone=_zone(timezone),
        nudges=tuple(timedelta(hours=h) for h in steps),
        quiet=values.quiet_hours,
        escalation=escalation,
        overrides=overrides,
        second_level=timedelta(hours=values.escalate_second_level_hours),
        confirm_reminder=timedelta(hours=values.confirm_reminder_hours),
        autoclose=timedelta(days=values.autoclose_days),
        reopen_window=timedelta(days=values.reopen_window_days),
        followup=timedelta(days=values.followup_days),
        idle=timedelta(days=values.idle_days),
        digest_at=values.digest_hour,
        weekly_day=weekly_day,
        weekly_at=weekly_at,
        recurring_reports=values.recurring_reports,
        recurring_days=values.recurring_days,
        kpi_days=values.kpi_days,
        whistle_every=timedelta(days=values.whistle_reminder_days),
        whistle_most=values.whistle_reminders,
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r is unknown; using Asia/Shanghai", name)
        return ZoneInfo("Asia/Shanghai")


# ----------------------------------------------------------------------------- wall clock


def local(moment: datetime, sla: Sla) -> datetime:
    return moment.astimezone(sla.zone)


def at_local(day: date, when: time, sla: Sla) -> datetime:
    """``when`` on ``day`` in the community's zone, as an aware UTC moment. A wall time that a
    daylight-saving change skips resolves forward (fold=0), as clocks do. ValueError, as for
    any impossible date, where the moment falls outside the calendar (a typed 0001-01-01)."""
    try:
        return datetime.combine(day, when, tzinfo=sla.zone).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{day} {when} is outside the calendar") from None


# The local days whose windows every time zone can reckon: a typed 0001-01-01 or 9999-12-31
# (or the day after it) falls outside the calendar in UTC.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def reckonable(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


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


def whistle_reminder_due(forwarded_at: datetime, sent: int, now: datetime, sla: Sla) -> int | None:
    """The reminder count to claim for a work order still waiting for its answer, else None:
    one ``whistle_every`` after forwarding, then every ``whistle_every``, at most
    ``whistle_most`` in all. Like nudges, every step passed by now counts at once: after
    downtime one reminder goes out, not three."""
    if now < forwarded_at:
        return None
    passed = min(sla.whistle_most, (now - forwarded_at) // sla.whistle_every)
    return passed if passed > sent else None


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
