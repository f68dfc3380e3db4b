"""The office console's sign-in links and sessions, by the hash of their token (the tokens
themselves live only in the link and in the browser's cookie)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsoleSession, ConsoleSignIn


class ConsoleSignInRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, person_id: int, token_hash: str, now: datetime, until: datetime) -> None:
        """Stores a link (everyone's expired ones go with it)."""
        await self.session.execute(delete(ConsoleSignIn).where(ConsoleSignIn.expires_at <= now))
        self.session.add(
            ConsoleSignIn(
                person_id=person_id, token_hash=token_hash, created_at=now, expires_at=until
            )
        )
        await self.session.flush()

    async def take(self, token_hash: str, now: datetime) -> int | None:
        """The person whose live link this is; the link is used up (single use, even when two
        browsers post it at once: the DELETE decides)."""
        found: int | None = await self.session.scalar(
            delete(ConsoleSignIn)
            .where(ConsoleSignIn.token_hash == token_hash, ConsoleSignIn.expires_at > now)
            .returning(ConsoleSignIn.person_id)
        )
        return found


class ConsoleSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, person_id: int, token_hash: str, csrf_token: str, now: datetime) -> None:
        self.session.add(
            ConsoleSession(
                person_id=person_id,
                token_hash=token_hash,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
            )
        )
        await self.session.flush()

    async def live(self, token_hash: str, seen_after: datetime) -> ConsoleSession | None:
        """The session, if a request came within the idle limit (an idle one is deleted)."""
        found = await self.session.scalar(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
        )
        if found is not None and found.last_seen_at <= seen_after:
            await self.session.delete(found)
            await self.session.flush()
            return None
        return found

    async def touch(self, session_id: int, now: datetime) -> None:
        await self.session.execute(
            update(ConsoleSession).where(ConsoleSession.id == session_id).values(last_seen_at=now)
        )

    async def end(self, token_hash: str) -> None:
        await self.session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
        )

    async def end_all(self, person_id: int) -> int:
        result = await self.session.execute(
            delete(ConsoleSession).where(ConsoleSession.person_id == person_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)
