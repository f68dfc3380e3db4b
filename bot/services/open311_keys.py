"""Keys of the Open311 API, one per client (a hotline system, a civic app), issued and revoked by
the operator (``python -m bot open311-key``). A key is shown once; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.text import fits
from storage.db import Database
from storage.models import Address, Channel, Open311Client
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.open311 import Open311Repository

DEFAULT_DAILY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class IssuedKey:
    name: str
    key: str  # shown once; only its hash is kept
    community: str | None
    daily_limit: int


def key_hash(key: str) -> str:
    """Keys are long random strings: a plain SHA-256 is enough to keep them unusable if the
    database leaks (no salt or stretching is needed for what was never a password)."""
    return hashlib.sha256(key.encode()).hexdigest()


class Open311Keys:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def issue_key(
        self, name: str, community: str | None = None, daily_limit: int = DEFAULT_DAILY_LIMIT
    ) -> IssuedKey:
        """A new key for ``name``: a new client, or a new key for an existing one (the old key
        stops working at once; a revoked client is allowed again)."""
        name = name.strip()
        if not name or not fits(name, 100):
            raise ServiceError("open311-bad-client-name")
        if daily_limit < 1:
            raise ServiceError("open311-bad-daily-limit")
        now = self.clock()
        key = secrets.token_urlsafe(32)
        async with self.db.session() as session:
            community_id = None
            if community is not None:
                found = await CommunityRepository(session).by_name(community)
                if found is None:
                    raise ServiceError("community-not-found", name=community)
                community_id = found.id
            repository = Open311Repository(session)
            client = await repository.client_by_name(name)
            if client is None:
                client = await repository.add_client(
                    Open311Client(
                        name=name, key_hash=key_hash(key), daily_limit=daily_limit, created_at=now
                    )
                )
                person = await PersonRepository(session).add(
                    Address(Channel.OPEN311, str(client.id)), ("Open311 · " + name)[:130], now
                )
                client.person_id = person.id
            client.key_hash = key_hash(key)
            client.community_id = community_id
            client.daily_limit = daily_limit
            client.revoked_at = None
            await session.commit()
        return IssuedKey(name, key, community, daily_limit)

    async def revoke_key(self, name: str) -> bool:
        """The client's key stops working; False when there is no such client with a key."""
        async with self.db.session() as session:
            client = await Open311Repository(session).client_by_name(name)
            if client is None or client.revoked_at is not None:
                return False
            client.revoked_at = self.clock()
            await session.commit()
            return True
