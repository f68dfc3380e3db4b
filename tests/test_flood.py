"""Per-person flood limit on messages."""

from __future__ import annotations

import dataclasses

from aiogram import Bot

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from storage.db import Database
from tests.botclient import BotClient, FakeSession, texts
from tests.conftest import TOKEN, FakeClock


async def test_a_flood_is_slowed_down_once_then_ignored_for_the_minute(
    config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    config = dataclasses.replace(config, flood_messages_per_minute=3)
    session = FakeSession()
    client = BotClient(
        create_dispatcher(config, db, translations=translations, clock=clock),
        Bot(TOKEN, session=session),
        session,
    )
    spammer, neighbour = client.user(1, "en"), client.user(2, "en")
    answered = [texts(await client.send(spammer, "/help")) for _ in range(3)]
    assert all(answered)
    assert texts(await client.send(spammer, "/help")) == [
        "You are sending messages very fast. Please wait a minute; messages sent meanwhile are "
        "ignored."
    ]
    assert texts(await client.send(spammer, "/help")) == []  # warned once, then silence
    assert texts(await client.send(neighbour, "/help"))  # others are not affected
    clock.advance(seconds=61)
    assert texts(await client.send(spammer, "/help"))
