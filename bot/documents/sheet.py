"""What a work order's printable sheet says (bot/documents/work_order.py draws it), apart from
the drawing: the whistle fills one in without loading the spreadsheet and image libraries into
the bot (they stay out of its memory until someone prints)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WorkOrderSheet:
    reference: str  # the work order's number, quoted back by the department
    community: str
    building: str
    category: str
    created_at: datetime  # aware: when the resident reported it
    forwarded_at: datetime  # aware: when the coordinator sent it out
    timezone: str  # the community's, for both dates
    department: str
    description: str
    location: str  # the place in words ("" when none)
    latitude: float | None
    longitude: float | None
    reporter: str  # already as the ticket's consent allows: a name, "name hidden", a phone
    coordinator: str
    photos: tuple[bytes, ...] = ()
    language: str = "zh-hans"
