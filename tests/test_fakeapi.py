"""The fake Bot API server works with a real aiogram Bot (and never reaches Telegram)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.botclient import FakeSession
from tests.fakeapi import FakeBotAPI, error_response

TOKEN = "424242:TEST-token"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(max_poll_timeout=0.5) as server:
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(TOKEN, session=session)
    yield bot
    await bot.session.close()


@pytest.mark.asyncio
async def test_get_me(fake: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        424242,
        True,
        "Louzhang",
        "louzhang_test_bot",
    )
    assert me.can_join_groups is True
    assert fake.calls_of("getMe")[0].ok


@pytest.mark.asyncio
async def test_send_message_with_inline_keyboard(fake: FakeBotAPI, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="翠湖苑 1栋", callback_data="b:TZ-A01")]]
    )
    msg = await bot.send_message(
        1001, "请选择楼栋 <b>123</b>", reply_markup=markup, parse_mode="HTML"
    )
    assert msg.chat.id == 1001 and msg.from_user is not None and msg.from_user.id == 424242
    assert msg.text == "请选择楼栋 <b>123</b>"
    assert msg.reply_markup is not None
    assert msg.reply_markup.inline_keyboard[0][0].callback_data == "b:TZ-A01"
    call = await fake.wait_for("sendMessage")
    assert call.params["chat_id"] == 1001  # JSON-decoded
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "翠湖苑 1栋", "callback_data": "b:TZ-A01"}]]
    }
    await bot.send_message(1001, "123")  # a numeric-looking text stays a string
    assert fake.sent_texts(1001) == ["请选择楼栋 <b>123</b>", "123"]
    assert fake.sent_texts(2002) == []
    edited = await bot.edit_message_text(text="已选择", chat_id=1001, message_id=msg.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None


@pytest.mark.asyncio
async def test_get_updates_long_poll_and_offset(fake: FakeBotAPI, bot: Bot) -> None:
    first = fake.push_update(fake.message_update(7, "/start ref", first_name="阿明"))
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first]
    message = updates[0].message
    assert message is not None and message.text == "/start ref"
    assert message.from_user is not None and message.from_user.language_code == "zh-hans"
    assert message.entities is not None and message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start")
    # Unconfirmed updates are returned again; offset confirms them.
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=first + 1, timeout=0) == []

    # Long poll: a request waits until an update is pushed. (It was asked with nothing
    # pending; the push comes later, yet it answers with it: it waited. The push's timer runs
    # before the poll's 0.5 s cap however slow the machine: timers keep their order.)
    sent = await bot.send_message(7, "pick", reply_markup=None)
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, lambda: fake.push_update(fake.callback_update(7, "b:1", sent.message_id)))
    updates = await bot.get_updates(offset=first + 1, timeout=30)
    assert len(updates) == 1
    query = updates[0].callback_query
    assert query is not None and query.data == "b:1" and query.from_user.first_name == "阿明"
    assert isinstance(query.message, Message) and query.message.text == "pick"

    # Nothing pending: waits for the timeout, capped at 0.5 s rather than the 30 asked (the
    # upper bound leaves a busy machine room), then returns empty.
    started = time.monotonic()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=30) == []
    assert 0.4 < time.monotonic() - started < 20


@pytest.mark.asyncio
async def test_retry_after_injection(fake: FakeBotAPI, bot: Bot) -> None:
    fake.fail(
        "sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(5, "hi")
    assert info.value.retry_after == 7
    assert fake.calls[-1].status == 429 and fake.calls[-1].response["parameters"] == {
        "retry_after": 7
    }
    await bot.send_message(5, "hi")  # times=1: the next call succeeds
    assert fake.sent_texts() == ["hi"]


@pytest.mark.asyncio
async def test_blocked_chat_and_fault_hook(fake: FakeBotAPI, bot: Bot) -> None:
    fake.blocked_chats.add(9)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(9, "hi")
    await bot.send_message(10, "hi")

    fake.fault_hook = lambda method, params: (
        error_response(400, "Bad Request: chat not found") if params.get("chat_id") == 11 else None
    )
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(11, "hi")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(10, "x" * 4097)


@pytest.mark.asyncio
async def test_lengths_are_counted_in_utf16_units_like_telegram(fake: FakeBotAPI, bot: Bot) -> None:
    """An emoji is two units: 2,048 of them are a full message, one more is refused; the same
    for captions (512 emoji), in the fake server and in the in-process fake session."""
    emoji = "😀"
    await bot.send_message(10, emoji * 2048)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(10, emoji * 2049)
    await bot.send_photo(10, "photo-id", caption=emoji * 512)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(10, "photo-id", caption=emoji * 512 + "x")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.edit_message_text("楼" * 4097, chat_id=10, message_id=1)

    local = Bot(TOKEN, session=FakeSession())
    await local.send_message(10, emoji * 2048)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await local.send_message(10, emoji * 2049)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await local.edit_message_text(emoji * 2049, chat_id=10, message_id=1)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await local.send_voice(10, "voice-id", caption=emoji * 513)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await local.send_message(10, "  ")


@pytest.mark.asyncio
async def test_photo_upload_and_unknown_method(fake: FakeBotAPI, bot: Bot) -> None:
    photo = BufferedInputFile(b"\x89PNG fake", filename="qr.png")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="a", url="https://t.me")]]
    )
    msg = await bot.send_photo(3, photo, caption="二维码", reply_markup=markup)
    assert msg.photo is not None and msg.caption == "二维码"
    call = fake.calls_of("sendPhoto")[0]
    (upload,) = call.files.values()
    assert upload.data == b"\x89PNG fake" and upload.filename == "qr.png"
    assert call.params["photo"].startswith("attach://")
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://t.me"
    again = await bot.send_photo(3, msg.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_id == msg.photo[-1].file_id

    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}/bot{TOKEN}/sendDice", data={"chat_id": "3"}) as resp,
    ):
        assert resp.status == 404
        assert await resp.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }


@pytest.mark.asyncio
async def test_dispatcher_polling_round_trip(fake: FakeBotAPI, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=30))
    try:
        fake.push_update(fake.message_update(42, "你好"))
        call = await fake.wait_for("sendMessage", lambda c: c.params["chat_id"] == 42, timeout=60)
        assert call.params["text"] == "echo: 你好"
    finally:
        await dp.stop_polling()
        await polling


@pytest.mark.asyncio
async def test_refuses_what_telegram_refuses_beyond_lengths(fake: FakeBotAPI, bot: Bot) -> None:
    """The fakes are as strict as Telegram, so a bug cannot hide behind a lenient fake: a
    callback answer past 200 units, callback_data empty or past 64 bytes, HTML that Telegram
    cannot parse (a person's "<b>" or "a<b" sent with parse_mode HTML), an edit that changes
    nothing."""
    await bot.answer_callback_query("1", text="🏢" * 100)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query("1", text="🏢" * 100 + "!")
    for data in ("", "x" * 65, "楼" * 22):
        button = InlineKeyboardButton(text="b", callback_data=data)
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(10, "hi", reply_markup=markup)
    await bot.send_message(10, "<b>bold</b> &amp; &lt;b&gt; a & b", parse_mode="HTML")
    assert fake.calls_of("sendMessage")[-1].ok
    for text in ("<b>name", "a < b", "<script>x</script>", "<b><i>x</b></i>"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(10, text, parse_mode="HTML")
    await bot.send_message(10, "<b>no parse mode, no markup</b>")
    # Visible length in HTML mode: the tags do not count, an entity counts as one character.
    await bot.send_message(10, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(10, "&amp;" * 4097, parse_mode="HTML")

    sent = await bot.send_message(10, "card")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("card", chat_id=10, message_id=sent.message_id)
    await bot.edit_message_text("card, changed", chat_id=10, message_id=sent.message_id)

    local = Bot(TOKEN, session=FakeSession())
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await local.answer_callback_query("1", text="x" * 201)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        button = InlineKeyboardButton(text="b", callback_data="楼" * 22)
        await local.send_message(
            10, "hi", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
        )
