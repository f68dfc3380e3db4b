"""Everything after a ticket exists, driven as heads and residents would: the card's buttons,
talking through the bot (also by Telegram reply), resolve → confirm → rate, reopen, withdraw,
merge, escalate, racing Take, forbidden presses, /tickets, /my, /away and /back."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, PhotoSize, Sticker, User, Voice
from sqlalchemy import func, select

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Content, Draft
from handlers.keyboards import TicketCb
from storage.db import Database
from storage.models import (
    FsmRecord,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketRecipient,
    TicketStatus,
    telegram_address,
)
from telegram.budget import install_budget
from tests.botclient import BOT_USER, BotClient, FakeSession, Sent, telegram_date
from tests.conftest import TOKEN, FakeClock, InstantTime
from tests.factories import World, make_world

S = TicketStatus
HEAD, DEPUTY, HEAD2, OFFICE = 100, 101, 200, 300
RESIDENT, NEIGHBOUR, STRANGER = 500, 501, 600
STICKER = Sticker(
    file_id="s",
    file_unique_id="s",
    type="regular",
    width=1,
    height=1,
    is_animated=False,
    is_video=False,
)


class RecordingSession(FakeSession):
    """Remembers what each call returned, so a test can press a button on (or reply to) the
    very message the bot sent."""

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[int, Any] = {}

    def _result(self, method: TelegramMethod[Any]) -> Any:
        result = super()._result(method)
        self.results[id(method)] = result
        return result


@pytest.fixture
async def client(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> AsyncIterator[BotClient]:
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    # The bot's limits (about one message a second per chat) on fast time, as in conftest's
    # client: a test that sends many messages to one chat keeps their order without waiting
    # real seconds for each, which a busy machine stretches past the delivery pass's window.
    instant = InstantTime()
    install_budget(bot, clock=instant, sleep=instant.sleep)
    dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
    yield BotClient(dispatcher, bot, session)
    await dispatcher.storage.close()


@dataclass
class Town:
    """A1 with a head (en) and a deputy (zh), A2 with its own head, the community office (zh),
    two residents of A1 (en) and one of B1."""

    world: World
    users: dict[int, User]
    ids: dict[int, int]  # telegram id → person id
    _callbacks: itertools.count[int]

    @property
    def client(self) -> BotClient:
        return self.world.client

    @property
    def db(self) -> Database:
        return self.world.db

    async def person(self, who: int) -> Person:
        return await self.world.person(self.users[who])

    async def report(self, who: int = RESIDENT, text: str = "The stair light is broken") -> Ticket:
        person = await self.person(who)
        [building] = await self.world.services.reporting.resident_buildings(person)
        draft = Draft(building.building_id, "repairs", text)
        return (await self.world.services.reporting.report(person, draft)).ticket

    async def deliver(self) -> list[Sent]:
        before = len(self.client.session.requests)
        await self.world.deliver()
        return [Sent(m) for m in self.client.session.requests[before:]]

    def message_id(self, sent: Sent) -> int:
        message_id = getattr(sent.method, "message_id", None)
        if message_id is not None:
            return int(message_id)
        session = self.client.session
        assert isinstance(session, RecordingSession)
        return int(session.results[id(sent.method)]["message_id"])

    async def press(self, who: int, data: str, message_id: int = 1, text: str = "…") -> list[Sent]:
        message = Message(
            message_id=message_id,
            date=telegram_date(),
            chat=Chat(id=who, type="private"),
            from_user=User(**_bot_user()),
            text=text,
        )
        query = CallbackQuery(
            id=f"cb{next(self._callbacks)}",
            from_user=self.users[who],
            chat_instance="ci",
            message=message,
            data=data,
        )
        return await self.client.feed(callback_query=query)

    async def click(self, who: int, sent: Sent, label: str) -> list[Sent]:
        return await self.press(who, sent.button_data(label), self.message_id(sent), sent.text)

    async def send(self, who: int, text: str | None = None, **extra: Any) -> list[Sent]:
        return await self.client.send(self.users[who], text, **extra)

    async def reply_to(
        self, who: int, sent: Sent, text: str | None = None, **extra: Any
    ) -> list[Sent]:
        replied = Message(
            message_id=self.message_id(sent),
            date=telegram_date(),
            chat=Chat(id=who, type="private"),
            from_user=User(**_bot_user()),
            text=sent.text,
        )
        return await self.send(who, text, reply_to_message=replied, **extra)


def _bot_user() -> dict[str, Any]:
    return {k: v for k, v in BOT_USER.items() if k != "username"}


@pytest.fixture
async def town(client: BotClient, services: Services, db: Database, clock: FakeClock) -> Town:
    world = await make_world(client, services, db, clock)
    c = client
    users = {
        HEAD: await world.appoint(c.user(HEAD, "en", "Wang"), Role.HEAD, "A1"),
        DEPUTY: await world.appoint(c.user(DEPUTY, "zh-hans", "Li"), Role.DEPUTY, "A1"),
        HEAD2: await world.appoint(c.user(HEAD2, "en", "Zhao"), Role.HEAD, "A2"),
        OFFICE: await world.appoint(
            c.user(OFFICE, "zh-hans", "Chen"), Role.COORDINATOR, "塘中社区"
        ),
        RESIDENT: await world.join(c.user(RESIDENT, "en", "Auntie"), "A1"),
        NEIGHBOUR: await world.join(c.user(NEIGHBOUR, "en", "Uncle"), "A1"),
        STRANGER: await world.join(c.user(STRANGER, "en", "Visitor"), "B1"),
    }
    ids = {tg: (await world.person(user)).id for tg, user in users.items()}
    town = Town(world, users, ids, itertools.count())
    await town.deliver()  # the appointment notices
    return town


# --------------------------------------------------------------------------- reading helpers


def to(sent: list[Sent], chat_id: int, method: str | None = None) -> list[Sent]:
    return [
        s
        for s in sent
        if getattr(s.method, "chat_id", None) == chat_id
        and (method is None or type(s.method).__name__ == method)
    ]


def one(sent: list[Sent], chat_id: int, method: str = "SendMessage") -> Sent:
    found = to(sent, chat_id, method)
    assert len(found) == 1, [(type(s.method).__name__, s.text) for s in sent]
    return found[0]


def answer(sent: list[Sent]) -> str:
    """The callback answer (exactly one: a press never spins)."""
    answers = [s for s in sent if type(s.method).__name__ == "AnswerCallbackQuery"]
    assert len(answers) == 1, [type(s.method).__name__ for s in sent]
    return answers[0].text


def card(sent: list[Sent], chat_id: int) -> Sent:
    """The newest card in that chat (a sent or an edited message with ticket buttons)."""
    cards = [s for s in to(sent, chat_id) if any(b for b in s.buttons)]
    assert cards, [(type(s.method).__name__, s.text) for s in sent]
    return cards[-1]


async def ticket(db: Database, number: int) -> Ticket:
    async with db.session() as session:
        found = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert found is not None
        return found


async def events(db: Database, number: int) -> list[tuple[str, dict[str, Any]]]:
    found = await ticket(db, number)
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == found.id).order_by(TicketEvent.id)
        )
        return [(e.kind, e.data) for e in rows]


async def followers(db: Database, number: int) -> set[int]:
    found = await ticket(db, number)
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketFollower.person_id).where(TicketFollower.ticket_id == found.id)
        )
        return set(rows)


async def snapshot(db: Database) -> tuple[Any, ...]:
    """Everything a press could change."""
    async with db.session() as session:
        tickets = [
            (t.status, t.holder_id, t.owner_id, t.escalated, t.rating, t.merged_into_id)
            for t in await session.scalars(select(Ticket).order_by(Ticket.id))
        ]
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (TicketEvent, TicketFollower, TicketRecipient)
        ]
        states = [
            (r.key, r.state)
            for r in await session.scalars(select(FsmRecord).where(FsmRecord.state.is_not(None)))
        ]
    return tuple(tickets), tuple(counts), tuple(states)


def photo(file_id: str) -> list[PhotoSize]:
    return [PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)]


# --------------------------------------------------------------------------- the whole loop


async def test_take_talk_resolve_confirm_rate_and_comment(town: Town) -> None:
    await town.report()
    delivered = await town.deliver()
    head_card = card(delivered, HEAD)
    assert head_card.buttons == ["✋ Take", "💬 Reply", "⬆️ Escalate", "🔗 Merge", "📜 History"]
    assert card(delivered, DEPUTY).buttons[0] == "✋ 接单"

    # Take: the presser's card is edited at once, the deputy's and the resident on delivery.
    sent = await town.click(HEAD, head_card, "✋ Take")
    assert answer(sent) == "✋ You took ticket #1. The resident has been told."
    edited = one(sent, HEAD, "EditMessageText")
    assert edited.method.message_id == town.message_id(head_card)  # type: ignore[attr-defined]
    assert "being handled by Wang 100" in edited.text
    assert "✅ Resolve" in edited.buttons and "✋ Take" not in edited.buttons
    found = await ticket(town.db, 1)
    assert (found.status, found.holder_id) == (S.TAKEN, town.ids[HEAD])
    delivered = await town.deliver()
    assert "Li 101" not in one(delivered, DEPUTY, "EditMessageText").text
    assert "Wang 100 正在处理" in one(delivered, DEPUTY, "EditMessageText").text
    assert "has been taken" in one(delivered, RESIDENT).text

    # The head replies with the button; the resident answers by a Telegram reply.
    prompt = one(await town.click(HEAD, edited, "💬 Reply"), HEAD)
    assert "Write your reply" in prompt.text
    sent = await town.send(HEAD, "I will come at five.")
    assert one(sent, HEAD).text == "✅ Sent to the resident of ticket #1."
    relayed = one(await town.deliver(), RESIDENT)
    assert relayed.text.endswith("I will come at five.") and "Building head" in relayed.text

    sent = await town.reply_to(RESIDENT, relayed, "Thank you, I am home.")
    assert one(sent, RESIDENT).text == "✅ Sent (ticket #1)."
    to_head = one(await town.deliver(), HEAD)
    assert to_head.text.endswith("Thank you, I am home.")

    # The head answers that by Telegram reply too, with a photo; the resident with a voice note.
    sent = await town.reply_to(HEAD, to_head, None, photo=photo("bulb"), caption="New bulb?")
    assert one(sent, HEAD).text == "✅ Sent (ticket #1)."
    photo_sent = one(await town.deliver(), RESIDENT, "SendPhoto")
    assert photo_sent.method.photo == "bulb" and "New bulb?" in photo_sent.text  # type: ignore[attr-defined]
    voice = Voice(file_id="v1", file_unique_id="v1", duration=3)
    await town.reply_to(RESIDENT, photo_sent, None, voice=voice)
    assert one(await town.deliver(), HEAD, "SendVoice").method.voice == "v1"  # type: ignore[attr-defined]
    messages = [e for e in await events(town.db, 1) if e[0] == "message"]
    assert [m["direction"] for _, m in messages] == [
        "to-resident",
        "to-staff",
        "to-resident",
        "to-staff",
    ]

    # Resolve with a note.
    prompt = one(await town.click(HEAD, edited, "✅ Resolve"), HEAD)
    assert prompt.buttons == ["Skip"]
    sent = await town.send(HEAD, "Replaced the bulb on floor 3.")
    assert "Ticket #1 is resolved" in one(sent, HEAD).text
    assert "resolved, waiting for the resident" in one(sent, HEAD, "EditMessageText").text
    assert (await ticket(town.db, 1)).status is S.RESOLVED
    question = one(await town.deliver(), RESIDENT)
    assert "Replaced the bulb on floor 3." in question.text
    assert question.buttons == ["👍 Yes, fixed", "👎 Not fixed"]

    # Confirm, rate 5, comment.
    sent = await town.click(RESIDENT, question, "👍 Yes, fixed")
    assert answer(sent) == ""
    assert one(sent, RESIDENT, "EditMessageReplyMarkup")
    rating = one(sent, RESIDENT)
    assert rating.buttons == ["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]
    sent = await town.click(RESIDENT, rating, "5⭐")
    thanks = one(sent, RESIDENT, "EditMessageText")
    assert "★★★★★" in thanks.text and thanks.buttons == ["Skip"]
    sent = await town.send(RESIDENT, "Very quick, thank you!")
    assert "passed on to the building head" in one(sent, RESIDENT).text
    found = await ticket(town.db, 1)
    assert (found.status, found.rating) == (S.CLOSED, 5)
    assert ("commented", {"note": "Very quick, thank you!"}) in await events(town.db, 1)
    delivered = await town.deliver()
    assert any("Very quick, thank you!" in s.text for s in to(delivered, HEAD))
    assert "Rating: ★★★★★" in one(delivered, HEAD, "EditMessageText").text

    # The rating buttons are spent now.
    sent = await town.click(RESIDENT, rating, "4⭐")
    assert "out of date" in answer(sent)
    assert (await ticket(town.db, 1)).rating == 5


async def test_resolve_skip_then_not_fixed_goes_back_to_the_head(town: Town) -> None:
    """ "Not fixed" gives the ticket back to the head who held it, still taken: Reply and
    Resolve on the card (not Take), the resident's reason under the status, the head told."""
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    edited = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    taken_at = (await ticket(town.db, 1)).taken_at
    prompt = one(await town.click(HEAD, edited, "✅ Resolve"), HEAD)
    sent = await town.click(HEAD, prompt, "Skip")
    assert "Ticket #1 is resolved" in one(sent, HEAD).text
    question = card(await town.deliver(), RESIDENT)  # after "taken"

    town.world.clock.advance(hours=5)
    prompt = one(await town.click(RESIDENT, question, "👎 Not fixed"), RESIDENT)
    assert "What is still wrong" in prompt.text
    assert (await ticket(town.db, 1)).status is S.RESOLVED  # nothing happens before the reason
    sent = await town.send(RESIDENT, "Still dark at night.")
    assert (
        one(sent, RESIDENT).text
        == "🔁 Ticket #1 is open again, and the building head has been told."
    )
    assert one(sent, RESIDENT, "EditMessageReplyMarkup")  # the question's buttons are spent
    found = await ticket(town.db, 1)
    assert (found.status, found.holder_id) == (S.TAKEN, town.ids[HEAD])
    assert (found.taken_at, found.resolved_at) == (taken_at, None)  # the first take stays
    history = await events(town.db, 1)
    assert [kind for kind, _ in history][-3:] == ["resolved", "reopened", "returned"]
    assert ("reopened", {"note": "Still dark at night."}) in history

    delivered = await town.deliver()
    assert [s.text for s in to(delivered, HEAD, "SendMessage")] == [
        "🔁 Ticket #1 is back with you: the resident says it is not fixed.\nStill dark at night."
    ]
    again = one(delivered, HEAD, "EditMessageText")
    assert again.buttons == ["💬 Reply", "✅ Resolve", "⬆️ Escalate", "🔗 Merge", "📜 History"]
    assert "being handled by Wang 100\n🔁 Reopened by the resident: Still dark at night." in (
        again.text
    )
    # The deputy's copy shows it too; only the holder is written to.
    assert (
        "🔁 住户反映还没修好：Still dark at night."
        in one(delivered, DEPUTY, "EditMessageText").text
    )
    assert to(delivered, DEPUTY, "SendMessage") == []
    # The resident's own card shows the status, not their words again.
    listing = one(await town.send(RESIDENT, "/my"), RESIDENT)
    own = one(await town.click(RESIDENT, listing, listing.buttons[0]), RESIDENT)
    assert "being handled" in own.text and "Reopened" not in own.text

    # The head resolves again from the same card.
    await town.click(HEAD, again, "✅ Resolve")
    sent = await town.send(HEAD, "New lamp fitted.")
    assert "Ticket #1 is resolved" in one(sent, HEAD).text
    assert (await ticket(town.db, 1)).status is S.RESOLVED


