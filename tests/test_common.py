"""What everyone has: /help, /language, /cancel, a blocked bot, the fallbacks, groups, forged
buttons and the errors router, driven like a user."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SetMyCommands
from aiogram.types import (
    BotCommandScopeChat,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    User,
)
from sqlalchemy import select

from bot.i18n import Translations
from bot.services import Services
from bot.services.community import parse_buildings_csv
from storage.db import Database
from storage.models import FsmRecord, Invitation, Membership, OutboxMessage, Person, Role
from tests.botclient import BOT_ID, BotClient, Sent, only, telegram_date
from tests.conftest import FakeClock
from tests.factories import by_telegram, telegram_id_of

EXAMPLE = Path(__file__).parent.parent / "examples" / "tangzhong.csv"
BOT = User(id=BOT_ID, is_bot=True, first_name="Louzhang")


@pytest.fixture
async def community(services: Services) -> dict[str, str]:
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    report = await services.community.import_buildings(rows)
    return {b.code: b.payload for b in report.buildings}


async def person(db: Database, telegram_id: int) -> Person:
    async with db.session() as session:
        found = await session.scalar(by_telegram(telegram_id))
        assert found is not None
        return found


async def snapshot(db: Database) -> dict[str, list[Any]]:
    """Everything a user could change, to show that something changed nothing."""
    async with db.session() as session:
        people = (await session.scalars(select(Person).order_by(Person.id))).all()
        memberships = (await session.scalars(select(Membership).order_by(Membership.id))).all()
        fsm = (await session.scalars(select(FsmRecord).order_by(FsmRecord.key))).all()
        invitations = (await session.scalars(select(Invitation))).all()
        outbox = (await session.scalars(select(OutboxMessage))).all()
        return {
            "people": [(telegram_id_of(p), p.language, p.unreachable_since) for p in people],
            "memberships": [(m.person_id, m.building_id, m.role, m.flat) for m in memberships],
            "fsm": [(r.key, r.state, r.data) for r in fsm],
            "invitations": [i.id for i in invitations],
            "outbox": [o.id for o in outbox],
        }


# A free text outside any flow: the polite fallback, or (once reports exist) the offer to
# report it, or for someone without a building the way to join one.
FREE_TEXT_KEYS = ("fallback", "report-offer", "report-join-first")


def is_free_text_answer(translations: Translations, language: str, text: str) -> bool:
    return any(
        translations.has(language, key) and text == translations.get(language, key)
        for key in FREE_TEXT_KEYS
    )


def methods(sent: list[Sent]) -> list[str]:
    return [type(s.method).__name__ for s in sent]


# --- /help -------------------------------------------------------------------------------------


async def test_help_for_a_newcomer(client: BotClient, db: Database) -> None:
    text = only(await client.send(client.user(60, language="en-GB"), "/help")).text
    assert text.startswith("You have not joined a building yet.")
    assert "send /join to choose your building" in text
    for command in ("/start", "/join", "/help", "/language", "/cancel"):
        assert f"{command} — " in text
    assert "/joinlink" not in text and "/invite" not in text
    assert (await person(db, 60)).language == "en"


async def test_help_for_a_newcomer_in_chinese(client: BotClient) -> None:
    text = only(await client.send(client.user(61, language="zh-CN"), "/help")).text
    assert text.startswith("您还没有加入任何楼栋。")
    assert "/join" in text


async def test_help_for_a_resident_lists_their_building(
    client: BotClient, community: dict[str, str]
) -> None:
    user = client.user(62, language="en")
    await client.send(user, f"/start {community['TZ-A01']}")
    await client.send(user, "3-502")
    text = only(await client.send(user, "/help")).text
    assert text.startswith("Your roles:")
    assert "• resident of 塘中新村1栋 (塘中社区), flat 3-502" in text
    assert "have not joined" not in text


# --- /language ---------------------------------------------------------------------------------


async def test_language_switch_edits_stores_and_sets_the_menu(
    client: BotClient, db: Database, translations: Translations
) -> None:
    user = client.user(63, language="zh-hans")
    menu = only(await client.send(user, "/language"))
    assert menu.text == "请选择语言："
    assert menu.buttons == ["简体中文", "English"]
    assert (await person(db, 63)).language == "zh-hans"

    sent = await client.click(user, menu, "English")
    assert methods(sent) == ["AnswerCallbackQuery", "EditMessageText", "SetMyCommands"]
    answer, edit, commands = (s.method for s in sent)
    assert isinstance(answer, AnswerCallbackQuery) and answer.text == "Language set: English."
    assert isinstance(edit, EditMessageText)
    assert edit.text == "Language set: English."
    assert edit.chat_id == 63 and edit.message_id == 1  # the message whose button was pressed
    assert isinstance(commands, SetMyCommands)
    assert commands.scope == BotCommandScopeChat(chat_id=63)
    descriptions = {c.command: c.description for c in commands.commands}
    assert descriptions["help"] == "What you can do here"
    assert "joinlink" not in descriptions
    assert (await person(db, 63)).language == "en"

    # From now on, English — even though the Telegram app still says Chinese.
    assert only(await client.send(user, "/help")).text.startswith("You have not joined")
    assert is_free_text_answer(translations, "en", only(await client.send(user, "hello")).text)

    # And back.
    menu = only(await client.send(user, "/language"))
    assert menu.text == "Choose your language:"
    sent = await client.click(user, menu, "简体中文")
    assert (await person(db, 63)).language == "zh-hans"
    assert only(sent, "EditMessageText").text == translations.get("zh-hans", "language-set")


async def test_a_heads_menu_in_the_new_language_has_their_commands(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    head = client.user(64, language="zh-hans")
    invite = await services.community.invite(Role.HEAD, "TZ-A01")
    await client.send(head, f"/start {invite.payload}")
    menu = only(await client.send(head, "/language"))
    commands = only(await client.click(head, menu, "English"), "SetMyCommands").method
    assert isinstance(commands, SetMyCommands)
    descriptions = {c.command: c.description for c in commands.commands}
    assert descriptions["joinlink"] == "Join link and QR poster of a building"
    assert descriptions["invite"] == "Invite a deputy: /invite deputy CODE"


async def test_a_forged_language_button_changes_nothing(client: BotClient, db: Database) -> None:
    user = client.user(65, language="en")
    menu = only(await client.send(user, "/language"))
    before = await snapshot(db)
    sent = await client.press(user, menu, "l1:fr")
    answer = only(sent, "AnswerCallbackQuery").method
    assert isinstance(answer, AnswerCallbackQuery)
    assert answer.text == "That language is not available." and answer.show_alert
    assert methods(sent) == ["AnswerCallbackQuery"]
    assert await snapshot(db) == before


# --- /cancel -----------------------------------------------------------------------------------


async def test_cancel_in_the_flat_step_clears_the_state(
    client: BotClient, community: dict[str, str], db: Database, translations: Translations
) -> None:
    user = client.user(66, language="en")
    await client.send(user, f"/start {community['TZ-A01']}")
    assert [(state, data) for _, state, data in (await snapshot(db))["fsm"]] == [
        ("JoinFlow:flat", {"building_id": 1})
    ]
    assert only(await client.send(user, "/cancel")).text == "Stopped. Nothing was changed."
    assert (await snapshot(db))["fsm"] == []
    # The flat step is over: a number now is just a message, not a flat.
    reply = only(await client.send(user, "3-502")).text
    assert is_free_text_answer(translations, "en", reply), reply
    assert (await snapshot(db))["memberships"][0][3] is None
    # The membership made by the link stays: /cancel stops the step, it does not undo a join.
    assert len((await snapshot(db))["memberships"]) == 1


async def test_cancel_outside_a_flow(client: BotClient) -> None:
    user = client.user(67, language="en")
    assert only(await client.send(user, "/cancel")).text == "There is nothing to stop."
    assert only(await client.send(user, "/cancel")).text == "There is nothing to stop."


# --- a blocked bot -----------------------------------------------------------------------------


def block_update(user: User, status: str) -> ChatMemberUpdated:
    old: Any
    new: Any
    if status == "kicked":
        old, new = (
            ChatMemberMember(user=BOT),
            ChatMemberBanned(user=BOT, until_date=telegram_date(0)),
        )
    else:
        old, new = (
            ChatMemberBanned(user=BOT, until_date=telegram_date(0)),
            ChatMemberMember(user=BOT),
        )
    return ChatMemberUpdated(
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        date=telegram_date(),
        old_chat_member=old,
        new_chat_member=new,
    )


async def test_blocking_marks_unreachable_and_writing_again_clears_it(
    client: BotClient, db: Database, clock: FakeClock
) -> None:
    user = client.user(68, language="en")
    await client.send(user, "/help")
    assert (await person(db, 68)).unreachable_since is None

    blocked_at = clock()
    assert await client.feed(my_chat_member=block_update(user, "kicked")) == []
    assert (await person(db, 68)).unreachable_since == blocked_at

    clock.advance(minutes=5)
    # Unblocking alone is an update from them too: they can be reached again.
    await client.feed(my_chat_member=block_update(user, "member"))
    assert (await person(db, 68)).unreachable_since is None

    await client.feed(my_chat_member=block_update(user, "kicked"))
    assert (await person(db, 68)).unreachable_since == clock()
    clock.advance(minutes=5)
    await client.send(user, "hello")
    assert (await person(db, 68)).unreachable_since is None


async def test_removing_the_bot_from_a_group_does_not_mark_the_remover_unreachable(
    client: BotClient, db: Database
) -> None:
    """In a group, "kicked" means an admin removed the bot: that admin can still be reached
    in private, and must keep receiving their tickets."""
    user = client.user(76, language="en")
    await client.send(user, "/help")
    update = block_update(user, "kicked").model_copy(
        update={"chat": Chat(id=-100555, type="supergroup", title="Neighbours")}
    )
    assert await client.feed(my_chat_member=update) == []
    assert (await person(db, 76)).unreachable_since is None


# --- fallbacks, groups, forged buttons ---------------------------------------------------------


@pytest.mark.parametrize("text", ["/frobnicate", "/frobnicate with args", "/Help_me"])
async def test_an_unknown_command_gets_the_polite_fallback(
    client: BotClient, db: Database, text: str
) -> None:
    user = client.user(69, language="en")
    await client.send(user, "/help")
    before = await snapshot(db)
    reply = only(await client.send(user, text)).text
    assert reply == "I don't know that command. Send /help to see what you can do."
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    ("language", "text"), [("en", "hello there"), ("zh-hans", "电梯坏了"), ("en", "?")]
)
async def test_a_random_text_gets_a_polite_answer(
    client: BotClient, db: Database, translations: Translations, text: str, language: str
) -> None:
    user = client.user(69, language=language)
    await client.send(user, "/help")
    before = await snapshot(db)
    reply = only(await client.send(user, text)).text
    assert is_free_text_answer(translations, language, reply), reply
    assert await snapshot(db) == before


async def test_a_sticker_outside_any_flow_gets_the_fallback(
    client: BotClient, translations: Translations
) -> None:
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    sent = await client.send(client.user(70, language="en"), None, sticker=sticker)
    assert only(sent).text == translations.get("en", "fallback")


@pytest.mark.parametrize(
    ("chat_type", "text"),
    [
        ("group", "/help"),
        ("supergroup", "/start"),
        ("group", "/language"),
        ("supergroup", "hello"),
        ("group", "/frobnicate"),
    ],
)
async def test_a_group_message_gets_no_answer(
    client: BotClient, db: Database, community: dict[str, str], text: str, chat_type: str
) -> None:
    user = client.user(71, language="en")
    message = client.message(user, text).model_copy(
        update={"chat": Chat(id=-100123, type=chat_type, title="Neighbours")}
    )
    assert await client.feed(message=message) == []
    # A deep link in a group joins nobody either.
    message = client.message(user, f"/start {community['TZ-A01']}").model_copy(
        update={"chat": Chat(id=-100123, type=chat_type, title="Neighbours")}
    )
    assert await client.feed(message=message) == []
    assert (await snapshot(db))["memberships"] == []


async def test_a_group_message_stores_nobody(client: BotClient, db: Database) -> None:
    user = client.user(77, language="en")
    message = client.message(user, "hello").model_copy(
        update={"chat": Chat(id=-100123, type="group", title="Neighbours")}
    )
    await client.feed(message=message)
    assert (await snapshot(db))["people"] == []


@pytest.mark.parametrize("data", ["zz:garbage", "t1:take:1", "", "pk1:zz:1:0", "l1"])
async def test_a_forged_button_is_answered_and_changes_nothing(
    client: BotClient, db: Database, community: dict[str, str], data: str
) -> None:
    user = client.user(72, language="en")
    first = only(await client.send(user, "/start"))
    before = await snapshot(db)
    sent = await client.press(user, first, data)
    assert methods(sent) == ["AnswerCallbackQuery"]
    answer = sent[0].method
    assert isinstance(answer, AnswerCallbackQuery)
    assert answer.text == "This button is no longer valid. Please use the latest message."
    assert answer.show_alert
    assert await snapshot(db) == before


# --- the errors router -------------------------------------------------------------------------


async def test_an_exception_in_a_handler_gets_a_polite_answer(
    client: BotClient,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services: Services = client.dp["services"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(services.onboarding, "profile", broken)
    user = client.user(73, language="en")
    sent = await client.send(user, "/help")  # does not raise
    assert only(sent).text == (
        "Sorry, something went wrong on our side. Nothing was lost; please try again in a moment."
    )
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert failures and "failed" in failures[0].getMessage()
    assert isinstance(failures[0].exc_info[1], RuntimeError)  # type: ignore[index]
    # The bot keeps working.
    monkeypatch.undo()
    assert only(await client.send(user, "/cancel")).text == "There is nothing to stop."


async def test_an_exception_before_the_person_is_known_escapes_nowhere(
    client: BotClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The database failing in the middleware (before a translator exists) still reaches the
    errors router and is logged; feed_update does not raise."""
    services: Services = client.dp["services"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services.onboarding, "touch", broken)
    await client.send(client.user(78, language="en"), "/help")
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert failures and isinstance(failures[0].exc_info[1], RuntimeError)  # type: ignore[index]


async def test_an_exception_in_a_button_handler_answers_the_button(
    client: BotClient, monkeypatch: pytest.MonkeyPatch, translations: Translations
) -> None:
    services: Services = client.dp["services"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    user = client.user(74, language="zh-hans")
    menu = only(await client.send(user, "/language"))
    monkeypatch.setattr(services.onboarding, "set_language", broken)
    sent = await client.click(user, menu, "English")
    answer = only(sent, "AnswerCallbackQuery").method
    assert isinstance(answer, AnswerCallbackQuery)
    assert answer.text == translations.get("zh-hans", "error-generic")
    assert answer.show_alert
    assert methods(sent) == ["AnswerCallbackQuery"]


async def test_the_error_handler_speaks_the_users_language(
    client: BotClient, monkeypatch: pytest.MonkeyPatch, translations: Translations
) -> None:
    services: Services = client.dp["services"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(services.onboarding, "profile", broken)
    sent = await client.send(client.user(75, language="zh-hans"), "/help")
    assert only(sent).text == translations.get("zh-hans", "error-generic")
