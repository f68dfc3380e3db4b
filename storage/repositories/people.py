from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, exists, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload
from sqlalchemy.orm.util import identity_key

from storage.by_id import by_id
from storage.cache import cache_of
from storage.models import (
    Address,
    Building,
    Channel,
    Community,
    Contact,
    CoordinatorScope,
    Membership,
    Person,
    Role,
    table_of,
)
from storage.rows import ContactView, Reach


@dataclass(frozen=True, slots=True)
class BuildingRole:
    building_id: int
    building_code: str
    building_name: str
    community_name: str
    role: Role
    flat: str | None


@dataclass(frozen=True, slots=True)
class CoordinatorArea:
    community_id: int
    community_name: str
    building_id: int | None
    building_name: str | None


# The channels a door delivers notifications to today (WeChat: wechat/sender.py). A web contact
# delivers only with a push subscription (``reachable``): without one its person reads the
# ticket page instead.
DELIVERING: frozenset[str] = frozenset({Channel.TELEGRAM, Channel.WEB, Channel.WECHAT})


def reachable(contact: ContactView) -> bool:
    """A contact a notification can reach: a web browser only once it gave a subscription."""
    return contact.channel != Channel.WEB or contact.push is not None


def address_of(person: Person, channels: frozenset[str] = DELIVERING) -> Address | None:
    """Where a notification to ``person`` goes: the contact they used last among the channels
    that deliver; None when they have none (they used /forgetme, or only a door that cannot
    notify: a browser that gave no push subscription)."""
    return address_among(person.contacts, channels)


def address_among(
    contacts: Iterable[ContactView], channels: frozenset[str] = DELIVERING
) -> Address | None:
    """``address_of`` a person with these contacts (read as rows, or their ``contacts``)."""
    usable = [c for c in contacts if c.channel in channels and reachable(c)]
    if not usable:
        return None
    last = max(usable, key=lambda c: (c.last_used_at, c.id))
    return Address(last.channel, last.address)


def reach_of(person: Person) -> Reach:
    """What a card or a notice sent to ``person`` reads of them."""
    return Reach(person.id, person.language, address_of(person))


def addresses_in(person: Person, channel: str) -> list[str]:
    """The person's addresses in one channel (their Telegram user ids, as text)."""
    return [c.address for c in person.contacts if c.channel == channel]


