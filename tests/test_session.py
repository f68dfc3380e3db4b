"""The bot's HTTP session (telegram/session.py): a request without files goes as one JSON body
with the fields aiogram's form would carry; an upload still goes as multipart form data; the
answers (a 429's retry_after, errors, a timeout) are read as aiogram reads them. Over HTTP to
tests/fakeapi.py, the form-data session of aiogram beside it for comparison. The answer to a
message the bot sends or edits is read without what it repeats of the request (its keyboard,
its entities), every other answer whole."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    BanChatMember,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendLocation,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
)

from bot.app import create_bot, create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from storage.db import Database
from telegram.session import ECHOED, JsonSession
from tests.conftest import TOKEN
from tests.fakeapi import FakeBotAPI

CHAT = 5001
EN = Translations()
FORM = "application/x-www-form-urlencoded"
JSON_BODY = "application/json"


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="✋ Take", callback_data="t1:take:12"),
                InlineKeyboardButton(text="History", callback_data="t1:history:12"),
            ],
            [InlineKeyboardButton(text="翠湖苑 1栋", url="https://example.org/a?b=c&d")],
        ]
    )


def requests(message_id: int) -> list[TelegramMethod[Any]]:
    """The bot's kinds of request, with the values that need preparing: defaults, nested
    objects, lists, floats, dates, an empty string (left out), an extra field."""
    until = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    return [
        SendMessage(chat_id=CHAT, text="工单 #12 · 楼道灯 & <b>", reply_markup=keyboard()),
        SendMessage(
            chat_id=CHAT,
            text="quoted",
            parse_mode="HTML",
            entities=[MessageEntity(type="bold", offset=0, length=3)],
            reply_parameters=ReplyParameters(message_id=message_id),
            business_connection_id="",
            disable_notification=False,
        ),
        EditMessageText(
            chat_id=CHAT, message_id=message_id, text="edited", reply_markup=keyboard()
        ),
        EditMessageReplyMarkup(chat_id=CHAT, message_id=message_id),
        AnswerCallbackQuery(callback_query_id="4000000000001", text="ok", show_alert=False),
        SendLocation(chat_id=CHAT, latitude=22.543096, longitude=114.057865),
        SendPhoto(chat_id=CHAT, photo="AgACAgIAAxkBAAIB", caption="by file id"),
        SetMyCommands(
            commands=[BotCommand(command="report", description="报修")],
            scope=BotCommandScopeChat(chat_id=CHAT),
            language_code="zh",
        ),
        BanChatMember(chat_id=-100123, user_id=7, until_date=until),
        DeleteMessage(chat_id=CHAT, message_id=message_id),
        SendMessage(chat_id=CHAT, text="extra", unknown_field="kept"),
    ]


def bot_with(session: AiohttpSession) -> Bot:
    # The bot's own defaults (bot/app.py): a default that must be filled in on every send.
    return Bot(
        TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bots(fake: FakeBotAPI) -> AsyncIterator[tuple[Bot, Bot]]:
    api = TelegramAPIServer.from_base(fake.base_url)
    form, lean = bot_with(AiohttpSession(api=api)), bot_with(JsonSession(api=api))
    yield form, lean
    await form.session.close()
    await lean.session.close()


async def test_a_request_without_files_arrives_as_json_with_the_fields_of_aiograms_form(
    fake: FakeBotAPI, bots: tuple[Bot, Bot]
) -> None:
    form, lean = bots
    first = await form.send_message(CHAT, "to edit", reply_markup=keyboard())
    stored = dict(fake.messages[(CHAT, first.message_id)])
    for method in requests(first.message_id):
        fake.clear()
        for bot in (form, lean):
            # Each edit finds the message as it was (a second, identical edit is "not
            # modified", as Telegram answers).
            fake.messages[(CHAT, first.message_id)] = dict(stored)
            # (The fake has no banChatMember: both get its 404, after it recorded the call.)
            with contextlib.suppress(TelegramNotFound):
                await bot(method.model_copy())
        by_form, by_json = fake.calls
        assert (by_form.content_type, by_json.content_type) == (FORM, JSON_BODY), method
        assert by_json.method == by_form.method
        assert by_json.params == by_form.params, type(method).__name__
        assert by_json.status == by_form.status, by_json.response
        assert by_json.response == by_form.response or by_json.method.startswith(
            ("send", "edit")  # a new message: its own id and date
        )


def test_the_json_body_holds_what_each_form_field_holds() -> None:
    """Field by field: a form field aiogram JSON-encodes is that JSON's value in the body, a
    raw string the same string; nothing more, nothing less."""
    bot = bot_with(JsonSession())
    form_session, lean = AiohttpSession(), bot.session
    assert isinstance(lean, JsonSession)
    for method in requests(7):
        body = lean.request_body(bot, method)
        assert body is not None
        fields = json.loads(body)
        expected: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = form_session.prepare_value(value, bot=bot, files={})
            if not prepared:
                continue
            # A string goes raw; so does a date (aiogram sends its Unix time as a string).
            raw = isinstance(value, str | datetime.datetime)
            expected[key] = prepared if raw else json.loads(prepared)
        assert fields == expected, type(method).__name__
    # The defaults are the bot's: link previews off, as every send of the bot asks.
    body = lean.request_body(bot, SendMessage(chat_id=CHAT, text="hi"))
    assert body is not None
    assert json.loads(body) == {
        "chat_id": CHAT,
        "text": "hi",
        "link_preview_options": {"is_disabled": True},
        "disable_web_page_preview": True,
    }


async def test_an_upload_still_goes_as_multipart_form_data(
    fake: FakeBotAPI, bots: tuple[Bot, Bot]
) -> None:
    _, lean = bots
    chart = BufferedInputFile(b"\x89PNG chart", "chart.png")
    sent = await lean.send_photo(CHAT, chart, caption="本周", reply_markup=keyboard())
    call = fake.calls_of("sendPhoto")[-1]
    assert call.content_type == "multipart/form-data"
    assert [f.data for f in call.files.values()] == [b"\x89PNG chart"]
    assert call.params["caption"] == "本周"
    assert call.params["reply_markup"] == keyboard().model_dump(exclude_none=True)
    assert sent.photo is not None and sent.caption == "本周"
    assert sent.reply_markup is None  # its answer read as any sent message's


async def test_telegrams_refusals_are_read_as_before(
    fake: FakeBotAPI, bots: tuple[Bot, Bot]
) -> None:
    _, lean = bots
    refusal = "Too Many Requests: retry after 7"
    fake.fail("sendMessage", status=429, description=refusal, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as refused:
        await lean.send_message(CHAT, "too fast")
    assert refused.value.retry_after == 7
    fake.fail("editMessageText", status=400, description="Bad Request: message is not modified")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await lean.edit_message_text(text="same", chat_id=CHAT, message_id=1)
    fake.blocked_chats.add(CHAT)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await lean.send_message(CHAT, "blocked")
    assert all(c.content_type == JSON_BODY for c in fake.calls)


async def test_a_request_past_its_timeout_is_a_network_error(
    fake: FakeBotAPI, bots: tuple[Bot, Bot]
) -> None:
    _, lean = bots
    fake.stalled_chats.add(CHAT)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await lean.send_message(CHAT, "into the void", request_timeout=1)
    fake.unstall()


async def test_the_bot_answers_a_resident_in_json(fake: FakeBotAPI, tmp_path: Path) -> None:
    """The application as it runs (create_bot, create_dispatcher): a resident's /start is
    answered over HTTP with one JSON body, the same answer as ever."""
    config = Config(
        bot_token=Secret(TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'session.db'}",
        telegram_api_url=fake.base_url,
        bot_username="louzhang_test_bot",
    )
    db = Database(config.database_url)
    await db.migrate()
    bot = create_bot(config)
    dispatcher = create_dispatcher(config, db, translations=EN)
    try:
        assert isinstance(bot.session, JsonSession)
        update = fake.message_update(CHAT, "/start", language_code="en")
        await dispatcher.feed_raw_update(bot, {**update, "update_id": 1})
        answers = fake.calls_of("sendMessage")
        assert answers and all(c.content_type == JSON_BODY for c in answers)
        assert answers[0].ok and answers[0].params["chat_id"] == CHAT
        assert answers[0].params["link_preview_options"] == {"is_disabled": True}
        assert str(answers[0].params["text"]).strip()
    finally:
        await dispatcher["update_log"].close()
        await dispatcher.storage.close()
        await bot.session.close()
        await db.close()


async def test_a_message_sent_or_edited_is_read_for_its_ids_without_what_it_repeats(
    fake: FakeBotAPI, bots: tuple[Bot, Bot]
) -> None:
    """What the bot reads of it (the message's id and chat: a card remembered, a prompt to
    retire) is there; the keyboard and entities Telegram echoes back are not read."""
    form, lean = bots
    bold = [MessageEntity(type="bold", offset=0, length=2)]
    echoed = await form.send_message(CHAT, "工单 #12", entities=bold, reply_markup=keyboard())
    # (The fake echoes them as Telegram does.)
    assert echoed.reply_markup is not None and echoed.entities is not None
    sent = await lean.send_message(CHAT, "工单 #12", entities=bold, reply_markup=keyboard())
    answer = fake.calls_of("sendMessage")[-1].response["result"]
    assert (sent.message_id, sent.chat.id, sent.text) == (answer["message_id"], CHAT, "工单 #12")
    assert sent.date.timestamp() == answer["date"] and sent.from_user is not None
    assert (sent.reply_markup, sent.entities, sent.link_preview_options) == (None, None, None)
    edited = await lean.edit_message_text(
        "工单 #12 ✓", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard()
    )
    assert not isinstance(edited, bool)
    assert (edited.message_id, edited.chat.id, edited.text) == (sent.message_id, CHAT, "工单 #12 ✓")
    assert edited.edit_date is not None and edited.reply_markup is None
    assert "reply_markup" in fake.calls_of("editMessageText")[-1].response["result"]


async def test_other_answers_are_read_whole(fake: FakeBotAPI, bots: tuple[Bot, Bot]) -> None:
    """getUpdates above all: the handlers read a pressed message's keyboard. And a message
    method the bot does not use, its keyboard too."""
    _, lean = bots
    card = await lean.send_message(CHAT, "card", reply_markup=keyboard())
    fake.push_update(fake.callback_update(CHAT, "t1:take:12", card.message_id))
    updates = await lean(GetUpdates(timeout=0))
    query = updates[0].callback_query
    assert query is not None and query.message is not None
    assert isinstance(query.message, Message) and query.message.reply_markup is not None
    assert query.message.reply_markup.model_dump() == keyboard().model_dump()
    captioned = await lean.edit_message_caption(
        chat_id=CHAT, message_id=card.message_id, caption="c", reply_markup=keyboard()
    )
    assert not isinstance(captioned, bool) and captioned.reply_markup is not None
    assert captioned.reply_markup.model_dump() == keyboard().model_dump()


def answer(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def message(**fields: Any) -> dict[str, Any]:
    user = {"id": 424242, "is_bot": True, "first_name": "Louzhang"}
    chat = {"id": CHAT, "type": "private", "first_name": "Wang"}
    return {"message_id": 77, "date": 1765000000, "chat": chat, "from": user, **fields}


ECHOES = {
    "text": "工单 #12",
    "entities": [{"type": "bold", "offset": 0, "length": 2}],
    "link_preview_options": {"is_disabled": True},
    "reply_markup": keyboard().model_dump(exclude_none=True),
}
REFUSED = {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}
MIGRATED = {**REFUSED, "description": "Bad Request: group chat was upgraded to a supergroup chat"}
ANSWERS: list[tuple[TelegramMethod[Any], int, Any]] = [
    (SendMessage(chat_id=CHAT, text="x"), 200, {"ok": True, "result": message(**ECHOES)}),
    (EditMessageText(inline_message_id="i", text="x"), 200, {"ok": True, "result": True}),
    (SendPhoto(chat_id=CHAT, photo="p"), 200, {"ok": True, "result": message(
        photo=[{"file_id": "p", "file_unique_id": "u", "width": 90, "height": 90}],
        caption="本周", caption_entities=[{"type": "bold", "offset": 0, "length": 2}])}),
    (SendMessage(chat_id=CHAT, text="x"), 429, {"ok": False, "error_code": 429,
        "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}),
    (SendMessage(chat_id=CHAT, text="x"), 400, {**MIGRATED, "parameters": {
        "migrate_to_chat_id": -1001}}),
    (EditMessageText(chat_id=CHAT, message_id=1, text="x"), 400, REFUSED),
    (SendMessage(chat_id=CHAT, text="x"), 200, REFUSED),  # a refusal, whatever the status
    (SendMessage(chat_id=CHAT, text="x"), 400, {"ok": True, "result": message()}),
    (SendMessage(chat_id=CHAT, text="x"), 500, {"ok": False, "error_code": 500,
        "description": "Internal Server Error: restart"}),
    (SendMessage(chat_id=CHAT, text="x"), 502, "<html>Bad Gateway</html>"),
    (SendMessage(chat_id=CHAT, text="x"), 200, "{not json"),
    (SendMessage(chat_id=CHAT, text="x"), 200, {"ok": True, "result": {"message_id": 1}}),
    (SendMessage(chat_id=CHAT, text="x"), 200, {"result": message()}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "status", "body"), ANSWERS)
def test_an_answer_is_read_as_aiogram_reads_it_but_for_what_a_message_repeats(
    method: TelegramMethod[Any], status: int, body: Any
) -> None:
    """Each answer, through aiogram's reading and the bot's: the same error (class, message,
    retry_after, migrate_to_chat_id), or the same result but for ``ECHOED``."""
    bot = bot_with(JsonSession())
    lean, form = bot.session, AiohttpSession()
    outcomes = []
    for session in (form, lean):
        try:
            result = session.check_response(bot, method, status, answer(body)).result
            outcomes.append(("result", result))
        except (TelegramAPIError, ClientDecodeError) as error:
            kept = ("retry_after", "migrate_to_chat_id")
            fields = {k: getattr(error, k) for k in kept if hasattr(error, k)}
            outcomes.append(("error", (type(error), str(error), fields)))
    (kind, by_form), (_, by_lean) = outcomes
    assert outcomes[0][0] == outcomes[1][0], outcomes
    if kind == "result" and isinstance(by_form, Message):
        assert by_lean == by_form.model_copy(update=dict.fromkeys(ECHOED))
        assert any(getattr(by_form, key) is not None for key in ECHOED)
    else:
        assert by_lean == by_form
