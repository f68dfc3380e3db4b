"""The scheduler's policies as tables: settings, quiet hours in two time zones (one with
daylight saving), nudge timing with catch-up, the escalation ladder, closing the loop, and when
the digests are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services.sla import (
    Rung,
    Sla,
    Thresholds,
    autoclose_due,
    confirm_reminder_due,
    day_window,
    digest_due,
    followup_due,
    had_day,
    idle_due,
    is_quiet,
    may_send,
    next_rung,
    nudge_count,
    nudge_due,
    quiet_ends,
    reopen_allowed,
    sla_for,
    snooze_until,
    weekly_due,
)
from storage.models import TicketStatus as S

SHANGHAI = sla_for({}, "Asia/Shanghai")
BERLIN = sla_for({}, "Europe/Berlin")
H = timedelta(hours=1)
D = timedelta(days=1)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ----------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("settings", "field", "expected"),
    [
        ({}, "nudges", (2 * H, 6 * H, 24 * H)),
        ({"nudge_backoff_hours": [1, 3]}, "nudges", (1 * H, 3 * H)),
        # At most 3: a longer list stored before the schema is read as the default.
        ({"nudge_backoff_hours": [1, 2, 3, 4, 5]}, "nudges", (2 * H, 6 * H, 24 * H)),
        ({"nudge_after_hours": 4}, "nudges", (4 * H, 6 * H, 24 * H)),
        ({"nudge_after_hours": 8}, "nudges", (8 * H, 24 * H)),
        ({"nudge_backoff_hours": "soon"}, "nudges", (2 * H, 6 * H, 24 * H)),  # malformed
        ({}, "quiet", (time(22), time(8))),
        ({"quiet_hours": "23:30-06:15"}, "quiet", (time(23, 30), time(6, 15))),
        ({"quiet_hours": None}, "quiet", None),  # the community wants none (before "off")
        ({"quiet_hours": "off"}, "quiet", None),
        ({"quiet_hours": "late"}, "quiet", (time(22), time(8))),
        ({}, "escalation", Thresholds(24 * H, 7 * D)),
        (
            {"escalate_untaken_hours": 12, "escalate_unresolved_days": 3},
            "escalation",
            Thresholds(12 * H, 3 * D),
        ),
        ({"escalate_untaken_hours": -5}, "escalation", Thresholds(24 * H, 7 * D)),
        ({}, "second_level", 48 * H),
        ({"autoclose_days": 5}, "autoclose", 5 * D),
        ({"reopen_window_days": "x"}, "reopen_window", 7 * D),
        ({"followup_days": 14}, "followup", 14 * D),
        ({"idle_days": 2}, "idle", 2 * D),
        ({}, "digest_at", time(8)),
        ({"digest_hour": 7}, "digest_at", time(7)),
        ({"digest_hour": "7:30"}, "digest_at", time(7, 30)),
        ({"digest_hour": 25}, "digest_at", time(8)),
        ({"weekly": "Fri 17:00"}, "weekly_day", 4),
        ({"weekly": "Fri 17:00"}, "weekly_at", time(17)),
        ({"weekly": "someday"}, "weekly_day", 0),
        ({}, "recurring_reports", 3),
        ({}, "recurring_days", 30),
    ],
)
def test_settings_with_defaults(settings: dict[str, Any], field: str, expected: object) -> None:
    assert getattr(sla_for(settings, "Asia/Shanghai"), field) == expected


def test_category_overrides_and_unknown_time_zone() -> None:
    sla = sla_for({"escalation_overrides": {"safety": {"untaken_hours": 2}}}, "Mars/Base")
    assert sla.zone == ZoneInfo("Asia/Shanghai")
    assert sla.thresholds("safety") == Thresholds(2 * H, 7 * D)
    assert sla.thresholds("elevator") == sla.thresholds("repairs") == Thresholds(24 * H, 7 * D)
    # A stored value that does not validate is read as its default, as a whole.
    broken = sla_for(
        {"escalation_overrides": {"safety": {"untaken_hours": 2}, "elevator": "bad"}}, None
    )
    assert broken.thresholds("safety") == Thresholds(24 * H, 7 * D)


# ----------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("sla", "now", "quiet"),
    [
        # Shanghai is UTC+8 all year: quiet 14:00–24:00 UTC.
        (SHANGHAI, utc(2026, 11, 26, 13, 59), False),  # 21:59
        (SHANGHAI, utc(2026, 11, 26, 14, 0), True),  # 22:00
        (SHANGHAI, utc(2026, 11, 26, 16, 0), True),  # 00:00, across midnight
        (SHANGHAI, utc(2026, 11, 26, 23, 59), True),  # 07:59
        (SHANGHAI, utc(2026, 11, 27, 0, 0), False),  # 08:00
        # Berlin in winter (UTC+1) and in summer (UTC+2).
        (BERLIN, utc(2026, 1, 15, 20, 59), False),  # 21:59 CET
        (BERLIN, utc(2026, 1, 15, 21, 0), True),  # 22:00 CET
        (BERLIN, utc(2026, 7, 15, 20, 0), True),  # 22:00 CEST
        (BERLIN, utc(2026, 7, 15, 6, 0), False),  # 08:00 CEST
        (BERLIN, utc(2026, 7, 15, 5, 59), True),  # 07:59 CEST
        # The night clocks go forward (29 March 2026): 07:59 CEST is 05:59 UTC.
        (BERLIN, utc(2026, 3, 29, 5, 59), True),
        (BERLIN, utc(2026, 3, 29, 6, 0), False),
        # A quiet spell within one day, and none at all.
        (sla_for({"quiet_hours": "12:00-14:00"}, "Asia/Shanghai"), utc(2026, 1, 1, 4, 30), True),
        (sla_for({"quiet_hours": "12:00-14:00"}, "Asia/Shanghai"), utc(2026, 1, 1, 6, 0), False),
        (sla_for({"quiet_hours": ""}, "Asia/Shanghai"), utc(2026, 1, 1, 18, 0), False),
    ],
)
def test_quiet_hours(sla: Sla, now: datetime, quiet: bool) -> None:
    assert is_quiet(now, sla) is quiet
    assert may_send(now, sla) is not quiet
    assert may_send(now, sla, urgent=True)  # safety never waits


@pytest.mark.parametrize(
    ("sla", "now", "ends"),
    [
        (SHANGHAI, utc(2026, 11, 26, 15, 0), utc(2026, 11, 27, 0, 0)),  # 23:00 → 08:00 next day
        (SHANGHAI, utc(2026, 11, 26, 18, 0), utc(2026, 11, 27, 0, 0)),  # 02:00 → 08:00 same day
        (SHANGHAI, utc(2026, 11, 26, 3, 0), utc(2026, 11, 26, 3, 0)),  # not quiet: now
        (BERLIN, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 6, 0)),  # into summer time
        (BERLIN, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 7, 0)),  # into winter time
    ],
)
def test_quiet_ends(sla: Sla, now: datetime, ends: datetime) -> None:
    assert quiet_ends(now, sla) == ends


@pytest.mark.parametrize(
    ("sla", "kind", "now", "until"),
    [
        (SHANGHAI, "hour", utc(2026, 11, 26, 2, 0), utc(2026, 11, 26, 3, 0)),
        (SHANGHAI, "morning", utc(2026, 11, 26, 2, 0), utc(2026, 11, 27, 1, 0)),  # 09:00 CST
        (SHANGHAI, "morning", utc(2026, 11, 26, 15, 59), utc(2026, 11, 27, 1, 0)),  # 23:59
        (SHANGHAI, "morning", utc(2026, 11, 26, 17, 0), utc(2026, 11, 27, 1, 0)),  # 01:00
        (SHANGHAI, "morning", utc(2026, 11, 26, 21, 0), utc(2026, 11, 28, 1, 0)),  # 05:00
        # Berlin: the evening before summer time, tomorrow 09:00 is 07:00 UTC (11 hours on).
        (BERLIN, "morning", utc(2026, 3, 28, 19, 0), utc(2026, 3, 29, 7, 0)),
        (BERLIN, "hour", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),  # absolute hour
    ],
)
def test_snooze_until(sla: Sla, kind: str, now: datetime, until: datetime) -> None:
    assert snooze_until(kind, now, sla) == until


@pytest.mark.parametrize(
    ("sla", "day", "hours"),
    [
        (SHANGHAI, date(2026, 3, 29), 24),
        (BERLIN, date(2026, 3, 29), 23),
        (BERLIN, date(2026, 10, 25), 25),
        (BERLIN, date(2026, 11, 25), 24),
    ],
)
def test_local_days_last_as_long_as_the_wall_clock_says(sla: Sla, day: date, hours: int) -> None:
    start, end = day_window(day, sla)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(sla.zone).time() == time(0)


# ----------------------------------------------------------------------------- nudges

T0 = utc(2026, 11, 26, 2, 0)


@pytest.mark.parametrize(
    ("age", "sent", "due"),
    [
        (1 * H, 0, None),
        (2 * H - timedelta(seconds=1), 0, None),
        (2 * H, 0, 1),
        (3 * H, 1, None),  # the first was sent
        (6 * H, 1, 2),
        (23 * H, 2, None),
        (24 * H, 2, 3),
        (100 * H, 3, None),  # at most three
        # Catch-up after downtime: everything missed counts at once, one reminder.
        (7 * H, 0, 2),
        (30 * H, 0, 3),
        (30 * H, 1, 3),
    ],
)
def test_nudge_timing_back_off_and_catch_up(age: timedelta, sent: int, due: int | None) -> None:
    assert nudge_due(T0, sent, T0 + age, SHANGHAI) == due


@pytest.mark.parametrize(
    ("status", "since", "sent", "sent_since", "count"),
    [
        (S.NEW, T0, 2, T0, 2),
        (S.NEW, T0, 0, None, 0),
        (S.REOPENED, T0 + D, 3, T0, 0),  # reopened: the count starts again
        (S.REOPENED, T0 + D, 1, T0 + D, 1),
        (S.TAKEN, T0, 2, T0, 0),
    ],
)
def test_a_reopened_ticket_is_reminded_again(
    status: S, since: datetime, sent: int, sent_since: datetime | None, count: int
) -> None:
    assert nudge_count(status, since, sent, sent_since) == count


@pytest.mark.parametrize(
    ("quiet_for", "reminded", "due"),
    [
        (2 * D, None, False),
        (3 * D, None, True),
        (5 * D, T0 - D, False),  # reminded after the last event: once per quiet spell
        (5 * D, T0 - 10 * D, True),  # reminded before the last event
    ],
)
def test_idle_reminders(quiet_for: timedelta, reminded: datetime | None, due: bool) -> None:
    last = T0 - 2 * D
    assert idle_due(last, reminded, last + quiet_for, SHANGHAI) is due


# ----------------------------------------------------------------------------- the ladder

FAST_SAFETY = sla_for({"escalation_overrides": {"safety": {"untaken_hours": 4}}}, None)


@pytest.mark.parametrize(
    ("sla", "status", "category", "age", "taken_for", "level", "level_age", "rung"),
    [
        (SHANGHAI, S.NEW, "repairs", 23 * H, None, 0, None, None),
        (SHANGHAI, S.NEW, "repairs", 24 * H, None, 0, None, Rung(1, "untaken")),
        (SHANGHAI, S.REOPENED, "repairs", 30 * H, None, 0, None, Rung(1, "untaken")),
        (SHANGHAI, S.NEW, "repairs", 60 * H, None, 1, 36 * H, None),  # 36 h after level 1
        (SHANGHAI, S.NEW, "repairs", 80 * H, None, 1, 48 * H, Rung(2, "untaken")),
        (SHANGHAI, S.NEW, "repairs", 200 * H, None, 2, 100 * H, None),  # the top
        (SHANGHAI, S.TAKEN, "repairs", 10 * D, 6 * D, 0, None, None),
        (SHANGHAI, S.TAKEN, "repairs", 10 * D, 7 * D, 0, None, Rung(1, "unresolved")),
        # Level 1 for "untaken", then taken: no second step until it is overdue again.
        (SHANGHAI, S.TAKEN, "repairs", 5 * D, 2 * D, 1, 4 * D, None),
        (SHANGHAI, S.TAKEN, "repairs", 12 * D, 7 * D, 1, 11 * D, Rung(2, "unresolved")),
        (SHANGHAI, S.RESOLVED, "repairs", 30 * D, 20 * D, 1, 20 * D, None),
        # A per-category override.
        (FAST_SAFETY, S.NEW, "safety", 4 * H, None, 0, None, Rung(1, "untaken")),
        (FAST_SAFETY, S.NEW, "repairs", 4 * H, None, 0, None, None),
    ],
)
def test_escalation_ladder(
    sla: Sla,
    status: S,
    category: str,
    age: timedelta,
    taken_for: timedelta | None,
    level: int,
    level_age: timedelta | None,
    rung: Rung | None,
) -> None:
    now = T0 + 30 * D
    waiting_since = now - age if status in (S.NEW, S.REOPENED) else None
    taken_at = now - taken_for if taken_for is not None else None
    level_at = now - level_age if level_age is not None else None
    assert next_rung(status, category, waiting_since, taken_at, level, level_at, now, sla) == rung


# ----------------------------------------------------------------------------- closing


@pytest.mark.parametrize(
    ("age", "reminded", "remind", "close"),
    [
        (12 * H, None, False, False),
        (24 * H, None, True, False),
        (48 * H, T0 + 25 * H, False, False),  # reminded already
        (3 * D, None, False, True),  # too late to remind: it closes
        (10 * D, None, False, True),  # catch-up: closes once it is looked at
    ],
)
def test_confirm_reminder_and_auto_close(
    age: timedelta, reminded: datetime | None, remind: bool, close: bool
) -> None:
    now = T0 + age
    assert confirm_reminder_due(T0, reminded, now, SHANGHAI) is remind
    assert autoclose_due(T0, now, SHANGHAI) is close


@pytest.mark.parametrize(
    ("status", "autoclosed", "closed_ago", "allowed"),
    [
        (S.CLOSED, True, 1 * D, True),
        (S.CLOSED, True, 7 * D, True),
        (S.CLOSED, True, 7 * D + H, False),
        (S.CLOSED, False, 1 * D, False),  # confirmed by the resident: no reopening
        (S.REOPENED, True, 1 * D, False),
    ],
)
def test_reopening_an_auto_closed_ticket(
    status: S, autoclosed: bool, closed_ago: timedelta, allowed: bool
) -> None:
    now = T0 + 30 * D
    closed_at = now - closed_ago
    autoclosed_at = closed_at if autoclosed else None
    assert reopen_allowed(status, autoclosed_at, closed_at, now, SHANGHAI) is allowed


@pytest.mark.parametrize(
    ("closed_ago", "asked", "due"),
    [
        (29 * D, None, False),
        (30 * D, None, True),
        (36 * D, None, True),  # after downtime
        (37 * D, None, False),  # long ago: not asked any more
        (31 * D, T0, False),  # asked once
    ],
)
def test_still_fixed_follow_up(closed_ago: timedelta, asked: datetime | None, due: bool) -> None:
    now = T0 + 60 * D
    assert followup_due(now - closed_ago, asked, now, SHANGHAI) is due


# ----------------------------------------------------------------------------- digests


@pytest.mark.parametrize(
    ("sla", "now", "last", "due"),
    [
        (SHANGHAI, utc(2026, 11, 25, 23, 59), None, None),  # 07:59
        (SHANGHAI, utc(2026, 11, 26, 0, 0), None, date(2026, 11, 26)),  # 08:00
        (SHANGHAI, utc(2026, 11, 26, 0, 0), date(2026, 11, 25), date(2026, 11, 26)),
        (SHANGHAI, utc(2026, 11, 26, 0, 1), date(2026, 11, 26), None),  # sent already
        (SHANGHAI, utc(2026, 11, 26, 5, 0), date(2026, 11, 20), date(2026, 11, 26)),  # catch-up
        (SHANGHAI, utc(2026, 11, 26, 15, 0), date(2026, 11, 25), None),  # 23:00: not at night
        # Berlin: 08:00 is 07:00 UTC in winter and 06:00 UTC in summer.
        (BERLIN, utc(2026, 1, 15, 6, 59), None, None),
        (BERLIN, utc(2026, 1, 15, 7, 0), None, date(2026, 1, 15)),
        (BERLIN, utc(2026, 3, 29, 6, 0), date(2026, 3, 28), date(2026, 3, 29)),
        (BERLIN, utc(2026, 3, 29, 5, 59), date(2026, 3, 28), None),
    ],
)
def test_daily_digest_is_due_once_a_day_at_its_hour(
    sla: Sla, now: datetime, last: date | None, due: date | None
) -> None:
    assert digest_due(now, last, sla) == due


def test_a_digest_hour_inside_quiet_hours_still_goes_out_on_time() -> None:
    early = sla_for({"digest_hour": 7}, "Asia/Shanghai")
    assert digest_due(utc(2026, 11, 25, 23, 0), None, early) == date(2026, 11, 26)  # 07:00
    assert digest_due(utc(2026, 11, 25, 23, 30), None, early) == date(2026, 11, 26)
    assert digest_due(utc(2026, 11, 26, 0, 30), None, early) == date(2026, 11, 26)  # 08:30


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        # Monday 30 November 2026, 09:00 in Shanghai is 01:00 UTC.
        (utc(2026, 11, 30, 0, 59), date(2026, 11, 23), None),
        (utc(2026, 11, 30, 1, 0), date(2026, 11, 23), date(2026, 11, 30)),
        (utc(2026, 11, 30, 1, 5), date(2026, 11, 30), None),
        (utc(2026, 12, 2, 3, 0), date(2026, 11, 23), date(2026, 11, 30)),  # caught up Wednesday
        (utc(2026, 12, 2, 3, 0), date(2026, 11, 30), None),
        (utc(2026, 11, 29, 3, 0), date(2026, 11, 16), date(2026, 11, 23)),  # Sunday: last week's
        (utc(2026, 12, 1, 15, 0), date(2026, 11, 23), None),  # 23:00: wait for the morning
    ],
)
def test_weekly_summary_on_monday_morning(
    now: datetime, last: date | None, due: date | None
) -> None:
    assert weekly_due(now, last, SHANGHAI) == due


def test_catching_up_never_reaches_back_before_the_community() -> None:
    """A community imported on Wednesday 25 November, 15:00 (07:00 UTC), started at once: no
    digest about the day before it existed, no summary of a week it never saw."""
    created = utc(2026, 11, 25, 7, 0)
    wednesday = utc(2026, 11, 25, 7, 5)
    assert digest_due(wednesday, None, SHANGHAI) == date(2026, 11, 25)  # (without: catch-up)
    assert digest_due(wednesday, None, SHANGHAI, since=created) is None
    assert weekly_due(wednesday, None, SHANGHAI) == date(2026, 11, 23)
    assert weekly_due(wednesday, None, SHANGHAI, since=created) is None
    # Thursday's digest reports on Wednesday, which it saw part of; next Monday's summary too.
    assert digest_due(utc(2026, 11, 26, 0, 0), None, SHANGHAI, since=created) == date(2026, 11, 26)
    monday = utc(2026, 11, 30, 1, 0)
    assert weekly_due(monday, None, SHANGHAI, since=created) == date(2026, 11, 30)
    # Created on a Monday after its summary's hour: that slot's week was not its own.
    assert weekly_due(utc(2026, 11, 30, 3, 0), None, SHANGHAI, since=monday) is None


@pytest.mark.parametrize(
    ("since", "day", "had"),
    [
        (None, date(2026, 11, 25), True),
        (utc(2026, 11, 24, 15, 59), date(2026, 11, 24), True),  # 23:59 in Shanghai
        (utc(2026, 11, 24, 16, 0), date(2026, 11, 24), False),  # 00:00 the next day
        (utc(2026, 11, 20, 0, 0), date(2026, 11, 24), True),
    ],
)
def test_had_day_is_about_local_days(since: datetime | None, day: date, had: bool) -> None:
    assert had_day(since, day, SHANGHAI) is had
