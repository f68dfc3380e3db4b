"""Community life in WeChat: a building vote's option tapped (``ballot.…``), an activity's
Sign up or Cancel (``activity.…``), and an organiser's WeChat check-in QR scanned (scene
``checkin.<token>``, made by /checkin), each through the services the Telegram buttons use."""

from __future__ import annotations

from bot.services.activity_menus import activity_choice
from bot.services.door_ballots import DoorBallots
from bot.services.errors import ServiceError
from bot.services.messages import Buttons
from bot.services.service_hours import fmt_hours
from bot.services.volunteering import VolunteeringService
from bot.services.vote_view import labels
from bot.services.wechat_replies import WeChatReplies
from storage.models import Person


class WeChatLife:
    def __init__(
        self,
        replies: WeChatReplies,
        ballots: DoorBallots | None,
        volunteering: VolunteeringService | None,
    ) -> None:
        self.replies = replies
        self.ballots = ballots
        self.volunteering = volunteering

    async def ballot(self, person: Person, vote_id: int, flat_id: int, choice: int) -> None:
        """A building vote's option tapped: cast (or changed) through VoteService, which
        checks that the person owns the flat now and the vote is open; the receipt back."""
        assert self.ballots is not None
        t = self.replies.t(person)
        cast = await self.ballots.votes.cast(person, vote_id, flat_id, choice)
        key = "vote-receipt-changed" if cast.changed else "vote-receipt"
        option = labels(t, cast.vote)[choice]
        await self.replies.tell(
            person, t(key, flat=cast.flat.code, receipt=cast.receipt, option=option)
        )

    async def activity(self, person: Person, activity_id: int, join: bool) -> None:
        """An activity's Sign up (then a Cancel choice) or Cancel, through the services the
        Telegram buttons use (a member of its buildings, still ahead, places left)."""
        assert self.volunteering is not None
        t = self.replies.t(person)
        if not join:
            left = await self.volunteering.cancel_signup(person, activity_id)
            await self.replies.tell(person, t("vol-unsigned", title=left.title))
            return
        signed = await self.volunteering.sign_up(person, activity_id)
        text = t(
            "vol-signed",
            title=signed.activity.title,
            when=signed.starts_local.strftime("%Y-%m-%d %H:%M"),
            left=signed.left,
        )
        cancel: Buttons = [[(t("vol-btn-unsign"), activity_choice(signed.activity.id, False))]]
        await self.replies.tell(person, text, cancel)

    async def check_in(self, person: Person, token: str) -> None:
        """The organiser's check-in QR for WeChat, scanned: checked in as by the deep link."""
        assert self.volunteering is not None
        t = self.replies.t(person)
        if len(token) > 64:
            raise ServiceError("vol-checkin-unknown")
        done = await self.volunteering.check_in(person, token)
        key = "vol-checked-in-again" if done.already else "vol-checked-in"
        hours = fmt_hours(done.hours)
        await self.replies.tell(person, t(key, title=done.activity.title, hours=hours))
