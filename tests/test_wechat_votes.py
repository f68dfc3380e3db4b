"""Building votes in WeChat, driven as the people would: a resident follows the account through
A1's poster QR, claims flat 101 and the head confirms it in Telegram; the head opens a lift vote
in Telegram's /vote; the WeChat owner gets the ballot with one msgmenu choice per option, taps
one and gets the receipt, changes it; a WeChat neighbour who owns no flat is told of the vote
without choices. A forged choice (someone else's flat, an option that does not exist, a vote
that does not exist) and a non-owner's tap are refused in words and change nothing. Out of the
48-hour window the reminder is the template message opening the owner's ballot page, where
they vote (CSRF-guarded form, receipt shown); a wrong key or a non-owner's link opens nothing;
after the deadline the page refuses (WeChat: tests/fakewechat.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from bot.config import Config
from bot.services.flat_claims import FlatRow
from storage.db import Database
from storage.models import Ballot, Channel, Flat, OutboxMessage, OutboxStatus, Person, Urgency
from telegram.delivery import TelegramDelivery
from tests.botclient import Sent
from tests.factories import World
from tests.fakewechat import Driver, FakeWeChat
from tests.test_notice_doors import (
    HEAD_ID,
    OPENID,
    Http,
    deliver,
    fake,
    fake_url,
    http,
    joined_in_wechat,
    worker,
    world,
)
from tests.test_web_door import EN, form_fields
from tests.test_web_push import config, push_service
from tests.waiting import eventually
from wechat.callback import TASKS

__all__ = ["config", "fake", "fake_url", "http", "push_service", "worker", "world"]

NEIGHBOUR = "o-neighbour-2"
QUESTION = "Install a lift in building 1?"


async def ballots(db: Database) -> list[tuple[int, int]]:
    async with db.session() as session:
        found = await session.scalars(select(Ballot).order_by(Ballot.id))
        return [(b.flat_id, b.choice) for b in found]


async def person_of(world: World, openid: str) -> Person:
    person = await world.services.wechat.person_of(openid)
    assert person is not None
    return person


async def settled(http: Http) -> None:
    await eventually(lambda: not http.app[TASKS], "the WeChat callbacks handled")


async def owners(http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery) -> None:
    """A1's flats imported; the WeChat resident claims 101 and the head confirms in Telegram;
    a WeChat neighbour joins A1 and owns nothing."""
    await joined_in_wechat(http, fake, world)
    assert await Driver(http, fake).subscribe(NEIGHBOUR, world.payloads["A1"][1:], 2) == (
        200,
        "success",
    )
    await settled(http)
    rows = [FlatRow("A1", "101", "60"), FlatRow("A1", "102", "40")]
    assert await world.services.flats.import_flats(rows) == 2
    await world.services.flats.claim(await person_of(world, OPENID), "101")
    head = world.client.user(HEAD_ID, "en", "Head")
    [card] = [s for s in await world.client.send(head, "/flats") if s.buttons]
    await world.client.click(head, card, "✅ Confirm owner")
    await deliver(worker)


async def open_vote(world: World) -> None:
    head = world.client.user(HEAD_ID, "en", "Head")

    def last(sent: list[Sent]) -> Sent:
        return [s for s in sent if s.buttons][-1]

    organiser = last(await world.client.send(head, "/vote"))
    await world.client.click(head, organiser, "➕ Open a new vote")
    options = last(await world.client.send(head, QUESTION))
    rule = last(await world.client.click(head, options, "Yes / No"))
    days = last(await world.client.click(head, rule, "Major matter (lift, repairs fund): ¾"))
    summary = last(await world.client.click(head, days, "7 days"))
    opened = await world.client.click(head, summary, "✅ Open the vote")
    assert opened, "the vote opened"


async def flat_ids(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {f.code: f.id for f in await session.scalars(select(Flat))}


async def test_a_wechat_owner_votes_with_choices_and_forgeries_change_nothing(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    await owners(http, fake, world, worker)
    fake.wrote(OPENID)
    fake.wrote(NEIGHBOUR)
    await open_vote(world)
    # Every owner's ballot is written at once: when delivery is behind, other news goes first.
    async with world.db.session() as session:
        waiting = await session.scalars(
            select(OutboxMessage.urgency).where(
                OutboxMessage.channel == Channel.WECHAT,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        assert list(waiting) == [Urgency.BULK, Urgency.BULK]
    await deliver(worker)

    # The owner: the ballot with one choice per option, in their language (Chinese).
    [(to, menu)] = [(o, m) for o, m in fake.menus if QUESTION in m["head_content"]]
    assert to == OPENID and "101 号房" in menu["head_content"]
    assert [i["content"] for i in menu["list"]] == ["同意", "不同意"]
    # The neighbour who owns no flat: told, no choices.
    [told] = [t for o, t in fake.texts if o == NEIGHBOUR and QUESTION in t]
    assert "已确认产权的业主" in told
    assert not any(o == NEIGHBOUR for o, m in fake.menus if QUESTION in m["head_content"])

    driver = Driver(http, fake)
    first = menu["list"][0]["content"]
    await driver.choose(OPENID, first, 1001)
    await settled(http)
    await deliver(worker)
    flats = await flat_ids(world.db)
    assert await ballots(world.db) == [(flats["101"], 0)]
    receipt = fake.texts[-1]
    assert receipt[0] == OPENID and "101 号房的选票已记录" in receipt[1]
    code = re.search(r"回执 (\w+)", receipt[1])
    assert code is not None

    await driver.choose(OPENID, menu["list"][1]["content"], 1002)  # changed
    await settled(http)
    await deliver(worker)
    assert await ballots(world.db) == [(flats["101"], 1)]
    assert "已改为" in fake.texts[-1][1] and code.group(1) in fake.texts[-1][1]

    # Forged and stale ids: someone else's flat, an option that is not there, a vote that
    # is not there, and the neighbour's tap on the owner's flat. Each refused, nothing changes.
    for openid, menu_id, msg, reason in (
        (OPENID, f"ballot.1.{flats['102']}.0", 1003, "只有 102 号房已确认的业主"),
        (OPENID, f"ballot.1.{flats['101']}.7", 1004, "按钮已失效"),
        (OPENID, f"ballot.99.{flats['101']}.0", 1005, "没有权限"),
        (NEIGHBOUR, f"ballot.1.{flats['101']}.0", 1006, "只有 101 号房已确认的业主"),
        (OPENID, "ballot.1.x.0", 1007, "抱歉"),
    ):
        before = len(fake.texts)
        await driver.text(openid, "同意", msg, menu_id=menu_id)
        await settled(http)
        await deliver(worker)
        [(to, said)] = fake.texts[before:]
        assert to == openid and said.startswith("抱歉") and reason in said, said
        assert await ballots(world.db) == [(flats["101"], 1)]

    # "投票" shows the open ballot again, the current choice marked.
    before = len(fake.menus)
    await driver.text(OPENID, "投票", 1008)
    await settled(http)
    await deliver(worker)
    [(_, again)] = fake.menus[before:]
    assert again["list"][1]["content"].startswith("✓ ")


async def test_out_of_the_window_the_reminder_opens_the_ballot_page(
    http: Http,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
    config: Config,
) -> None:
    await owners(http, fake, world, worker)
    world.clock.advance(hours=49)  # the owner wrote two days ago: the window has closed
    await open_vote(world)
    await deliver(worker)
    assert fake.refused == []
    [template] = [t for t in fake.templates if t["touser"] == OPENID]
    path = urlsplit(template["url"]).path
    assert path.startswith("/door/ballot/1/")
    data = {k: v["value"] for k, v in template["data"].items()}
    assert QUESTION in data["keyword2"]

    # A reminder three days later (same time of day: not in quiet hours) goes the same way
    # (the owner has not voted).
    world.clock.advance(hours=71)
    assert await world.services.votes.run() >= 1
    await deliver(worker)
    reminders = [t for t in fake.templates if t["touser"] == OPENID]
    assert len(reminders) == 2 and urlsplit(reminders[1]["url"]).path == path

    page = await http.get(path, headers=EN)
    html = await page.text()
    assert page.status == 200 and QUESTION in html and "Flat 101" in html
    fields = dict(form_fields(html, path))
    cast = await http.post(path, data={**fields, "choice": "0"}, headers=EN)
    shown = await cast.text()
    assert cast.status == 200, shown
    assert "Your ballot for flat 101 is recorded: Yes" in shown
    flats = await flat_ids(world.db)
    assert await ballots(world.db) == [(flats["101"], 0)]
    changed = await http.post(path, data={**fields, "choice": "1"}, headers=EN)
    assert "changed to: No" in await changed.text()
    assert await ballots(world.db) == [(flats["101"], 1)]

    # Without the CSRF token, with a forged option or someone else's flat: nothing changes.
    assert (await http.post(path, data={"flat": fields["flat"], "choice": "0"})).status == 403
    bad = await http.post(path, data={**fields, "choice": "9"}, headers=EN)
    assert bad.status == 409
    other = await http.post(
        path, data={**fields, "flat": str(flats["102"]), "choice": "0"}, headers=EN
    )
    assert other.status == 409 and "Only the confirmed owner of flat 102" in await other.text()
    assert await ballots(world.db) == [(flats["101"], 1)]

    # A wrong key opens nothing; the neighbour's own (valid) link shows no ballot.
    forged = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
    assert (await http.get(forged, headers=EN)).status == 404
    assert (await http.post(forged, data={**fields, "choice": "0"}, headers=EN)).status == 404
    neighbour = await person_of(world, NEIGHBOUR)
    theirs = await world.services.door_ballots.path(1, neighbour.id)
    refused = await http.get(theirs, headers=EN)
    assert refused.status == 403 and "Only the confirmed owner" in await refused.text()

    # After the deadline: the page says it is closed, and a ballot is refused.
    world.clock.advance(days=5)
    closed = await http.get(path, headers=EN)
    assert "This vote is closed" in await closed.text()
    late = await http.post(path, data={**fields, "choice": "0"}, headers=EN)
    assert late.status == 409
    assert await ballots(world.db) == [(flats["101"], 1)]


async def test_a_telegram_resident_still_reads_the_announcement_with_vote(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """The WeChat path changes nothing for Telegram residents: the announcement says /vote,
    with no WeChat choices."""
    await owners(http, fake, world, worker)
    resident = world.client.user(300, "en", "Telegram resident")
    await world.join(resident, "A1")
    await open_vote(world)
    sent = len(world.client.session.requests)
    await deliver(worker)
    texts = [
        str(getattr(r, "text", ""))
        for r in world.client.session.requests[sent:]
        if getattr(r, "chat_id", None) == 300
    ]
    assert any(QUESTION in t and "/vote" in t for t in texts), texts
    assert fake.refused == []


async def test_a_flat_s_new_owner_in_wechat_and_on_the_page_sees_no_earlier_choice(
    http: Http, fake: FakeWeChat, world: World, worker: TelegramDelivery
) -> None:
    """101's owner votes No, then the head confirms the WeChat neighbour as 101's owner (a
    claim made as /flat makes it). "投票" gives the neighbour a ballot with nothing marked, and
    their ballot page has no option checked and no "your ballot now"."""
    await owners(http, fake, world, worker)
    fake.wrote(OPENID)
    fake.wrote(NEIGHBOUR)
    await open_vote(world)
    await deliver(worker)
    [menu] = [m for o, m in fake.menus if o == OPENID and QUESTION in m["head_content"]]
    driver = Driver(http, fake)
    await driver.choose(OPENID, menu["list"][1]["content"], 1001)  # 不同意
    await settled(http)
    await deliver(worker)
    flats = await flat_ids(world.db)
    assert await ballots(world.db) == [(flats["101"], 1)]

    neighbour = await person_of(world, NEIGHBOUR)
    await world.services.flats.claim(neighbour, "101")
    head = world.client.user(HEAD_ID, "en", "Head")
    [card] = [s for s in await world.client.send(head, "/flats") if s.buttons]
    await world.client.click(head, card, "✅ Confirm owner")
    await deliver(worker)

    before = len(fake.menus)
    await driver.text(NEIGHBOUR, "投票", 1002)
    await settled(http)
    await deliver(worker)
    [(to, again)] = fake.menus[before:]
    assert to == NEIGHBOUR and "101 号房" in again["head_content"]
    assert "现在的选择" not in again["head_content"]
    assert not any(i["content"].startswith("✓") for i in again["list"])

    page = await http.get(await world.services.door_ballots.path(1, neighbour.id), headers=EN)
    html = await page.text()
    assert page.status == 200 and "Flat 101" in html
    assert "checked" not in html and "Your ballot now" not in html


async def test_a_ballot_form_sent_twice_is_recorded_once_not_changed(
    http: Http,
    fake: FakeWeChat,
    world: World,
    worker: TelegramDelivery,
) -> None:
    """The ballot page's form posted twice (a double tap, a browser resending): the second
    answer is the first's receipt, not "changed", and the ballot stands as cast."""
    await owners(http, fake, world, worker)
    world.clock.advance(hours=49)  # out of the 48-hour window: the template opens the page
    await open_vote(world)
    await deliver(worker)
    [template] = [t for t in fake.templates if t["touser"] == OPENID]
    path = urlsplit(template["url"]).path
    fields = dict(form_fields(await (await http.get(path, headers=EN)).text(), path))
    answers = [
        await (await http.post(path, data={**fields, "choice": "0"}, headers=EN)).text()
        for _ in range(2)
    ]
    receipts = [re.findall(r"Receipt (\w+)", a) for a in answers]
    assert all("is recorded: Yes" in a and "changed" not in a for a in answers)
    assert receipts[0] == receipts[1] and receipts[0]
    flats = await flat_ids(world.db)
    assert await ballots(world.db) == [(flats["101"], 0)]
