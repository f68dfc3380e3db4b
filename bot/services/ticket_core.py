"""What every ticket use case shares: the draft and message types, the typed refusals, the
input checks. How a person stands to a ticket is in ticket_access; who hears about it and what
the outbox gets is in ticket_audience."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import ServiceError
from bot.text import CAPTION_LIMIT, TEXT_LIMIT, fits, utf16_len
from storage.cache import cache_of
from storage.models import Channel, Ticket, TicketStatus
from storage.repositories import CommunityRepository
from storage.rows import CommunityView, PlaceRow

S = TicketStatus
METOO_DAYS = 7
# What one person may write at once, in UTF-16 units: all that Telegram lets them send (a note,
# a reply, a reason); it reaches the other side whole, split into several messages if need be.
MAX_TEXT = TEXT_LIMIT
MAX_MEDIA = 5
# A description is all one report collects, each part whole: the captions of its photos, a typed
# text, and a place typed at the location step (with the line breaks and the 📍 between them).
MAX_DESCRIPTION = 2 * TEXT_LIMIT + MAX_MEDIA * CAPTION_LIMIT + 16
HOLDER_NAME = 40  # UTF-16 units of a name in a callback answer


@dataclass(frozen=True, slots=True)
class Draft:
    building_id: int
    category: str
    description: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    show_name: bool = True
    show_phone: bool = False
    # Neighbours with the same problem may read the description (ignored for private ones).
    share_description: bool = False
    # Identifies the draft: the same draft sent twice files one ticket.
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Content:
    """A message relayed between a resident and the staff."""

    text: str | None = None
    photo: str | None = None
    voice: str | None = None
    # Telegram's media_group_id: the photos of one album, relayed one by one, belong together.
    album: str | None = None
    # A photo kept in the database (web_files: from WeChat or the web door), not at Telegram:
    # every door's delivery can read it (``photo`` is a Telegram file id only).
    web_photo: str | None = None
    # A form's one-time key (the web door renders one into each message form): kept with the
    # message in its history, so the same form posted again (a double tap, a browser resending
    # after a slow answer) is the message already passed on, not a second one.
    once: str | None = None

    @property
    def has_photo(self) -> bool:
        return bool(self.photo or self.web_photo)

    def summary(self) -> str:
        return self.text or ("[photo]" if self.has_photo else "[voice]" if self.voice else "")

    @property
    def limit(self) -> int:
        """What Telegram lets a person send: a text of 4096 units, a caption of 1024."""
        return CAPTION_LIMIT if self.has_photo or self.voice else TEXT_LIMIT

    def event_data(self) -> dict[str, Any]:
        """What the ticket's history keeps of a relayed message."""
        data: dict[str, Any] = {"text": self.summary(), "photo": self.photo, "voice": self.voice}
        if self.album:
            data["album"] = self.album
        if self.web_photo:
            data["web_photo"] = self.web_photo
        if self.once:
            data["once"] = self.once
        return data


# Characters kept of a form's one-time key (``Content.once``; the forms' token_urlsafe(12) has 16).
ONCE_LIMIT = 32


@dataclass(frozen=True, slots=True)
class Reported:
    ticket: Ticket
    building: str
    routed_to: list[str]  # reasons: head, deputy, coordinator, …


class StaleAction(ServiceError):
    """The button was pressed on an older state of the ticket; nothing changed."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("ticket-stale", number=ticket.number, status=ticket.status.value)
        self.ticket = ticket


def door_data(door: str) -> dict[str, str]:
    """What a ticket event keeps of the door an action came through: nothing for the chat (the
    door most actions come through), ``door`` otherwise, so History marks "(web)"."""
    return {} if door == Channel.TELEGRAM else {"door": str(door)}


def checked(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` without surrounding white space; refused (never cut) when it is longer than
    ``limit`` UTF-16 units. The handlers check first; this keeps the rule for every caller."""
    text = text.strip()
    if not fits(text, limit):
        raise ServiceError("input-too-long", length=utf16_len(text), max=limit)
    return text


class TicketNotOpen(StaleAction):
    """A message to pass on to a ticket that is no longer open (resolved, closed, withdrawn):
    it was not passed on, and the ticket's state says why."""

    def __init__(self, ticket: Ticket) -> None:
        ServiceError.__init__(
            self, "relay-not-open", number=ticket.number, status=ticket.status.value
        )
        self.ticket = ticket


class NoAccess(ServiceError):
    """The caller has nothing (any more) to do with this ticket: no current role for it, not
    its author or a follower. A card of theirs that still carries buttons loses them."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("not-allowed")
        self.ticket = ticket


class AlreadyTaken(StaleAction):
    """Take pressed on a ticket someone has (a simultaneous Take lost, or an old card): who has
    it, named as staff see each other. Only staff may press Take, so only staff read it."""

    def __init__(self, ticket: Ticket, holder: str | None) -> None:
        super().__init__(ticket)
        if holder is None:  # the presser took it already (a double tap)
            self.key, self.args_ = "tk-taken-by-you", {"number": ticket.number}
        else:
            self.key, self.args_ = "tk-taken-by", {"number": ticket.number, "name": holder}


async def settings_of_building(session: AsyncSession, building_id: int) -> dict[str, Any]:
    """The settings of the building's community, to read only (kept in the database's read
    cache, dropped when a building or a community changes: storage/cache.py)."""
    cache = await cache_of(session)
    if cache is not None:
        found = cache.get("community", ("settings", building_id))
        if found is not None:
            return found  # type: ignore[no-any-return]
        epoch = cache.epoch
    settings = copy.deepcopy((await community_of_building(session, building_id)).settings)
    if cache is not None:
        cache.put("community", ("settings", building_id), settings, epoch, None)
    return settings


async def place_of_building(session: AsyncSession, building_id: int) -> PlaceRow:
    """The building's community, to read (its id and settings), and the building's name."""
    found = await CommunityRepository(session).place_of_building(building_id)
    if found is None:
        raise ServiceError("building-gone")
    return found


async def community_of_building(session: AsyncSession, building_id: int) -> CommunityView:
    """The building's community, to read (its id and settings)."""
    found = await CommunityRepository(session).community_of_building(building_id)
    if found is None:
        raise ServiceError("building-gone")
    return found