async def test_a_sent_note_or_comment_takes_its_skip_button_away(town: Town) -> None:
    """Once the note (or the comment after a rating) was sent, Skip would skip nothing: it
    leaves the prompt, and an old one pressed anyway says so and changes nothing."""
    spent = "✅ Already done: this step is over, and nothing was changed."
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    edited = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    prompt = one(await town.click(HEAD, edited, "✅ Resolve"), HEAD)
    assert prompt.buttons == ["Skip"]
    sent = await town.send(HEAD, "Replaced the bulb.")
    retired = one(sent, HEAD, "EditMessageReplyMarkup").method
    assert retired.message_id == town.message_id(prompt)  # type: ignore[attr-defined]
    assert retired.reply_markup is None  # type: ignore[attr-defined]
    before = await snapshot(town.db)
    sent = await town.click(HEAD, prompt, "Skip")
    assert answer(sent) == spent
    assert await snapshot(town.db) == before
    assert [kind for kind, _ in await events(town.db, 1)].count("resolved") == 1
    assert ("resolved", {"note": "Replaced the bulb."}) in await events(town.db, 1)

    question = card(await town.deliver(), RESIDENT)
    rating = one(await town.click(RESIDENT, question, "👍 Yes, fixed"), RESIDENT)
    thanks = one(await town.click(RESIDENT, rating, "5⭐"), RESIDENT, "EditMessageText")
    assert thanks.buttons == ["Skip"]
    sent = await town.send(RESIDENT, "Thank you!")
    retired = one(sent, RESIDENT, "EditMessageReplyMarkup").method
    assert retired.message_id == town.message_id(rating)  # type: ignore[attr-defined]
    before = await snapshot(town.db)
    assert answer(await town.click(RESIDENT, thanks, "Skip")) == spent
    assert await snapshot(town.db) == before


