"""The value types of the community settings (bot/services/settings_schema.py): numbers with
bounds, times of day, quiet hours and a weekly slot, each parsed from what an office writes
(``7:30``, ``22:00-08:00``, ``Mon 09:00``) and written back in one canonical form."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

MAX_HOURS = 720  # 30 days: longer than that, a reminder or an escalation helps nobody
MAX_DAYS = 365
MAX_NUDGES = 3
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?", re.ASCII)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _no_bool(value: Any) -> Any:
    # JSON true is not 1 hour.
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


def _parse_clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 23:
        return time(value)
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match and int(match[1]) < 24 and int(match[2] or 0) < 60:
        return time(int(match[1]), int(match[2] or 0))
    raise ValueError("a time of day such as 8 or 07:30")


def _format_clock(value: time) -> str:
    return f"{value:%H:%M}"


def _parse_quiet(value: Any) -> tuple[time, time] | None:
    # None, "" and false were how "no quiet hours" was written before "off".
    if value is None or value is False or value in ("", "off"):
        return None
    if isinstance(value, tuple):
        return value
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 2:
        raise ValueError("two times of day such as 22:00-08:00, or off")
    start, end = _parse_clock(parts[0]), _parse_clock(parts[1])
    if start == end:
        raise ValueError("the start and the end are the same; write off for no quiet hours")
    return start, end


def _format_quiet(value: tuple[time, time] | None) -> str:
    return "off" if value is None else f"{value[0]:%H:%M}-{value[1]:%H:%M}"


def _parse_weekly(value: Any) -> tuple[int, time]:
    if isinstance(value, tuple):
        return value
    parts = value.split() if isinstance(value, str) else []
    if len(parts) == 2:
        day = parts[0].lower()
        if day in WEEKDAYS or day in _DAY_NAMES:
            return WEEKDAYS.index(day[:3]), _parse_clock(parts[1])
    raise ValueError("a weekday in English and a time, such as Mon 09:00")


def _format_weekly(value: tuple[int, time]) -> str:
    return f"{WEEKDAYS[value[0]].title()} {value[1]:%H:%M}"


def _increasing(values: tuple[float, ...]) -> tuple[float, ...]:
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("each reminder after the one before")
    return values


_FINITE = {"allow_inf_nan": False}
Hours = Annotated[
    float, BeforeValidator(_no_bool), Field(gt=0, le=MAX_HOURS, **_FINITE), PlainSerializer(_number)
]
Days = Annotated[
    float, BeforeValidator(_no_bool), Field(gt=0, le=MAX_DAYS, **_FINITE), PlainSerializer(_number)
]
Clock = Annotated[time, BeforeValidator(_parse_clock), PlainSerializer(_format_clock)]
Quiet = Annotated[
    tuple[time, time] | None, BeforeValidator(_parse_quiet), PlainSerializer(_format_quiet)
]
Weekly = Annotated[
    tuple[int, time], BeforeValidator(_parse_weekly), PlainSerializer(_format_weekly)
]
Backoff = Annotated[
    tuple[Hours, ...], Field(min_length=1, max_length=MAX_NUDGES), AfterValidator(_increasing)
]
JoinPolicy = Literal["open", "approve", "link_only"]


Reports = Annotated[int, BeforeValidator(_no_bool), Field(ge=2, le=1000)]
DayCount = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_DAYS)]
WhistleReminders = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=10)]
# The points bank's earning rules: whole points per confirmed fix, service hour or vote.
MAX_POINTS = 1000
PointsRate = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_POINTS)]
