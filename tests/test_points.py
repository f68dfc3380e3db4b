"""The points bank (积分银行), driven as the people involved would: a head earns points when the
resident confirms the fix (once per ticket), reads them in /points; the office fills the
catalogue with /catalogue; a resident redeems in chat, a coordinator approves (stock and balance
change in one commit) and hands it over; races and refusals change nothing; the ledger is
append-only (the database refuses UPDATE and DELETE, and no code path writes one); /forgetme
leaves the book as written; the digest shows the month's points; /ranking sends the year's
ranking as a spreadsheet."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.services.points import EarningRule, pay_fix
from storage.db import Database
from storage.models import (
    PointsAccount,
    PointsEntry,
    PointsReason,
    Redemption,
    RedemptionStatus,
    RewardItem,
)
from tests.botclient import Sent
from tests.test_ticket_handling import (
    HEAD,
    OFFICE,
    RESIDENT,
    STICKER,
    Town,
    answer,
    card,
    one,
    ticket,
    to,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture
ROOT = Path(__file__).resolve().parent.parent


async def entries(db: Database) -> list[tuple[int, PointsReason, str, int | None]]:
    """(points, reason, reference, person) of every ledger entry, oldest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(PointsEntry, PointsAccount.person_id)
            .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
            .order_by(PointsEntry.id)
        )
        return [(e.points, e.reason, e.reference, person) for e, person in rows.all()]


async def items(db: Database) -> list[RewardItem]:
    async with db.session() as session:
        return list(await session.scalars(select(RewardItem).order_by(RewardItem.id)))


async def redemptions(db: Database) -> list[Redemption]:
    async with db.session() as session:
        return list(await session.scalars(select(Redemption).order_by(Redemption.id)))


async def fixed(town: Town, note: str = "Replaced the bulb.") -> None:
    """A resident's report, taken and resolved by the head, confirmed by the resident."""
    number = (await town.report()).number
    head_card = card(await town.deliver(), HEAD)
    taken = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    await town.click(HEAD, taken, "✅ Resolve")
    await town.send(HEAD, note)
    question = [s for s in await town.deliver() if "👍 Yes, fixed" in s.buttons][-1]
    await town.click(RESIDENT, question, "👍 Yes, fixed")
    assert (await ticket(town.db, number)).closed_at is not None


async def give(town: Town, who: int, points: int) -> None:
    """The office's correction entry (the other ways to earn belong to other features)."""
    async with town.db.session() as session:
        await town.world.services.points.award(
            session,
            town.ids[who],
            points,
            PointsReason.CORRECTION,
            "opening balance",
            town.ids[OFFICE],
            community_id=1,  # the town's one community
        )
        await session.commit()


async def stock(town: Town, name: str = "Voucher ¥50", price: int = 20, count: int = 1) -> int:
    sent = await town.send(OFFICE, f"/catalogue add {price} {count} {name}")
    assert f"{name}：{price} 积分（剩 {count} 件）" in one(sent, OFFICE).text
    return (await items(town.db))[-1].id


async def redeem(town: Town, who: int, label: str) -> list[Sent]:
    """/points → the item's button → Confirm; returns what Confirm did."""
    shown = one(await town.send(who, "/points"), who)
    asked = one(await town.click(who, shown, label), who)
    assert "Redeem" in asked.text
    return await town.click(who, asked, "✅ Confirm")


# --------------------------------------------------------------------------- earning


async def test_a_confirmed_fix_pays_the_head_once_and_points_shows_it(town: Town) -> None:
    await fixed(town)
    assert await entries(town.db) == [(10, PointsReason.FIX, "ticket:1", town.ids[HEAD])]

    shown = one(await town.send(HEAD, "/points"), HEAD)
    assert shown.text.startswith("💰 Your points: 10")
    assert re.search(r"\+10 · \d{4}-\d\d-\d\d · confirmed fix, ticket #1", shown.text)
    assert "The catalogue is empty for now." in shown.text

    # The same ticket never pays twice, whatever confirms it again (a reopen and a second
    # confirmation run the same code), nor does a resident earn for their own words.
    found = await ticket(town.db, 1)
    async with town.db.session() as session:
        await pay_fix(session, found.id, found.community_id, town.world.clock())
        await session.commit()
    assert len(await entries(town.db)) == 1
    resident = one(await town.send(RESIDENT, "/points"), RESIDENT)
    assert resident.text.startswith("💰 Your points: 0") and "No entries yet" in resident.text