async def test_a_refused_note_ends_its_step_and_takes_its_skip_button_away(town: Town) -> None:
    """The resident withdrew the ticket while the head wrote the resolve note: the note is
    refused (the ticket says what it is now), the step is over and its Skip goes, as after a
    note that went through; the next message is no note."""
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    edited = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    prompt = one(await town.click(HEAD, edited, "✅ Resolve"), HEAD)
    assert prompt.buttons == ["Skip"]
    listing = one(await town.send(RESIDENT, "/my"), RESIDENT)
    own = one(await town.click(RESIDENT, listing, listing.buttons[0]), RESIDENT)
    ask = one(await town.click(RESIDENT, own, "↩️ Withdraw"), RESIDENT, "EditMessageText")
    await town.click(RESIDENT, ask, "Yes, withdraw it")
    await town.deliver()

    before = await snapshot(town.db)
    sent = await town.send(HEAD, "Replaced the bulb.")
    assert "Ticket #1 is now withdrawn: this button is out of date" in one(sent, HEAD).text
    retired = one(sent, HEAD, "EditMessageReplyMarkup").method
    assert retired.message_id == town.message_id(prompt)  # type: ignore[attr-defined]
    assert retired.reply_markup is None  # type: ignore[attr-defined]
    tickets, counts, states = await snapshot(town.db)
    assert (tickets, counts) == before[:2]  # the ticket as it was: nothing changed
    assert states == ()  # but the head's step is over
    assert (await ticket(town.db, 1)).status is S.WITHDRAWN

    sent = await town.send(HEAD, "Replaced the bulb, really.")
    assert all("out of date" not in s.text for s in sent)  # no step waits any more
    assert "resolved" not in [kind for kind, _ in await events(town.db, 1)]


