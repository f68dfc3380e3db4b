"""Flat ownership claims as WeChat choices (``msgmenu``): a resident's list of their building's
flats to claim (``flat.<flat>``), and the head's Confirm owner / Decline under a claim
(``claim.<claim>.yes|no``), the same decision as Telegram's /flats buttons, and the head's
"Show more" under a page of waiting claims (``claims.<after>``: those after claim ``after``).
A tap goes through FlatService, which checks the resident's building and the head's coverage
now: a forged or stale id is refused in words and changes nothing. Kept apart from
FlatService, which writes them, so the door's side can import both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations
from bot.services.choice_numbers import choice_number
from bot.services.staff_rows import STAFF, staff_area
from storage.models import Channel, Person
from storage.repositories import OutboxRepository
from storage.repositories.people import address_of
from storage.repositories.stats import Scope

FLAT, CLAIM, CLAIMS = "flat", "claim", "claims"


def flat_choice(flat_id: int) -> str:
    return f"{FLAT}.{flat_id}"


def claim_choice(claim_id: int, approve: bool) -> str:
    return f"{CLAIM}.{claim_id}.{'yes' if approve else 'no'}"


def claims_more_choice(after: int) -> str:
    return f"{CLAIMS}.{after}"


def parse_claims_more(key: str) -> int | None:
    """The claim a "Show more" choice's page follows; None for anything else."""
    parts = key.split(".")
    return choice_number(parts[1]) if len(parts) == 2 and parts[0] == CLAIMS else None


def parse_flat(key: str) -> int | None:
    """The flat of a claim choice's id; None for anything else."""
    parts = key.split(".")
    return choice_number(parts[1]) if len(parts) == 2 and parts[0] == FLAT else None


def parse_claim(key: str) -> tuple[int, bool] | None:
    """(claim, approve) of a head's choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != CLAIM or parts[2] not in ("yes", "no"):
        return None
    number = choice_number(parts[1])
    return None if number is None else (number, parts[2] == "yes")


async def write_claim_choices(
    session: AsyncSession,
    translations: Translations,
    approver: Person,
    claim_id: int,
    now: datetime,
    args: dict[str, Any],
    staff: Scope,
) -> bool:
    """For an approver whose contact is WeChat: the claim with its two choices. False for
    anyone else: the caller tells them as before (/flats)."""
    address = address_of(approver)
    if address is None or address.channel != Channel.WECHAT:
        return False
    t = translations.bind(approver.language or translations.default)
    buttons = [
        [[t("flat-btn-approve"), claim_choice(claim_id, True)]],
        [[t("flat-btn-decline"), claim_choice(claim_id, False)]],
    ]
    await OutboxRepository(session).add(
        to=address,
        person_id=approver.id,
        payload={
            "text": t("wechat-flat-claim-new", **args),
            "buttons": buttons,
            STAFF: staff_area(staff),
        },
        now=now,
    )
    return True
