"""A browser's push subscription belongs to the device that gave it last: when another device
of the same browser (its cookie cleared, the phone passed on to a neighbour) subscribes with
it, the first device's pushes (the head's answers on its tickets) no longer reach that
browser, whose page cannot open those tickets anyway."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.i18n import Translations
from storage.db import Database
from storage.models import Channel, Contact
from tests.conftest import FakeClock
from tests.factories import World
from tests.test_web_door import EN, Http, file_report, http, monotonic, token_of, world
from tests.test_web_push import (
    PushService,
    browser,
    config,
    head_answers,
    push_all,
    push_service,
    pusher,
    subscribe,
)

__all__ = ["config", "http", "monotonic", "push_service", "world"]  # fixtures


async def pushes(db: Database) -> list[str | None]:
    async with db.session() as session:
        query = select(Contact).where(Contact.channel == Channel.WEB).order_by(Contact.id)
        contacts = (await session.scalars(query)).all()
        return [c.push["endpoint"] if c.push else None for c in contacts]


async def test_a_browser_subscribed_by_another_device_no_longer_gets_the_first_ones_pushes(
    http: Http,
    world: World,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    push_service: PushService,
) -> None:
    ticket_id, _ = await file_report(http, token_of(world))
    phone = browser(push_service)
    assert (await subscribe(http, ticket_id, phone))[0] == 200
    # The same device subscribing again keeps its subscription.
    assert (await subscribe(http, ticket_id, phone))[0] == 200
    assert await pushes(db) == [phone.endpoint]

    # The browser's cookies are cleared; a neighbour reports from it and asks for pushes.
    http.session.cookie_jar.clear()
    poster = await http.get(f"/b/{token_of(world)}", headers=EN)
    csrf = re.findall(r'name="csrf" value="([^"]*)"', await poster.text())[0]
    summary = await http.post(
        f"/b/{token_of(world)}",
        data={"csrf": csrf, "category": "sanitation", "description": "The bins are full"},
        headers=EN,
    )
    assert summary.status == 200
    answer = await http.post(
        "/door/push",
        data={"csrf": csrf, "subscription": json.dumps(phone.subscription())},
        headers=EN,
    )
    assert answer.status == 200
    assert await pushes(db) == [None, phone.endpoint]

    # The head answers the first device's ticket: nothing of it reaches this browser.
    await head_answers(world, "I will come at five.")
    await push_all(pusher(world, db, clock, translations))
    assert not [r for r in push_service.received if "five" in phone.read(r.body)["body"]]
    assert (await http.get(f"/t/{ticket_id}", headers=EN)).status == 403
