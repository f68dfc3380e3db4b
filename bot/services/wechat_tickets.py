"""A ticket's conversation in WeChat: a resident's text or photo while they have an open ticket
of their own goes to the head about it (the newest one); a head's text or photo answers the
conversation they are in as its staff; a ticket's ``msgmenu`` choices (Yes, fixed / Not fixed /
stars; Take / Reply / Resolve) go through the services the Telegram buttons use, which check the
person's right to it now. A choice that needs words (a head's Reply, a resident's Not fixed)
makes the person's next text those words (``wechat_pending``), as Telegram's reply flow does.
A photo is kept (``web_files``) and passed on as the door-neutral ``Content.web_photo``."""

from __future__ import annotations

import asyncio
import secrets

from bot.services.clock import Clock
from bot.services.conversations import ConversationService
from bot.services.errors import ServiceError
from bot.services.messages import Buttons
from bot.services.policy import Action
from bot.services.reopening import TicketReopening
from bot.services.ticket_access import TicketAccess
from bot.services.ticket_actions import TicketActions
from bot.services.ticket_core import Content
from bot.services.ticket_lists import TicketLists
from bot.services.web_photos import clean_photo
from bot.services.wechat_choices import Choice
from bot.services.wechat_replies import PENDING, WeChatReplies
from storage.db import Database
from storage.models import OPEN_STATUSES, Channel, Person, Ticket, WeChatPending
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository
from storage.repositories.wechat import WeChatPendingRepository


class WeChatTickets:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        replies: WeChatReplies,
        lists: TicketLists,
        actions: TicketActions,
        reopening: TicketReopening,
        access: TicketAccess,
        conversations: ConversationService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.replies = replies
        self.lists = lists
        self.actions = actions
        self.reopening = reopening
        self.access = access
        self.conversations = conversations

    async def choose(self, person: Person, openid: str, choice: Choice) -> None:
        """A ticket's choice tapped, through the services the Telegram buttons use (they
        check that the person may do it, now)."""
        t = self.replies.t(person)
        ticket_id = choice.ticket_id
        if choice.action == "confirm":
            ticket = await self.actions.confirm(person, ticket_id)
            stars: Buttons = [[(f"{n}⭐", f"rate.{n}") for n in range(1, 6)]]
            await self.replies.tell(
                person, t("wechat-confirmed", number=ticket.number), stars, ticket.id
            )
        elif choice.action == "rate":
            ticket = await self.actions.rate(person, ticket_id, choice.stars)
            await self.replies.tell(person, t("wechat-rated", number=ticket.number))
        elif choice.action == "take":
            await self.actions.take(person, ticket_id, door=Channel.WECHAT)
        elif choice.action == "resolve":
            await self.actions.resolve(person, ticket_id, "", door=Channel.WECHAT)
        else:  # reply, reopen: the person's next text is the words
            action = Action.REPLY if choice.action == "reply" else Action.REOPEN
            ticket = await self._allowed(person, ticket_id, action)
            async with self.db.session() as session:
                await WeChatPendingRepository(session).put(
                    openid, ticket.id, choice.action, self.clock() + PENDING
                )
                await session.commit()
            await self.replies.tell(person, t(f"wechat-ask-{choice.action}", number=ticket.number))

    async def _allowed(self, person: Person, ticket_id: int, action: Action) -> Ticket:
        async with self.db.session() as session:
            ticket, _ = await self.access.authorise(session, person, ticket_id, action)
            return ticket

    async def answer(self, person: Person, pending: WeChatPending, text: str) -> None:
        """The words a Reply (a head's answer) or a Not fixed (why, reopening) waited for."""
        assert pending.ticket_id is not None
        t = self.replies.t(person)
        if pending.action == "reply":
            reply = Content(text=text)
            ticket = await self.actions.reply(person, pending.ticket_id, reply, door=Channel.WECHAT)
            await self.replies.tell(person, t("wechat-reply-sent", number=ticket.number))
        else:
            ticket = await self.reopening.reopen(person, pending.ticket_id, text)
            await self.replies.tell(person, t("wechat-reopened", number=ticket.number))

    async def pass_on(self, person: Person, text: str) -> bool:
        """The text to the head about the person's own open ticket; False when they have none."""
        mine = await self.open_ticket(person)
        if mine is None:
            return False
        await self.conversations.send(person, mine.id, Content(text=text))
        t = self.replies.t(person)
        await self.replies.tell(person, t("wechat-message-sent", number=mine.number))
        return True

    async def staff_reply(self, person: Person, text: str) -> bool:
        """The text answers the conversation the person is in as its staff; False when none."""
        staff = [c for c in await self.conversations.in_progress(person) if c.staff]
        if not staff:
            return False
        relayed = await self.conversations.send(person, staff[0].ticket.id, Content(text=text))
        t = self.replies.t(person)
        await self.replies.tell(person, t("wechat-reply-sent", number=relayed.ticket.number))
        return True

    async def talking(self, person: Person, openid: str) -> tuple[int, bool] | None:
        """The ticket a photo from the person belongs to, and whether it is a head's answer
        they chose Reply for: that ticket; else their own newest open ticket (where their
        texts go); else the conversation they are in as its staff. A photo while a Not fixed
        waits for its words is refused, the question left waiting (kept for a new report, it
        took the question's place, and the words then filed a new ticket)."""
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).peek(openid, self.clock())
            if pending is not None and pending.action == "reopen":
                ticket = await TicketRepository(session).get(pending.ticket_id or 0)
                raise ServiceError(
                    "wechat-photo-reason-first", number=ticket.number if ticket else "?"
                )
        if pending is not None and pending.action == "reply" and pending.ticket_id is not None:
            return pending.ticket_id, True
        mine = await self.open_ticket(person)
        if mine is not None:
            return mine.id, False
        staff = [c for c in await self.conversations.in_progress(person) if c.staff]
        return (staff[0].ticket.id, True) if staff else None

    async def relay_photo(self, person: Person, data: bytes, ticket_id: int, reply: bool) -> None:
        """The photo, kept, passed on as a message of the ticket's conversation; a photo the
        conversation refused (the ticket closed meanwhile) is not kept."""
        t = self.replies.t(person)
        cleaned = await asyncio.to_thread(clean_photo, data)
        key = secrets.token_urlsafe(16)
        async with self.db.session() as session:
            await WebFileRepository(session).add(
                key, person.id, "image/jpeg", cleaned, self.clock()
            )
            await session.commit()
        try:
            if reply:
                # A head's Reply stays waiting for its words: the photo came first.
                ticket = await self.actions.reply(
                    person, ticket_id, Content(web_photo=key), door=Channel.WECHAT
                )
            else:
                ticket = (
                    await self.conversations.send(person, ticket_id, Content(web_photo=key))
                ).ticket
        except ServiceError:
            async with self.db.session() as session:
                await WebFileRepository(session).drop(key)
                await session.commit()
            raise
        await self.replies.tell(person, t("wechat-photo-relayed", number=ticket.number))

    async def open_ticket(self, person: Person) -> Ticket | None:
        """The newest open ticket the person reported: what their texts are about."""
        mine = [
            ticket
            for ticket in (await self.lists.my_tickets(person, 0)).tickets
            if ticket.author_id == person.id and ticket.status in OPEN_STATUSES
        ]
        return mine[0] if mine else None