async def test_an_unconfirmed_autoclose_pays_nothing_the_confirmation_after_a_reopen_does(
    town: Town,
) -> None:
    """Closed by the scheduler (nobody confirmed): no points. The resident reopens it, the head
    resolves it again, the resident confirms: the fix pays, once."""
    services = town.world.services
    reported = await town.report()
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, reported.id)
    await services.ticket_actions.resolve(head, reported.id, "Done")
    town.world.clock.advance(days=3, hours=1)
    assert await services.scheduling.closing.run() == 1
    assert (await ticket(town.db, 1)).autoclosed_at is not None
    assert await entries(town.db) == []
    closed = [s for s in await town.deliver() if "👎 Not fixed" in s.buttons][-1]
    await town.click(RESIDENT, closed, "👎 Not fixed")
    await services.ticket_actions.resolve(head, reported.id, "Done properly now")
    question = [s for s in await town.deliver() if "👍 Yes, fixed" in s.buttons][-1]
    await town.click(RESIDENT, question, "👍 Yes, fixed")
    assert await entries(town.db) == [(10, PointsReason.FIX, "ticket:1", town.ids[HEAD])]


async def test_the_earning_rule_is_the_communitys_setting(town: Town) -> None:
    await town.world.services.community.settings(
        "塘中社区", {"points_per_fix": 25, "points_per_service_hour": 4}
    )
    await fixed(town)
    async with town.db.session() as session:
        hours = await town.world.services.points.award(
            session,
            town.ids[RESIDENT],
            EarningRule.PER_SERVICE_HOUR,
            PointsReason.SERVICE_HOURS,
            "activity:7",
            town.ids[OFFICE],
            community_id=1,
            quantity=2.5,
        )
        await session.commit()
    assert hours is not None and hours.points == 10
    assert [e[0] for e in await entries(town.db)] == [25, 10]
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    assert "+10 · " in shown.text and "2.5 hours of service" in shown.text


# --------------------------------------------------------------------------- redeeming


async def test_redeem_approve_hand_over(town: Town) -> None:
    item_id = await stock(town, count=1)
    await give(town, RESIDENT, 30)
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    assert "Voucher ¥50: 20 points (1 left)" in shown.text
    assert shown.buttons == ["🎁 Voucher ¥50 · 20"]

    sent = await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    assert "Request #1 went to the community office" in one(sent, RESIDENT, "EditMessageText").text
    request = one(await town.deliver(), OFFICE)
    assert "Auntie 500" in request.text and "Voucher ¥50" in request.text
    assert request.buttons == ["✅ 批准", "❌ 拒绝"]
    assert [r.status for r in await redemptions(town.db)] == [RedemptionStatus.REQUESTED]

    sent = await town.click(OFFICE, request, "✅ 批准")
    approved = one(sent, OFFICE, "EditMessageText")
    assert "已批准" in approved.text and approved.buttons == ["🤝 已发放"]
    # Stock, ledger and request changed together.
    assert [i.stock for i in await items(town.db)] == [0]
    assert (await entries(town.db))[-1] == (
        -20,
        PointsReason.REDEMPTION,
        "redemption:1",
        town.ids[RESIDENT],
    )
    told = one(await town.deliver(), RESIDENT)
    assert "Request #1 approved" in told.text

    sent = await town.click(OFFICE, approved, "🤝 已发放")
    assert "已发放" in one(sent, OFFICE, "EditMessageText").text
    [done] = await redemptions(town.db)
    assert done.status is RedemptionStatus.HANDED_OVER and done.handed_at is not None

    # The old Approve button is spent; pressing it again changes nothing.
    sent = await town.click(OFFICE, request, "✅ 批准")
    assert "已经处理过了" in answer(sent)
    assert len(await entries(town.db)) == 2
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    assert shown.text.startswith("💰 Your points: 10")
    assert "-20 · " in shown.text and "redeemed, request #1" in shown.text
    assert shown.buttons == []  # out of stock: nothing to press
    assert item_id == done.item_id


