"""A person's own link to a door page (a building vote's ballot, an activity):
``/door/<kind>/<id>/<person>/<key>``, the key an HMAC of what it opens and whom for, under a
deployment secret made on first use and kept in the database (two processes at once: the
second to write reads the first's), as a notice's page is."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
from storage.models import Person
from storage.repositories import PersonRepository
from storage.repositories.secrets import SecretRepository


class LinkKeys:
    def __init__(self, db: Database, clock: Clock, name: str) -> None:
        self.db = db
        self.clock = clock
        self.name = name
        self._secret: bytes | None = None

    async def _key(self) -> bytes:
        if self._secret is None:
            async with self.db.session() as session:
                stored = await SecretRepository(session).get(self.name)
            if stored is None:
                made = secrets.token_urlsafe(32)
                try:
                    async with self.db.session() as session:
                        await SecretRepository(session).add(self.name, made, self.clock())
                        await session.commit()
                    stored = made
                except IntegrityError:
                    async with self.db.session() as session:
                        stored = await SecretRepository(session).get(self.name)
            assert stored is not None
            self._secret = stored.encode()
        return self._secret

    async def sign(self, message: str) -> str:
        digest = hmac.new(await self._key(), message.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    async def check(self, message: str, key: str) -> bool:
        return hmac.compare_digest((await self.sign(message)).encode(), key.encode())


class PersonLinks:
    """The links of one kind of page (``kind``: "ballot", "activity"), each for one thing (a
    vote, an activity) and one person, signed under the kind's own secret."""

    def __init__(self, db: Database, clock: Clock, kind: str, secret_name: str) -> None:
        self.db = db
        self.kind = kind
        self.keys = LinkKeys(db, clock, secret_name)

    async def path(self, thing_id: int, person_id: int) -> str:
        key = await self.keys.sign(f"{self.kind}:{thing_id}:{person_id}")
        return f"/door/{self.kind}/{thing_id}/{person_id}/{key}"

    async def person(self, thing_id: int, person_id: int, key: str) -> Person | None:
        """The person a link is for; None for a wrong key."""
        if not await self.keys.check(f"{self.kind}:{thing_id}:{person_id}", key):
            return None
        async with self.db.session() as session:
            return await PersonRepository(session).get(person_id)
