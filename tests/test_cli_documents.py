"""``python -m bot export-tickets | report-month | posters`` as the office's operator runs them:
real subprocesses on the example community (36 buildings) with a few tickets, the files read
back with openpyxl and pypdf; a refusal is one line, exit code 2, and no file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import telegram_address
from tests.test_cli import EXAMPLE, USERNAME, cli_env, example_rows, one_line, run_cli
from tests.test_documents_pdf import _pdf_problem
from tests.waiting import PATIENCE

HOSTILE = "=cmd|' /C calc'!A0 the lift"


@dataclass(frozen=True)
class Office:
    root: Path
    db: Path
    env: dict[str, str]
    numbers: dict[str, int]  # ticket numbers by what they are


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """The example community imported by the CLI, and two tickets reported as residents do."""
    root = tmp_path_factory.mktemp("office")
    db = root / "data" / "louzhang.db"
    env = cli_env(db)
    result = run_cli("import-buildings", EXAMPLE, cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    numbers = asyncio.run(_report(db))
    return Office(root, db, env, numbers)


async def _report(path: Path) -> dict[str, int]:
    config = Config(database_url=f"sqlite+aiosqlite:///{path}", bot_username=USERNAME)
    db = Database(config.database_url)
    try:
        services = Services.create(config, db, Translations())
        codes = [row["code"] for row in example_rows()[:2]]
        numbers = {}
        for user, code, text, hidden in (
            (1, codes[0], HOSTILE, True),
            (2, codes[1], "Dark", False),
        ):
            person = await services.onboarding.touch(
                telegram_address(user), f"Resident {user}", "en"
            )
            building = await services.community.find_building(code)
            await services.onboarding.join_building(person, building.id)
            draft = Draft(building.id, "repairs", text, show_name=not hidden)
            numbers[code] = (await services.reporting.report(person, draft)).ticket.number
        return numbers
    finally:
        await db.close()


def whole(value: object) -> int:
    """A cell holding a whole number (openpyxl types a cell as any of its kinds)."""
    assert isinstance(value, int), value
    return value


def files(root: Path) -> set[Path]:
    """The files under ``root`` but the database's (its -wal and -shm come and go)."""
    return {p for p in root.rglob("*") if p.is_file() and p.parent.name != "data"}


def this_month() -> str:
    return f"{datetime.now(UTC).astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m}"


