"""Muting a building's non-urgent notices in WeChat: "静音通知" / "恢复通知" (each of the person's
buildings), or the choice under a notice's copy, ``mute.<building>.on|off`` (that building)."""

from __future__ import annotations

from bot.services.choice_numbers import choice_number
from bot.services.errors import ServiceError
from bot.services.notice_copies import NoticeCopies
from bot.services.wechat_replies import WeChatReplies
from storage.db import Database
from storage.models import Person, Role
from storage.repositories import PersonRepository

# The texts that mute (True) or unmute (False) a building's non-urgent notices.
MUTE_WORDS = {
    **dict.fromkeys(("mutenotices", "mute", "静音通知", "屏蔽通知", "静音", "免打扰"), True),
    **dict.fromkeys(("unmutenotices", "unmute", "恢复通知", "取消静音", "接收通知"), False),
}
# A notice's mute choice under its copy: ``mute.<building>.on|off``.
MUTE = "mute"


def mute_choice(building_id: int, on: bool) -> str:
    return f"{MUTE}.{building_id}.{'on' if on else 'off'}"


def parse_mute(key: str) -> tuple[int, bool] | None:
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != MUTE or parts[2] not in ("on", "off"):
        return None
    building_id = choice_number(parts[1])
    return None if building_id is None else (building_id, parts[2] == "on")


class WeChatNotices:
    def __init__(
        self, db: Database, replies: WeChatReplies, notice_copies: NoticeCopies | None
    ) -> None:
        self.db = db
        self.replies = replies
        self.notice_copies = notice_copies

    async def mute(self, person: Person, on: bool, building_id: int | None = None) -> None:
        """Mutes (``on``) or unmutes the non-urgent notices of a building: the one a
        notice's choice names, else (typed) each of the person's buildings."""
        assert self.notice_copies is not None
        t = self.replies.t(person)
        if building_id is None:
            async with self.db.session() as session:
                roles = await PersonRepository(session).building_roles(person.id)
            readers = (Role.RESIDENT, Role.HEAD, Role.DEPUTY)
            ids = list(dict.fromkeys(r.building_id for r in roles if r.role in readers))
            if not ids:
                raise ServiceError("wechat-no-building")
        else:
            ids = [building_id]
        said = []
        for one in ids:
            changed, name = await self.notice_copies.set_mute(person, one, on)
            key = ("wechat-muted" if on else "wechat-unmuted") if changed else None
            key = key or ("wechat-mute-already" if on else "wechat-unmute-already")
            said.append(t(key, building=name))
        await self.replies.tell(person, "\n".join(said))