async def test_deny_tells_the_resident_and_keeps_the_points(town: Town) -> None:
    await stock(town, count=3)
    await give(town, RESIDENT, 30)
    await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    request = one(await town.deliver(), OFFICE)
    sent = await town.click(OFFICE, request, "❌ 拒绝")
    assert "已拒绝" in one(sent, OFFICE, "EditMessageText").text
    assert "was not approved" in one(await town.deliver(), RESIDENT).text
    assert [i.stock for i in await items(town.db)] == [3]
    assert [e[0] for e in await entries(town.db)] == [30]


async def test_a_repriced_item_costs_what_the_resident_asked_for(town: Town) -> None:
    """The resident confirmed "for 20 points" and the office's card said 20; the office
    raises the price to 30 before approving: the approval takes the 20 both of them saw,
    not 30 the resident never agreed to."""
    item_id = await stock(town, count=2)
    await give(town, RESIDENT, 50)
    await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    request = one(await town.deliver(), OFFICE)
    assert "20" in request.text
    await town.send(OFFICE, f"/catalogue price {item_id} 30")
    await town.click(OFFICE, request, "✅ 批准")
    assert [e[0] for e in await entries(town.db)] == [50, -20]
    assert [r.price for r in await redemptions(town.db)] == [20]
    assert "(20 points)" in one(await town.deliver(), RESIDENT).text


async def test_approval_checks_stock_and_balance_again(town: Town) -> None:
    """Two requests for the last voucher both wait; the second approval finds it gone. Two
    requests the balance covered one at a time: only one is approved."""
    await stock(town, name="Last", price=10, count=1)
    await give(town, RESIDENT, 10)
    from tests.test_ticket_handling import NEIGHBOUR

    await give(town, NEIGHBOUR, 10)
    await redeem(town, RESIDENT, "🎁 Last · 10")
    await redeem(town, NEIGHBOUR, "🎁 Last · 10")
    first, second = [s for s in await town.deliver() if s.buttons == ["✅ 批准", "❌ 拒绝"]]
    await town.click(OFFICE, first, "✅ 批准")
    sent = await town.click(OFFICE, second, "✅ 批准")
    assert "已兑完" in answer(sent)
    assert [r.status for r in await redemptions(town.db)] == [
        RedemptionStatus.APPROVED,
        RedemptionStatus.REQUESTED,
    ]
    assert [i.stock for i in await items(town.db)] == [0]
    assert [e[0] for e in await entries(town.db)] == [10, 10, -10]

    await town.click(OFFICE, second, "❌ 拒绝")

    # The balance: a correction takes the neighbour's points away after the request.
    await stock(town, name="Tea", price=5, count=5)
    await redeem(town, NEIGHBOUR, "🎁 Tea · 5")
    request = [s for s in await town.deliver() if "Tea" in s.text and s.buttons][-1]
    await give(town, NEIGHBOUR, -8)
    sent = await town.click(OFFICE, request, "✅ 批准")
    assert "只有 2 积分" in answer(sent)
    assert [i.stock for i in await items(town.db)] == [0, 5]
    assert [e[0] for e in await entries(town.db)] == [10, 10, -10, -8]


