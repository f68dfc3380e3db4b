"""The WeChat door's "forget me" (Telegram's /forgetme): "删除我的数据" / "forget me" asks with a
``msgmenu`` (Delete / Keep, each id naming the person, so a choice left from before, or forged,
deletes nobody else), then the same ForgetService; its "done" goes to the OpenID in the same
commit (no contact holds it then, so the row carries the time the person wrote, which is the
48-hour window's start)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.choice_numbers import choice_number
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.forget import ForgetService
from bot.services.messages import Buttons
from bot.services.onboarding import OnboardingService
from bot.services.wechat_replies import WeChatReplies, wechat_address
from storage.models import Person
from storage.repositories.outbox import OutboxRepository

# The texts that ask to delete one's data (compared without case, spaces or punctuation).
FORGET_WORDS = frozenset(
    {"forgetme", "/forgetme", "deletemydata", "删除我的数据", "删除我的信息", "删除我的资料"}
)
# An outbox row's payload key: when the person wrote, for an OpenID no contact holds any more.
WROTE_AT = "wrote_at"


def forget_choice(person_id: int, yes: bool) -> str:
    return f"forget.{person_id}.{'yes' if yes else 'keep'}"


def parse_forget(key: str) -> tuple[int, bool] | None:
    """(person id, yes) of a forget choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "forget" or parts[2] not in ("yes", "keep"):
        return None
    person_id = choice_number(parts[1])
    return None if person_id is None else (person_id, parts[2] == "yes")


def asks_to_forget(text: str) -> bool:
    plain = "".join(c for c in text.lower() if c.isalnum() or c == "/")
    return plain in FORGET_WORDS


class WeChatForget:
    def __init__(
        self,
        clock: Clock,
        replies: WeChatReplies,
        onboarding: OnboardingService,
        forget: ForgetService | None,
    ) -> None:
        self.clock = clock
        self.replies = replies
        self.onboarding = onboarding
        self.forget = forget

    async def ask(self, person: Person) -> None:
        t = self.replies.t(person)
        profile = await self.onboarding.profile(person)
        text = t("forget-ask")
        if profile.is_head or profile.coordinator_areas:
            text += "\n\n" + t("forget-ask-staff")
        choices: Buttons = [
            [(t("forget-yes"), forget_choice(person.id, True))],
            [(t("forget-no"), forget_choice(person.id, False))],
        ]
        await self.replies.tell(person, text, choices)

    async def answer(self, person: Person, openid: str, person_id: int, yes: bool) -> None:
        """The answer to the question: only the person it was asked of (a choice left from
        before they forgot themselves is a newcomer's now, and refused)."""
        t = self.replies.t(person)
        if person_id != person.id or self.forget is None:
            raise ServiceError("wechat-menu-unknown")
        if not yes:
            await self.replies.tell(person, t("forget-kept"))
            return
        wrote_at = self.clock()

        async def farewell(session: AsyncSession) -> None:
            await OutboxRepository(session).add(
                to=wechat_address(openid),
                person_id=None,
                payload={"text": t("wechat-forget-done"), WROTE_AT: wrote_at.isoformat()},
                now=self.clock(),
            )

        await self.forget.forget(person, farewell)
