"""Every building has a head: a scan offers the residents of a building without a head the
chance to serve ("Your building has no head yet; would you like to serve?"), at most once a
quarter per resident and never in quiet hours. A "yes" reaches the building's coordinators
(else the community's, else the admins) with Accept and Decline. Accept makes a head
invitation (the staff invitations of bot/services/community.py) that the resident redeems with
one press; Decline sends the coordinator's short note to the resident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.access import coverage
from bot.services.clock import Clock
from bot.services.contacts import admin_people
from bot.services.errors import InputRefused, ServiceError, Spent
from bot.services.links import PayloadKind, make_payload, new_token
from bot.services.scheduling import SchedAction, sla_of, translator, write
from bot.services.sla import local, may_send
from bot.text import utf16_len
from storage.db import Database
from storage.models import Building, Community, Person, Role, ServeOffer, ServeOfferStatus
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.invitations import InvitationRepository
from storage.repositories.sla import SlaRepository
from storage.repositories.stats import Scope
from storage.repositories.tickets import TicketRepository
from storage.repositories.volunteering import VolunteeringRepository

QUARTER = timedelta(days=91)
OFFERS_PER_SCAN = 200  # per community: the rest wait for the next scan
MAX_NOTE = 500
Offer = ServeOfferStatus


@dataclass(frozen=True, slots=True)
class Decided:
    offer: ServeOffer
    building: Building


class ServingService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    async def offer_due(self) -> int:
        """The scheduler's scan: one offer to each resident of a head-less building not
        offered in the last quarter; each offer is written with its message."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        written = 0
        for community in communities:
            await self._count_week(community, now)
            if not may_send(now, sla_of(community)):
                continue  # waits for the morning
            async with self.db.session() as session:
                repo = VolunteeringRepository(session)
                found = await repo.headless_residents(community.id, now - QUARTER)
                for person, building in found[:OFFERS_PER_SCAN]:
                    offer = ServeOffer(
                        person_id=person.id,
                        building_id=building.id,
                        status=Offer.OFFERED,
                        offered_at=now,
                    )
                    await repo.add(offer)
                    t = translator(self.translations, person)
                    await write(
                        session,
                        person,
                        now,
                        t("serve-offer", building=building.name),
                        buttons=[[(t("serve-btn-yes"), SchedAction.SERVE_YES.value, offer.id)]],
                    )
                    written += 1
                await session.commit()
        return written

    async def _count_week(self, community: Community, now: datetime) -> None:
        """This week's coverage, for the digest's coverage over time (per estate too)."""
        today = local(now, sla_of(community)).date()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            buildings, with_head = await repo.count_coverage(community.id)
            monday = today - timedelta(days=today.weekday())
            await repo.save_week(community.id, monday, buildings, with_head, now)
            # Per estate too (bot/services/estates.py); nothing while no building has one.
            await repo.save_estate_week(
                community.id, monday, await repo.count_estates(community.id), now
            )
            await session.commit()

    async def _deciders(self, session: AsyncSession, building: Building) -> list[Person]:
        tickets = TicketRepository(session)
        for building_id in (building.id, None):
            found = await tickets.coordinators(building.community_id, building_id)
            if found:
                return list(found)
        return await admin_people(PersonRepository(session), self.config)

    async def volunteer(self, person: Person, offer_id: int) -> Building:
        """The resident said yes: the coordinators get Accept / Decline."""
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            offer = await repo.offer(offer_id)
            if offer is None or offer.person_id != person.id:
                raise ServiceError("serve-not-yours")
            building = await CommunityRepository(session).building(offer.building_id)
            assert building is not None
            if await repo.has_head(building.id):
                raise Spent("serve-has-head", building=building.name)
            if not await repo.move_offer(
                offer.id, Offer.OFFERED, status=Offer.VOLUNTEERED, answered_at=now
            ):
                raise Spent("serve-answered")
            for decider in await self._deciders(session, building):
                t = translator(self.translations, decider)
                text = t(
                    "serve-volunteered", name=person.display_name or "—", building=building.name
                )
                buttons = [
                    [
                        (t("serve-btn-accept"), SchedAction.SERVE_ACCEPT.value, offer.id),
                        (t("serve-btn-decline"), SchedAction.SERVE_DECLINE.value, offer.id),
                    ]
                ]
                staff = Scope(building.community_id, (building.id,))
                await write(session, decider, now, text, buttons=buttons, staff=staff)
            await session.commit()
            return building

    async def _decidable(self, session: AsyncSession, person: Person, offer_id: int) -> Decided:
        offer = await VolunteeringRepository(session).offer(offer_id)
        if offer is None:
            raise Spent("serve-answered")
        building = await CommunityRepository(session).building(offer.building_id)
        assert building is not None
        cover = await coverage(session, self.config, person)
        heads_only = {
            r.building_id
            for r in await PersonRepository(session).building_roles(person.id)
            if r.role in (Role.HEAD, Role.DEPUTY)
        }
        coordinates = (
            cover.admin
            or building.community_id in cover.community_ids
            or (building.id in cover.building_ids and building.id not in heads_only)
        )
        if not coordinates:
            raise ServiceError("serve-not-coordinator")
        if offer.status is not Offer.VOLUNTEERED:
            raise Spent("serve-decided")
        return Decided(offer, building)

    async def check_decline(self, person: Person, offer_id: int) -> Building:
        """Before asking the coordinator for the note."""
        async with self.db.session() as session:
            return (await self._decidable(session, person, offer_id)).building

    async def accept(self, person: Person, offer_id: int) -> Building:
        """One tap: a head invitation for the volunteer, who gets a button to take it."""
        now = self.clock()
        async with self.db.session() as session:
            decided = await self._decidable(session, person, offer_id)
            token = new_token()
            await InvitationRepository(session).add(
                token=token,
                role=Role.HEAD,
                community_id=decided.building.community_id,
                building_id=decided.building.id,
                created_by=person.id,
                now=now,
                expires_at=now + timedelta(days=self.config.invite_ttl_days),
            )
            if not await VolunteeringRepository(session).move_offer(
                offer_id,
                Offer.VOLUNTEERED,
                status=Offer.ACCEPTED,
                decided_by=person.id,
                decided_at=now,
                invitation_token=token,
            ):
                raise Spent("serve-decided")
            volunteer = await PersonRepository(session).get(decided.offer.person_id)
            if volunteer is not None:
                t = translator(self.translations, volunteer)
                await write(
                    session,
                    volunteer,
                    now,
                    t("serve-accepted", building=decided.building.name),
                    buttons=[[(t("serve-btn-take"), SchedAction.SERVE_TAKE.value, offer_id)]],
                )
            await session.commit()
            return decided.building

    async def decline(self, person: Person, offer_id: int, note: str) -> Building:
        note = note.strip()
        if not note:
            raise InputRefused("serve-note-empty")
        if utf16_len(note) > MAX_NOTE:
            raise InputRefused("serve-note-long", max=MAX_NOTE)
        now = self.clock()
        async with self.db.session() as session:
            decided = await self._decidable(session, person, offer_id)
            if not await VolunteeringRepository(session).move_offer(
                offer_id,
                Offer.VOLUNTEERED,
                status=Offer.DECLINED,
                decided_by=person.id,
                decided_at=now,
                note=note,
            ):
                raise Spent("serve-decided")
            volunteer = await PersonRepository(session).get(decided.offer.person_id)
            if volunteer is not None:
                t = translator(self.translations, volunteer)
                text = t("serve-declined", building=decided.building.name, note=note)
                await write(session, volunteer, now, text)
            await session.commit()
            return decided.building

    async def invitation(self, person: Person, offer_id: int) -> str:
        """The accepted volunteer's invitation payload (redeemed by onboarding)."""
        async with self.db.session() as session:
            offer = await VolunteeringRepository(session).offer(offer_id)
        if offer is None or offer.person_id != person.id:
            raise ServiceError("serve-not-yours")
        if offer.status is not Offer.ACCEPTED or offer.invitation_token is None:
            raise Spent("serve-answered")
        return make_payload(PayloadKind.INVITE, offer.invitation_token)