async def test_a_photo_answers_a_note_step(town: Town) -> None:
    """A photo of the repair (or of what is still broken) reaches the other side as it is."""
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    edited = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    await town.click(HEAD, edited, "✅ Resolve")
    await town.send(HEAD, None, photo=photo("fixed"), caption="All new")
    assert (await ticket(town.db, 1)).status is S.RESOLVED
    delivered = to(await town.deliver(), RESIDENT)
    assert [type(s.method).__name__ for s in delivered] == [
        "SendMessage",
        "SendPhoto",
        "SendMessage",
    ]
    assert delivered[1].method.photo == "fixed"  # type: ignore[attr-defined]
    assert delivered[2].buttons == ["👍 Yes, fixed", "👎 Not fixed"]  # after the photo

    await town.click(RESIDENT, delivered[2], "👎 Not fixed")
    await town.send(RESIDENT, None, photo=photo("still"), caption="Look at this")
    assert (await ticket(town.db, 1)).status is S.TAKEN  # back with the head
    assert ("reopened", {"note": "Look at this"}) in await events(town.db, 1)
    assert one(await town.deliver(), HEAD, "SendPhoto").method.photo == "still"  # type: ignore[attr-defined]


async def test_a_photo_note_for_a_ticket_resolved_meanwhile_goes_nowhere(town: Town) -> None:
    """The deputy resolved the ticket while the head was taking the photo of the repair: the
    photo is refused like a written note would be, and does not reach the resident on its own
    (it went to the resident, then the resolve was refused: half a change)."""
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    edited = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    await town.click(HEAD, edited, "✅ Resolve")
    await town.world.services.ticket_actions.resolve(await town.person(DEPUTY), 1, "Done.")
    await town.deliver()

    before = await snapshot(town.db)
    sent = await town.send(HEAD, None, photo=photo("fixed"), caption="All new")
    assert "Ticket #1 is now resolved" in one(sent, HEAD).text
    assert await snapshot(town.db) == (*before[:2], ())  # nothing changed; the step is over
    assert to(await town.deliver(), RESIDENT) == []


async def test_a_telegram_reply_to_another_ticket_is_not_the_step_s_answer(town: Town) -> None:
    """The head pressed Reply (or Resolve) on ticket #1, then answered the neighbour of ticket
    #2 with Telegram's reply on that neighbour's message: the words were for #2's neighbour and
    went to #1's resident (or escalated #1 with them). Nothing goes, the head is told, and the
    step still waits."""
    await town.report(RESIDENT, "The gate is broken")
    await town.report(NEIGHBOUR, "The dog barks at night")
    cards = [s for s in to(await town.deliver(), HEAD) if s.buttons]
    first = one(await town.click(HEAD, cards[0], "✋ Take"), HEAD, "EditMessageText")
    await town.click(HEAD, cards[1], "✋ Take")
    neighbour = await town.person(NEIGHBOUR)
    await town.world.services.ticket_actions.message(neighbour, 2, Content(text="After six?"))
    relayed = [s for s in to(await town.deliver(), HEAD) if "After six?" in s.text][0]

    for button in ("💬 Reply", "✅ Resolve", "⬆️ Escalate"):
        await town.click(HEAD, first, button)
        before = await snapshot(town.db)
        sent = await town.reply_to(HEAD, relayed, "Flat 302's dog again? I come at six.")
        assert "reply to a message of another ticket, and this step is for ticket #1" in (
            one(sent, HEAD).text
        )
        assert await snapshot(town.db) == before  # nothing went, the step still waits
        assert to(await town.deliver(), RESIDENT) == []
        await town.send(HEAD, "/cancel")

    # A resident's message step (Message on the card of #1) and a reply to #3's head.
    await town.world.services.ticket_actions.reply(
        await town.person(HEAD), 2, Content(text="Which floor?")
    )
    asked = one(await town.deliver(), NEIGHBOUR)
    await town.report(NEIGHBOUR, "The lift is stuck")
    listing = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    own = one(await town.click(NEIGHBOUR, listing, listing.buttons[0]), NEIGHBOUR)
    assert "#3" in own.text
    await town.click(NEIGHBOUR, own, "💬 Message the head")
    before = await snapshot(town.db)
    sent = await town.reply_to(NEIGHBOUR, asked, "The fourth floor.")
    assert "this step is for ticket #3" in one(sent, NEIGHBOUR).text
    assert await snapshot(town.db) == before
    await town.send(NEIGHBOUR, "/cancel")

    # "Not fixed" on #3, answered with a reply to #2's head: #3 does not open again with it.
    head = await town.person(HEAD)
    await town.world.services.ticket_actions.take(head, 3)
    await town.world.services.ticket_actions.resolve(head, 3, "")
    question = [s for s in to(await town.deliver(), NEIGHBOUR) if "👎 Not fixed" in s.buttons][0]
    await town.click(NEIGHBOUR, question, "👎 Not fixed")
    before = await snapshot(town.db)
    sent = await town.reply_to(NEIGHBOUR, asked, "Still the fourth floor.")
    assert "this step is for ticket #3" in one(sent, NEIGHBOUR).text
    assert await snapshot(town.db) == before
    assert (await ticket(town.db, 3)).status is S.RESOLVED


