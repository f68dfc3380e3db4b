"""The whistle (吹哨), driven as the community office, heads and residents would: the office
forwards a ticket to an outside department from its card (or with /whistle), the residents
hear where it went in their language, the work order reminds its coordinator like any other
clock (once, even from two scans at once), the answer is typed in and reaches the resident;
heads, strangers, stale and forged buttons and finished tickets change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.methods import SendMessage
from aiogram.types import Sticker
from sqlalchemy import func, select

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.setting_errors import InvalidSetting
from bot.services.sla import Sla, whistle_reminder_due
from handlers.keyboards import TicketCb
from handlers.whistle import WhistleCb, WhistleStep
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, Role, TicketStatus, WorkOrder
from tests.botclient import Sent
from tests.conftest import FakeClock
from tests.test_ticket_handling import (
    HEAD,
    HEAD2,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    answer,
    card,
    events,
    one,
    ticket,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

S = TicketStatus
REFERENCE = "1-2026-0001"  # community 1, forwarded in 2026, its first work order
STAFF_NAMES = ("Chen", "Wang", "Li 101", "Zhao")
STICKER = Sticker(
    file_id="s",
    file_unique_id="s",
    type="regular",
    width=1,
    height=1,
    is_animated=False,
    is_video=False,
)


async def orders(db: Database) -> list[WorkOrder]:
    async with db.session() as session:
        return list(await session.scalars(select(WorkOrder).order_by(WorkOrder.id)))


async def pending_texts(db: Database, person_id: int) -> list[str]:
    """What the outbox holds for someone, not yet delivered (committed with the change)."""
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.person_id == person_id,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .order_by(OutboxMessage.id)
        )
        return [str(r.payload.get("text", "")) for r in rows]


async def forward(town: Town, department: str = "12345 市民热线") -> Any:
    """The office opens ticket #1 with /whistle, picks ``department`` and confirms; returns
    the card as it was edited."""
    choice = one(await town.send(OFFICE, "/whistle 1"), OFFICE)
    assert "工单 #1 转交给哪个部门" in choice.text
    assert choice.buttons == [
        "街道办事处",
        "12345 市民热线",
        "物业公司",
        "水电燃气公司",
        "‹ 返回",
    ]
    confirm = one(await town.click(OFFICE, choice, department), OFFICE, "EditMessageText")
    assert confirm.buttons == [f"✅ 转交{department}", "‹ 返回"]
    sent = await town.click(OFFICE, confirm, f"✅ 转交{department}")
    assert answer(sent) == f"📣 工单 #1 已转办：转办单 {REFERENCE}。"
    return one(sent, OFFICE, "EditMessageText")


# --------------------------------------------------------------------------- the whole loop


async def test_office_forwards_and_the_residents_are_told_in_their_language(town: Town) -> None:
    found = await town.report()
    neighbour = await town.person(NEIGHBOUR)
    await town.world.services.neighbours.follow(neighbour, found.id)
    await town.deliver()

    edited = await forward(town)
    # The card shows where it went and since when (10:00 in Foshan); the ticket stays open.
    assert f"📣 已转交12345 市民热线（{REFERENCE}），自 2026-11-26 10:00 起等待答复" in edited.text
    assert "📥 已收到答复" in edited.buttons and "📣 吹哨转办" not in edited.buttons
    assert (await ticket(town.db, 1)).status is S.NEW
    [order] = await orders(town.db)
    assert (order.reference, order.department, order.door) == (
        REFERENCE,
        "hotline_12345",
        "telegram",
    )
    assert order.forwarded_by == town.ids[OFFICE] and order.answered_at is None
    assert ("whistled", "telegram") in [(k, d.get("door")) for k, d in await events(town.db, 1)]

    # Committed with the change: the resident's notice waits in the outbox, in English.
    [notice] = await pending_texts(town.db, town.ids[RESIDENT])
    assert "forwarded it to 12345 citizen hotline" in notice and REFERENCE in notice
    delivered = await town.deliver()
    told = one(delivered, RESIDENT)
    assert told.text.startswith("📣 Your ticket #1 needs help from outside the community")
    followed = one(delivered, NEIGHBOUR)
    assert "which you follow" in followed.text and "12345 citizen hotline" in followed.text
    for text in (told.text, followed.text):
        assert not any(name in text for name in STAFF_NAMES)  # no staff names to residents
    # The head hears it too, and their card (in English) shows the state, with no whistle.
    assert "forwarded to 12345 citizen hotline by the community office" in one(delivered, HEAD).text
    head_card = card(delivered, HEAD)
    assert "📣 Forwarded to 12345 citizen hotline" in head_card.text
    assert not any("Forward" in b or "Answer" in b for b in head_card.buttons)


async def test_the_answer_is_typed_in_recorded_and_reaches_the_resident(town: Town) -> None:
    found = await town.report()
    await town.world.services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    await town.deliver()
    edited = await forward(town)
    await town.deliver()

    prompt = one(await town.click(OFFICE, edited, "📥 已收到答复"), OFFICE)
    assert f"转办单 {REFERENCE}" in prompt.text
    # A sticker or a text longer than a message is refused politely; the step waits.
    assert "请用文字发送" in one(await town.send(OFFICE, None, sticker=STICKER), OFFICE).text
    refused = one(await town.send(OFFICE, "长" * 5000), OFFICE)
    assert "内容太长了（5,000 个字）" in refused.text
    assert (await orders(town.db))[0].answered_at is None

    sent = await town.send(OFFICE, "The road crew will fix the pit on Friday.")
    assert one(sent, OFFICE).text == "✅ 答复已登记到工单 #1，并已告知住户。"
    assert (
        "📥 12345 市民热线已于 2026-11-26 10:00 答复" in one(sent, OFFICE, "EditMessageText").text
    )
    [order] = await orders(town.db)
    assert order.answer == "The road crew will fix the pit on Friday."
    assert order.answered_by == town.ids[OFFICE]
    assert (await ticket(town.db, 1)).status is S.NEW

    delivered = await town.deliver()
    told = one(delivered, RESIDENT)
    assert told.text == (
        "📥 12345 citizen hotline answered about ticket #1:\n"
        "The road crew will fix the pit on Friday."
    )
    # A follower hears that there is an answer, not what it says (status changes only).
    followed = one(delivered, NEIGHBOUR)
    assert "has answered" in followed.text and "Friday" not in followed.text
    assert "Friday" in one(delivered, HEAD).text  # the building's staff read it
    # Forwarding again is possible once answered (to another department).
    card_now = card(delivered, HEAD)
    assert "answered" in card_now.text


# --------------------------------------------------------------------------- the clock


async def test_a_waiting_order_reminds_its_coordinator_once_per_step_and_at_most_k_times(
    town: Town, config: Config, db: Database, translations: Translations, clock: FakeClock
) -> None:
    await town.report()
    await town.deliver()
    await forward(town)
    await town.deliver()
    first = town.world.services
    second = Services.create(config, db, translations, clock)  # another instance, same database

    async def scan_twice() -> int:
        counts = await asyncio.gather(
            first.scheduling.whistle.run(), second.scheduling.whistle.run()
        )
        return sum(counts)

    clock.advance(days=2, hours=23)
    assert await scan_twice() == 0
    clock.advance(hours=1)  # three days: the first reminder, from one of the two scans
    assert await scan_twice() == 1
    assert await scan_twice() == 0
    reminder = one(await town.deliver(), OFFICE)
    assert f"转办单 {REFERENCE}（工单 #1）已等待12345 市民热线答复 3 天" in reminder.text
    assert reminder.buttons == ["打开 #1"]

    # Quiet hours hold the next one back until the morning.
    clock.advance(days=3, hours=13)  # six days and more: 2026-12-02 23:00 in Foshan
    assert await scan_twice() == 0
    clock.advance(hours=10)
    assert await scan_twice() == 1
    clock.advance(days=3)
    assert await scan_twice() == 1
    clock.advance(days=30)
    assert await scan_twice() == 0  # three in all (whistle_reminders)
    [order] = await orders(db)
    assert order.reminders_sent == 3
    assert [k for k, _ in await events(db, 1)].count("whistle-reminded") == 3


async def test_the_digest_lists_orders_waiting_past_due(town: Town, clock: FakeClock) -> None:
    await town.report()
    await town.deliver()
    await forward(town)
    assert "转办单" not in "".join(s.text for s in await town.send(OFFICE, "/digest"))
    clock.advance(days=4)
    digest = "\n".join(s.text for s in await town.send(OFFICE, "/digest"))
    assert "📣 逾期未答复的转办单（1）：" in digest
    assert f"· {REFERENCE}（#1）12345 市民热线，已等待 4 天" in digest


async def test_an_answered_order_no_longer_reminds(town: Town, clock: FakeClock) -> None:
    await town.report()
    await town.deliver()
    await forward(town)
    services = town.world.services
    ticket_id = (await ticket(town.db, 1)).id
    await services.whistle.record_answer(await town.person(OFFICE), ticket_id, "Done.")
    clock.advance(days=10)
    assert await services.scheduling.whistle.run() == 0


@pytest.mark.parametrize(
    ("hours", "sent", "due"),
    [
        (0, 0, None),
        (71, 0, None),  # not yet three days
        (72, 0, 1),
        (100, 1, None),  # the first went out; the second at six days
        (144, 1, 2),
        (24 * 30, 0, 3),  # after downtime: one reminder, counting every step passed
        (24 * 30, 3, None),  # at most three
        (-1, 0, None),  # a clock behind the order
    ],
)
def test_whistle_reminder_policy(hours: int, sent: int, due: int | None) -> None:
    forwarded = datetime(2026, 11, 26, 2, tzinfo=UTC)
    sla = Sla(whistle_every=timedelta(days=3), whistle_most=3)
    assert whistle_reminder_due(forwarded, sent, forwarded + timedelta(hours=hours), sla) == due


def test_no_reminders_when_the_setting_says_none() -> None:
    forwarded = datetime(2026, 11, 26, 2, tzinfo=UTC)
    sla = Sla(whistle_every=timedelta(days=1), whistle_most=0)
    assert whistle_reminder_due(forwarded, 0, forwarded + timedelta(days=9), sla) is None


# --------------------------------------------------------------------------- refusals


async def counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        work = await session.scalar(select(func.count()).select_from(WorkOrder))
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(work or 0), int(outbox or 0)


async def test_heads_strangers_forged_and_stale_buttons_change_nothing(town: Town) -> None:
    found = await town.report()
    await town.deliver()
    before = await counts(town.db)
    whistle = TicketCb(action=Action.WHISTLE, ticket_id=found.id).pack()
    pick = WhistleCb(step=WhistleStep.PICK, ticket_id=found.id, department="street_office").pack()
    confirm = WhistleCb(
        step=WhistleStep.CONFIRM, ticket_id=found.id, department="street_office"
    ).pack()

    # The head sees no whistle on the card, and a forged one is answered: the office does it.
    for data in (whistle, pick, confirm):
        assert answer(await town.press(HEAD, data)).startswith(
            "Forwarding ticket #1 outside is done by the community office"
        )
    assert "escalate" in one(await town.send(HEAD, "/whistle 1"), HEAD).text
    # Another building's head and a resident of another building: not theirs.
    assert answer(await town.press(HEAD2, confirm)) == "Sorry, you are not allowed to do that."
    assert answer(await town.press(STRANGER, confirm)) == "Sorry, you are not allowed to do that."
    assert answer(await town.press(RESIDENT, confirm)) == "Sorry, you are not allowed to do that."
    assert one(await town.send(HEAD2, "/whistle 1"), HEAD2).text == (
        "You have no ticket #1 to forward."
    )
    # A department not on the list (forged, or removed since).
    forged = WhistleCb(step=WhistleStep.CONFIRM, ticket_id=found.id, department="nasa").pack()
    assert "不在" in answer(await town.press(OFFICE, forged))
    assert await counts(town.db) == before

    # Confirmed twice (a double tap, an old keyboard): one work order.
    assert "已转办" in answer(await town.press(OFFICE, confirm))
    assert "正在等待街道办事处答复" in answer(await town.press(OFFICE, confirm))
    assert len(await orders(town.db)) == 1


async def test_a_coordinator_of_another_building_cannot_forward(town: Town) -> None:
    found = await town.report()  # in A1
    grid = await town.world.appoint(town.client.user(301, "en", "Grid"), Role.COORDINATOR, "B1")
    confirm = WhistleCb(
        step=WhistleStep.CONFIRM, ticket_id=found.id, department="street_office"
    ).pack()
    before = await counts(town.db)
    sent = await town.client.press(grid, Sent(SendMessage(chat_id=grid.id, text="…")), confirm)
    assert answer(sent) == "Sorry, you are not allowed to do that."
    assert one(await town.client.send(grid, "/whistle 1"), grid.id).text == (
        "You have no ticket #1 to forward."
    )
    assert await counts(town.db) == before


async def test_the_history_records_each_step_with_its_door(town: Town) -> None:
    found = await town.report()
    office = await town.person(OFFICE)
    whistle = town.world.services.whistle
    await whistle.forward(office, found.id, "street_office", door="web")
    await whistle.record_answer(office, found.id, "Fixed the lamp.", door="telegram")
    t = town.world.services.ticket_cards.translations.bind("en")
    _, staff = await town.world.services.ticket_cards.history(office, found.id, t)
    forwarded = next(line for line in staff if "forwarded outside" in line)
    assert forwarded.endswith(
        f"forwarded outside (吹哨) · Chen 300 (web): {REFERENCE} · Street office / 街道办事处"
    )
    answered = next(line for line in staff if "the department answered" in line)
    assert "Fixed the lamp." in answered and "(web)" not in answered
    # The author reads both steps and the answer, no staff names.
    _, own = await town.world.services.ticket_cards.history(
        await town.person(RESIDENT), found.id, t
    )
    assert any("forwarded outside" in line for line in own)
    assert any("Fixed the lamp." in line for line in own)
    assert not any("Chen" in line for line in own)


async def test_a_finished_ticket_cannot_be_forwarded(town: Town) -> None:
    found = await town.report()
    await town.world.services.ticket_actions.withdraw(await town.person(RESIDENT), found.id)
    await town.deliver()
    before = await counts(town.db)
    confirm = WhistleCb(
        step=WhistleStep.CONFIRM, ticket_id=found.id, department="street_office"
    ).pack()
    assert "已撤回" in answer(await town.press(OFFICE, confirm))
    assert "已撤回" in one(await town.send(OFFICE, "/whistle 1"), OFFICE).text
    # "Answer received" with no order waiting.
    answered = TicketCb(action=Action.WHISTLE_ANSWER, ticket_id=found.id).pack()
    assert "没有等待答复的转办单" in answer(await town.press(OFFICE, answered))
    assert await counts(town.db) == before


async def test_back_shows_the_card_again_and_usage_is_explained(town: Town) -> None:
    await town.report()
    await town.deliver()
    choice = one(await town.send(OFFICE, "/whistle #1"), OFFICE)
    back = one(await town.click(OFFICE, choice, "‹ 返回"), OFFICE, "EditMessageText")
    assert "📣 吹哨转办" in back.buttons and "转交给哪个部门" not in back.text
    assert "/whistle 12" in one(await town.send(OFFICE, "/whistle"), OFFICE).text
    assert await orders(town.db) == []


# --------------------------------------------------------------------------- settings


async def test_departments_are_a_checked_community_setting(town: Town) -> None:
    community = town.world.services.community
    bad = [
        [],
        [{"code": "x", "names": {"en": "X"}}],  # no Chinese name
        [{"code": "a", "names": {"en": "A", "zh-hans": "甲"}}] * 2,  # the same code twice
        [{"code": "Bad Code", "names": {"en": "A", "zh-hans": "甲"}}],
    ]
    for value in bad:
        with pytest.raises(InvalidSetting):
            await community.settings("塘中社区", {"whistle_departments": value})
    own = [{"code": "gas", "names": {"zh-hans": "燃气公司", "en": "Gas company"}}]
    await community.settings("塘中社区", {"whistle_departments": own, "whistle_reminders": 1})
    await town.report()
    choice = one(await town.send(OFFICE, "/whistle 1"), OFFICE)
    assert choice.buttons == ["燃气公司", "‹ 返回"]


async def test_the_printable_work_order_is_the_offices_only(town: Town) -> None:
    reported = await town.report(text="A pit on the road outside A1")
    await town.deliver()
    await forward(town)
    services, t = town.world.services, Translations().bind("en")
    office = await town.person(OFFICE)
    printable = await services.whistle.printable(office, reported.id, t)
    sheet = printable.sheet
    assert sheet.reference == REFERENCE and sheet.department == "12345 citizen hotline"
    assert sheet.building.startswith("塘中新村1栋") and sheet.coordinator == "Chen 300"
    assert sheet.description == "A pit on the road outside A1"
    assert printable.photo_ids == ()
    # A head covers the ticket but does not speak for the community outside it.
    head = await town.person(HEAD)
    with pytest.raises(ServiceError):
        await services.whistle.printable(head, reported.id, t)
