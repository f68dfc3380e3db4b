"""Service hours (服务时长): a person's hours, the one place where hours become confirmed
(``hours_confirmed``: the points bank credits there), and help to a neighbour that a resident
logs in their own words (the neighbour is not named: privacy) and the head of their building
confirms or declines. An activity's hours are credited at check-in and confirmed by its
organiser (bot/services/volunteering.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.errors import InputRefused, ServiceError, Spent
from bot.services.points import EarningRule, award
from bot.services.scheduling import SchedAction, translator, write
from bot.text import utf16_len
from storage.db import Database
from storage.models import (
    HoursStatus,
    Person,
    PointsReason,
    Role,
    ServiceHours,
    VolunteerActivity,
)
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.volunteering import VolunteeringRepository

MAX_HOURS = 24.0
MAX_NOTE = 500
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:[.,]\d)?)\s*$")


@dataclass(frozen=True, slots=True)
class HoursSummary:
    confirmed: float
    waiting: float  # credited at check-in or logged, not confirmed yet


def fmt_hours(hours: float) -> str:
    return f"{hours:g}"


def read_number(text: str) -> float | None:
    """A number as people type it: ``2``, ``1.5``, ``1,5``."""
    match = _NUMBER.match(text)
    return float(match.group(1).replace(",", ".")) if match else None


async def hours_confirmed(
    session: AsyncSession,
    rows: Sequence[ServiceHours],
    confirmed_by: Person,
    now: datetime,
) -> None:
    """Where service hours become confirmed, in the confirming unit of work: an activity's
    (VolunteeringService.confirm_hours) or a neighbour's help (decide_help). The points bank
    credits each row here, in the same transaction: the community's ``points_per_service_hour``
    times the hours, once per row."""
    for row in rows:
        community_id = await _community_of(session, row)
        if community_id is None:
            continue  # its building was removed: hours stay on record, no rule to pay by
        await award(
            session,
            now=now,
            community_id=community_id,
            person_id=row.person_id,
            points=EarningRule.PER_SERVICE_HOUR,
            reason=PointsReason.SERVICE_HOURS,
            reference=f"activity:{row.activity_id}" if row.activity_id else f"help:{row.id}",
            approved_by=confirmed_by.id,
            quantity=row.hours,
            once=f"hours:{row.id}",
        )


async def _community_of(session: AsyncSession, row: ServiceHours) -> int | None:
    if row.activity_id is not None:
        activity = await session.get(VolunteerActivity, row.activity_id)
        return None if activity is None else activity.community_id
    if row.building_id is not None:
        building = await CommunityRepository(session).building(row.building_id)
        return None if building is None else building.community_id
    return None


class ServiceHoursService:
    def __init__(
        self, config: Config, db: Database, translations: Translations, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.translations = translations
        self.clock = clock

    async def hours(self, person: Person) -> HoursSummary:
        async with self.db.session() as session:
            totals = await VolunteeringRepository(session).totals(person.id)
        waiting = totals.get(HoursStatus.CREDITED, 0.0) + totals.get(HoursStatus.PENDING, 0.0)
        return HoursSummary(totals.get(HoursStatus.CONFIRMED, 0.0), waiting)

    async def log_help(self, person: Person, hours_text: str, note: str) -> ServiceHours:
        """ "I helped a neighbour": hours and what was done, to the head(s) of the resident's
        building to confirm. The neighbour is not named (privacy)."""
        hours = read_number(hours_text)
        if hours is None or not 0 < hours <= MAX_HOURS:
            raise InputRefused("vol-form-hours", max=fmt_hours(MAX_HOURS))
        note = note.strip()
        if not note:
            raise InputRefused("vol-help-usage")
        if utf16_len(note) > MAX_NOTE:
            raise InputRefused("vol-help-long", max=MAX_NOTE)
        now = self.clock()
        async with self.db.session() as session:
            roles = await PersonRepository(session).building_roles(person.id)
            homes = [r.building_id for r in roles if r.role is Role.RESIDENT]
            if not homes:
                raise ServiceError("vol-help-no-building")
            communities = CommunityRepository(session)
            heads = [p for p, role in await communities.heads_of(homes[0]) if role is Role.HEAD]
            if not heads:
                raise ServiceError("vol-help-no-head")
            row = ServiceHours(
                person_id=person.id,
                building_id=homes[0],
                note=note,
                hours=hours,
                status=HoursStatus.PENDING,
                created_at=now,
            )
            await VolunteeringRepository(session).add(row)
            building = await communities.building(homes[0])
            assert building is not None
            for head in heads:
                t = translator(self.translations, head)
                text = t(
                    "vol-help-ask",
                    building=building.name,
                    hours=fmt_hours(hours),
                    note=note,
                )
                buttons = [
                    [
                        (t("vol-btn-help-ok"), SchedAction.HELP_OK.value, row.id),
                        (t("vol-btn-help-no"), SchedAction.HELP_NO.value, row.id),
                    ]
                ]
                await write(session, head, now, text, buttons=buttons)
            await session.commit()
            return row

    async def decide_help(self, person: Person, hours_id: int, approve: bool) -> ServiceHours:
        now = self.clock()
        async with self.db.session() as session:
            repo = VolunteeringRepository(session)
            row = await repo.hours_row(hours_id)
            if row is None or row.building_id is None or row.activity_id is not None:
                raise Spent("vol-help-gone")
            roles = await PersonRepository(session).building_roles(person.id)
            if not any(
                r.building_id == row.building_id and r.role in (Role.HEAD, Role.DEPUTY)
                for r in roles
            ):
                raise ServiceError("vol-not-allowed")
            if row.person_id == person.id:
                raise ServiceError("vol-help-own")
            to = HoursStatus.CONFIRMED if approve else HoursStatus.DECLINED
            if not await repo.decide(row.id, HoursStatus.PENDING, to, person.id, now):
                raise Spent("vol-help-gone")
            await session.refresh(row)
            if approve:
                await hours_confirmed(session, [row], person, now)
            helper = await PersonRepository(session).get(row.person_id)
            if helper is not None:
                t = translator(self.translations, helper)
                key = "vol-help-confirmed" if approve else "vol-help-declined"
                await write(session, helper, now, t(key, hours=fmt_hours(row.hours)))
            await session.commit()
            return row
