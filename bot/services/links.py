"""Deep-link payloads: ``j<token>`` joins a building, ``i<token>`` accepts an invitation,
``v<token>`` checks a volunteer in at an activity.

Payloads stay within Telegram's limit of 64 characters of ``A-Za-z0-9_-``."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PayloadKind(StrEnum):
    JOIN = "j"
    INVITE = "i"
    CHECKIN = "v"  # a volunteer activity's check-in QR


@dataclass(frozen=True, slots=True)
class Payload:
    kind: PayloadKind
    token: str


def new_token() -> str:
    """128 random bits, URL-safe: 22 characters."""
    return secrets.token_urlsafe(16)


def make_payload(kind: PayloadKind, token: str) -> str:
    return f"{kind.value}{token}"


def parse_payload(raw: str) -> Payload | None:
    if not PAYLOAD_RE.match(raw) or len(raw) < 2:
        return None
    try:
        kind = PayloadKind(raw[0])
    except ValueError:
        return None
    return Payload(kind, raw[1:])


def start_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def web_twin(base: str, payload: str) -> str:
    """The web door's page of a join payload: ``<base>/b/<the building's join token>``, the
    same token as in the Telegram link."""
    parsed = parse_payload(payload)
    if parsed is None or parsed.kind is not PayloadKind.JOIN:
        raise ValueError("a web twin exists only for a building's join payload")
    return f"{base}/b/{parsed.token}"


def poster_link(
    payload: str, *, public_base: str | None, bot_username: str | None, local_base: str
) -> str:
    """What a poster's QR code holds. The web twin when the web door is public: any phone
    camera and WeChat's scanner open it, and its page offers Telegram to those who have it.
    Else the Telegram deep link (a 127.0.0.1 address on a printed poster would be useless).
    Without either (no public address, no Telegram: a trial on this machine) the local web
    twin, which at least opens on this machine."""
    if public_base is not None:
        return web_twin(public_base, payload)
    if bot_username:
        return start_link(bot_username, payload)
    return web_twin(local_base, payload)
