"""Reporting a problem: the buildings a resident may report for, their community's categories,
and the report itself, filed once (a draft sent twice files one ticket) and routed to whoever
covers the building now, with the cards it sends in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.categories import Category, categories_for, find_category
from bot.services.clock import Clock
from bot.services.errors import ReportRefused, ServiceError
from bot.services.ticket_audience import TicketAudience
from bot.services.ticket_core import (
    MAX_DESCRIPTION,
    MAX_MEDIA,
    Draft,
    Reported,
    checked,
    place_of_building,
    settings_of_building,
)
from bot.text import blank
from storage.db import Database
from storage.models import Person, Role, Ticket, TicketStatus
from storage.repositories import PersonRepository
from storage.repositories.people import BuildingRole
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository

S = TicketStatus


class Reporting:
    def __init__(
        self, config: Config, db: Database, clock: Clock, audience: TicketAudience
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.audience = audience

    async def resident_buildings(self, person: Person) -> list[BuildingRole]:
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
        return [r for r in roles if r.role is Role.RESIDENT]

    async def categories(self, building_id: int) -> Sequence[Category]:
        async with self.db.session() as session:
            return categories_for(await settings_of_building(session, building_id))

    async def report(
        self,
        person: Person,
        draft: Draft,
        *,
        name: str = "",
        phone: str = "",
        photos: Sequence[str] = (),
    ) -> Reported:
        """``name``, ``phone``: what the person gave with the report (the web door's form),
        kept on them in the ticket's commit: a report refused keeps neither. ``photos``: keys
        of the person's own kept photos (web_files), claimed in the ticket's commit: one on a
        ticket already is left out, so two reports sent at once never share a photo."""
        now = self.clock()
        # Words nobody would see (zero-width spaces, a control character) are no description:
        # a report of only those is empty, and a photo's report keeps none of them.
        description = "" if blank(draft.description) else draft.description
        if not description and not draft.media and not photos:
            raise ServiceError("report-empty")
        description = checked(description, MAX_DESCRIPTION)
        async with self.db.session() as session:
            tickets = TicketRepository(session)
            since = now - timedelta(days=1)
            gate = await tickets.report_gate(person.id, draft.building_id, draft.key or None, since)
            if not gate.resident:
                raise ReportRefused("not-allowed")
            if gate.filed_id is not None and (filed := await tickets.get(gate.filed_id)):
                # Sent before (a crash took the answer, or a double tap): that ticket.
                recipients = await tickets.recipients(filed.id)
                building = await tickets.building_of(filed)
                return Reported(filed, building.name, [r.reason for r in recipients])
            if gate.since_count >= self.config.max_tickets_per_day:
                raise ReportRefused("report-limit", limit=self.config.max_tickets_per_day)
            # Its community (to read) and the building's name, which the answer shows.
            place = await place_of_building(session, draft.building_id)
            category = find_category(place.settings, draft.category)
            if category is None:
                raise ServiceError("report-bad-category")
            media = [*draft.media, *await _claim(session, person.id, photos)]
            if not description.strip() and not media:
                raise ServiceError("report-empty")
            ticket = Ticket(
                community_id=place.id,
                number=await tickets.next_number(place.id),
                building_id=draft.building_id,
                author_id=person.id,
                category=category.code,
                urgent=category.urgent,
                status=S.NEW,
                description=description,
                media=media[:MAX_MEDIA],
                latitude=draft.latitude,
                longitude=draft.longitude,
                flat=gate.flat,
                show_name=draft.show_name,
                show_phone=draft.show_phone,
                share_description=draft.share_description and not category.private,
                draft_key=draft.key,
                created_at=now,
                updated_at=now,
            )
            # Routed before it is written, so its owner is in its INSERT (not an UPDATE after).
            routing = await self.audience.routing(session, ticket, place, category, now)
            ticket.owner_id = routing.owner_id
            if name or phone:
                row = await PersonRepository(session).get(person.id)
                assert row is not None
                row.display_name = name or row.display_name
                if phone:
                    row.phone, row.phone_consent = phone, True
            await tickets.add(ticket)
            await tickets.add_event(ticket.id, person.id, "created", now)
            reasons = await self.audience.route_new(
                session, ticket, place, category, now, routing=routing
            )
            await session.commit()
            return Reported(ticket, place.building_name, reasons)


async def _claim(
    session: AsyncSession, person_id: int, keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The photos ``keys`` as a ticket's media, those on none of the person's tickets yet (a
    key is good for one ticket: a summary's form sent again with another draft, or a key
    copied from an old page, never moves an old ticket's photo to a new one). Their rows are
    locked before the check, so a report sent at the same moment waits and then finds them
    filed. "door-photo-bad" for a key that is not the person's photo; "door-photos-gone" for
    one no longer kept (a summary sent after the retention purge took its photos)."""
    if not keys:
        return []
    files = WebFileRepository(session)
    senders = await files.lock(keys)
    if any(key not in senders for key in keys):
        raise ServiceError("door-photos-gone")
    if any(senders.get(key) != person_id for key in keys):
        raise ServiceError("door-photo-bad")
    filed = await files.filed(person_id)
    return [{"type": "photo", "web_file": key} for key in dict.fromkeys(keys) if key not in filed]
