"""A person's own link to a door page (a building vote's ballot, an activity): an HMAC of what
it opens and whom for, under a deployment secret made on first use and kept in the database
(two processes at once: the second to write reads the first's), as a notice's page is."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
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
        return hmac.compare_digest(await self.sign(message), key)
