"""Signing in to the office console without a password: /web in chat issues a one-time link
(10 minutes, single use, only its hash stored); opening it starts a browser session (12 hours
idle at most, stored hashed). What a session may see is worked out again on every request from
the person's *current* roles (``coverage``): a revoked role ends access at the next click."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.config import Config
from bot.services.access import Coverage, coverage
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from storage.db import Database
from storage.models import Person
from storage.repositories import PersonRepository
from storage.repositories.console import ConsoleSessionRepository, ConsoleSignInRepository

LINK_TTL = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=12)
# A session's last request is written at most this often: not one write per click.
TOUCH_EVERY = timedelta(minutes=1)
SIGN_IN_PATH = "/console/sign-in/"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a console page, and what their roles let them see right now."""

    person_id: int
    display_name: str
    language: str | None
    coverage: Coverage
    csrf_token: str

    @property
    def has_access(self) -> bool:
        return covers_anything(self.coverage)


@dataclass(frozen=True, slots=True)
class Opened:
    """A session just opened: ``token`` goes into the cookie, nowhere else."""

    token: str
    person_id: int


def covers_anything(seen: Coverage) -> bool:
    return seen.admin or bool(seen.building_ids) or bool(seen.community_ids)


def _hash(kind: str, token: str) -> str:
    return hashlib.sha256(f"louzhang-console-{kind}:{token}".encode()).hexdigest()


class ConsoleAccess:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def issue_link(self, person: Person, base: str | None = None) -> str:
        """A one-time sign-in link for a staff member; anyone else is refused politely.
        ``base``: where the console was found listening (WEB_LISTEN's port 0 resolved)."""
        now = self.clock()
        async with self.db.session() as session:
            if not covers_anything(await coverage(session, self.config, person)):
                raise ServiceError("console-not-staff")
            token = secrets.token_urlsafe(32)
            await ConsoleSignInRepository(session).add(
                person.id, _hash("link", token), now, now + LINK_TTL
            )
            await session.commit()
        return f"{base or self.config.console_base}{SIGN_IN_PATH}{token}"

    async def sign_in(self, token: str) -> Opened:
        """Uses up the link and opens a session; a used, expired or made-up link changes
        nothing (ServiceError("console-link-invalid"))."""
        now = self.clock()
        async with self.db.session() as session:
            person_id = None
            if 20 <= len(token) <= 100:
                person_id = await ConsoleSignInRepository(session).take(_hash("link", token), now)
            if person_id is None:
                raise ServiceError("console-link-invalid")
            opened = secrets.token_urlsafe(32)
            await ConsoleSessionRepository(session).add(
                person_id, _hash("session", opened), secrets.token_urlsafe(32), now
            )
            await session.commit()
        return Opened(opened, person_id)

    async def viewer(self, token: str | None) -> Viewer | None:
        """The signed-in person behind a cookie, with their coverage as of now; None when the
        cookie is missing, unknown or idle too long."""
        if not token or len(token) > 100:
            return None
        now = self.clock()
        async with self.db.session() as session:
            sessions = ConsoleSessionRepository(session)
            found = await sessions.live(_hash("session", token), now - SESSION_IDLE)
            person = None if found is None else await PersonRepository(session).get(found.person_id)
            if found is None or person is None:
                await session.commit()  # an idle session is deleted
                return None
            if now - found.last_seen_at >= TOUCH_EVERY:
                await sessions.touch(found.id, now)
            seen = await coverage(session, self.config, person)
            viewer = Viewer(person.id, person.display_name, person.language, seen, found.csrf_token)
            await session.commit()
        return viewer

    async def sign_out(self, token: str) -> None:
        async with self.db.session() as session:
            await ConsoleSessionRepository(session).end(_hash("session", token))
            await session.commit()

    async def sign_out_everywhere(self, person_id: int) -> int:
        """Ends every session of the person (another browser, a forgotten office PC)."""
        async with self.db.session() as session:
            ended = await ConsoleSessionRepository(session).end_all(person_id)
            await session.commit()
        return ended
