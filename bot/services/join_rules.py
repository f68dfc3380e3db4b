"""The rules of joining a building that the resident's side (bot/services/joins.py) and the
approvers' side (bot/services/join_approvals.py) share: the community's ``join_policy``, who may
decide for a building, and the approvers' cards (outbox rows rendered at delivery)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.services.contacts import is_admin
from bot.services.errors import ServiceError
from bot.services.messages import write
from storage.models import Building, JoinRequest, JoinStatus, OutboxKind, Person, Role
from storage.repositories import PersonRepository
from storage.repositories.joins import JoinArea, JoinRepository
from storage.repositories.people import address_of


class JoinPolicy(StrEnum):
    OPEN = "open"
    APPROVE = "approve"
    LINK_ONLY = "link_only"


DEFAULT_POLICY = JoinPolicy.APPROVE


def join_policy(settings: Mapping[str, Any] | None) -> JoinPolicy:
    """The community's policy; a value that is not one (written by hand into the database) is
    read as the careful default rather than as "open"."""
    value = (settings or {}).get("join_policy")
    try:
        return JoinPolicy(value) if value is not None else DEFAULT_POLICY
    except ValueError:
        return DEFAULT_POLICY


class JoinStale(ServiceError):
    """The request was decided (or withdrawn) before this press; nothing changed."""

    def __init__(self, request: JoinRequest) -> None:
        super().__init__("jr-stale", status=request.status.value)
        self.request = request


async def join_area(session: AsyncSession, person: Person, config: Config) -> JoinArea:
    if is_admin(config, person):
        return JoinArea(everywhere=True)
    people = PersonRepository(session)
    roles = await people.building_roles(person.id)
    areas = await people.coordinator_areas(person.id)
    buildings = [r.building_id for r in roles if r.role in (Role.HEAD, Role.DEPUTY)]
    buildings += [a.building_id for a in areas if a.building_id is not None]
    communities = [a.community_id for a in areas if a.building_id is None]
    return JoinArea(tuple(buildings), tuple(communities))


def covers(area: JoinArea, building: Building) -> bool:
    return (
        area.everywhere
        or building.id in area.building_ids
        or building.community_id in area.community_ids
    )


async def refresh_copies(session: AsyncSession, request: JoinRequest, now: datetime) -> None:
    """Every approver's copy shows the request as it is now (edited in place on delivery)."""
    people = PersonRepository(session)
    for copy in await JoinRepository(session).copies(request.id):
        approver = await people.get(copy.person_id)
        if approver is not None:
            await card_row(session, request, approver, now)


async def card_row(
    session: AsyncSession, request: JoinRequest, approver: Person, now: datetime
) -> None:
    to = address_of(approver)
    if to is None:
        return
    await write(
        session,
        to=to,
        person_id=approver.id,
        kind=OutboxKind.JOIN_CARD,
        payload={"request_id": request.id},
        now=now,
    )


async def settle_on_join(
    session: AsyncSession, person_id: int, building_id: int, now: datetime
) -> None:
    """The person joined the building another way (its link, or as its staff): a request of
    theirs still pending there is closed, and its approvers' copies say so."""
    joins = JoinRepository(session)
    request = await joins.pending(person_id, building_id)
    if request is not None and await joins.settle(request.id, JoinStatus.JOINED, now):
        await refresh_copies(session, request, now)