async def test_refusals_change_nothing(town: Town) -> None:
    await stock(town, price=20, count=2)
    await give(town, RESIDENT, 25)
    # A resident (or a head) does not manage the catalogue.
    sent = await town.send(RESIDENT, "/catalogue add 1 1 Free lunch")
    assert "Only the community office" in one(sent, RESIDENT).text
    sent = await town.send(HEAD, "/catalogue stock 1 99")
    assert "Only the community office" in one(sent, HEAD).text
    # The office's own typos.
    assert "/catalogue add" in one(await town.send(OFFICE, "/catalogue add x y"), OFFICE).text
    assert "1 到 100,000" in one(await town.send(OFFICE, "/catalogue add 0 1 Air"), OFFICE).text
    assert "没有编号为 99" in one(await town.send(OFFICE, "/catalogue stock 99 1"), OFFICE).text
    long_name = "长" * 101
    assert (
        "最多 100" in one(await town.send(OFFICE, f"/catalogue add 1 1 {long_name}"), OFFICE).text
    )
    # A name the catalogue has (the console's double click wrote it twice) is said taken.
    taken = one(await town.send(OFFICE, "/catalogue add 5 1 voucher ¥50"), OFFICE).text
    assert "目录中已有名为“voucher ¥50”的物品" in taken
    assert [(i.name, i.stock) for i in await items(town.db)] == [("Voucher ¥50", 2)]

    # Too few points: the first request counts against the second.
    await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    sent = await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    assert "your balance is 25, and 20 are already asked for" in answer(sent)
    assert len(await redemptions(town.db)) == 1

    # A head presses a forged Approve; a forged item id; a sticker mid-way.
    request = one(await town.deliver(), OFFICE)
    sent = await town.press(HEAD, request.button_data("✅ 批准"))
    assert answer(sent) == "Sorry, you are not allowed to do that."
    assert (await redemptions(town.db))[0].status is RedemptionStatus.REQUESTED
    sent = await town.press(RESIDENT, "p1:ok:999")
    assert answer(sent) == "Sorry, you are not allowed to do that."
    assert len(await redemptions(town.db)) == 1
    sent = await town.send(RESIDENT, sticker=STICKER)
    assert len(await redemptions(town.db)) == 1
    assert [e[0] for e in await entries(town.db)] == [25]

    # The office withdraws the item: /points no longer offers it; an old button is refused.
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    assert "已下架" in one(await town.send(OFFICE, "/catalogue off 1"), OFFICE).text
    sent = await town.click(RESIDENT, shown, "🎁 Voucher ¥50 · 20")
    assert "no longer in the catalogue" in answer(sent)
    assert one(await town.send(RESIDENT, "/points"), RESIDENT).buttons == []


# --------------------------------------------------------------------------- the book


