"""The office's spreadsheets, read back as the clerk's Excel would: the tickets export (CSV and
XLSX) and the monthly report, on tickets made the way residents and staff make them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.documents.cells import csv_text
from bot.i18n import Translations
from bot.services import Services
from bot.services.digest_view import rate
from bot.services.errors import ServiceError
from bot.services.exports import TicketExports, tickets_csv, tickets_xlsx
from bot.services.monthly import MonthlyReports, monthly_xlsx
from bot.services.ticket_core import Draft
from bot.services.work_order_sheets import work_order_sheet
from storage.db import Database
from storage.models import (
    Building,
    Community,
    Person,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from storage.repositories.stats import Scope
from tests.conftest import FakeClock
from tests.test_scheduler import OFFICE, Town, local, make_town

# A description that a spreadsheet would run, with a control character XML cannot hold.
HOSTILE = '=HYPERLINK("http://evil.example/x","Click")\x07 lamp'
HOSTILE_STARTS = ["+1 lamp", "-2 lamp", "@SUM(A1)", "=1+1\tlamp"]


@dataclass
class November:
    town: Town
    office: Person
    resident: Person
    neighbour: Person
    tickets: dict[str, Ticket]


async def november(services: Services, db: Database, clock: FakeClock) -> November:
    """Tickets of November 2026 (Shanghai): fast, late, never taken, rated, and one of October
    resolved in November."""
    clock.now = local(10, 30, 9)
    town = await make_town(services, db, clock)
    office = await town.appoint(OFFICE, Role.COORDINATOR, "塘中社区")
    resident = await town.resident(1, "A1")
    await services.onboarding.set_phone(resident.id, "+86 138 0000 0001")
    neighbour = await town.resident(2, "A2")
    await services.onboarding.set_phone(neighbour.id, "+86 138 0000 0002")
    tickets: dict[str, Ticket] = {}

    async def report(
        key: str,
        person: Person,
        code: str,
        category: str,
        text: str,
        *,
        show_name: bool = True,
        show_phone: bool = False,
    ) -> None:
        draft = Draft(
            town.buildings[code], category, text, show_name=show_name, show_phone=show_phone
        )
        tickets[key] = (await services.reporting.report(person, draft)).ticket

    across = await town.resident(3, "B1")
    await report("october", across, "B1", "sanitation", "Bins overflow")
    clock.now = local(11, 2, 10)
    # Name hidden, phone shared: the export shows the phone and no name.
    await report("fast", resident, "A1", "repairs", HOSTILE, show_name=False, show_phone=True)
    clock.now = local(11, 2, 11)
    await services.ticket_actions.take(office, tickets["fast"].id)
    await services.ticket_actions.resolve(office, tickets["fast"].id, "Fixed")
    await services.ticket_actions.confirm(resident, tickets["fast"].id)
    await services.ticket_actions.rate(resident, tickets["fast"].id, 5)
    clock.now = local(11, 5, 8)
    await report("untaken", resident, "A1", "elevator", "Lift stuck")
    clock.now = local(11, 10, 9)
    await report("late", neighbour, "A2", "repairs", HOSTILE_STARTS[0])
    clock.now = local(11, 11, 15)  # 30 hours: later than the 24 h threshold
    await services.ticket_actions.take(office, tickets["late"].id)
    await services.ticket_actions.resolve(office, tickets["late"].id, "Done")
    await services.ticket_actions.confirm(neighbour, tickets["late"].id)
    await services.ticket_actions.rate(neighbour, tickets["late"].id, 2)
    await services.ticket_actions.take(office, tickets["october"].id)
    await services.ticket_actions.resolve(office, tickets["october"].id, "Emptied")
    for number, text in enumerate(HOSTILE_STARTS[1:]):
        clock.now = local(11, 20, 9, number)
        await report(f"hostile{number}", neighbour, "A2", "other", text)
    clock.now = local(12, 1, 9)
    return November(town, office, resident, neighbour, tickets)


def number(value: object) -> float:
    """A numeric cell's value (openpyxl types a cell as any of its kinds)."""
    assert isinstance(value, int | float), value
    return value


async def state(db: Database) -> tuple[int, int, list[str]]:
    async with db.session() as session:
        events = await session.scalar(select(func.count()).select_from(TicketEvent))
        statuses = (await session.scalars(select(Ticket.status).order_by(Ticket.id))).all()
    return int(events or 0), len(statuses), [s.value for s in statuses]


# ----------------------------------------------------------------------------- tickets export


