"""Property-based tests (hypothesis): random and malformed updates in random flow states, fed
through the Dispatcher as Telegram would send them (issue 4 §5). Texts up to 10,000 characters,
commands with junk arguments and deep-link payloads, random callback data and well-formed data
with foreign ids, unexpected content types, unknown users, stale and inaccessible messages.

Properties: nothing reaches the errors router (no handler crashed), every callback query is
answered exactly once, everything sent is within Telegram's limits, and someone without rights
changes nothing that is not their own.

Every example gets a fresh copy of one prepared database (a town with tickets in every state
and people in the middle of flows), so examples are independent and fast."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Contact,
    Dice,
    Document,
    InaccessibleMessage,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageEntity,
    PhotoSize,
    Poll,
    PollOption,
    Sticker,
    Update,
    User,
    Venue,
    Voice,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Draft
from handlers.keyboards import TicketCb
from storage.db import Database
from storage.models import Role
from tests.botclient import BOT_USER, BotClient, FakeSession, telegram_date, utf16_len
from tests.conftest import ADMIN_ID, TOKEN, FakeClock
from tests.factories import make_world

HEAD, DEPUTY, HEAD2, OFFICE = 100, 101, 200, 300
RESIDENT, NEIGHBOUR, DRAFTER, STRANGER = 500, 501, 502, 600
UNKNOWN = 777_000  # and up: people the bot has never seen
TICKETS = range(1, 6)  # new, taken, resolved, closed, withdrawn (all of building A1)
LANGUAGES = ("en", "zh-hans", "de", None)
TRANSLATIONS = Translations(default="zh-hans")  # parsed once: it is most of an example's cost
GENERIC_ERROR = {TRANSLATIONS.get(language, "error-generic") for language in ("en", "zh-hans")}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays stable
    database=None,  # no .hypothesis directory in the tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- the prepared town


def config_for(path: Path) -> Config:
    return Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{path}",
        bot_username="louzhang_test_bot",
        admin_ids=frozenset({ADMIN_ID}),
    )


async def build_town(path: Path) -> dict[str, str]:
    """A1 with a head (en) and a deputy, A2 with its own head, the community office; residents
    of A1 and a stranger of B1. Tickets of A1 in every state: #1 new, #2 taken, #3 resolved,
    #4 closed and rated, #5 withdrawn. The head is writing a reply to #2; a resident is half-way
    through a report. Returns the join payloads and the used head invitation."""
    clock, translations = FakeClock(), TRANSLATIONS
    config = config_for(path)
    db = Database(config.database_url)
    await db.migrate()
    try:
        services = Services.create(config, db, translations, clock)
        dispatcher = create_dispatcher(config, db, translations=translations, clock=clock)
        world = await make_world(
            BotClient(dispatcher, Bot(TOKEN, session=FakeSession()), FakeSession()),
            services,
            db,
            clock,
        )
        world.client.session = world.client.bot.session  # type: ignore[assignment]
        c = world.client
        head_invite = await services.community.invite(Role.HEAD, "A1")
        await c.send(c.user(HEAD, "en"), f"/start {head_invite.payload}")
        await world.appoint(c.user(DEPUTY, "zh-hans"), Role.DEPUTY, "A1")
        await world.appoint(c.user(HEAD2, "en"), Role.HEAD, "A2")
        await world.appoint(c.user(OFFICE, "zh-hans"), Role.COORDINATOR, "塘中社区")
        for user, code in [(RESIDENT, "A1"), (NEIGHBOUR, "A1"), (DRAFTER, "A1"), (STRANGER, "B1")]:
            await world.join(c.user(user, "en"), code, "3-502")

        tickets = services
        resident, head = await world.person(c.user(RESIDENT)), await world.person(c.user(HEAD))
        [a1] = await tickets.reporting.resident_buildings(resident)
        ids = []
        for n in range(5):
            draft = Draft(a1.building_id, "repairs", f"problem {n + 1}")
            ids.append((await tickets.reporting.report(resident, draft)).ticket.id)
        assert ids == list(TICKETS)
        await tickets.ticket_actions.take(head, 2)
        for ticket_id in (3, 4):
            await tickets.ticket_actions.take(head, ticket_id)
            await tickets.ticket_actions.resolve(head, ticket_id, "done")
        await tickets.ticket_actions.confirm(resident, 4)
        await tickets.ticket_actions.rate(resident, 4, 5)
        await tickets.ticket_actions.withdraw(resident, 5)
        await world.deliver()

        # People in the middle of flows: the head writing a reply, a resident's report draft.
        await press(c, c.user(HEAD, "en"), TicketCb(action=Action.REPLY, ticket_id=2).pack())
        drafter = c.user(DRAFTER, "en")
        await c.send(drafter, "/report")
        await press(c, drafter, "r1:c:elevator")
        await dispatcher.storage.close()
        return {"join_a1": world.payloads["A1"], "used_invite": head_invite.payload}
    finally:
        await db.close()


async def press(client: BotClient, user: User, data: str) -> None:
    message = Message(
        message_id=1,
        date=telegram_date(0),
        chat=Chat(id=user.id, type="private"),
        from_user=bot_user(),
    )
    query = CallbackQuery(
        id="setup", from_user=user, chat_instance="ci", message=message, data=data
    )
    await client.feed(callback_query=query)


def bot_user() -> User:
    return User.model_validate({k: v for k, v in BOT_USER.items() if k != "username"})


@dataclass(frozen=True)
class Town:
    template: Path
    directory: Path
    payloads: dict[str, str]


@pytest.fixture(scope="module")
def town() -> Iterator[Town]:
    """Prepared once for the module; examples only ever see copies of it."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as directory:
        template = Path(directory) / "template.db"
        payloads = asyncio.run(build_town(template))
        yield Town(template, Path(directory), payloads)


