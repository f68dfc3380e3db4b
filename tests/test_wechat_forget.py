"""WeChat's /forgetme: a resident who uses only WeChat writes "删除我的数据", is asked with a
msgmenu (Delete / Keep), and on Delete the same ForgetService as Telegram's /forgetme runs:
no OpenID of theirs is left (contacts, wechat_pending, the outbox bar the goodbye), their ticket
stays anonymised as /forgetme leaves it, and the goodbye reaches them in the 48-hour window. Keep
and a forged choice (another person's id, a made-up one) change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.i18n import Translations
from storage.db import Database
from storage.models import (
    Channel,
    Contact,
    Membership,
    OutboxMessage,
    Person,
    Ticket,
    TicketEvent,
    WeChatPending,
)
from telegram.delivery import TelegramDelivery
from tests.factories import World
from tests.fakewechat import Driver, FakeWeChat
from tests.test_wechat import (
    OPENID,
    Http,
    config,
    count,
    deliver,
    driver,
    fake,
    fake_url,
    handled,
    http,
    token_of,
    wechat_person,
    worker,
    world,
)
from tests.test_wechat_work import texts_to

__all__ = ["config", "driver", "fake", "fake_url", "http", "world", "worker"]  # fixtures

OTHER = "o-resident-2"


async def rows_with(db: Database, openid: str) -> dict[str, int]:
    """Every row that still holds the OpenID."""
    async with db.session() as session:

        async def number(model: object, *where: object) -> int:
            query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return await session.scalar(query) or 0

        return {
            "contacts": await number(Contact, Contact.address == openid),
            "pending": await number(WeChatPending, WeChatPending.openid == openid),
            "outbox": await number(
                OutboxMessage,
                OutboxMessage.address == openid,
                OutboxMessage.status == "pending",
            ),
        }


async def joined_with_a_ticket(
    http: Http,
    driver: Driver,
    world: World,
    worker: TelegramDelivery,
    openid: str,
    first: int,
    category: int = 1,
) -> Person:
    await driver.subscribe(openid, token_of(world), first)
    await handled(http)
    await driver.report(openid, "楼道灯坏了", first + 1, category=category)
    await handled(http)
    await driver.text(openid, "三楼和四楼都不亮", first + 2)  # a message to the head
    await handled(http)
    await deliver(world, worker)
    person = await wechat_person(world.db, openid)
    assert person is not None
    return person


async def test_a_wechat_resident_deletes_their_data(
    http: Http,
    driver: Driver,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
    translations: Translations,
) -> None:
    db = world.db
    zh = translations.bind("zh-hans")
    person = await joined_with_a_ticket(http, driver, world, worker, OPENID, 1)
    # (Another kind of problem: the same one would ask "same problem?" first.)
    other = await joined_with_a_ticket(http, driver, world, worker, OTHER, 100, category=2)
    # A photo kept for a report not yet written: a wechat_pending row with the OpenID.
    async with db.session() as session:
        session.add(
            WeChatPending(
                openid=OPENID,
                ticket_id=None,
                action="photos",
                until=world.clock() + timedelta(hours=1),
            )
        )
        await session.commit()

    # The Help button of the custom menu says how.
    await driver.click(OPENID, "help", 10)
    await handled(http)
    await deliver(world, worker)
    assert "删除我的数据" in texts_to(fake, OPENID)[-1]

    # Asking: a msgmenu, nothing deleted yet; "Keep" keeps everything.
    await driver.text(OPENID, "删除我的数据", 11)
    await handled(http)
    await deliver(world, worker)
    [_, question] = fake.menus[-1]
    assert question["head_content"].startswith(zh("forget-ask").splitlines()[0])
    labels = [item["content"] for item in question["list"]]
    assert labels == [zh("forget-yes"), zh("forget-no")]
    await driver.choose(OPENID, zh("forget-no"), 12)
    await handled(http)
    await deliver(world, worker)
    assert texts_to(fake, OPENID)[-1] == zh("forget-kept")
    assert await wechat_person(db) is not None

    # Forged: the other resident's Delete id sent from this WeChat, and a made-up one.
    forged = next(i["id"] for i in question["list"] if i["content"] == zh("forget-yes"))
    assert forged == f"forget.{person.id}.yes"
    await driver.text(OTHER, zh("forget-yes"), 201, menu_id=forged)
    await driver.text(OPENID, zh("forget-yes"), 13, menu_id=f"forget.{other.id}.yes")
    await driver.text(OPENID, zh("forget-yes"), 14, menu_id="forget.x.yes")
    await handled(http)
    await deliver(world, worker)
    refusal = zh("wechat-refused", reason=zh("wechat-menu-unknown"))
    assert texts_to(fake, OTHER)[-1] == refusal
    assert texts_to(fake, OPENID)[-2:] == [refusal, refusal]
    assert await wechat_person(db, OTHER) is not None and await wechat_person(db) is not None
    assert (await rows_with(db, OPENID))["pending"] == 1

    # Confirming (in English this time: "forget me" asks as well).
    await driver.text(OPENID, "Forget me!", 15)
    await handled(http)
    await deliver(world, worker)
    await driver.choose(OPENID, zh("forget-yes"), 16)
    await handled(http)
    assert await count(db, Membership) == 2  # the head's and the other resident's
    async with db.session() as session:
        assert await session.get(Person, person.id) is None
        [ticket] = (await session.scalars(select(Ticket).where(Ticket.number == 1))).all()
        assert ticket.author_id is None and ticket.flat is None
        assert ticket.description == "楼道灯坏了"
        words = (
            await session.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "message"
                )
            )
        ).all()
        assert [e.data.get("text") for e in words] == [None]
        assert words[0].data["forgotten"] is True
        assert all(e.actor_id is None for e in words)
    assert await rows_with(db, OPENID) == {"contacts": 0, "pending": 0, "outbox": 1}

    # The goodbye goes (the window is open: they just wrote), in their language.
    await deliver(world, worker)
    assert texts_to(fake, OPENID)[-1] == zh("wechat-forget-done")
    assert fake.templates == []
    assert await rows_with(db, OPENID) == {"contacts": 0, "pending": 0, "outbox": 0}
    # The other resident is untouched.
    async with db.session() as session:
        still = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.author_id == other.id)
        )
        assert still == 1
        assert await session.scalar(
            select(Contact).where(Contact.channel == Channel.WECHAT, Contact.address == OTHER)
        )
