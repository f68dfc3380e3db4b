"""/forgetme of a head who also works in WeChat: the WeChat door's pending choice (a Reply
pressed in the card's msgmenu, waiting up to an hour for its words, ``wechat_pending``) keeps
the OpenID and the ticket; forgetting deletes it with the person, so a text sent afterwards
from that WeChat is a stranger's and reaches nobody."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import TicketEvent, WeChatPending
from telegram.delivery import TelegramDelivery
from tests.factories import World, by_telegram
from tests.fakewechat import Driver, FakeWeChat
from tests.test_wechat import HEAD_ID, config, deliver, fake, fake_url, handled, worker, world
from tests.test_wechat_work import HEAD_OPENID, Http, driver, http, texts_to

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures


async def pending_rows(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(WeChatPending)) or 0


async def test_forgetme_deletes_the_wechat_doors_pending_choice(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    client, db = world.client, world.db
    head = client.user(HEAD_ID, "en", "Head")
    [code_message] = await client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), 8001)
    await handled(http)
    resident = await world.join(client.user(200, "en", "Ann"), "A1")
    person = await world.person(resident)
    [building] = await world.services.reporting.resident_buildings(person)
    await world.services.reporting.report(
        person, Draft(building_id=building.building_id, category="other", description="Lift stuck")
    )
    await deliver(world, worker)
    await driver.choose(HEAD_OPENID, "✋", 8002)
    await driver.choose(HEAD_OPENID, "💬", 8003)  # the next text would be the reply
    await handled(http)
    assert await pending_rows(db) == 1

    [question] = await client.send(head, "/forgetme")
    await client.click(head, question, "🗑 Yes, delete my data")
    async with db.session() as session:
        assert await session.scalar(by_telegram(HEAD_ID)) is None
    assert await pending_rows(db) == 0

    # The words that would have been the reply are a stranger's now: no message on the ticket.
    await driver.text(HEAD_OPENID, "Coming at five.", 8004)
    await handled(http)
    async with db.session() as session:
        messages = await session.scalars(select(TicketEvent).where(TicketEvent.kind == "message"))
        assert messages.all() == []
    assert not any("Coming at five." in s.text for s in await deliver(world, worker))
    assert texts_to(fake, HEAD_OPENID)  # the stranger was answered, politely
