"""WeChat's "same problem?": a resident whose report is of the same building and kind as a
neighbour's open ticket is asked first, as the chat's report asks after the kind of problem.
Tapping (or typing 1) follows the neighbour's ticket and files nothing; typing 2 files the report
with its words and a photo sent meanwhile; any other answer asks again and loses nothing; a
choice that is not the one waiting is refused in words."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Ticket, TicketFollower
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import Driver, FakeWeChat
from tests.test_wechat import (
    OPENID,
    config,
    deliver,
    fake,
    fake_url,
    handled,
    token_of,
    wechat_person,
    worker,
    world,
)
from tests.test_wechat_media import Http, driver, http  # (with the API that fetches photos)
from tests.test_wechat_work import jpeg, menu_to, texts_to

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures

NEIGHBOUR = "o-neighbour-2"
THIRD = "o-neighbour-3"


async def settle(http: Http, world: World, worker: TelegramDelivery) -> None:
    await handled(http)
    await deliver(world, worker)


async def tickets(world: World) -> list[Ticket]:
    async with world.db.session() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def test_same_problem_is_followed_and_a_new_one_is_filed_with_its_photo(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    for n, openid in enumerate((OPENID, NEIGHBOUR, THIRD)):
        await driver.subscribe(openid, token_of(world), n + 1)
    await settle(http, world, worker)
    await driver.report(OPENID, "楼道灯坏了", 10)
    await settle(http, world, worker)
    [first] = await tickets(world)

    # The neighbour writes about the same thing: asked before anything is filed.
    await driver.report(NEIGHBOUR, "三楼的灯不亮", 20)
    await settle(http, world, worker)
    asked = next(m for to, m in reversed(fake.menus) if to == NEIGHBOUR)["head_content"]
    assert asked.startswith("邻居") and f"工单 #{first.number}" in asked
    assert menu_to(fake, NEIGHBOUR) == [
        f"1. 🙋 是同一个问题：关注 #{first.number}",
        "2. 📝 不是，这是新问题",
    ]
    assert len(await tickets(world)) == 1
    await driver.choose(NEIGHBOUR, "1.", 21)
    await settle(http, world, worker)
    neighbour = await wechat_person(world.db, NEIGHBOUR)
    assert neighbour is not None
    async with world.db.session() as session:
        follows = (await session.scalars(select(TicketFollower))).all()
    assert [(f.ticket_id, f.person_id) for f in follows] == [(first.id, neighbour.id)]
    assert f"您已关注工单 #{first.number}" in texts_to(fake, NEIGHBOUR)[-1]
    assert len(await tickets(world)) == 1
    # The same choice again: nothing is waiting for it any more.
    await driver.choose(NEIGHBOUR, "1.", 22)
    await settle(http, world, worker)
    assert texts_to(fake, NEIGHBOUR)[-1].startswith("抱歉")

    # A third resident: a word that answers nothing asks again; a photo joins the words;
    # typing 2 files the report as their own.
    await driver.report(THIRD, "楼道灯一闪一闪的", 30)
    await settle(http, world, worker)
    await driver.text(THIRD, "也许吧", 31)
    await settle(http, world, worker)
    assert "1（是）或 2（不是，新问题）" in texts_to(fake, THIRD)[-1]
    await driver.image(THIRD, jpeg(), 32)
    await settle(http, world, worker)
    assert "请先回答上面的问题" in texts_to(fake, THIRD)[-1]
    await driver.text(THIRD, "２", 33)
    await settle(http, world, worker)
    [_, mine] = await tickets(world)
    assert mine.description == "楼道灯一闪一闪的" and len(mine.media) == 1
    assert mine.category == first.category
    assert f"#{mine.number}" in texts_to(fake, THIRD)[-1]


async def test_a_choice_for_another_ticket_than_the_one_asked_is_refused(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    for n, openid in enumerate((OPENID, NEIGHBOUR)):
        await driver.subscribe(openid, token_of(world), n + 1)
    await settle(http, world, worker)
    await driver.report(OPENID, "电梯坏了", 10)
    await settle(http, world, worker)
    await driver.report(NEIGHBOUR, "电梯不动了", 20)
    await settle(http, world, worker)
    await driver.text(NEIGHBOUR, "1. 🙋", 21, menu_id="same.999.yes")
    await settle(http, world, worker)
    assert texts_to(fake, NEIGHBOUR)[-1].startswith("抱歉")
    async with world.db.session() as session:
        assert (await session.scalars(select(TicketFollower))).all() == []
    # The question still waits: the right answer works.
    await driver.choose(NEIGHBOUR, "2.", 22)
    await settle(http, world, worker)
    assert len(await tickets(world)) == 2