async def test_withdraw_asks_first(town: Town) -> None:
    await town.report()
    await town.deliver()
    listing = one(await town.send(RESIDENT, "/my"), RESIDENT)
    assert listing.text.startswith("📋 Your tickets: 1")
    own = one(await town.click(RESIDENT, listing, listing.buttons[0]), RESIDENT)
    assert own.buttons == ["💬 Message the head", "↩️ Withdraw", "📜 History"]
    assert "Auntie" not in own.text  # the resident's card does not show the reporter line

    ask = one(await town.click(RESIDENT, own, "↩️ Withdraw"), RESIDENT, "EditMessageText")
    assert "Withdraw ticket #1?" in ask.text
    restored = one(await town.click(RESIDENT, ask, "No, keep it"), RESIDENT, "EditMessageText")
    assert restored.buttons == own.buttons
    assert (await ticket(town.db, 1)).status is S.NEW

    sent = await town.click(RESIDENT, ask, "Yes, withdraw it")
    assert answer(sent) == "↩️ Ticket #1 has been withdrawn."
    assert "withdrawn" in one(sent, RESIDENT, "EditMessageText").text
    assert (await ticket(town.db, 1)).status is S.WITHDRAWN
    delivered = await town.deliver()
    assert any("withdrew ticket #1" in s.text for s in to(delivered, HEAD))
    assert one(delivered, HEAD, "EditMessageText").buttons == ["📜 History"]


async def test_resident_messages_the_head_from_the_card(town: Town) -> None:
    await town.report()
    await town.deliver()
    listing = one(await town.send(RESIDENT, "/my"), RESIDENT)
    own = one(await town.click(RESIDENT, listing, listing.buttons[0]), RESIDENT)
    await town.click(RESIDENT, own, "💬 Message the head")
    sent = await town.send(RESIDENT, None, photo=photo("leak"), caption="It drips here")
    assert one(sent, RESIDENT).text == "✅ Sent to the building head (ticket #1)."
    delivered = await town.deliver()
    # Not taken yet: every recipient hears it.
    assert len(to(delivered, HEAD, "SendPhoto")) == len(to(delivered, DEPUTY, "SendPhoto")) == 1

    # A Telegram reply to the resident's own card works too.
    sent = await town.reply_to(RESIDENT, own, "Also the door.")
    assert one(sent, RESIDENT).text == "✅ Sent (ticket #1)."


# --------------------------------------------------------------------------- merge, escalate


async def test_merge_moves_the_followers(town: Town) -> None:
    await town.report(RESIDENT, "No water on floor 5")
    duplicate_ticket = await town.report(NEIGHBOUR, "Water is off")
    cosigner = await town.world.join(town.client.user(502, "en"), "A1")
    cosigner_id = (await town.world.person(cosigner)).id
    await town.world.services.neighbours.follow(
        await town.world.person(cosigner), duplicate_ticket.id
    )
    delivered = await town.deliver()
    duplicate = [c for c in to(delivered, HEAD) if "#2" in c.text][0]

    prompt = one(await town.click(HEAD, duplicate, "🔗 Merge"), HEAD)
    assert "same problem as which ticket" in prompt.text
    assert "just the ticket number" in one(await town.send(HEAD, "the first one"), HEAD).text
    assert "no open ticket #99" in one(await town.send(HEAD, "#99"), HEAD).text
    assert "no open ticket #2" in one(await town.send(HEAD, "2"), HEAD).text
    sent = await town.send(HEAD, "#1")
    assert one(sent, HEAD).text.startswith("🔗 Merged into ticket #1.")
    assert "closed" in one(sent, HEAD, "EditMessageText").text

    merged = await ticket(town.db, 2)
    assert (merged.status, merged.merged_into_id) == (S.CLOSED, (await ticket(town.db, 1)).id)
    # The duplicate's author and its co-signer follow #1 now.
    assert await followers(town.db, 1) == {town.ids[NEIGHBOUR], cosigner_id}
    assert await followers(town.db, 2) == set()
    delivered = await town.deliver()
    assert "same problem as #1" in one(delivered, NEIGHBOUR).text
    my = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    assert my.text.startswith("📋 Your tickets: 2")  # own (merged) and followed


async def test_escalation_reaches_the_coordinator(town: Town) -> None:
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    await town.click(HEAD, head_card, "⬆️ Escalate")
    assert "text message" in one(await town.send(HEAD, None, sticker=STICKER), HEAD).text
    sent = await town.send(HEAD, "The pipe belongs to the property company.")
    assert one(sent, HEAD).text == "⬆️ Ticket #1 has been passed to the community office."
    assert "Passed to the community office" in one(sent, HEAD, "EditMessageText").text
    found = await ticket(town.db, 1)
    assert (found.escalated, found.owner_id) == (True, town.ids[OFFICE])

    delivered = await town.deliver()
    office = to(delivered, OFFICE)
    assert any(
        "需要您处理。原因：\nThe pipe belongs to the property company." in s.text for s in office
    )
    assert "✋ 接单" in card(delivered, OFFICE).buttons
    assert "passed to the community office" in one(delivered, RESIDENT).text

    # The coordinator takes it from their card.
    sent = await town.click(OFFICE, card(delivered, OFFICE), "✋ 接单")
    assert answer(sent) == "✋ 您已接下工单 #1，已通知住户。"
    assert (await ticket(town.db, 1)).holder_id == town.ids[OFFICE]


