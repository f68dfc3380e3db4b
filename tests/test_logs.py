"""LOG_LEVEL=DEBUG never writes personal data: the real bot process, logging at DEBUG, takes a
resident through a whole report (name, flat, phone, description) and the head receives the card;
none of it appears in the logs. SQL echo is a switch of its own (SQL_ECHO)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Person
from tests.fakeapi import ApiCall, FakeBotAPI
from tests.test_cli import cli_env
from tests.test_e2e import (
    REPLY_TIMEOUT,
    STARTUP_TIMEOUT,
    TOKEN,
    BotProcess,
    Seeded,
    buttons,
    seeded,  # noqa: F401  (the fixture)
)

RESIDENT, HEAD = 101, 202
NAME = "Zhangsanfeng-secret-name"
FLAT = "9-1234-secret-flat"
PHONE = "13812345678"
DESCRIPTION = "Water-leak-secret-description 楼道漏水"


async def start_debug_bot(fake: FakeBotAPI, town: Seeded) -> BotProcess:
    env = cli_env(
        town.db,
        BOT_USERNAME=None,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.base_url,
        OUTBOX_POLL_SECONDS="0.2",
        LOG_LEVEL="DEBUG",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=town.cwd, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return BotProcess(process, fake)


def with_button(prefix: str) -> Callable[[ApiCall], bool]:
    return lambda call: any(data.startswith(prefix) for data in buttons(call).values())


@pytest.mark.e2e
async def test_a_whole_report_at_debug_logs_no_personal_data(seeded: Seeded) -> None:  # noqa: F811
    async with FakeBotAPI(max_poll_timeout=0.5) as fake:
        bot = await start_debug_bot(fake, seeded)

        def shown(mark: int) -> list[ApiCall]:
            """New messages, and questions edited into the pressed one, in order."""
            return [
                c
                for c in fake.calls[mark:]
                if c.ok
                and c.method in ("sendMessage", "editMessageText")
                and c.params.get("chat_id") == RESIDENT
            ]

        async def step(update: dict[str, object], want: Callable[[ApiCall], bool]) -> ApiCall:
            mark = len(fake.calls)
            fake.push_update(update)
            await bot.until(
                lambda: any(want(c) for c in shown(mark)),
                f"the answer to {update}",
                REPLY_TIMEOUT,
            )
            return next(c for c in shown(mark) if want(c))

        def say(text: str | None, **extra: Any) -> dict[str, object]:
            return fake.message_update(RESIDENT, text, first_name=NAME, language_code="en", **extra)

        def tap(call: ApiCall, prefix: str) -> dict[str, object]:
            data = next(d for d in buttons(call).values() if d.startswith(prefix))
            message_id = call.response["result"]["message_id"]
            return fake.callback_update(RESIDENT, data, message_id, language_code="en")

        def anything(call: ApiCall) -> bool:
            return True

        try:
            await bot.until(
                lambda: bool(fake.calls_of("getUpdates")), "the first getUpdates", STARTUP_TIMEOUT
            )
            head = fake.message_update(HEAD, f"/start {seeded.head_invite}", first_name="Head")
            fake.push_update(head)
            await step(say(f"/start {seeded.join}"), anything)
            await step(say(FLAT), anything)
            categories = await step(say("/report"), with_button("r1:c:"))
            await step(tap(categories, "r1:c:repairs"), anything)
            await step(say(DESCRIPTION), anything)
            privacy = await step(say("Skip"), with_button("r1:tp"))
            await step(tap(privacy, "r1:tp"), anything)
            contact = {"phone_number": PHONE, "first_name": NAME, "user_id": RESIDENT}
            privacy = await step(say(None, contact=contact), with_button("r1:pv"))
            summary = await step(tap(privacy, "r1:pv"), with_button("r1:s:"))
            mark = len(fake.calls)
            await step(tap(summary, "r1:s:"), anything)
            (card,) = await bot.expect(mark, "sendMessage", HEAD)
            for secret in (NAME, PHONE, DESCRIPTION):
                assert secret in card.params["text"]  # the card carries them all...
            await bot.stop()
        finally:
            await bot.close()
    logs = bot.logs()
    assert " DEBUG " in logs  # it did log at DEBUG
    for secret in (NAME, FLAT, PHONE, DESCRIPTION, "Water-leak", "漏水"):
        assert secret not in logs, secret  # ...the logs none


async def test_a_failed_statement_does_not_quote_its_parameters(db: Database) -> None:
    """The errors router logs an exception's message: a failed INSERT's used to carry the
    values (a resident's name) in "[parameters: ...]"."""
    async with db.session() as session:
        session.add(Person(id=5, display_name=NAME, created_at=datetime.now(UTC)))
        await session.commit()
    with pytest.raises(IntegrityError) as failed:
        async with db.session() as session:
            session.add(Person(id=5, display_name=NAME, created_at=datetime.now(UTC)))
            await session.commit()
    assert NAME not in str(failed.value)
    assert "parameters hidden" in str(failed.value)