def test_export_tickets_writes_a_csv_and_an_xlsx(office: Office) -> None:
    codes = [row["code"] for row in example_rows()[:2]]
    target = office.root / "tickets.csv"
    result = run_cli("export-tickets", "塘中社区", target, cwd=office.root, env=office.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{target}: 2 ticket(s)"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # residents' names and phones
    table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    header = table[0]
    assert header[:2] == ["编号", "报告时间"]  # DEFAULT_LANGUAGE: zh-hans
    by_code = {row[header.index("楼栋编号")]: row for row in table[1:]}
    assert by_code[codes[0]][header.index("问题描述")] == "'" + HOSTILE
    assert by_code[codes[0]][header.index("报告人")] == "住户（未公开姓名）"
    assert by_code[codes[1]][header.index("报告人")] == "Resident 2"

    book_path = office.root / "open.xlsx"
    result = run_cli(
        "export-tickets",
        "塘中社区",
        book_path,
        "--status",
        "open",
        "--status",
        "closed",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--language",
        "en",
        cwd=office.root,
        env=office.env,
    )
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(book_path).active
    assert sheet is not None and sheet["A1"].value == "No."
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(whole(r[0]) for r in rows) == sorted(office.numbers.values())
    description = [c.value for c in sheet[1]].index("Description") + 1
    cell = sheet.cell(row=2, column=description)
    assert cell.value == HOSTILE and cell.data_type == "s"

    result = run_cli(
        "export-tickets",
        "塘中社区",
        office.root / "none.csv",
        "--status",
        "withdrawn",
        cwd=office.root,
        env=office.env,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith(": 0 ticket(s)")


def test_report_month_writes_every_building_and_a_total(office: Office) -> None:
    target = office.root / "month.xlsx"
    month = this_month()
    result = run_cli("report-month", "塘中社区", month, target, cwd=office.root, env=office.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{target}: 塘中社区 {month}, 36 building(s)"
    book = load_workbook(target)
    sheet = book["按楼栋"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(example_rows()) + 1 and rows[-1][0] == "合计"
    assert rows[-1][2] == 2  # new this month
    assert sum(whole(r[2]) for r in rows[:-1]) == 2


def test_posters_print_one_page_per_building(office: Office) -> None:
    if (problem := _pdf_problem()) is not None:
        pytest.skip(f"PDFs cannot be made here: {problem}")
    every = office.root / "all.pdf"
    result = run_cli("posters", "塘中社区", "--out", every, cwd=office.root, env=office.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{every}: 36 poster(s)"
    assert len(PdfReader(every).pages) == len(example_rows())
    rows = example_rows()
    some = office.root / "some.pdf"
    codes = [rows[5]["code"], rows[0]["code"]]
    result = run_cli(
        "posters",
        "塘中社区",
        *codes,
        "--out",
        some,
        "--language",
        "en",
        cwd=office.root,
        env=office.env,
    )
    assert result.returncode == 0, result.stderr
    pages = PdfReader(some).pages
    assert len(pages) == 2
    first = pages[0].extract_text()
    assert codes[0] in first and f"https://t.me/{USERNAME}?start=j" in first


BAD_INPUT = [
    (("export-tickets", "No such place", "x.csv"), "There is no community called No such"),
    (("export-tickets", "塘中社区", "x.pdf"), "must end in .csv or .xlsx"),
    (("export-tickets", "塘中社区", "x.csv", "--status", "lost"), "--status 'lost'"),
    (("export-tickets", "塘中社区", "x.csv", "--from", "2026-02-30"), "--from '2026-02-30'"),
    (
        ("export-tickets", "塘中社区", "x.csv", "--from", "2026-11-03", "--to", "2026-11-02"),
        "ends (2026-11-02) before it starts",
    ),
    (("export-tickets", "塘中社区", "x.csv", "--language", "fr"), "--language 'fr'"),
    (("report-month", "塘中社区", "2026-13", "x.xlsx"), "month '2026-13': expected YYYY-MM"),
    (("report-month", "塘中社区", "11/2026", "x.xlsx"), "expected YYYY-MM"),
    (("report-month", "Nowhere", "2026-11", "x.xlsx"), "no community called Nowhere"),
    (("report-month", "塘中社区", "2099-01", "x.xlsx"), "has not begun"),
    (("posters", "塘中社区", "ZZ-9", "--out", "x.pdf"), "no building with the code ZZ-9"),
    (("posters", "Nowhere", "--out", "x.pdf"), "no community called Nowhere"),
    (("posters", "塘中社区", "--out", "missing/x.pdf"), "does not exist"),
]
# One interpreter runs ``python -m bot ARGS`` for every case (as test_cli's helps do), each
# case's exit code and stderr, so thirteen refusals cost one start-up.
DRIVER = """
import contextlib, io, json, sys
from bot.__main__ import main
results = []
for args in json.loads(sys.argv[1]):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(args)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refusals(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    cwd = tmp_path_factory.mktemp("refusals")
    before = files(office.root)
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps([list(args) for args, _ in BAD_INPUT])],
        cwd=cwd,
        env=office.env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=4 * PATIENCE,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = [tuple(r) for r in json.loads(result.stdout)]
    return Refusals(answers, files(cwd) | (files(office.root) - before))


@dataclass(frozen=True)
class Refusals:
    answers: list[tuple[int, str, str]]
    written: set[Path]


@pytest.mark.parametrize("case", range(len(BAD_INPUT)))
def test_bad_input_is_one_line_exit_2_and_no_file(refusals: Refusals, case: int) -> None:
    code, stdout, stderr = refusals.answers[case]
    message = BAD_INPUT[case][1]
    assert code == 2, stderr
    line = one_line(stderr)
    assert line.startswith("error: ") and message in line, line
    assert stdout == ""
    assert refusals.written == set()  # no file, not even a partial one
