"""Linking a second door to a person: a one-time code shown in one door (6 digits, 10 minutes,
single use, only its hash stored) and entered in another. The contact that entered it joins the
person who asked for it; if that contact was already somebody (a door creates a person on first
contact), that somebody is folded into the person, roles, tickets and all."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.clock import Clock
from bot.services.errors import ServiceError
from storage.db import Database
from storage.models import Address, Person
from storage.repositories import PersonRepository
from storage.repositories.contacts import ContactCodeRepository, merge_people

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
# Wrong codes one person may enter per CODE_TTL: a million codes cannot be walked through.
MAX_FAILURES = 5
# The people whose wrong codes are remembered at most (the oldest are forgotten first).
MAX_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class LinkCode:
    code: str
    expires_at: datetime


def _hash(code: str) -> str:
    return hashlib.sha256(f"louzhang-link:{code}".encode()).hexdigest()


def _clean(code: str) -> str | None:
    digits = "".join(code.split())
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


class ContactLinks:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Per person, when their recent wrong codes were entered (one process's memory: a
        # restart forgives, which costs an attacker a restart per five guesses).
        self._failures: dict[int, list[datetime]] = {}

    async def issue(self, person: Person) -> LinkCode:
        """A fresh code for ``person`` (an earlier one stops working)."""
        now = self.clock()
        async with self.db.session() as session:
            codes = ContactCodeRepository(session)
            while True:
                code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                if await codes.add(person.id, _hash(code), now, now + CODE_TTL):
                    break
            await session.commit()
        return LinkCode(code, now + CODE_TTL)

    async def redeem(self, contact: Address, code: str) -> Person:
        """``contact`` (the door the code was entered in) now reaches the person who was shown
        ``code``; returns that person."""
        now = self.clock()
        async with self.db.session() as session:
            people = PersonRepository(session)
            entering = await people.by_contact(*contact)
            if entering is not None and self._too_many(entering.id, now):
                raise ServiceError("link-too-many")
            cleaned = _clean(code)
            owner_id = None
            if cleaned is not None:
                owner_id = await ContactCodeRepository(session).take(_hash(cleaned), now)
            if owner_id is None:
                if entering is not None:
                    self._failures.setdefault(entering.id, []).append(now)
                    while len(self._failures) > MAX_REMEMBERED:
                        del self._failures[next(iter(self._failures))]
                raise ServiceError("link-code-invalid")
            if entering is not None and entering.id == owner_id:
                await session.commit()  # the code is used up all the same
                raise ServiceError("link-same-person")
            await people.ensure_contact(owner_id, contact, now)
            if entering is not None:
                self._failures.pop(entering.id, None)
                if not entering.contacts:  # the contact was all they were: fold them in
                    await merge_people(session, owner_id, entering.id)
            await session.commit()
            person = await people.get(owner_id)
            assert person is not None
            await session.refresh(person, ["contacts"])
            return person

    def _too_many(self, person_id: int, now: datetime) -> bool:
        recent = [t for t in self._failures.get(person_id, []) if t > now - CODE_TTL]
        if recent:
            self._failures[person_id] = recent
        else:
            self._failures.pop(person_id, None)
        return len(recent) >= MAX_FAILURES
