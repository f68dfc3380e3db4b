"""What an Open311 POST may hold, checked before anything is written, and the refusals the API
answers with (the door turns each into the spec's error list, naming the parameter at fault)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.errors import ServiceError
from bot.services.ticket_core import MAX_DESCRIPTION, checked
from bot.text import blank, fits

# What a caller's contact may hold (UTF-16 units): a name, an e-mail address, a phone number.
SUBMITTER_LIMITS = {"first_name": 50, "last_name": 50, "email": 254, "phone": 32}
MEDIA_URL_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Filing:
    """A POST requests as the use case needs it (the door parsed the spec's parameters)."""

    service_code: str
    description: str
    address_id: str | None = None
    address_string: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    media_url: str | None = None
    # first_name, last_name, email, phone: those given.
    submitter: tuple[tuple[str, str], ...] = ()


class Open311Refusal(ServiceError):
    """A request the API refuses; ``field`` names the parameter at fault (the door turns it
    into the spec's error list)."""

    def __init__(self, key: str, field: str, **args: object) -> None:
        super().__init__(key, field=field, **args)
        self.field = field


class UnknownJurisdiction(Open311Refusal):
    def __init__(self) -> None:
        super().__init__("open311-unknown-jurisdiction", "jurisdiction_id")


class JurisdictionNeeded(Open311Refusal):
    def __init__(self) -> None:
        super().__init__("open311-jurisdiction-needed", "jurisdiction_id")


class UnknownService(Open311Refusal):
    def __init__(self) -> None:
        super().__init__("open311-unknown-service", "service_code")


class NoBuilding(Open311Refusal):
    """No address names one of the community's buildings (a point alone places nothing: a
    ticket belongs to a building, whose head gets it)."""

    def __init__(self, key: str) -> None:
        super().__init__(key, "address_id")


class DailyLimit(Open311Refusal):
    def __init__(self, limit: int) -> None:
        super().__init__("open311-daily-limit", "api_key", limit=limit)


def description_of(filing: Filing) -> str:
    """The ticket's description: the caller's words, then the media's address on a line of its
    own (kept as text: the staff open it; nothing is fetched from it)."""
    description = checked(filing.description, MAX_DESCRIPTION)
    if blank(description):  # zero-width spaces or control characters only: nothing to read
        raise Open311Refusal("open311-no-description", "description")
    if filing.media_url:
        url = filing.media_url.strip()
        if not url.startswith(("https://", "http://")) or not fits(url, MEDIA_URL_LIMIT):
            raise Open311Refusal("open311-bad-media-url", "media_url")
        description = checked(description + "\n📎 " + url, MAX_DESCRIPTION)
    return description


def submitter_of(given: Sequence[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for field, value in given:
        limit = SUBMITTER_LIMITS.get(field)
        value = value.strip()
        if limit is None or blank(value):  # a zero-width "name" is no name for the card
            continue
        if not fits(value, limit) or any(c in value for c in "\r\n"):
            raise Open311Refusal("open311-bad-submitter", field, max=limit)
        found[field] = value
    return found
