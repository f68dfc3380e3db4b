"""Claiming a flat in WeChat: "我的房号 502" / "flat 502" claims it (FlatService, as /flat; a
flat confirmed as somebody else's is refused here rather than replaced); the word alone offers
the building's few unowned flats as choices (bot/services/flat_menus.py); a head decides a
claim by its choices, and "flats" lists the waiting ones again."""

from __future__ import annotations

import re

from bot.services.errors import ServiceError
from bot.services.flat_claims import FlatService
from bot.services.flat_menus import claim_choice, claims_more_choice, flat_choice
from bot.services.messages import Buttons
from bot.services.wechat_replies import WeChatReplies
from bot.services.wechat_reports import home
from storage.db import Database
from storage.models import Person

# "flat 502" / "我的房号 502" claims a flat; the word alone asks which (a menu of the
# building's unowned flats when there are at most FLAT_MENU, else the number is typed). A
# number needs a digit, so a report that starts with "flat roof…" stays a report. A number of
# any length is a claim: one too long for a flat is refused by the flat rules (clean_flat) in
# words, not relayed to the head as a message.
FLAT_RE = re.compile(
    r"^(?:/?flat|my\s*flat|我的房号|房号|认领房号|我家房号)\s*(?:是|is)?\s*[:：#]?\s*"
    r"((?=[^\s]*\d)[0-9A-Za-z\-#]+)?\s*(?:室|号)?\s*$",
    re.IGNORECASE,
)
# A flat as people write it on a parcel: "502室" (the number, then "room") alone.
ROOM_RE = re.compile(r"^((?=[^\s]*\d)[0-9A-Za-z\-]+)\s*室$")
FLAT_MENU = 8
# The texts with which a head asks for the flat claims waiting for them (Telegram's /flats).
CLAIMS_WORDS = frozenset({"/flats", "flats", "房号认领", "待确认房号", "业主认领"})
# Claims a page: WeChat takes five customer-service messages after one of the person's (45047
# beyond), and a page is its claims and the "Show more" choice, whose tap is a message anew.
CLAIMS_PER_PAGE = 4


class WeChatFlatClaims:
    def __init__(self, db: Database, replies: WeChatReplies, flats: FlatService | None) -> None:
        self.db = db
        self.replies = replies
        self.flats = flats

    async def claim(self, person: Person, typed: str | None) -> None:
        """ "flat 502": the claim goes to the building's head; "flat" alone: which one."""
        assert self.flats is not None
        t = self.replies.t(person)
        await home(self.db, person)  # only a resident claims
        if typed:
            flat = await self.flats.claim(person, typed, replace=False)
            await self.replies.tell(person, t("wechat-flat-sent", flat=flat.code))
            return
        flats = await self.flats.choosable(person, FLAT_MENU)
        if flats is None:
            await self.replies.tell(person, t("wechat-flat-ask"))
        elif not flats:
            raise ServiceError("wechat-flat-none")
        else:
            buttons: Buttons = [[(f.code, flat_choice(f.id))] for f in flats]
            await self.replies.tell(person, t("wechat-flat-choose"), buttons)

    async def chosen(self, person: Person, flat_id: int) -> None:
        """A flat tapped in the menu of unowned flats: claimed as if typed."""
        assert self.flats is not None
        t = self.replies.t(person)
        claimed = await self.flats.claim_flat(person, flat_id)
        await self.replies.tell(person, t("wechat-flat-sent", flat=claimed.code))

    async def decide(self, person: Person, claim_id: int, yes: bool) -> None:
        """A head's Confirm owner / Decline under a claim."""
        assert self.flats is not None
        await self.flats.decide_claim(person, claim_id, yes)
        t = self.replies.t(person)
        await self.replies.tell(person, t(f"wechat-flat-decided-{'yes' if yes else 'no'}"))

    async def waiting(self, person: Person, after: int = 0) -> None:
        """A head's /flats: a page of waiting claims, each with its Confirm owner / Decline
        choices (as they came when the claim was made; sent again here, e.g. after a
        template), the claims after claim ``after``; where more wait, a "Show more" choice."""
        assert self.flats is not None
        t = self.replies.t(person)
        waiting = await self.flats.pending_claims(person, after=after, limit=CLAIMS_PER_PAGE + 1)
        if not waiting:
            await self.replies.tell(
                person, t("flat-claims-no-more" if after else "flat-claims-none")
            )
            return
        shown = waiting[:CLAIMS_PER_PAGE]
        for claim, flat, building, name in shown:
            buttons: Buttons = [
                [(t("flat-btn-approve"), claim_choice(claim.id, True))],
                [(t("flat-btn-decline"), claim_choice(claim.id, False))],
            ]
            text = t("wechat-flat-claim-new", name=name, flat=flat.code, building=building.name)
            await self.replies.tell(person, text, buttons)
        if len(waiting) > CLAIMS_PER_PAGE:
            more: Buttons = [[(t("flat-btn-more"), claims_more_choice(shown[-1][0].id))]]
            await self.replies.tell(person, t("flat-claims-more"), more)