# Built once, their parameters bound at execution: the statements every update or report asks.
# A statement built anew costs its construction and a new cache key (~0.2-0.4 ms each for
# these), more than running it; a built one keeps its key.
_BY_CONTACT = (
    select(Person)
    .join(Contact, Contact.person_id == Person.id)
    # Their contacts joined in: one statement where the relationship's own "selectin" load
    # made two (every person's first update after a while asks this).
    .options(joinedload(Person.contacts))
    .where(Contact.channel == bindparam("channel"), Contact.address == bindparam("address"))
)
_IDS: BindParameter[list[int]] = bindparam("person_ids", expanding=True)
_PEOPLE = table_of(Person)
_WITH_CONTACTS = select(Person).options(joinedload(Person.contacts)).where(Person.id.in_(_IDS))
_WITHOUT_CONTACTS = select(Person).options(raiseload(Person.contacts)).where(Person.id.in_(_IDS))
_MARKED = (
    select(
        Person,
        exists().where(
            Contact.person_id == Person.id,
            Contact.channel == bindparam("marked_channel"),
            Contact.address.in_(bindparam("marked_addresses", expanding=True)),
        ),
    )
    .options(raiseload(Person.contacts))
    .where(Person.id.in_(_IDS))
)
_NAMES = select(_PEOPLE.c.id, _PEOPLE.c.display_name).where(_PEOPLE.c.id.in_(_IDS))
_MEMBERSHIP = select(Membership).where(
    Membership.person_id == bindparam("person_id"),
    Membership.building_id == bindparam("building_id"),
    Membership.role == bindparam("role"),
)


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_contact(self, channel: str, address: str) -> Person | None:
        """The person reached at (channel, address), with their contacts."""
        found = await self.session.scalars(_BY_CONTACT, {"channel": channel, "address": address})
        return found.unique().first()

    async def get(self, person_id: int) -> Person | None:
        return await by_id(self.session, Person, person_id)

    async def preload(self, person_ids: Iterable[int]) -> None:
        """Loads these people (and their contacts) in one statement, so that ``get`` finds
        them in the session instead of asking for each (a ticket's recipients, followers)."""
        identity = self.session.identity_map
        missing = {i for i in person_ids if identity.get(identity_key(Person, i)) is None}
        if len(missing) > 1:
            # Their contacts joined in: one statement where the relationship's own "selectin"
            # load made two.
            found = await self.session.scalars(_WITH_CONTACTS, {"person_ids": list(missing)})
            found.unique().all()

    async def get_many(
        self, person_ids: Iterable[int], *, contacts: bool = True
    ) -> dict[int, Person]:
        """The people found among ``person_ids``, with their contacts, in one statement (none
        for those already in the session). ``contacts=False``: without them, for a reader that
        needs only the people's own columns (names, phones, languages): joining the contacts
        made most of the statement's cost; reading ``contacts`` of those raises."""
        ids = set(person_ids)
        identity = self.session.identity_map
        found: dict[int, Person] = {}
        for person_id in ids:
            known = identity.get(identity_key(Person, person_id))
            if isinstance(known, Person):
                found[person_id] = known
        missing = ids - found.keys()
        if missing:
            query = _WITH_CONTACTS if contacts else _WITHOUT_CONTACTS  # one statement
            loaded = (await self.session.scalars(query, {"person_ids": list(missing)})).unique()
            found.update((person.id, person) for person in loaded)
        return found

    async def get_many_marked(
        self, person_ids: Iterable[int], channel: str, addresses: Iterable[str]
    ) -> tuple[dict[int, Person], set[int]]:
        """``get_many(contacts=False)`` and who is reached where, in one statement: the people
        found among ``person_ids``, without their contacts, and those of them with a contact at
        one of ``addresses`` in ``channel`` (a delivery pass's readers, and which of them are
        administrators); no contact is asked without addresses."""
        ids, wanted = set(person_ids), set(addresses)
        if not wanted:
            return await self.get_many(ids, contacts=False), set()
        if not ids:
            return {}, set()
        values = {
            "person_ids": list(ids),
            "marked_channel": channel,
            "marked_addresses": list(wanted),
        }
        found: dict[int, Person] = {}
        marked: set[int] = set()
        for person, reached in await self.session.execute(_MARKED, values):
            found[person.id] = person
            if reached:
                marked.add(person.id)
        return found, marked

    async def display_names(self, person_ids: Iterable[int]) -> dict[int, str]:
        """The display names of those found among ``person_ids``, as rows: no person loaded."""
        ids = set(person_ids)
        if not ids:
            return {}
        found = await self.session.execute(_NAMES, {"person_ids": list(ids)})
        return {row.id: row.display_name for row in found}

    async def add(self, contact: Address, display_name: str, now: datetime) -> Person:
        """A new person, reached at ``contact``."""
        person = Person(
            display_name=display_name,
            created_at=now,
            contacts=[
                Contact(
                    channel=contact.channel,
                    address=contact.address,
                    last_used_at=now,
                    created_at=now,
                )
            ],
        )
        self.session.add(person)
        await self.session.flush()
        return person

    async def ensure_contact(self, person_id: int, contact: Address, now: datetime) -> Contact:
        """``contact`` belongs to the person afterwards, used now: added, or moved from whoever
        had it (a second door linked with a one-time code)."""
        found = await self.session.scalar(
            select(Contact).where(
                Contact.channel == contact.channel, Contact.address == contact.address
            )
        )
        previous = None
        if found is None:
            found = Contact(
                person_id=person_id,
                channel=contact.channel,
                address=contact.address,
                last_used_at=now,
                created_at=now,
            )
            self.session.add(found)
        else:
            previous = found.person_id if found.person_id != person_id else None
            found.person_id = person_id
            found.last_used_at = now
        await self.session.flush()
        # The people's loaded contact lists follow (they are read after this, e.g. address_of).
        for owner_id in (person_id, previous):
            owner = None if owner_id is None else await self.session.get(Person, owner_id)
            if owner is not None:
                await self.session.refresh(owner, ["contacts"])
        return found

    async def used(self, contact: Contact, now: datetime) -> None:
        """The person wrote through ``contact`` now: notifications go there next."""
        contact.last_used_at = now
        await self.session.flush()

    async def drop_contacts(self, person_id: int) -> None:
        await self.session.execute(delete(Contact).where(Contact.person_id == person_id))

    async def drop_contact(self, contact: Address) -> None:
        """One door of a person closes (a browser's "forget this device")."""
        await self.session.execute(
            delete(Contact).where(
                Contact.channel == contact.channel, Contact.address == contact.address
            )
        )

    async def push_of(self, contact: Address) -> dict[str, Any] | None:
        """The Web Push subscription of a web contact (None: it gave none, or it is gone)."""
        return await self.session.scalar(
            select(Contact.push).where(
                Contact.channel == contact.channel, Contact.address == contact.address
            )
        )

    async def set_push(self, contact: Address, subscription: dict[str, Any] | None) -> bool:
        """The browser's subscription kept on its contact (None: dropped, the push service
        said it is gone, or the resident turned it off). False: no such contact."""
        found = await self.session.execute(
            update(Contact)
            .where(Contact.channel == contact.channel, Contact.address == contact.address)
            # SQL NULL, not JSON's null: "has a subscription" stays one test in SQL too.
            .values(push=null() if subscription is None else subscription)
        )
        changed = bool(getattr(found, "rowcount", 0))
        if subscription is not None and changed:
            # One browser, one device: a browser's subscription given again by another
            # device (its cookie cleared, the phone passed on) is that device's now. The old
            # device's pushes (its head's answers) would reach whoever holds the browser,
            # with a link its page refuses to open.
            await self.session.execute(
                update(Contact)
                .where(
                    Contact.channel == contact.channel,
                    Contact.address != contact.address,
                    Contact.push["endpoint"].as_string() == str(subscription["endpoint"]),
                )
                .values(push=null())
            )
        return changed

    async def mark_unreachable(self, contact: Address, now: datetime) -> None:
        """Telegram (or another door) said this address cannot be reached any more."""
        reached = select(Contact.person_id).where(
            Contact.channel == contact.channel, Contact.address == contact.address
        )
        await self.session.execute(
            update(Person)
            .where(Person.id.in_(reached.scalar_subquery()), Person.unreachable_since.is_(None))
            .values(unreachable_since=now)
        )

    # Memberships

    async def membership(self, person_id: int, building_id: int, role: Role) -> Membership | None:
        values = {"person_id": person_id, "building_id": building_id, "role": role}
        return await self.session.scalar(_MEMBERSHIP, values)

    async def add_membership(
        self, person_id: int, building_id: int, role: Role, now: datetime, flat: str | None = None
    ) -> Membership:
        membership = Membership(
            person_id=person_id, building_id=building_id, role=role, flat=flat, since=now
        )
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def remove_membership(self, person_id: int, building_id: int, role: Role) -> bool:
        result = await self.session.execute(
            delete(Membership).where(
                Membership.person_id == person_id,
                Membership.building_id == building_id,
                Membership.role == role,
            )
        )
        return int(getattr(result, "rowcount", 0)) > 0

    async def members(self, building_id: int, roles: Sequence[Role]) -> Sequence[Person]:
        """The building's people in these roles, longest-serving first."""
        query = (
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.building_id == building_id, Membership.role.in_(list(roles)))
            .order_by(Membership.since, Person.id)
        )
        return (await self.session.scalars(query)).all()

    async def building_roles(self, person_id: int) -> Sequence[BuildingRole]:
        cache = await cache_of(self.session)
        if cache is not None:
            found = cache.get("roles", ("buildings", person_id))
            if found is not None:
                return found  # type: ignore[no-any-return]
            epoch = cache.epoch
        roles = tuple(await self._building_roles(person_id))
        if cache is not None:
            cache.put("roles", ("buildings", person_id), roles, epoch, person_id)
        return roles

    async def _building_roles(self, person_id: int) -> Sequence[BuildingRole]:
        return (await self._building_roles_of({person_id})).get(person_id, [])

    async def building_roles_of(
        self, person_ids: Iterable[int]
    ) -> dict[int, Sequence[BuildingRole]]:
        """``building_roles`` of many people: the cached ones from the cache, the others in one
        statement."""
        return await self._cached_many("buildings", person_ids, self._building_roles_of)

    async def _building_roles_of(self, person_ids: set[int]) -> dict[int, list[BuildingRole]]:
        query = (
            select(Membership, Building, Community.name)
            .join(Building, Building.id == Membership.building_id)
            .join(Community, Community.id == Building.community_id)
            .where(Membership.person_id.in_(person_ids))
            .order_by(Community.name, Building.code, Membership.role)
        )
        found: dict[int, list[BuildingRole]] = {}
        for membership, building, community_name in (await self.session.execute(query)).all():
            found.setdefault(membership.person_id, []).append(
                BuildingRole(
                    building_id=building.id,
                    building_code=building.code,
                    building_name=building.name,
                    community_name=community_name,
                    role=membership.role,
                    flat=membership.flat,
                )
            )
        return found

    async def _cached_many(
        self,
        what: str,
        person_ids: Iterable[int],
        read: Callable[[set[int]], Awaitable[Mapping[int, Sequence[Any]]]],
    ) -> dict[int, Sequence[Any]]:
        """Each person's entry of the "roles" cache (``what``: "buildings" or "areas"), the
        missing ones read together and kept as the single reads keep them."""
        ids = set(person_ids)
        cache = await cache_of(self.session)
        found: dict[int, Sequence[Any]] = {}
        if cache is not None:
            for person_id in ids:
                hit = cache.get("roles", (what, person_id))
                if hit is not None:
                    found[person_id] = hit
            epoch = cache.epoch
        missing = ids - found.keys()
        if not missing:
            return found
        read_now = await read(missing)
        for person_id in missing:
            value = tuple(read_now.get(person_id, ()))
            found[person_id] = value
            if cache is not None:
                cache.put("roles", (what, person_id), value, epoch, person_id)
        return found

    # Coordinator scopes

    async def coordinator_areas(self, person_id: int) -> Sequence[CoordinatorArea]:
        cache = await cache_of(self.session)
        if cache is not None:
            found = cache.get("roles", ("areas", person_id))
            if found is not None:
                return found  # type: ignore[no-any-return]
            epoch = cache.epoch
        areas = tuple(await self._coordinator_areas(person_id))
        if cache is not None:
            cache.put("roles", ("areas", person_id), areas, epoch, person_id)
        return areas

    async def _coordinator_areas(self, person_id: int) -> Sequence[CoordinatorArea]:
        return (await self._coordinator_areas_of({person_id})).get(person_id, [])

    async def coordinator_areas_of(
        self, person_ids: Iterable[int]
    ) -> dict[int, Sequence[CoordinatorArea]]:
        """``coordinator_areas`` of many people, like ``building_roles_of``."""
        return await self._cached_many("areas", person_ids, self._coordinator_areas_of)

    async def _coordinator_areas_of(self, person_ids: set[int]) -> dict[int, list[CoordinatorArea]]:
        query = (
            select(CoordinatorScope, Community.name, Building.name)
            .join(Community, Community.id == CoordinatorScope.community_id)
            .outerjoin(Building, Building.id == CoordinatorScope.building_id)
            .where(CoordinatorScope.person_id.in_(person_ids))
            .order_by(Community.name, Building.code)
        )
        found: dict[int, list[CoordinatorArea]] = {}
        for scope, community_name, building_name in (await self.session.execute(query)).all():
            found.setdefault(scope.person_id, []).append(
                CoordinatorArea(
                    community_id=scope.community_id,
                    community_name=community_name,
                    building_id=scope.building_id,
                    building_name=building_name,
                )
            )
        return found

    async def add_coordinator_scope(
        self, person_id: int, community_id: int, building_id: int | None, now: datetime
    ) -> CoordinatorScope | None:
        """Adds the scope unless the person already has it (NULL building ids never collide in a
        unique constraint, so this checks first)."""
        query = select(CoordinatorScope).where(
            CoordinatorScope.person_id == person_id,
            CoordinatorScope.community_id == community_id,
            CoordinatorScope.building_id.is_(None)
            if building_id is None
            else CoordinatorScope.building_id == building_id,
        )
        if await self.session.scalar(query) is not None:
            return None
        scope = CoordinatorScope(
            person_id=person_id, community_id=community_id, building_id=building_id, since=now
        )
        self.session.add(scope)
        await self.session.flush()
        return scope

    async def remove_coordinator_scope(
        self, person_id: int, community_id: int, building_id: int | None
    ) -> bool:
        result = await self.session.execute(
            delete(CoordinatorScope).where(
                CoordinatorScope.person_id == person_id,
                CoordinatorScope.community_id == community_id,
                CoordinatorScope.building_id.is_(None)
                if building_id is None
                else CoordinatorScope.building_id == building_id,
            )
        )
        return int(getattr(result, "rowcount", 0)) > 0

    async def coordinators_of_area(
        self, community_id: int, building_id: int | None
    ) -> Sequence[Person]:
        """Who coordinates exactly this area: the whole community, or this one building."""
        query = (
            select(Person)
            .join(CoordinatorScope, CoordinatorScope.person_id == Person.id)
            .where(
                CoordinatorScope.community_id == community_id,
                CoordinatorScope.building_id.is_(None)
                if building_id is None
                else CoordinatorScope.building_id == building_id,
            )
            .order_by(CoordinatorScope.since, Person.id)
        )
        return (await self.session.scalars(query)).all()
