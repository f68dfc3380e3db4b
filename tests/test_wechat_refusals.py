"""A refusal in WeChat reads as one polite sentence with one apology, in Chinese and in
English: the door's own reasons follow its "Sorry, "; a shared reason that apologises already
(``not-allowed``) goes as it is, not as "Sorry, that did not work: Sorry, …"; a shared reason
that does not (``report-empty``) follows the "Sorry, " with its first letter lowered."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Ticket
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import Driver, FakeWeChat
from tests.test_wechat import (
    HEAD_ID,
    OPENID,
    Http,
    config,
    deliver,
    driver,
    fake,
    fake_url,
    handled,
    http,
    token_of,
    worker,
    world,
)
from tests.test_wechat_work import texts_to

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures

STRANGER = "o-stranger"
HEAD_OPENID = "o-head-1"


async def test_each_refusal_apologises_once_in_chinese_and_in_english(
    http: Http, driver: Driver, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    # Chinese (a WeChat follower's language): the door's own reason, then a shared one that
    # apologises already (a resident tapping a head's Take on their own ticket).
    await driver.text(STRANGER, "电梯坏了", 1)
    await driver.subscribe(OPENID, token_of(world), 2)
    await driver.report(OPENID, "电梯坏了", 3)
    await handled(http)
    async with world.db.session() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
    await driver.text(OPENID, "是的", 4, menu_id=f"t{ticket.id}.take")
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, STRANGER) == ["抱歉，您还没有加入楼栋，请先扫描楼栋海报上的二维码。"]
    assert texts_to(fake, OPENID)[-1] == "抱歉，您没有权限进行此操作。"

    # English (a head who linked their WeChat): the door's own reason, a shared one that
    # apologises already (a head's Yes, fixed on a resident's ticket), and one that does not.
    head = world.client.user(HEAD_ID, "en", "Head")
    [code_message] = await world.client.send(head, "/link")
    code = re.search(r"\d{6}", code_message.text)
    assert code is not None
    world.clock.advance(minutes=1)
    await driver.text(HEAD_OPENID, code.group(), 10)
    await handled(http)
    await driver.text(HEAD_OPENID, "Yes", 11, menu_id="t1.escalate")
    await handled(http)
    await driver.text(HEAD_OPENID, "Yes", 12, menu_id=f"t{ticket.id}.confirm")
    await handled(http)
    await driver.text(HEAD_OPENID, " ", 13)
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, HEAD_OPENID)[-3:] == [
        "Sorry, that choice is not one this account sent you, or it is too old; "
        "please open the ticket's page to act on it.",
        "Sorry, you are not allowed to do that.",
        "Sorry, please describe the problem first.",
    ]
