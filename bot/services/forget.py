"""/forgetme: a person deletes their personal data; their tickets stay, anonymised, so the
building's history and statistics remain true.

What goes: the ``people`` row itself (name, phone, language, away and reachability), with it
every membership (flats included), coordinator scope, "me too" follow and place among a ticket's
recipients; their join requests lose their name and flat (a pending one is withdrawn); their
conversation state (the WeChat door's pending choice too), every outbox row addressed to them
and every one, sent or still to go, that passed on their words to the staff (the per-day
counts keep the numbers, as the retention purge does), and the record of the bot's messages
in their chat; what they wrote into tickets as a resident (messages to the head, their photos
kept from WeChat or the web door included, comments, reasons to reopen) and the flat on their
tickets. The staff's cards of all their tickets, finished ones too, are edited to say "a former
resident".

What stays: their tickets (building, category, description, photos, place, times, rating): the
description is the building's record of the problem, not the person's; the events, without
anyone's name on theirs; what they wrote as staff (replies, resolution notes), which belongs to
the ticket.

The Telegram id goes with the row: if they write again they are a new person, and nothing
points from their old tickets to them (the foreign keys were set to NULL, not to an id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.contacts import admin_addresses
from bot.services.errors import ServiceError
from bot.services.handover import hand_over
from bot.services.join_rules import refresh_copies
from bot.services.joins import JoinService
from bot.services.notify import Notifier
from bot.services.ticket_audience import TicketAudience
from storage.db import Database
from storage.models import Address, Channel, JoinStatus, Person, Role
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.forget import ForgetRepository
from storage.repositories.joins import JoinRepository
from storage.repositories.people import addresses_in
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository
from storage.repositories.wechat import WeChatCallbackRepository, WeChatPendingRepository

# Events whose text is the resident's own words (bot/services/ticket_actions.py).
PERSONAL_TEXT = ("message", "commented", "reopened")
PERSONAL_KEYS = ("text", "note", "photo", "voice", "web_photo")


@dataclass(frozen=True, slots=True)
class Forgotten:
    tickets_kept: int  # their unfinished tickets, now without their name
    handed_over: int  # tickets they handled as staff, now with the next person in line


class ForgetService:
    def __init__(
        self,
        config: Config,
        db: Database,
        translations: Translations,
        clock: Clock,
        audience: TicketAudience,
        joins: JoinService,
    ) -> None:
        self.config = config
        self.db = db
        self.notifier = Notifier(translations)
        self.clock = clock
        self.audience = audience
        self.joins = joins

    async def forget(
        self, person: Person, farewell: Callable[[AsyncSession], Awaitable[None]] | None = None
    ) -> Forgotten:
        """``farewell``: what a door writes in the same commit (the WeChat door's "done",
        to an OpenID that no contact holds any more)."""
        now = self.clock()
        async with self.db.session() as session:
            people = PersonRepository(session)
            current = await people.get(person.id)
            if current is None:
                raise ServiceError("forget-already")
            repo = ForgetRepository(session)
            handled = await repo.handled_tickets(person.id)
            held = set(await repo.held(person.id))
            to_decide = await JoinRepository(session).pending_copies_of(person.id)
            authored = await repo.authored_unfinished(person.id)
            every_authored = await repo.authored(person.id)
            served = [
                r for r in await people.building_roles(person.id) if r.role is not Role.RESIDENT
            ]
            await self._anonymise(session, person, now)
            for contact in current.contacts:
                await repo.drop_outbox(contact.as_address)
            await repo.drop_words(every_authored)
            await repo.drop_words_in_flight(every_authored)
            # Photos on none of their tickets (kept for a report never written): theirs alone.
            await WebFileRepository(session).drop_unfiled(person.id)
            for address in addresses_in(current, Channel.TELEGRAM):
                await repo.drop_chat(int(address))
            for openid in addresses_in(current, Channel.WECHAT):
                # The WeChat door's half-made choice keeps the OpenID (and photo keys) an hour.
                await WeChatPendingRepository(session).clear(openid)
                # The door's record of the events it handled names the OpenID too.
                await WeChatCallbackRepository(session).forget(openid)
            await people.drop_contacts(person.id)
            await session.flush()
            await repo.delete_person(person.id)
            # The database set the references to NULL and removed the rows that hung on the
            # person: forget the copies this session still holds.
            session.expire_all()
            handed_over = 0
            for ticket_id in handled:
                handed_over += await hand_over(
                    session, self.audience, ticket_id, now, released=ticket_id in held
                )
            for ticket_id in every_authored:  # finished ones too: their cards show no name
                ticket = await TicketRepository(session).get(ticket_id)
                if ticket is not None:  # the cards now say "former resident"
                    await self.audience.refresh_cards(session, ticket)
            for request_id in to_decide:
                await self.joins.hand_over(session, request_id, now)
            for role in served:
                await self._tell_office(session, role.building_id, role.role, now)
            if farewell is not None:
                await farewell(session)
            await session.commit()
        return Forgotten(len(authored), handed_over)

    async def _anonymise(self, session: AsyncSession, person: Person, now: datetime) -> None:
        repo = ForgetRepository(session)
        await repo.release_holds(person.id, now)
        await repo.anonymise_authored(person.id)
        for event in await repo.events_by(person.id, PERSONAL_TEXT):
            if event.kind == "message" and event.data.get("direction") != "to-staff":
                continue  # a head's reply to a resident belongs to the ticket
            kept = {k: v for k, v in event.data.items() if k not in PERSONAL_KEYS}
            photo = event.data.get("web_photo")
            if photo:  # a photo from WeChat or the web door: its bytes are here, not at Telegram
                await WebFileRepository(session).drop(str(photo))
            event.data = {**kept, "forgotten": True}
        joins = JoinRepository(session)
        for request in await repo.join_requests(person.id):
            was_pending = request.status is JoinStatus.PENDING
            if was_pending:
                await joins.settle(request.id, JoinStatus.WITHDRAWN, now, person_id=person.id)
            request.display_name, request.flat = "", None
            if was_pending:  # the approvers' copies lose the name and their buttons
                await session.flush()
                await refresh_copies(session, request, now)

    async def _tell_office(
        self, session: AsyncSession, building_id: int, role: Role, now: datetime
    ) -> None:
        """The community office learns that a building lost its head (not who it was)."""
        communities = CommunityRepository(session)
        building = await communities.building(building_id)
        if building is None:
            return
        office: list[Person | Address] = [*await communities.coordinators_of(building.community_id)]
        for recipient in office or admin_addresses(self.config):
            await self.notifier.tell(
                session,
                recipient,
                "forget-staff-notice",
                now,
                role=role.value,
                building=building.name,
            )
