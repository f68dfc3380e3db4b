"""``python -m bot import-flats`` and ``export-vote`` run as the office runs them: flats created
then left alone on a second run, a bad row refused before anything is written, and a vote's
tally exported to CSV and XLSX with turnout per flat but never a flat's choice, a hostile
question kept as text."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Ballot, Flat, Vote, VoteStatus
from tests.test_cli import EXAMPLE, cli_env, example_rows, run_cli
from tests.test_cli_documents import HOSTILE


def _flats_csv(path: Path, code: str, *rows: str) -> Path:
    path.write_text("building,flat,area\n" + "".join(f"{code},{r}\n" for r in rows), "utf-8")
    return path


async def _count(db_path: Path) -> int:
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Flat)) or 0)
    finally:
        await db.close()


async def _vote(db_path: Path) -> int:
    """A closed-by-deadline vote on the imported flats, two of three having voted."""
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    now = datetime.now(UTC)
    try:
        async with db.session() as session:
            flats = list(await session.scalars(select(Flat).order_by(Flat.code)))
            vote = Vote(
                building_id=flats[0].building_id,
                question=HOSTILE,
                options=["Yes", "No"],
                rule="major",
                status=VoteStatus.OPEN,
                deadline=now + timedelta(days=1),
                created_at=now,
            )
            session.add(vote)
            await session.flush()
            for flat, choice in ((flats[0], 0), (flats[1], 1)):
                session.add(
                    Ballot(
                        vote_id=vote.id, flat_id=flat.id, choice=choice, receipt="R", cast_at=now
                    )
                )
            await session.commit()
            return vote.id
    finally:
        await db.close()


def test_import_flats_then_export_a_vote(tmp_path: Path) -> None:
    db = tmp_path / "louzhang.db"
    env = cli_env(db)
    assert run_cli("import-buildings", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    code = example_rows()[0]["code"]
    good = _flats_csv(tmp_path / "flats.csv", code, "101,89.5", "102,60", "103,20.25")
    result = run_cli("import-flats", good, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 flat(s) read, 3 created or changed"
    again = run_cli("import-flats", good, cwd=tmp_path, env=env)
    assert again.stdout.strip() == "3 flat(s) read, 0 created or changed"

    # A bad area or an unknown building: one line, exit 2, nothing written.
    bad = _flats_csv(tmp_path / "bad.csv", code, "104,12", "105,abc")
    result = run_cli("import-flats", bad, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "abc" in result.stderr and "Traceback" not in result.stderr
    unknown = _flats_csv(tmp_path / "unknown.csv", "NO-SUCH", "1,12")
    assert run_cli("import-flats", unknown, cwd=tmp_path, env=env).returncode == 2
    header = tmp_path / "header.csv"
    header.write_text("code,flat,m2\nX,1,2\n", "utf-8")
    assert run_cli("import-flats", header, cwd=tmp_path, env=env).returncode == 2
    assert asyncio.run(_count(db)) == 3

    vote_id = asyncio.run(_vote(db))
    target = tmp_path / "vote.csv"
    result = run_cli("export-vote", vote_id, target, "--language", "en", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert ["Question", "'" + HOSTILE] in table
    assert ["Yes", "1", "89.50"] in table and ["No", "1", "60.00"] in table
    assert ["Owners taking part", "2", "3", "66.7%", "≥ 2/3", "met"] in table
    start = table.index(["Flat", "Area (m²)", "Took part", "Owner's signature"])
    assert table[start + 1 :] == [
        ["101", "89.50", "yes", ""],
        ["102", "60.00", "yes", ""],
        ["103", "20.25", "no", ""],
    ]

    book_path = tmp_path / "vote.xlsx"
    result = run_cli("export-vote", vote_id, book_path, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    sheet = load_workbook(book_path).active
    assert sheet is not None
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["表决事项", HOSTILE] in cells  # DEFAULT_LANGUAGE, the text as written
    assert ["101", "89.50", "是"] in cells

    missing = run_cli("export-vote", "999", tmp_path / "x.csv", cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "no vote 999" in missing.stderr
    assert not (tmp_path / "x.csv").exists()


def test_the_operator_adds_lists_and_retires_a_community_rule(tmp_path: Path) -> None:
    db = tmp_path / "louzhang.db"
    env = cli_env(db)
    assert run_cli("import-buildings", EXAMPLE, cwd=tmp_path, env=env).returncode == 0
    community = example_rows()[0]["community"]
    added = run_cli(
        "vote-rules",
        community,
        "--add",
        "Garden works",
        "--turnout",
        "3/5",
        "--approve",
        "66%",
        "--strict",
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "added rule 1: Garden works" in added.stdout
    assert "≥ 3/5 of the area" in added.stdout and "> 33/50 of the participating" in added.stdout
    bad = run_cli(
        "vote-rules",
        community,
        "--add",
        "Bad",
        "--turnout",
        "3/2",
        "--approve",
        "1/2",
        cwd=tmp_path,
        env=env,
    )
    assert bad.returncode == 2 and "“3/2” is not a share" in bad.stderr
    assert "Traceback" not in bad.stderr
    retired = run_cli("vote-rules", community, "--retire", "1", cwd=tmp_path, env=env)
    assert retired.returncode == 0 and "(retired)\tvotes: 0" in retired.stdout
    again = run_cli("vote-rules", community, "--retire", "1", cwd=tmp_path, env=env)
    assert again.returncode == 2 and "has been retired" in again.stderr
    nowhere = run_cli("vote-rules", "No such place", cwd=tmp_path, env=env)
    assert nowhere.returncode == 2 and "no community called" in nowhere.stderr