# --------------------------------------------------------------------------- races and refusals


async def test_racing_take_has_exactly_one_winner(town: Town) -> None:
    await town.report()
    delivered = await town.deliver()
    head_card, deputy_card = card(delivered, HEAD), card(delivered, DEPUTY)
    before = len(town.client.session.requests)
    await asyncio.gather(
        town.click(HEAD, head_card, "✋ Take"), town.click(DEPUTY, deputy_card, "✋ 接单")
    )
    sent = [Sent(m) for m in town.client.session.requests[before:]]
    answers = sorted(s.text for s in sent if type(s.method).__name__ == "AnswerCallbackQuery")
    # The head reads English, the deputy Chinese: one took it, the other is told who did.
    head_won = [
        "✋ You took ticket #1. The resident has been told.",
        "✋ 工单 #1 已经由 Wang 100 接单，没有做任何改动。",
    ]
    deputy_won = [
        "✋ Ticket #1 has already been taken by Li 101. Nothing was changed.",
        "✋ 您已接下工单 #1，已通知住户。",
    ]
    assert answers in (head_won, deputy_won)
    winner = HEAD if answers == head_won else DEPUTY
    found = await ticket(town.db, 1)
    assert (found.status, found.holder_id) == (S.TAKEN, town.ids[winner])
    assert [kind for kind, _ in await events(town.db, 1)].count("taken") == 1
    # Both cards show the winner at once.
    name = town.users[winner].full_name
    assert name in one(sent, HEAD, "EditMessageText").text
    assert name in one(sent, DEPUTY, "EditMessageText").text


async def test_take_on_a_taken_ticket_names_who_has_it(town: Town) -> None:
    """An old card's Take (or a second tap) says who has the ticket, changes nothing, and shows
    the card as it is now; the resident never reads the head's name."""
    found = await town.report()
    delivered = await town.deliver()
    head_card = card(delivered, HEAD)
    await town.click(DEPUTY, card(delivered, DEPUTY), "✋ 接单")
    before = await snapshot(town.db)

    sent = await town.click(HEAD, head_card, "✋ Take")
    assert answer(sent) == "✋ Ticket #1 has already been taken by Li 101. Nothing was changed."
    assert "being handled by Li 101" in one(sent, HEAD, "EditMessageText").text
    # The office, from a card it opened from /tickets.
    sent = await town.press(OFFICE, TicketCb(action=Action.TAKE, ticket_id=found.id).pack())
    assert answer(sent) == "✋ 工单 #1 已经由 Li 101 接单，没有做任何改动。"
    sent = await town.click(DEPUTY, card(delivered, DEPUTY), "✋ 接单")  # a double tap
    assert answer(sent) == "✋ 您已经接下工单 #1 了。"
    assert await snapshot(town.db) == before
    assert [kind for kind, _ in await events(town.db, 1)].count("taken") == 1
    notice = one(await town.deliver(), RESIDENT)
    assert "has been taken" in notice.text and "Li" not in notice.text


FORBIDDEN = [
    # (who presses, action, on which ticket, the answer)
    (RESIDENT, Action.TAKE, "new", "not allowed"),
    (RESIDENT, Action.RESOLVE, "new", "not allowed"),
    (RESIDENT, Action.REPLY, "new", "not allowed"),
    (RESIDENT, Action.MERGE, "new", "not allowed"),
    (RESIDENT, Action.CONFIRM, "new", "out of date"),  # the right person, the wrong moment
    (RESIDENT, Action.RATE, "new", "out of date"),
    (NEIGHBOUR, Action.WITHDRAW, "new", "not allowed"),  # a neighbour, not the author
    (NEIGHBOUR, Action.OPEN, "new", "not allowed"),
    (NEIGHBOUR, Action.MESSAGE, "new", "not allowed"),
    (STRANGER, Action.HISTORY, "new", "not allowed"),
    (HEAD2, Action.TAKE, "new", "not allowed"),  # the head of another building
    (HEAD2, Action.REPLY, "new", "not allowed"),
    (HEAD2, Action.RESOLVE, "new", "not allowed"),
    (HEAD2, Action.ESCALATE, "new", "not allowed"),
    (HEAD2, Action.MERGE, "new", "not allowed"),
    (HEAD2, Action.HISTORY, "new", "not allowed"),
    (HEAD2, Action.OPEN, "new", "not allowed"),
    (HEAD, Action.TAKE, "forged", "not allowed"),
    (HEAD, Action.OPEN, "forged", "not allowed"),
    (RESIDENT, Action.WITHDRAW, "forged", "not allowed"),
    (HEAD, Action.CONFIRM, "new", "not allowed"),
    (HEAD, Action.WITHDRAW, "new", "not allowed"),
    (HEAD, Action.RESOLVE, "new", "out of date"),  # not taken yet
    (HEAD, Action.RESOLVE, "closed", "out of date"),
    (HEAD, Action.TAKE, "closed", "out of date"),
    (HEAD, Action.REPLY, "closed", "out of date"),
    (HEAD, Action.ESCALATE, "closed", "out of date"),
    (HEAD, Action.MERGE, "withdrawn", "out of date"),
    (RESIDENT, Action.REOPEN, "closed", "out of date"),
    (RESIDENT, Action.RATE, "closed", "out of date"),  # rated already
    (RESIDENT, Action.WITHDRAW, "closed", "out of date"),
    (RESIDENT, Action.MESSAGE, "withdrawn", "out of date"),
]


