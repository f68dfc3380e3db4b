"""Who a ticket may be routed to (bot/services/routing.py decides among them), read in one
statement as rows: the building's heads and deputies, its own coordinators and the community's,
and the administrators who have written (their Telegram chats given), each with where a card
to them goes. These were three statements of mapped people and their contacts (the heads, the
coordinators, one per administrator) at every report's Send; routing only reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Channel, Contact, CoordinatorScope, Membership, Person, Role, table_of
from storage.repositories.people import address_among
from storage.rows import ContactRow, Reach, StaffRow


@dataclass(frozen=True, slots=True)
class Candidates:
    heads: list[tuple[StaffRow, Role]]  # heads before deputies, then by seniority
    own: list[StaffRow]  # the building's coordinators, by id
    whole: list[StaffRow]  # the community's, by id
    admins: list[StaffRow]  # in the order of the chats given, each person once

    def everyone(self) -> list[StaffRow]:
        return [*(p for p, _ in self.heads), *self.own, *self.whole, *self.admins]


_PEOPLE, _CONTACTS = table_of(Person), table_of(Contact)
_MEMBERS, _SCOPES = table_of(Membership), table_of(CoordinatorScope)
_ADMIN = _CONTACTS.alias("admin_contact")
# Each part's row: which part, what places the person in it (a head's role and since, a
# coordinator's scope, an administrator's chat; null in the other parts), the person, and one
# of their contacts (null without any: a row per contact).
_HEAD, _COORDINATOR, _ADMINISTRATOR = 0, 1, 2
_PERSON = (_PEOPLE.c.id, _PEOPLE.c.away_until, _PEOPLE.c.unreachable_since, _PEOPLE.c.language)
_CONTACT = tuple(_CONTACTS.c[name] for name in ContactRow._fields)
_WITH_CONTACTS = _CONTACTS.c.person_id == _PEOPLE.c.id
_PLACE = 5  # the person's columns begin here
_CONTACT_AT = _PLACE + len(_PERSON)


def _candidates() -> CompoundSelect[Any]:
    building_id = bindparam("building_id", type_=Integer)
    no_role, no_since = cast(null(), _MEMBERS.c.role.type), cast(null(), _MEMBERS.c.since.type)
    no_scope, no_chat = cast(null(), Integer), cast(null(), String)
    heads = (
        select(literal_column(str(_HEAD)), _MEMBERS.c.role, _MEMBERS.c.since, no_scope, no_chat)
        .add_columns(*_PERSON, *_CONTACT)
        .select_from(
            _PEOPLE.join(_MEMBERS, _MEMBERS.c.person_id == _PEOPLE.c.id).outerjoin(
                _CONTACTS, _WITH_CONTACTS
            )
        )
        .where(
            _MEMBERS.c.building_id == building_id,
            _MEMBERS.c.role.in_([Role.HEAD, Role.DEPUTY]),
        )
    )
    coordinators = (
        select(literal_column(str(_COORDINATOR)), no_role, no_since, _SCOPES.c.building_id, no_chat)
        .add_columns(*_PERSON, *_CONTACT)
        .select_from(
            _PEOPLE.join(_SCOPES, _SCOPES.c.person_id == _PEOPLE.c.id).outerjoin(
                _CONTACTS, _WITH_CONTACTS
            )
        )
        .where(
            _SCOPES.c.community_id == bindparam("community_id"),
            or_(_SCOPES.c.building_id == building_id, _SCOPES.c.building_id.is_(None)),
        )
    )
    admins = (
        select(literal_column(str(_ADMINISTRATOR)), no_role, no_since, no_scope, _ADMIN.c.address)
        .add_columns(*_PERSON, *_CONTACT)
        .select_from(
            _PEOPLE.join(
                _ADMIN,
                and_(
                    _ADMIN.c.person_id == _PEOPLE.c.id,
                    _ADMIN.c.channel == Channel.TELEGRAM,
                    _ADMIN.c.address.in_(bindparam("admin_chats", expanding=True)),
                ),
            ).outerjoin(_CONTACTS, _WITH_CONTACTS)
        )
    )
    return union_all(heads, coordinators, admins)


# Built once (its parameters bound at execution): building it anew costs more than running it.
_CANDIDATES = _candidates()


class CandidateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(
        self, community_id: int, building_id: int, admin_chats: Sequence[str]
    ) -> Candidates:
        """The building's heads and deputies, its coordinators and the community's (as
        ``TicketRepository.heads_and_deputies`` and ``coordinators`` give them), and the
        people reached at ``admin_chats`` in Telegram (as ``admin_people`` gives them)."""
        values = {
            "building_id": building_id,
            "community_id": community_id,
            "admin_chats": list(admin_chats),
        }
        people: dict[int, tuple[datetime | None, datetime | None, str | None]] = {}
        contacts: dict[int, dict[int, ContactRow]] = {}
        heads: dict[tuple[int, Role], datetime] = {}
        own: set[int] = set()
        whole: set[int] = set()
        chats: dict[str, int] = {}
        for row in await self.session.execute(_CANDIDATES, values):
            part, role, since, scope, chat = row[:_PLACE]
            person_id, away_until, unreachable_since, language = row[_PLACE:_CONTACT_AT]
            people[person_id] = (away_until, unreachable_since, language)
            if row[_CONTACT_AT] is not None:
                contact = ContactRow._make(row[_CONTACT_AT:])
                contacts.setdefault(person_id, {})[contact.id] = contact
            if part == _HEAD:
                heads[(person_id, Role(role))] = since
            elif part == _COORDINATOR:
                (whole if scope is None else own).add(person_id)
            else:
                chats[chat] = person_id

        def staff(person_id: int) -> StaffRow:
            away_until, unreachable_since, language = people[person_id]
            address = address_among(contacts.get(person_id, {}).values())
            reach = Reach(person_id, language, address)
            return StaffRow(person_id, away_until, unreachable_since, reach)

        def seniority(head: tuple[tuple[int, Role], datetime]) -> tuple[bool, datetime, int]:
            (person_id, role), since = head
            return role != Role.HEAD, since, person_id

        admins = list(dict.fromkeys(chats[chat] for chat in admin_chats if chat in chats))
        return Candidates(
            [(staff(p), role) for (p, role), _ in sorted(heads.items(), key=seniority)],
            [staff(p) for p in sorted(own)],
            [staff(p) for p in sorted(whole)],
            [staff(p) for p in admins],
        )
