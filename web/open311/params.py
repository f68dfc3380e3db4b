"""The spec's parameters read from a query or a form, each refused with the spec's 400 and a
description naming it; nothing is written before all of them are read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from storage.models import OPEN_STATUSES, TicketStatus

# A description (MAX_DESCRIPTION: some 13,000 UTF-16 units) of Chinese characters percent-encoded
# takes 9 bytes a character: the body limit leaves room for that and refuses anything beyond.
MAX_FORM = 256 * 1024
MAX_FIELDS = 50
MAX_IDS = 1000
# A moment leaves a year either side for the default window (a start in 9999 has no 90 days
# after it: OverflowError).
ROOM = timedelta(days=366)
STATUS_WORDS: dict[str, tuple[TicketStatus, ...]] = {
    "open": tuple(OPEN_STATUSES),
    "closed": (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.WITHDRAWN),
}


class ApiError(Exception):
    """An answer in the spec's error format: ``status`` and a translation key (rendered in
    English, for the developer reading it)."""

    def __init__(self, status: int, key: str, **args: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.args_ = args


async def read_form(request: web.Request) -> dict[str, str]:
    """The POST's fields (the first of a repeated one); the query's too, where a client puts
    api_key, as the body's never give way to them."""
    kind = request.content_type
    if request.body_exists and kind not in ("application/x-www-form-urlencoded", ""):
        raise ApiError(400, "open311-bad-form")
    if request.content_length is not None and request.content_length > MAX_FORM:
        raise ApiError(413, "open311-too-large", max=MAX_FORM)
    body = await request.content.read(MAX_FORM + 1)
    if len(body) > MAX_FORM:
        raise ApiError(413, "open311-too-large", max=MAX_FORM)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "open311-bad-form") from None
    fields: dict[str, str] = {}
    for name, value in [*pairs, *request.query.items()]:
        fields.setdefault(name, value)
    return fields


def text(fields: Mapping[str, str], name: str) -> str | None:
    value = fields.get(name, "").strip()
    return value or None


def numbers(fields: Mapping[str, str], name: str) -> list[int]:
    raw = text(fields, name)
    if raw is None:
        return []
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_IDS or not all(_digits(p) and len(p) < 10 for p in parts):
        raise ApiError(400, "open311-bad-number", field=name)
    return [int(p) for p in parts]


def number(value: str, name: str) -> int:
    if not _digits(value) or len(value) >= 10:
        raise ApiError(404, "open311-unknown-request", id=value[:40])
    return int(value)


def words(fields: Mapping[str, str], name: str) -> list[str]:
    raw = text(fields, name)
    return [] if raw is None else [w.strip() for w in raw.split(",") if w.strip()]


def statuses(fields: Mapping[str, str]) -> list[TicketStatus]:
    found: list[TicketStatus] = []
    for word in words(fields, "status"):
        if word.lower() not in STATUS_WORDS:
            raise ApiError(400, "open311-bad-status")
        found.extend(STATUS_WORDS[word.lower()])
    return found


def moment(fields: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 date and time with its zone (the spec requires one: a naive time means
    nothing to a server in another zone)."""
    raw = text(fields, name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "open311-bad-date", field=name) from None
    if value.tzinfo is None or not _roomy(value):
        raise ApiError(400, "open311-bad-date", field=name)
    return value


def _digits(text: str) -> bool:
    """ASCII digits: str.isdigit() says yes to "²", which int() cannot read."""
    return text.isascii() and text.isdigit()


def _roomy(value: datetime) -> bool:
    try:
        (value - ROOM).astimezone(UTC)
        (value + ROOM).astimezone(UTC)
    except OverflowError:
        return False
    return True


def point(fields: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, long = text(fields, "lat"), text(fields, "long")
    if lat is None and long is None:
        return None, None
    try:
        latitude = float(lat) if lat is not None else math.nan
        longitude = float(long) if long is not None else math.nan
    except ValueError:
        raise ApiError(400, "open311-bad-point") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # NaN fails too
        raise ApiError(400, "open311-bad-point")
    return latitude, longitude