async def test_the_ledger_refuses_update_and_delete(town: Town) -> None:
    await give(town, RESIDENT, 5)
    for statement in ("UPDATE points_entries SET points = 500", "DELETE FROM points_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with town.db.session() as session:
                await session.execute(text(statement))
                await session.commit()
    assert [e[0] for e in await entries(town.db)] == [5]


def test_no_code_path_updates_or_deletes_the_ledger() -> None:
    """Only the migration names the table in SQL, and nothing builds an UPDATE or DELETE of
    the model."""
    pattern = re.compile(r"(update|delete)\(\s*PointsEntry|points_entries", re.IGNORECASE)
    found = []
    for folder in ("bot", "handlers", "storage", "web", "telegram", "wechat"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            for match in pattern.finditer(source):
                line = source[: match.start()].count("\n") + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    allowed = {"storage/models.py"}  # the table's own definition (__tablename__)
    assert [f for f in found if f.split(":")[0] not in allowed] == []
    model = (ROOT / "storage/models.py").read_text(encoding="utf-8")
    assert model.count('"points_entries"') == 1


async def test_forgetme_leaves_the_book_as_written(town: Town) -> None:
    await fixed(town)
    await give(town, RESIDENT, 7)
    before = await entries(town.db)
    await town.world.services.forget.forget(await town.person(HEAD))
    after = await entries(town.db)
    assert [(p, r, ref) for p, r, ref, _ in after] == [(p, r, ref) for p, r, ref, _ in before]
    assert after[0][3] is None  # the account names nobody now
    async with town.db.session() as session:
        accounts = await session.scalar(select(func.count()).select_from(PointsAccount))
    assert accounts == 3  # head, resident, office (who approved the correction)


# --------------------------------------------------------------------------- the office


async def test_the_digest_counts_the_months_points(town: Town) -> None:
    await fixed(town)
    await stock(town, price=4, count=1)
    await redeem(town, HEAD, "🎁 Voucher ¥50 · 4")
    request = one(await town.deliver(), OFFICE)
    await town.click(OFFICE, request, "✅ 批准")
    town.world.clock.advance(days=1)
    sent = await town.send(OFFICE, "/digest")
    digest = [s for s in sent if "积分银行" in s.text]
    assert digest and "积分银行 2026-11：发放 10，兑换 4" in digest[0].text


async def test_the_new_years_digest_points_to_the_ranking(town: Town) -> None:
    await fixed(town)
    sent = await town.send(OFFICE, "/digest")
    assert not any("排名已生成" in s.text for s in sent)  # not on an ordinary day
    town.world.clock.now = datetime(2027, 1, 1, 2, tzinfo=UTC)  # 10:00 on 1 January
    sent = await town.send(OFFICE, "/digest")
    assert any(
        "2026 年楼长和志愿者排名已生成" in s.text and "/ranking 2026" in s.text for s in sent
    )


async def test_the_year_end_ranking_is_a_spreadsheet(town: Town) -> None:
    from openpyxl import load_workbook

    await fixed(town)
    await give(town, RESIDENT, 3)
    sent = await town.send(OFFICE, "/ranking")
    document = one(sent, OFFICE, "SendDocument")
    assert "2026" in document.text and "优秀楼长" in document.text
    upload = document.method.document  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(upload.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["名次", "姓名", "角色", "获得积分", "确认解决"]
    assert rows[1][1:5] == ["Wang 100", "楼长", 10, 1]
    assert rows[1][6] == "5.0" or rows[1][6] == "—"
    # The resident earned points but serves no building: the office gets no name of hers.
    assert any(r[1] == "居民（未显示姓名）" and r[2] == "志愿者" and r[3] == 3 for r in rows[1:])
    assert not any("Auntie" in str(cell) for row in rows for cell in row)
    # A resident has no ranking to read; a bad year is refused.
    assert "Only the community office" in one(await town.send(RESIDENT, "/ranking"), RESIDENT).text
    assert "不是排名" in one(await town.send(OFFICE, "/ranking 1066"), OFFICE).text


async def test_a_year_written_in_superscripts_is_refused_not_a_crash(town: Town) -> None:
    """Found: "²⁰²⁶" passes str.isdigit() but not int(); /ranking read the generic apology."""
    refused = one(await town.send(OFFICE, "/ranking ²⁰²⁶"), OFFICE)
    assert "不是排名" in refused.text


async def test_a_double_tap_on_confirm_asks_for_one_voucher(town: Town) -> None:
    """An elderly resident taps Confirm twice before the message changes: both presses come
    from the one "Redeem …?" message. Found: each press filed a request (two vouchers asked,
    the office told twice, 40 of 50 points held). The second press now says the request went
    already."""
    await stock(town, price=20, count=5)
    await give(town, RESIDENT, 50)
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    asked = one(await town.click(RESIDENT, shown, "🎁 Voucher ¥50 · 20"), RESIDENT)
    first = await town.click(RESIDENT, asked, "✅ Confirm")
    assert "Request #1 went" in one(first, RESIDENT, "EditMessageText").text
    second = await town.click(RESIDENT, asked, "✅ Confirm")
    assert "Request #1 went" in answer(second)
    assert len(await redemptions(town.db)) == 1
    assert len(to(await town.deliver(), OFFICE)) == 1
    # A new "Redeem …?" is a new request, as before.
    await redeem(town, RESIDENT, "🎁 Voucher ¥50 · 20")
    assert len(await redemptions(town.db)) == 2


async def test_confirm_after_a_reprice_asks_again_at_the_new_price(town: Town) -> None:
    """ "Redeem “Voucher ¥50” for 20 points?" stays in the chat; the office raises the price
    to 30 before the resident presses Confirm: no request at 30 they never saw, they are told
    the new price, and nothing is held."""
    item_id = await stock(town, count=2)
    await give(town, RESIDENT, 50)
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    asked = one(await town.click(RESIDENT, shown, "🎁 Voucher ¥50 · 20"), RESIDENT)
    assert "for 20 points?" in asked.text
    await town.send(OFFICE, f"/catalogue price {item_id} 30")
    pressed = await town.click(RESIDENT, asked, "✅ Confirm")
    said = answer(pressed) + "".join(s.text for s in pressed)
    assert "30 points" in said
    assert await redemptions(town.db) == []
    assert [s for s in await town.deliver() if s.chat_id == OFFICE] == []
    # Asked again at the new price, it goes.
    shown = one(await town.send(RESIDENT, "/points"), RESIDENT)
    asked = one(await town.click(RESIDENT, shown, "🎁 Voucher ¥50 · 30"), RESIDENT)
    sent = await town.click(RESIDENT, asked, "✅ Confirm")
    assert "Request #1 went" in one(sent, RESIDENT, "EditMessageText").text
    assert [r.price for r in await redemptions(town.db)] == [30]
