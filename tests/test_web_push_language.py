"""A resident who switches the web door's language keeps getting the head's answers, pushed to
the phone, in the language they switched to: the person's language follows the page's (at the
next report's summary, and when they ask to be told), not the language of their first visit."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.i18n import Translations
from storage.db import Database
from storage.models import Person
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_web_door import ZH, Http, file_report, http, monotonic, token_of, world
from tests.test_web_push import (
    PushService,
    browser,
    config,
    head_answers,
    push_all,
    push_service,
    pusher,
)

__all__ = ["config", "http", "monotonic", "push_service", "world"]  # fixtures


async def languages(db: Database) -> set[str | None]:
    """The languages of the web door's people (the head is on Telegram, in English)."""
    async with db.session() as session:
        people = (await session.scalars(select(Person).where(Person.id != 1))).all()
        return {p.language for p in people}


async def test_pushes_come_in_the_language_the_resident_switched_to(
    http: Http,
    world: World,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    push_service: PushService,
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))  # a phone in English
    assert await languages(db) == {"en"}

    # The resident switches the page to Chinese and asks to be told when the head answers.
    switched = await http.get(f"/t/{ticket_id}?lang=zh-hans")
    html = await switched.text()
    assert "楼长回复时通知我" in html
    phone = browser(push_service)
    csrf = re.findall(r'data-csrf="([^"]+)"', html)[0]
    answer = await http.post(
        "/door/push", data={"csrf": csrf, "subscription": json.dumps(phone.subscription())}
    )
    assert answer.status == 200
    assert await languages(db) == {"zh-hans"}

    await head_answers(world, "I will come at five.")
    await push_all(pusher(world, db, clock, translations))
    [note] = [n for n in (phone.read(r.body) for r in push_service.received) if "five" in n["body"]]
    assert note["title"] == "工单 #1" and "Building head" not in note["body"]

    # A report from the poster in the phone's other language switches it back.
    poster = await http.get(f"/b/{token_of(world)}?lang=en")
    csrf = re.findall(r'name="csrf" value="([^"]*)"', await poster.text())[0]
    summary = await http.post(
        f"/b/{token_of(world)}",
        data={"csrf": csrf, "category": "repairs", "description": "The lift is stuck"},
        headers=ZH,  # the phone's own language; the switch chose English
    )
    assert summary.status == 200 and "Check and send" in await summary.text()
    assert await languages(db) == {"en"}
