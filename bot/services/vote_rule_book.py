"""A community's own vote rules ("Both rules are presets; a community can define its own",
issue 13): the office (an admin, or a coordinator of the whole community: who may change its
settings) names a rule in its own words and sets the turnout and approval shares; heads see
them. A rule is never changed once written; one in use can only be retired (hidden from new
votes). A vote copies the thresholds it is opened with (Vote.rule_spec), so neither retiring
nor anything else later moves an open or closed vote's result.

A rule is chosen by ``preset name`` ("major", "ordinary") or ``c<id>`` (a community's rule);
another community's rule, a retired one or nonsense is refused alike and nothing changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.access import Coverage
from bot.services.clock import Clock
from bot.services.errors import InputRefused, ServiceError
from bot.services.join_rules import covers, join_area
from bot.services.vote_rules import (
    CUSTOM,
    RULES,
    Rule,
    ShareInvalid,
    fraction_text,
    from_spec,
    parse_share,
)
from bot.text import one_line
from storage.db import Database
from storage.models import Building, Person, VoteRule
from storage.repositories import CommunityRepository
from storage.repositories.vote_rules import VoteRuleRepository

NAME_MAX = 40
CUSTOM_PREFIX = "c"


def rule_from_row(row: VoteRule) -> Rule:
    return from_spec(kept(row))


def kept(row: VoteRule) -> dict[str, Any]:
    """What a vote opened with this rule keeps: its id, its name and its thresholds."""
    return {
        "id": row.id,
        "name": row.name,
        "turnout": row.turnout,
        "approve": row.approve,
        "turnout_strict": row.turnout_strict,
        "approve_strict": row.approve_strict,
    }


def choice_value(row: VoteRule) -> str:
    return f"{CUSTOM_PREFIX}{row.id}"


@dataclass(frozen=True, slots=True)
class Chosen:
    """What a vote stores: ``Vote.rule`` and ``Vote.rule_spec``, and the rule to show."""

    name: str
    spec: dict[str, Any] | None
    rule: Rule


@dataclass(frozen=True, slots=True)
class RuleLine:
    row: VoteRule
    rule: Rule
    votes: int  # votes opened with it


class VoteRuleBook:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------------ the office

    @staticmethod
    def may_change(seen: Coverage, community_id: int) -> bool:
        return seen.admin or community_id in seen.community_ids

    async def _may_see(self, session: AsyncSession, seen: Coverage, community_id: int) -> bool:
        if self.may_change(seen, community_id):
            return True
        found = await session.scalar(
            select(Building.id).where(
                Building.community_id == community_id,
                Building.id.in_(sorted(seen.building_ids)),
            )
        )
        return found is not None

    async def listed(self, seen: Coverage, community_id: int) -> list[RuleLine]:
        """The community's rules, retired ones too, each with how many votes used it."""
        async with self.db.session() as session:
            if not await self._may_see(session, seen, community_id):
                raise ServiceError("not-allowed")
            repo = VoteRuleRepository(session)
            used = await repo.votes_using(community_id)
            return [
                RuleLine(row, rule_from_row(row), used.get(row.id, 0))
                for row in await repo.rules(community_id)
            ]

    @staticmethod
    def check_name(name: str) -> str:
        name = one_line(name)
        if not name or len(name) > NAME_MAX:
            raise InputRefused("vote-rule-name-invalid", max=NAME_MAX)
        return name

    @staticmethod
    def check_share(text: str) -> str:
        """A share as written ("2/3", "51%", "0.6") as a reduced fraction, "2/3"."""
        try:
            return fraction_text(parse_share(text))
        except ShareInvalid:
            raise InputRefused("vote-rule-share-invalid", share=text.strip()[:20]) from None

    async def define(
        self,
        seen: Coverage,
        person_id: int | None,  # None: the operator's CLI
        community_id: int,
        name: str,
        turnout: str,
        approve: str,
        *,
        approve_strict: bool,
        turnout_strict: bool = False,
    ) -> VoteRule:
        name = self.check_name(name)
        turnout_share, approve_share = self.check_share(turnout), self.check_share(approve)
        if not self.may_change(seen, community_id):
            raise ServiceError("not-allowed")
        async with self.db.session() as session:
            if await CommunityRepository(session).get(community_id) is None:
                raise ServiceError("not-allowed")
            repo = VoteRuleRepository(session)
            if name.lower() in RULES or await repo.named(community_id, name) is not None:
                raise InputRefused("vote-rule-name-taken", name=name)
            try:
                row = await repo.add(
                    VoteRule(
                        community_id=community_id,
                        name=name,
                        turnout=turnout_share,
                        approve=approve_share,
                        turnout_strict=turnout_strict,
                        approve_strict=approve_strict,
                        created_by=person_id,
                        created_at=self.clock(),
                    )
                )
                await session.commit()
            except IntegrityError:  # the same name written meanwhile (a double click)
                await session.rollback()
                raise InputRefused("vote-rule-name-taken", name=name) from None
            return row

    async def retire(
        self, seen: Coverage, rule_id: int, community_id: int | None = None
    ) -> VoteRule:
        """Hidden from new votes; the votes opened with it keep their thresholds. With
        ``community_id``, a rule of another community is refused like a missing one."""
        async with self.db.session() as session:
            repo = VoteRuleRepository(session)
            row = await repo.rule(rule_id)
            if (
                row is None
                or not self.may_change(seen, row.community_id)
                or community_id not in (None, row.community_id)
            ):
                raise ServiceError("not-allowed")
            if not await repo.retire(row.id, self.clock()):
                raise ServiceError("vote-rule-retired", name=row.name)
            await session.commit()
            await session.refresh(row)
            return row

    # ---------------------------------------------------------------- opening a vote

    async def offered(self, person: Person, building_id: int) -> list[VoteRule]:
        """The community's active rules for a vote in this building (the organiser's)."""
        async with self.db.session() as session:
            building = await self._building(session, person, building_id)
            return list(await VoteRuleRepository(session).rules(building.community_id, active=True))

    async def choose(self, person: Person, building_id: int, value: str) -> Chosen:
        async with self.db.session() as session:
            building = await self._building(session, person, building_id)
            return await resolve(session, building, value)

    async def _building(self, session: AsyncSession, person: Person, building_id: int) -> Building:
        building = await CommunityRepository(session).building(building_id)
        if building is None or not covers(await join_area(session, person, self.config), building):
            raise ServiceError("not-allowed")
        return building


async def resolve(session: AsyncSession, building: Building, value: str) -> Chosen:
    """A preset by name, or an active rule of the building's own community by ``c<id>``;
    anything else (another community's rule, a retired one, a forged value) is refused."""
    preset = RULES.get(value)
    if preset is not None:
        return Chosen(preset.name, None, preset)
    digits = value[len(CUSTOM_PREFIX) :]
    numeric = digits.isascii() and digits.isdigit() and len(digits) < 12
    if value.startswith(CUSTOM_PREFIX) and numeric:
        row = await VoteRuleRepository(session).rule(int(digits))
        if row is not None and row.community_id == building.community_id:
            if row.retired_at is not None:
                raise ServiceError("vote-rule-retired", name=row.name)
            return Chosen(CUSTOM, kept(row), rule_from_row(row))
    raise ServiceError("vote-rule-unavailable")
