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