_copies = itertools.count()


@contextlib.contextmanager
def fresh_copy(town: Town) -> Iterator[Path]:
    """A consistent copy of the prepared database for one example (SQLite's backup API)."""
    path = town.directory / f"example-{next(_copies)}.db"
    source, target = sqlite3.connect(town.template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    try:
        yield path
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- updates


@dataclass(frozen=True)
class Sends:
    """A message: ``kind`` is text, or one of the content types; ``value`` its details."""

    kind: str
    value: Any = None
    reply_to: int | None = None


@dataclass(frozen=True)
class Presses:
    data: str
    message_id: int
    inaccessible: bool = False


@dataclass(frozen=True)
class Blocks:
    blocked: bool


@dataclass(frozen=True)
class Elsewhere:
    """A message in a group the bot was added to (``edited``: or an edit in the private chat)."""

    text: str
    edited: bool = False


Event = Sends | Presses | Blocks | Elsewhere
GROUP = Chat(id=-1001234567890, type="supergroup", title="楼栋群")

COMMANDS = (
    "start", "help", "language", "report", "cancel", "my", "tickets", "away", "back", "join",
    "joinlink", "invite", "digest", "settings", "unknown", "start@louzhang_test_bot",
)  # fmt: skip
PAYLOAD = st.text(alphabet="ABCxyz0123456789_-", max_size=64)
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not encodable: no Telegram text carries one
TEXT = st.text(st.characters(exclude_categories=SURROGATES), min_size=1, max_size=10_000)
JUNK = st.text(st.characters(exclude_categories=SURROGATES), max_size=200)
IDS = st.one_of(
    st.sampled_from(TICKETS), st.integers(-(2**31), 2**63 - 1), st.sampled_from([0, 6, 99])
)


def deep_links(payloads: dict[str, str]) -> st.SearchStrategy[str]:
    return st.one_of(
        PAYLOAD,
        st.builds(lambda k, s: k + s, st.sampled_from("jiJ"), PAYLOAD),
        st.sampled_from(sorted(payloads.values())),
    ).map(lambda payload: f"/start {payload}")


def texts(payloads: dict[str, str]) -> st.SearchStrategy[str]:
    command = st.builds(
        lambda name, args: f"/{name} {args}".rstrip(), st.sampled_from(COMMANDS), JUNK
    )
    menu = st.sampled_from(["📝 Report a problem", "📋 My tickets", "Skip", "跳过", "#1", "2"])
    return st.one_of(TEXT, command, deep_links(payloads), menu, JUNK.filter(str.strip))


def callback_data() -> st.SearchStrategy[str]:
    actions = [a.value for a in Action]
    well_formed = st.one_of(
        st.builds(
            lambda a, i, arg: f"t1:{a}:{i}:{arg}",
            st.sampled_from([*actions, "explode"]),
            IDS,
            st.integers(-5, 9),
        ),
        st.builds(
            lambda step, value: f"r1:{step}:{value}",
            st.sampled_from(
                [
                    "b",
                    "c",
                    "f",
                    "n",
                    "pd",
                    "tn",
                    "tp",
                    "pv",
                    "s",
                    "e",
                    "ec",
                    "ed",
                    "el",
                    "ep",
                    "x",
                    "oy",
                    "on",
                    "zz",
                ]
            ),  # fmt: skip
            st.one_of(st.sampled_from(["repairs", "safety", "1", "2", "nope"]), JUNK),
        ),
        st.builds(
            lambda a, i, p: f"pk1:{a}:{i}:{p}",
            st.sampled_from(["cs", "c", "b", "sf", "q"]),
            IDS,
            st.integers(-3, 99),
        ),  # fmt: skip
        st.builds(lambda lang: f"l1:{lang}", st.sampled_from(["en", "zh-hans", "xx", ""])),
        st.builds(
            lambda a, i, p: f"jr1:{a}:{i}:{p}",
            st.sampled_from(["a", "d", "x", "l", "s", "q"]),
            IDS,
            st.integers(-3, 99),
        ),
        st.builds(
            lambda f, p, a, n: f"tl2:{f}:{p}:{a}:{n}",
            st.sampled_from(["open", "new", "taken", "resolved", "escalated", "all", "x"]),
            st.integers(-3, 99),
            IDS,
            st.sampled_from(["0", "1", "x"]),
        ),
        st.builds(lambda p: f"my1:{p}", st.integers(-3, 2**40)),
        st.builds(lambda i, s: f"wd1:{i}:{s}", IDS, st.sampled_from(["1", "0", "true", "x"])),
        st.builds(lambda i: f"sk1:{i}", IDS),
        st.builds(
            lambda a, i: f"s1:{a}:{i}",
            st.sampled_from(["snooze-hour", "snooze-morning", "fixed-yes", "fixed-no", "x"]),
            IDS,
        ),
    )
    junk = st.one_of(
        st.text(min_size=1, max_size=64), st.binary(max_size=64).map(lambda b: b.decode("latin-1"))
    )
    return st.one_of(well_formed, well_formed, junk)


CONTENT = st.one_of(
    st.just(Sends("sticker")),
    st.just(Sends("poll")),
    st.builds(lambda v: Sends("dice", v), st.integers(1, 6)),
    st.builds(lambda own: Sends("contact", own), st.booleans()),
    st.builds(
        lambda lat, lon: Sends("location", (lat, lon)),
        st.floats(-90, 90, allow_nan=False),
        st.floats(-180, 180, allow_nan=False),
    ),
    st.just(Sends("venue")),
    st.builds(lambda caption: Sends("document", caption), st.none() | JUNK),
    st.builds(lambda caption: Sends("photo", caption), st.none() | TEXT),
    st.just(Sends("voice")),
)
MESSAGE_IDS = st.integers(1, 2**31 - 1)


# Steps that really move flows along, so the junk lands in random flow states.
FLOW_STEPS: st.SearchStrategy[Event] = st.sampled_from(
    [
        Sends("text", "/report"),
        Presses("r1:c:repairs", 1),
        Presses("r1:c:safety", 1),
        Presses("r1:n:", 1),
        Presses("r1:f:", 1),
        Sends("text", "The lift is stuck again"),
        Sends("text", "Skip"),
        Presses("r1:tn:", 1),
        Presses("r1:tp:", 1),
        Presses("r1:pv:", 1),
        Presses("r1:e:", 1),
        Presses("r1:ed:", 1),
        Presses("r1:s:", 1),
        Presses("r1:x:", 1),
        Sends("text", "/cancel"),
        Sends("text", "/my"),
        Presses("my1:0", 1),
        Sends("text", "/tickets"),
        Presses("tl2:all:0:0:0", 1),
        Presses("tl2:all:1:2:0", 1),
        *[Presses(f"t1:{a.value}:{t}:0", 1) for a in Action for t in TICKETS],
        Presses("wd1:1:1", 1),
        Presses("sk1:2", 1),
        Presses("sk1:3", 1),
        Presses("pk1:cs:0:0", 1),
        Presses("pk1:b:2:0", 1),
        Presses("jr1:s:1:0", 1),  # ask to join A1 without a flat number
        Presses("jr1:l:0:1", 1),
        Presses("jr1:a:1:0", 1),
        Presses("jr1:x:1:0", 1),
        Presses("l1:en", 1),
    ]
)


def events(payloads: dict[str, str]) -> st.SearchStrategy[Event]:
    """Flow steps, texts and presses three times as often as content and block/unblock (each
    kind chosen first: hypothesis would otherwise flatten the nested choices into one)."""
    kinds: dict[str, st.SearchStrategy[Event]] = {
        "flow": FLOW_STEPS,
        "text": st.builds(Sends, st.just("text"), texts(payloads), st.none() | MESSAGE_IDS),
        "press": st.builds(Presses, callback_data(), MESSAGE_IDS, st.booleans()),
        "content": CONTENT,
        "block": st.builds(Blocks, st.booleans()),
        "elsewhere": st.builds(Elsewhere, texts(payloads), st.booleans()),
    }
    weights = {"flow": 3, "text": 3, "press": 3, "content": 2, "block": 1, "elsewhere": 1}
    return st.sampled_from([k for k, n in weights.items() for _ in range(n)]).flatmap(
        lambda kind: kinds[kind]
    )


class Feeder:
    """Turns events into aiogram Updates from one user and records what the bot did."""

    def __init__(self, client: BotClient, user: User) -> None:
        self.client, self.user = client, user
        self.chat = Chat(id=user.id, type="private")
        self.callbacks: list[tuple[str, list[TelegramMethod[Any]]]] = []
        self.calls: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(10**6)  # above the ids the prepared town has seen

    async def feed(self, event: Event) -> None:
        session = self.client.session
        before = len(session.requests)
        update_id = next(self._ids)
        if isinstance(event, Presses):
            query_id = f"q{update_id}"
            message: Any
            if event.inaccessible:  # a button on a message too old for the bot to see
                message = InaccessibleMessage(chat=self.chat, message_id=event.message_id)
            else:
                message = Message(
                    message_id=event.message_id, date=telegram_date(), chat=self.chat,
                    from_user=bot_user(), text="…",
                )  # fmt: skip
            query = CallbackQuery(
                id=query_id, from_user=self.user, chat_instance="ci", message=message,
                data=event.data,
            )  # fmt: skip
            await self.client.dp.feed_update(
                self.client.bot, Update(update_id=update_id, callback_query=query)
            )
            self.callbacks.append((query_id, session.requests[before:]))
        elif isinstance(event, Blocks):
            member = (
                ChatMemberBanned(user=bot_user(), until_date=telegram_date(0))
                if event.blocked
                else ChatMemberMember(user=bot_user())
            )
            previous = ChatMemberMember(user=bot_user()) if event.blocked else member
            changed = ChatMemberUpdated(
                chat=self.chat, from_user=self.user, date=telegram_date(),
                old_chat_member=previous, new_chat_member=member,
            )  # fmt: skip
            await self.client.dp.feed_update(
                self.client.bot, Update(update_id=update_id, my_chat_member=changed)
            )
        elif isinstance(event, Elsewhere):
            message = self.message(Sends("text", event.text), update_id)
            if event.edited:
                update = Update(update_id=update_id, edited_message=message)
            else:
                update = Update(
                    update_id=update_id, message=message.model_copy(update={"chat": GROUP})
                )
            await self.client.dp.feed_update(self.client.bot, update)
        else:
            message = self.message(event, update_id)
            await self.client.dp.feed_update(
                self.client.bot, Update(update_id=update_id, message=message)
            )
        self.calls += session.requests[before:]

    def message(self, event: Sends, message_id: int) -> Message:
        extra: dict[str, Any] = {}
        if event.kind == "text":
            text: str = event.value
            extra["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0].encode("utf-16-le")) // 2
                extra["entities"] = [MessageEntity(type="bot_command", offset=0, length=length)]
        elif event.kind == "sticker":
            extra["sticker"] = Sticker(
                file_id="s", file_unique_id="s", type="regular", width=1, height=1,
                is_animated=False, is_video=False,
            )  # fmt: skip
        elif event.kind == "poll":
            extra["poll"] = Poll(
                id="p", question="?",
                options=[PollOption(persistent_id="o", text="a", voter_count=0)],
                total_voter_count=0, is_closed=False, is_anonymous=True, type="regular",
                allows_multiple_answers=False, allows_revoting=False, members_only=False,
            )  # fmt: skip
        elif event.kind == "dice":
            extra["dice"] = Dice(emoji="🎲", value=event.value)
        elif event.kind == "contact":
            owner = self.user.id if event.value else 424_000
            extra["contact"] = Contact(phone_number="+8613800001111", first_name="X", user_id=owner)
        elif event.kind == "location":
            extra["location"] = Location(latitude=event.value[0], longitude=event.value[1])
        elif event.kind == "venue":
            extra["venue"] = Venue(
                location=Location(latitude=23.1, longitude=113.2), title="t", address="a"
            )
        elif event.kind == "document":
            extra["document"] = Document(file_id="d", file_unique_id="d")
            extra["caption"] = event.value
        elif event.kind == "photo":
            extra["photo"] = [PhotoSize(file_id="ph", file_unique_id="ph", width=9, height=9)]
            extra["caption"] = event.value
        elif event.kind == "voice":
            extra["voice"] = Voice(file_id="v", file_unique_id="v", duration=1)
        if event.reply_to is not None:  # a Telegram reply to some (stale, unknown) message
            extra["reply_to_message"] = Message(
                message_id=event.reply_to,
                date=telegram_date(0),
                chat=self.chat,
                from_user=bot_user(),
                text="…",
            )
        return Message(
            message_id=10_000 + message_id, date=telegram_date(), chat=self.chat,
            from_user=self.user, **extra,
        )  # fmt: skip


# --------------------------------------------------------------------------- the properties


class Errors(logging.Handler):
    """Every ERROR record while an example runs (the errors router logs each crash)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def run_example(
    town: Town, user: User, script: list[Event], check: Callable[[Path], Any] | None = None
) -> Feeder:
    """Feeds ``script`` from ``user`` into a fresh copy of the town; asserts the general
    properties; returns what happened. ``check(path)`` snapshots before and after."""
    with fresh_copy(town) as path:
        config, errors = config_for(path), Errors()
        db = Database(config.database_url)
        dispatcher = create_dispatcher(config, db, translations=TRANSLATIONS, clock=FakeClock())
        session = FakeSession()
        feeder = Feeder(BotClient(dispatcher, Bot(TOKEN, session=session), session), user)
        logging.getLogger().addHandler(errors)
        before = await check_db(db, check)
        try:
            for event in script:
                await feeder.feed(event)
        finally:
            logging.getLogger().removeHandler(errors)
        after = await check_db(db, check)
        await dispatcher.storage.close()
        await db.close()

    shown = [said(m) for m in feeder.calls]
    assert not GENERIC_ERROR & set(shown), "a handler crashed (the errors router answered)"
    assert [r.getMessage() for r in errors.records] == []
    for query_id, calls in feeder.callbacks:
        answers = [m for m in calls if isinstance(m, AnswerCallbackQuery)]
        assert [a.callback_query_id for a in answers] == [query_id], "answered exactly once"
    for method in feeder.calls:
        assert_within_telegram_limits(method)
        assert getattr(method, "chat_id", None) != GROUP.id, "silent in groups"
    assert before == after
    return feeder


async def check_db(db: Database, check: Callable[[Path], Any] | None) -> Any:
    if check is None or db.url.database is None:
        return None
    return await asyncio.to_thread(check, Path(db.url.database))


def said(method: TelegramMethod[Any]) -> str:
    return str(getattr(method, "text", None) or getattr(method, "caption", None) or "")


def assert_within_telegram_limits(method: TelegramMethod[Any]) -> None:
    name = type(method).__name__
    text, caption = getattr(method, "text", None), getattr(method, "caption", None)
    if name in ("SendMessage", "EditMessageText"):
        assert text and text.strip() and utf16_len(text) <= 4096, (name, utf16_len(text or ""))
    if caption is not None:
        assert utf16_len(caption) <= 1024, (name, utf16_len(caption))
    if isinstance(method, AnswerCallbackQuery) and method.text is not None:
        assert len(method.text) <= 200, method.text
    markup = getattr(method, "reply_markup", None)
    if isinstance(markup, InlineKeyboardMarkup):
        for button in itertools.chain.from_iterable(markup.inline_keyboard):
            data = button.callback_data or ""
            assert 1 <= len(data.encode()) <= 64 or button.url, (name, data)


def untouchable(actor: int) -> Callable[[Path], Any]:
    """What someone without rights on the town's tickets must leave as it is: the tickets of
    A1 and everything hanging on them, everyone else's people row, roles, conversation state,
    invitations, and nobody else gets a notification."""

    def snapshot(path: Path) -> Any:
        connection = sqlite3.connect(path)
        try:
            ids = ",".join(map(str, TICKETS))
            tables = {
                "tickets": f"SELECT * FROM tickets WHERE id IN ({ids})",
                "events": f"SELECT * FROM ticket_events WHERE ticket_id IN ({ids})",
                "recipients": f"SELECT * FROM ticket_recipients WHERE ticket_id IN ({ids})",
                "followers": f"SELECT * FROM ticket_followers WHERE ticket_id IN ({ids})",
                "messages": f"SELECT * FROM ticket_messages WHERE ticket_id IN ({ids})",
                "people": "SELECT * FROM people WHERE id NOT IN "
                "(SELECT person_id FROM contacts WHERE address = ?)",
                "memberships": "SELECT m.* FROM memberships m JOIN people p "
                "ON p.id = m.person_id WHERE p.id NOT IN "
                "(SELECT person_id FROM contacts WHERE address = ?)",
                "scopes": "SELECT * FROM coordinator_scopes",
                "invitations": "SELECT * FROM invitations",
                "fsm": "SELECT * FROM fsm_state WHERE key NOT LIKE ?",
                # Asking to join a building is one's own business, though it reaches its head.
                "outbox": "SELECT * FROM outbox WHERE address != ? AND NOT (kind = "
                "'join_card' AND json_extract(payload, '$.request_id') IN (SELECT r.id FROM "
                "join_requests r JOIN contacts k ON k.person_id = r.person_id "
                "WHERE k.address = ?))",
            }
            found = {}
            for name, sql in tables.items():
                params: tuple[Any, ...] = ()
                if "?" in sql:
                    params = (f"%:{actor}:%",) if name == "fsm" else (actor,) * sql.count("?")
                found[name] = sorted(connection.execute(sql, params).fetchall(), key=repr)
            return found
        finally:
            connection.close()

    return snapshot


# --------------------------------------------------------------------------- the tests


def test_people_without_rights_change_nothing_but_their_own(town: Town) -> None:
    """A resident of another building, the head of another building, and people the bot has
    never seen: whatever they send or press, the town's tickets, roles and other people's
    state stay as they were, and no notification goes to anyone else."""

    @SETTINGS
    @given(
        who=st.one_of(st.sampled_from([STRANGER, HEAD2]), st.integers(UNKNOWN, UNKNOWN + 10**9)),
        language=st.sampled_from(LANGUAGES),
        script=st.lists(events(town.payloads), min_size=1, max_size=10),
    )
    def example(who: int, language: str | None, script: list[Event]) -> None:
        user = User(id=who, is_bot=False, first_name=f"U{who}", language_code=language)
        asyncio.run(run_example(town, user, script, untouchable(who)))

    example()


def test_anyone_in_any_flow_state_never_crashes_the_bot(town: Town) -> None:
    """The head in the middle of a reply, a resident half-way through a report, the author of
    every ticket, the deputy, the office and the admin: random input never reaches the
    errors router and every button press is answered."""

    @SETTINGS
    @given(
        who=st.sampled_from([HEAD, DRAFTER, RESIDENT, NEIGHBOUR, DEPUTY, OFFICE, ADMIN_ID]),
        language=st.sampled_from(LANGUAGES),
        script=st.lists(events(town.payloads), min_size=1, max_size=10),
    )
    def example(who: int, language: str | None, script: list[Event]) -> None:
        user = User(id=who, is_bot=False, first_name=f"U{who}", language_code=language)
        asyncio.run(run_example(town, user, script))

    example()


def test_a_button_pressed_in_a_group_is_answered_without_a_crash(town: Town) -> None:
    """Found while fuzzing chat types: a callback query from a message in a group (were
    the bot ever to post a card or a digest with buttons there) reaches the errors router."""
    user = User(id=HEAD, is_bot=False, first_name="Wang", language_code="en")

    async def press_in_group() -> None:
        with fresh_copy(town) as path:
            config = config_for(path)
            db = Database(config.database_url)
            dispatcher = create_dispatcher(config, db, translations=TRANSLATIONS, clock=FakeClock())
            session = FakeSession()
            message = Message(
                message_id=5, date=telegram_date(0), chat=GROUP, from_user=bot_user(), text="…"
            )
            query = CallbackQuery(
                id="q", from_user=user, chat_instance="ci", message=message,
                data=TicketCb(action=Action.TAKE, ticket_id=1).pack(),
            )  # fmt: skip
            update = Update(update_id=10**7, callback_query=query)
            await dispatcher.feed_update(Bot(TOKEN, session=session), update)
            await db.close()
        answers = [m for m in session.requests if isinstance(m, AnswerCallbackQuery)]
        assert [said(m) for m in answers] != [] and not GENERIC_ERROR & {said(m) for m in answers}

    asyncio.run(press_in_group())


def test_asking_to_join_is_ones_own_business(town: Town) -> None:
    """The one thing someone without rights may cause for others: their own join request
    reaches the building's head (and withdrawing it edits the head's copy). The snapshot
    allows exactly that; without the allowance this example fails."""
    user = User(id=STRANGER, is_bot=False, first_name="Visitor", language_code="en")
    script: list[Event] = [Presses("jr1:s:1:0", 1), Presses("jr1:x:1:0", 1)]
    feeder = asyncio.run(run_example(town, user, script, untouchable(STRANGER)))
    assert "has been sent to your building head" in said(feeder.calls[0])
