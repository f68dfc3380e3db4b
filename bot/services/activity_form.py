"""A volunteer activity's form: five lines (what, where, when, hours, places) read into a
draft, its check-in window, and the refusals of the activities (bot/services/volunteering.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.services.errors import InputRefused, ServiceError, Spent
from bot.services.service_hours import MAX_HOURS, fmt_hours, read_number
from bot.services.sla import Sla, at_local
from bot.text import utf16_len
from storage.models import VolunteerActivity

MAX_TITLE = 200
MAX_PLACES = 500
# The check-in QR opens this long before the start and closes this long after the end.
WINDOW = timedelta(hours=1)
_WHEN = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:：](\d{2})\s*$")


class NotOrganiser(ServiceError):
    """Only heads, coordinators and admins organise activities, for buildings they cover."""

    def __init__(self) -> None:
        super().__init__("vol-not-allowed")


class ActivityGone(Spent):
    def __init__(self) -> None:
        super().__init__("vol-gone")


@dataclass(frozen=True, slots=True)
class ActivityDraft:
    title: str
    place: str
    starts_at: datetime  # aware, UTC
    hours: float
    capacity: int


def parse_form(text: str, now: datetime, sla: Sla) -> ActivityDraft:
    """Five lines: what, where, ``YYYY-MM-DD HH:MM`` (local), hours, places. InputRefused when
    the shape is wrong (the step stays open)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) != 5:
        raise InputRefused("vol-form-bad")
    title, place, when, hours_text, places_text = lines
    if utf16_len(title) > MAX_TITLE or utf16_len(place) > MAX_TITLE:
        raise InputRefused("vol-form-long", max=MAX_TITLE)
    match = _WHEN.match(when)
    if match is None:
        raise InputRefused("vol-form-when")
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        starts_at = at_local(date(year, month, day), time(hour, minute), sla)
    except ValueError:
        raise InputRefused("vol-form-when") from None
    if starts_at <= now:
        raise InputRefused("vol-form-when")
    hours = read_number(hours_text)
    if hours is None or not 0 < hours <= MAX_HOURS:
        raise InputRefused("vol-form-hours", max=fmt_hours(MAX_HOURS))
    places = read_number(places_text)
    if places is None or places != int(places) or not 1 <= places <= MAX_PLACES:
        raise InputRefused("vol-form-places", max=MAX_PLACES)
    return ActivityDraft(title, place, starts_at, hours, int(places))


def window(activity: VolunteerActivity) -> tuple[datetime, datetime]:
    end = activity.starts_at + timedelta(hours=activity.hours)
    return activity.starts_at - WINDOW, end + WINDOW
