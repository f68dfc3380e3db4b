"""A ticket's work order sheet (bot/documents/work_order.py) filled in by the rules every view
of a ticket follows: the reporter as the ticket's consent allows, the category in the reader's
language, the building's address as the place. The whistle supplies what is its own: the
reference, the department, when it went out, who sent it, the photos' bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.documents.sheet import WorkOrderSheet
from bot.i18n import Translator
from bot.services.cards import category_name, consented_reporter
from bot.services.categories import find_category
from storage.models import Building, Community, Person, Ticket


@dataclass(frozen=True, slots=True)
class PrintableOrder:
    """A work order's sheet with the photos the core holds (sent through the web door), and
    the file ids of those the door fetches before printing (Telegram's, the console's cache)."""

    sheet: WorkOrderSheet
    photo_ids: tuple[str, ...]


def work_order_sheet(
    t: Translator,
    ticket: Ticket,
    *,
    community: Community,
    building: Building,
    author: Person | None,
    reference: str,
    department: str,
    forwarded_at: datetime,
    coordinator: str,
    photos: Sequence[bytes] = (),
) -> WorkOrderSheet:
    name, phone = consented_reporter(t, ticket, author)
    category = find_category(community.settings or {}, ticket.category)
    return WorkOrderSheet(
        reference=reference,
        community=community.name,
        building=f"{building.name} ({building.code})",
        category=category_name(t, category, ticket.category),
        created_at=ticket.created_at,
        forwarded_at=forwarded_at,
        timezone=community.timezone,
        department=department,
        description=ticket.description,
        location=building.address + (f", {ticket.flat}" if ticket.flat else ""),
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        reporter=f"{name}, {phone}" if phone else name,
        coordinator=coordinator,
        photos=tuple(photos),
        language=t.language,
    )
