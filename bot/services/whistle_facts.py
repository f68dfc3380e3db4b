"""What a work order says, gathered in one place: the printable sheet (PDF / XLSX, built
elsewhere from these facts) and any other view of a work order read the same things.

Privacy: the sheet leaves the community, so the reporter appears on it only as the ticket's
consent lets the staff see them (a hidden name is "a resident", a phone only when shared), and
the staff who forwarded it by their display name (they act for the office)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.cards import Reader, category_name, history_lines
from bot.services.categories import find_category
from bot.services.departments import name_in
from storage.models import WorkOrder
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import TicketRepository


@dataclass(frozen=True, slots=True)
class WorkOrderFacts:
    reference: str
    department: dict[str, str]  # names by language
    community: str
    building: str
    address: str
    flat: str | None
    ticket_number: int
    category: dict[str, str]  # names by language
    urgent: bool
    description: str
    photos: tuple[str, ...]  # Telegram file ids
    voices: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    reported_at: datetime
    reporter: str | None  # None: hidden by the reporter's consent
    reporter_phone: str | None
    forwarded_by: str
    forwarded_at: datetime
    answered_at: datetime | None
    answer: str | None
    timeline: dict[str, tuple[str, ...]]  # the history's lines by language, as staff read it
    timezone: str


async def gather_facts(
    session: AsyncSession, translations: Translations, order_id: int
) -> WorkOrderFacts | None:
    order = await session.scalar(select(WorkOrder).where(WorkOrder.id == order_id))
    if order is None:
        return None
    tickets = TicketRepository(session)
    people = PersonRepository(session)
    ticket = await tickets.get(order.ticket_id)
    community = await CommunityRepository(session).get(order.community_id)
    assert ticket is not None and community is not None
    building = await tickets.building_of(ticket)
    author = await people.get(ticket.author_id) if ticket.author_id else None
    forwarder = await people.get(order.forwarded_by) if order.forwarded_by else None
    category = find_category(community.settings, ticket.category)
    events = await tickets.events(ticket.id)
    languages = ("zh-hans", "en")
    timeline = {
        language: tuple(
            # Staff's view, but nobody named: the sheet goes outside.
            history_lines(translations.bind(language), events, {}, community, reader=Reader.STAFF)
        )
        for language in languages
    }
    return WorkOrderFacts(
        reference=order.reference,
        department={
            lang: name_in(order.department_names, lang, order.department) for lang in languages
        },
        community=community.name,
        building=building.name,
        address=building.address,
        flat=ticket.flat,
        ticket_number=ticket.number,
        category={
            lang: category_name(translations.bind(lang), category, ticket.category)
            for lang in languages
        },
        urgent=ticket.urgent,
        description=ticket.description,
        # Photos sent from the web door (``web_file``) are not in the sheet yet.
        photos=tuple(
            m["file_id"] for m in ticket.media if m.get("type") == "photo" and "file_id" in m
        ),
        voices=tuple(m["file_id"] for m in ticket.media if m.get("type") == "voice"),
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        reported_at=ticket.created_at,
        reporter=author.display_name if author is not None and ticket.show_name else None,
        reporter_phone=author.phone if author is not None and ticket.show_phone else None,
        forwarded_by=forwarder.display_name if forwarder is not None else "",
        forwarded_at=order.forwarded_at,
        answered_at=order.answered_at,
        answer=order.answer,
        timeline=timeline,
        timezone=community.timezone,
    )
