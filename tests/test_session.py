"""The bot's HTTP session (telegram/session.py): a request without files goes as one JSON body
with the fields aiogram's form would carry; an upload still goes as multipart form data; the
answers (a 429's retry_after, errors, a timeout) are read as aiogram reads them. Over HTTP to
tests/fakeapi.py, the form-data session of aiogram beside it for comparison."""

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
    MessageEntity,
    ReplyParameters,
)

from bot.app import create_bot, create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from storage.db import Database
from telegram.session import JsonSession
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
    first = await form.send_message(CHAT, "to edit")
    for method in requests(first.message_id):
        fake.clear()
        for bot in (form, lean):
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
