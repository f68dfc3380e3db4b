"""A burst of residents reporting at once, against a fake Telegram that enforces its limits
(a small burst then one a second per chat; 30 a second overall for notifications, which answers
to the people who wrote are not): the bot's answers share one budget, so Telegram refuses
nothing, no 429 reaches a handler, and every answer arrives (issue "Trust" §3: a report step
sending two messages in a row got a 429, the error handler's answer got one too, and the
resident was stuck mid-report).

The application as it runs (create_bot, create_dispatcher) over HTTP to tests/fakeapi.py; each
resident's updates one after another as aiogram's per-user isolation has them, the residents
at the same time."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from bot.app import create_bot, create_dispatcher
from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from storage.db import Database
from tests.conftest import TOKEN
from tests.factories import BUILDINGS
from tests.fakeapi import JSON, ApiCall, FakeBotAPI, chat_of_update
from tests.fakelimits import FloodRules

RESIDENTS = range(7001, 7036)  # 35: more answers at once than 30 a second
EN = Translations()


class Town:
    def __init__(self, fake: FakeBotAPI, bot: Bot, dispatcher: Dispatcher) -> None:
        self.fake, self.bot, self.dispatcher = fake, bot, dispatcher
        self._update_ids = itertools.count(1)

    async def feed(self, update: JSON) -> None:
        if self.fake.limits is not None:  # Telegram knows who wrote
            self.fake.limits.wrote(chat_of_update(update), time.monotonic())
        await self.dispatcher.feed_raw_update(
            self.bot, {**update, "update_id": next(self._update_ids)}
        )

    async def say(self, user: int, text: str) -> None:
        await self.feed(self.fake.message_update(user, text, language_code="en"))

    def answers(self, user: int) -> list[ApiCall]:
        """What the resident reads: new messages, and questions edited into pressed ones."""
        return [
            c for c in self.fake.calls
            if c.ok and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == user
        ]  # fmt: skip

    async def press_first_button(self, user: int) -> str:
        """Presses the first button of the resident's newest question; returns its label."""
        question = self.answers(user)[-1]
        button = question.params["reply_markup"]["inline_keyboard"][0][0]
        data = button["callback_data"]
        message_id = question.response["result"]["message_id"]
        await self.feed(self.fake.callback_update(user, data, message_id, language_code="en"))
        return str(button["text"])


@pytest.fixture
async def town(tmp_path: Path) -> AsyncIterator[tuple[Town, dict[str, str]]]:
    async with FakeBotAPI() as fake:
        config = Config(
            bot_token=Secret(TOKEN),
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'burst.db'}",
            telegram_api_url=fake.base_url,
            bot_username="louzhang_test_bot",
        )
        db = Database(config.database_url)
        await db.migrate()
        services = Services.create(config, db, EN)
        report = await services.community.import_buildings(BUILDINGS)
        bot = create_bot(config)
        dispatcher = create_dispatcher(config, db, translations=EN)
        try:
            fake.limits = FloodRules()  # Telegram's, from here on
            yield Town(fake, bot, dispatcher), {b.code: b.payload for b in report.buildings}
        finally:
            await dispatcher["update_log"].close()
            await dispatcher.storage.close()
            await bot.session.close()
            await db.close()


async def test_a_burst_of_residents_reporting_gets_every_answer_and_no_429(
    town: tuple[Town, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    t, join = town

    pressed: dict[int, str] = {}

    async def resident(user: int) -> None:
        await t.say(user, f"/start {join['A1']}")  # joined; asks for the flat number
        await t.say(user, "/cancel")  # no flat number
        await t.say(user, "/report")  # the categories
        # "Describe it" takes the categories' place: one edit, right after the answer above.
        pressed[user] = await t.press_first_button(user)
        await t.say(user, f"The lift of {user} is stuck")  # "where is it?"

    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(asyncio.gather(*(resident(user) for user in RESIDENTS)), 120)
    took = loop.time() - began

    # Telegram refused nothing: the answers kept to its limits by themselves.
    assert [c for c in t.fake.calls if c.status == 429] == []
    for user in RESIDENTS:
        texts = [str(c.params.get("text")) for c in t.answers(user)]
        chosen = EN.get("en", "report-category-chosen", category=pressed[user])
        assert texts[-2:] == [
            f"{chosen}\n\n{EN.get('en', 'report-describe', max=5)}",
            EN.get("en", "report-location"),
        ]
    # Nothing failed on the way: no apology, no traceback, no give-up.
    apology = EN.get("en", "error-generic")
    assert [c for c in t.fake.calls if c.params.get("text") == apology] == []
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING] == []
    # Each resident's answers kept to their chat's rule (a burst of 3, then one a second):
    # 4 answers and an edit take a resident at least 2 seconds.
    assert took >= 2