async def test_the_xlsx_export_is_in_the_readers_language_and_disarms_formulas(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    month = await november(services, db, clock)
    before = await state(db)
    exports = TicketExports(db, translations)
    rows = await exports.rows("塘中社区", "zh-hans")
    book = load_workbook(io.BytesIO(tickets_xlsx(translations.bind("zh-hans"), rows)))
    sheet = book.active
    assert sheet is not None and sheet.title == "工单"
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["编号", "报告时间", "楼栋编号", "楼栋", "门牌号", "类别", "状态", "紧急"]
    by_number = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(by_number) == len(month.tickets)
    column = {name: header.index(name) for name in header}

    fast = by_number[month.tickets["fast"].number]
    # Hostile texts stay text: string cells, never formulas; the bell character is gone.
    description = fast[column["问题描述"]]
    assert description.data_type == "s"
    assert description.value == '=HYPERLINK("http://evil.example/x","Click") lamp'
    for number, text in enumerate(HOSTILE_STARTS[1:]):
        cell = by_number[month.tickets[f"hostile{number}"].number][column["问题描述"]]
        assert cell.data_type == "s" and cell.value == text
    # The reporter as the ticket's consent allows: no name, the phone they agreed to show.
    assert fast[column["报告人"]].value == "住户（未公开姓名）"
    assert fast[column["电话"]].value == "+8613800000001"
    late = by_number[month.tickets["late"].number]
    assert late[column["报告人"]].value == "Resident 2"
    assert late[column["电话"]].value is None  # a phone not shared with this ticket
    # Times are Shanghai's wall time (the ticket was made at 10:00 there, 02:00 UTC).
    reported = fast[column["报告时间"]].value
    assert isinstance(reported, datetime)
    assert reported.strftime("%Y-%m-%d %H:%M") == "2026-11-02 10:00"
    assert fast[column["类别"]].value == "维修"
    assert fast[column["评分"]].value == 5
    assert await state(db) == before  # reading changes nothing


async def test_the_csv_export_prefixes_formulas_and_opens_in_excel(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    month = await november(services, db, clock)
    rows = await TicketExports(db, translations).rows("塘中社区", "en")
    data = tickets_csv(translations.bind("en"), rows)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:4] == ["No.", "Reported", "Building code", "Building"]
    description = table[0].index("Description")
    texts = {row[0]: row[description] for row in table[1:]}
    fast = texts[str(month.tickets["fast"].number)]
    assert fast == "'" + HOSTILE  # the apostrophe makes it text
    for number, text in enumerate(HOSTILE_STARTS[1:]):
        assert texts[str(month.tickets[f"hostile{number}"].number)] == "'" + text
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    reporter = table[0].index("Reporter")
    assert [r[reporter] for r in table[1:] if r[0] == str(month.tickets["fast"].number)] == [
        "resident (name hidden)"
    ]


async def test_the_export_selects_by_status_and_local_dates(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    month = await november(services, db, clock)
    exports = TicketExports(db, translations)
    closed = await exports.rows("塘中社区", "en", statuses=[TicketStatus.CLOSED])
    assert {r.number for r in closed} == {
        month.tickets["fast"].number,
        month.tickets["late"].number,
    }
    # 2 November, Shanghai's day: the ticket made at 10:00 there, not the October one.
    day = await exports.rows("塘中社区", "en", first=date(2026, 11, 2), last=date(2026, 11, 2))
    assert [r.number for r in day] == [month.tickets["fast"].number]
    with pytest.raises(ServiceError) as refused:
        await exports.rows("No such place", "en")
    assert refused.value.key == "community-not-found"
    with pytest.raises(ServiceError) as refused:
        await exports.rows("塘中社区", "en", first=date(2026, 11, 3), last=date(2026, 11, 2))
    assert refused.value.key == "export-bad-range"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-3", "'-3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),  # spreadsheets strip a leading tab or CR before looking
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("塘中", "塘中"),
        (-3, "-3"),  # a number is a number
    ],
)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_written_as_text(
    value: str | int, written: str
) -> None:
    assert csv_text(value) == written


# ----------------------------------------------------------------------------- monthly report