async def test_forbidden_presses_change_nothing(town: Town) -> None:
    """A table of presses each role must not make: "not allowed" for a forged or foreign
    ticket, "out of date" for the right person at the wrong moment; nothing changes."""
    tickets = town.world.services
    resident, head = await town.person(RESIDENT), await town.person(HEAD)
    ids = {"new": (await town.report()).id, "forged": 987654}
    ids["closed"] = (await town.report(text="Closed one")).id
    await tickets.ticket_actions.take(head, ids["closed"])
    await tickets.ticket_actions.resolve(head, ids["closed"], "done")
    await tickets.ticket_actions.confirm(resident, ids["closed"])
    await tickets.ticket_actions.rate(resident, ids["closed"], 4)
    ids["withdrawn"] = (await town.report(text="Withdrawn one")).id
    await tickets.ticket_actions.withdraw(resident, ids["withdrawn"])
    await town.deliver()
    before = await snapshot(town.db)
    for who, action, which, expected in FORBIDDEN:
        data = TicketCb(action=action, ticket_id=ids[which], arg=3).pack()
        sent = await town.press(who, data)
        assert expected in answer(sent), (who, action, which)
        assert to(sent, who, "SendMessage") == [], (who, action, which)
        assert await snapshot(town.db) == before, (who, action, which)
    assert await town.deliver() == []

    # Data that does not even parse is answered too.
    for data in ("t1:take:abc:0", "t1:explode:1:0", "tl2:nope:0:0:0", "sk1:x", "wd1:1:maybe"):
        assert "no longer valid" in answer(await town.press(HEAD, data)), data

    # A Skip left over from another ticket's step does not skip this one's note.
    other = await town.report(NEIGHBOUR, "Other")
    await tickets.ticket_actions.take(head, other.id)
    await town.press(HEAD, TicketCb(action=Action.RESOLVE, ticket_id=other.id).pack())
    assert "no longer valid" in answer(await town.press(HEAD, f"sk1:{ids['new']}"))
    assert (await ticket(town.db, other.number)).status is S.TAKEN


# --------------------------------------------------------------------------- free-form input


async def test_steps_hint_at_wrong_content_and_keep_waiting(town: Town) -> None:
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    await town.click(HEAD, head_card, "💬 Reply")
    hint = one(await town.send(HEAD, None, sticker=STICKER), HEAD).text
    assert hint.startswith("I can pass on text, photos and voice notes")
    too_long = one(await town.send(HEAD, "x" * 5000), HEAD).text
    assert "too long (5,000 characters)" in too_long
    assert [k for k, _ in await events(town.db, 1) if k == "message"] == []
    # A command in the middle is a command, not the reply (and /tickets leaves the step).
    assert "Tickets (open)" in one(await town.send(HEAD, "/tickets"), HEAD).text
    assert [k for k, _ in await events(town.db, 1) if k == "message"] == []
    await town.click(HEAD, head_card, "💬 Reply")
    await town.send(HEAD, "On my way")
    assert [k for k, _ in await events(town.db, 1) if k == "message"] == ["message"]

    # Relay: a sticker in reply gets the hint; a reply to a message that is not a ticket's is a
    # free message: "report this?" (for the resident the head just wrote to, it goes to that
    # conversation: tests/test_conversations.py).
    relayed = one(await town.deliver(), RESIDENT)
    assert (
        "I can pass on"
        in one(await town.reply_to(RESIDENT, relayed, None, sticker=STICKER), RESIDENT).text
    )
    listing = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    offer = one(await town.reply_to(NEIGHBOUR, listing, "the light again"), NEIGHBOUR)
    assert "report this as a problem" in offer.text


async def test_relay_after_closing_is_refused(town: Town) -> None:
    found = await town.report()
    await town.world.services.ticket_actions.take(await town.person(HEAD), found.id)
    await town.world.services.ticket_actions.reply(
        await town.person(HEAD), found.id, Content(text="hi")
    )
    relayed = to(await town.deliver(), RESIDENT)[-1]  # after "taken"
    await town.world.services.ticket_actions.withdraw(await town.person(RESIDENT), found.id)
    sent = await town.reply_to(RESIDENT, relayed, "hello?")
    assert (
        one(sent, RESIDENT).text == "Ticket #1 is withdrawn now, so your message was not passed on."
    )


# --------------------------------------------------------------------------- lists


async def test_tickets_filters_and_pages(town: Town) -> None:
    for n in range(12):
        await town.report(RESIDENT if n < 6 else NEIGHBOUR, f"Problem {n + 1}")
    await town.world.services.ticket_actions.take(
        await town.person(HEAD), (await ticket(town.db, 3)).id
    )
    first = one(await town.send(HEAD, "/tickets"), HEAD)
    assert first.text.startswith("📋 Tickets (open): 12, page 1 of 2.")
    assert first.buttons[0] == "🆕 #12 Problem 12" and first.buttons[9] == "⏳ #3 Problem 3"
    assert first.buttons[10:] == [
        "• open",
        "waiting",
        "being handled",
        "resolved",
        "escalated",
        "all",
        "›",
    ]
    second = one(await town.click(HEAD, first, "›"), HEAD, "EditMessageText")
    assert second.buttons[:2] == ["🆕 #2 Problem 2", "🆕 #1 Problem 1"] and "‹" in second.buttons
    taken = one(await town.click(HEAD, second, "being handled"), HEAD, "EditMessageText")
    assert taken.text.startswith("📋 Tickets (being handled): 1,")
    assert taken.buttons[0] == "⏳ #3 Problem 3"
    escalated = one(await town.click(HEAD, taken, "escalated"), HEAD, "EditMessageText")
    assert escalated.text == "📋 No tickets here (escalated)."

    # Opening one: a new card, remembered as the card of this chat.
    opened = one(await town.click(HEAD, taken, "⏳ #3 Problem 3"), HEAD)
    assert "#3" in opened.text and "✅ Resolve" in opened.buttons
    card_id = await town.world.services.ticket_cards.card_message(
        (await ticket(town.db, 3)).id, telegram_address(HEAD)
    )
    assert card_id == str(town.message_id(opened))

    assert "Tickets (all): 12" in one(await town.send(HEAD, "/tickets all"), HEAD).text
    office = one(await town.send(OFFICE, "/tickets"), OFFICE)
    assert office.text.startswith("📋 工单（进行中）：共 12 张")
    assert one(await town.send(HEAD2, "/tickets"), HEAD2).text == "📋 No tickets here (open)."
    assert "for building heads" in one(await town.send(RESIDENT, "/tickets"), RESIDENT).text
    sent = await town.press(RESIDENT, "tl2:all:0:0:0")
    assert "for building heads" in answer(sent)