async def test_the_monthly_report_has_the_digests_figures(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    month = await november(services, db, clock)
    before = await state(db)
    figures = await MonthlyReports(db, translations, clock).figures(
        "塘中社区", date(2026, 11, 1), "zh-hans"
    )
    book = load_workbook(io.BytesIO(monthly_xlsx(translations.bind("zh-hans"), figures)))
    assert book.sheetnames == ["按楼栋", "按类别", "楼栋与类别"]
    sheet = book["按楼栋"]
    assert sheet["A1"].value == "塘中社区 2026-11 月报"
    header = [c.value for c in sheet[4]]
    assert header[:6] == ["编号", "楼栋", "新增", "已解决", "计入工单", "响应率"]
    col = {name: header.index(name) for name in header}
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=5)}
    assert set(rows) == {"A1", "A2", "B1", "合计"}

    # The digest of 30 November covers its 30 days of KPIs: exactly November.
    async with db.session() as session:
        community = await session.scalar(select(Community))
    assert community is not None
    digest = services.scheduling.digest
    whole = await digest.gather(community, Scope(community.id), date(2026, 11, 30))
    total = rows["合计"]
    assert total[col["计入工单"]].value == whole.kpis.reports == 6  # all but October's
    for name, part, of in (
        ("响应率", whole.kpis.responded, whole.kpis.due),
        ("解决率", whole.kpis.resolved, whole.kpis.reports),
    ):
        cell = total[col[name]]
        assert cell.number_format == "0%"
        assert f"{round(100 * number(cell.value))}%" == rate(part, of)
    satisfaction = total[col["满意率"]].value
    assert f"{round(100 * number(satisfaction))}%" == rate(whole.kpis.satisfied, whole.kpis.rated)
    assert satisfaction == 0.5  # a 5 and a 2
    assert total[col["新增"]].value == 6 and total[col["已解决"]].value == 3

    a1 = await digest.gather(
        community, Scope(community.id, (month.town.buildings["A1"],)), date(2026, 11, 30)
    )
    assert rows["A1"][col["计入工单"]].value == a1.kpis.reports == 2
    assert f"{round(100 * number(rows['A1'][col['响应率']].value))}%" == rate(
        a1.kpis.responded, a1.kpis.due
    )
    assert rows["A1"][col["受理中位时长（小时）"]].value == 1.0  # taken after an hour
    assert rows["B1"][col["新增"]].value == 0 and rows["B1"][col["已解决"]].value == 1
    assert rows["B1"][col["响应率"]].value is None  # nothing reported: no rate, not 0 %

    categories = {r[0].value: r for r in book["按类别"].iter_rows(min_row=5)}
    assert categories["维修"][1].value == 2  # new repairs: fast and late
    assert categories["合计"][1].value == 6 and categories["合计"][2].value == 3
    pairs = [(r[0].value, r[2].value) for r in book["楼栋与类别"].iter_rows(min_row=5)]
    assert ("A1", "维修") in pairs and ("B1", "环境卫生") in pairs
    assert await state(db) == before


async def test_a_month_not_begun_and_an_unknown_community_are_refused(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    await november(services, db, clock)
    reports = MonthlyReports(db, translations, clock)
    with pytest.raises(ServiceError) as refused:
        await reports.figures("塘中社区", date(2027, 1, 1), "en")
    assert refused.value.key == "report-future"
    with pytest.raises(ServiceError) as refused:
        await reports.figures("Nowhere", date(2026, 11, 1), "en")
    assert refused.value.key == "community-not-found"


# ----------------------------------------------------------------------------- work order


async def test_a_tickets_work_order_sheet_names_the_reporter_as_consented(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    month = await november(services, db, clock)
    async with db.session() as session:
        community = await session.scalar(select(Community))
        fast = await session.get(Ticket, month.tickets["fast"].id)
        late = await session.get(Ticket, month.tickets["late"].id)
        assert community is not None and fast is not None and late is not None
        a1 = await session.get(Building, fast.building_id)
        a2 = await session.get(Building, late.building_id)
        resident = await session.get(Person, month.resident.id)  # with the phone they shared
        neighbour = await session.get(Person, month.neighbour.id)
    assert a1 is not None and a2 is not None
    t = translations.bind("en")
    common = {
        "community": community,
        "reference": "WO-1",
        "department": "Street office",
        "forwarded_at": clock.now,
        "coordinator": "Office",
    }
    hidden = work_order_sheet(t, fast, building=a1, author=resident, **common)
    assert hidden.reporter == "resident (name hidden), +8613800000001"
    assert hidden.category == "Repairs" and hidden.building == "塘中新村1栋 (A1)"
    assert hidden.description == HOSTILE and hidden.timezone == "Asia/Shanghai"
    named = work_order_sheet(t, late, building=a2, author=neighbour, **common)
    assert named.reporter == "Resident 2"  # no phone: not shared with this ticket
    gone = work_order_sheet(t, late, building=a2, author=None, **common)
    assert gone.reporter == "former resident (personal data deleted)"