async def test_my_lists_own_and_followed(town: Town, translations: Translations) -> None:
    own = await town.report(RESIDENT, "My lift is stuck")
    other = await town.report(NEIGHBOUR, "Lift again")
    await town.world.services.neighbours.follow(await town.person(RESIDENT), other.id)
    listing = one(await town.send(RESIDENT, "/my"), RESIDENT)
    assert listing.text.startswith("📋 Your tickets: 2, page 1 of 1.")
    # A followed ticket is listed by its category: the neighbour's words are theirs.
    assert listing.buttons == [
        f"🆕 #{other.number} 🙋 Repairs",
        f"🆕 #{own.number} My lift is stuck",
    ]
    # The followed one opens as a follower's card: the status, no words, no buttons to talk.
    followed = one(await town.click(RESIDENT, listing, listing.buttons[0]), RESIDENT)
    assert followed.buttons == ["📜 History"]
    assert "Lift again" not in followed.text and "You follow this ticket" in followed.text
    history = one(await town.click(RESIDENT, followed, "📜 History"), RESIDENT)
    assert history.text.startswith("📜 History of ticket #2:") and "Uncle" not in history.text

    # The menu button, in either language.
    for language in ("en", "zh-hans"):
        label = translations.get(language, "menu-my")
        assert one(await town.send(RESIDENT, label), RESIDENT).text.startswith("📋 Your tickets")
    assert "no tickets yet" in one(await town.send(STRANGER, "/my"), STRANGER).text


# --------------------------------------------------------------------------- away


async def routed(db: Database, number: int) -> dict[str, list[list[Any]]]:
    return next(data for kind, data in await events(db, number) if kind == "routed")


async def test_away_hands_new_tickets_to_the_deputy_until_back(town: Town) -> None:
    head, deputy = town.ids[HEAD], town.ids[DEPUTY]
    sent = await town.send(HEAD, "/away 3")
    # 02:00 UTC is 10:00 in the community (Asia/Shanghai).
    assert "away until 2026-11-29 10:00" in one(sent, HEAD).text
    assert (await town.person(HEAD)).away_until == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    await town.report()
    assert await routed(town.db, 1) == {
        "recipients": [[deputy, "deputy"]],
        "skipped": [[head, "away"]],
    }
    assert "welcome back" in one(await town.send(HEAD, "/back"), HEAD).text.lower()
    assert (await town.person(HEAD)).away_until is None
    await town.report()
    assert (await routed(town.db, 2))["recipients"] == [[head, "head"], [deputy, "deputy"]]

    # A head without a deputy, away until /back: the coordinator covers.
    assert "until you send /back" in one(await town.send(HEAD2, "/away"), HEAD2).text
    person = await town.person(HEAD2)
    assert person.away_until is not None and person.away_until.year == 2027
    town.users[700] = await town.world.join(town.client.user(700, "en"), "A2")
    await town.report(700)
    assert await routed(town.db, 3) == {
        "recipients": [[town.ids[OFFICE], "coordinator"]],
        "skipped": [[person.id, "away"]],
    }


async def test_away_arguments(town: Town) -> None:
    for arg, expected in [
        ("2026-12-01", "away until 2026-12-01 23:59"),  # the end of that day, local time
        ("2 days", "away until 2026-11-28 10:00"),
        ("5天", "away until 2026-12-01 10:00"),
        ("2026-11-01", "That date has already passed."),
        ("400", "Send /away with a number of days"),
        ("next week", "Send /away with a number of days"),
    ]:
        assert expected in one(await town.send(HEAD, f"/away {arg}"), HEAD).text, arg
    assert (await town.person(HEAD)).away_until == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def test_away_and_back_are_for_staff(town: Town) -> None:
    for command in ("/away 3", "/back"):
        assert "for building heads" in one(await town.send(RESIDENT, command), RESIDENT).text
    assert (await town.person(RESIDENT)).away_until is None


async def test_an_album_sent_at_the_reply_step_reaches_the_resident_whole(town: Town) -> None:
    """A head presses Reply and sends three photos of the repair at once (an album: three
    updates with one media_group_id). Found: the first ended the step and went; the second
    and third arrived outside any step and were answered with the hint for staff who type
    (or offered as a new report to a head who lives in a building): two photos never reached
    the resident. The rest of the album now follows the first."""
    await town.report()
    head_card = card(await town.deliver(), HEAD)
    await town.click(HEAD, head_card, "💬 Reply")
    first = await town.send(
        HEAD, None, photo=photo("p1"), media_group_id="repair", caption="Fixed, see photos"
    )
    assert [s.text for s in first] == ["✅ Sent to the resident of ticket #1."]
    rest = [
        await town.send(HEAD, None, photo=photo(f"p{n}"), media_group_id="repair") for n in (2, 3)
    ]
    assert rest == [[], []]
    photos = [
        s for s in to(await town.deliver(), RESIDENT) if type(s.method).__name__ == "SendPhoto"
    ]
    assert [s.method.photo for s in photos] == ["p1", "p2", "p3"]  # type: ignore[attr-defined]
    # Another photo after the album is no part of it: outside any step, as before.
    after = await town.send(HEAD, None, photo=photo("p4"))
    assert after and all("Sent to the resident" not in s.text for s in after)
