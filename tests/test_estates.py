"""Estates (小区), driven as the people involved would: the office imports a CSV with an estate
column (an old file without one keeps the estates), the weekly count runs over several fake
weeks, a head appointed in one estate moves that estate's figure only, and the coordinator's
digest and the console's Numbers page show it, per estate, with its trend. The office sets or
changes a building's estate on the console's Buildings page; a head is refused and a resident
never gets in. With no estate defined, the digest is as it was. Forty estates still fit the
digest in one Telegram message."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import parse_buildings_csv
from bot.services.errors import ServiceError
from bot.text import utf16_len
from storage.db import Database
from storage.models import Building, CoverageEstateWeek, Role, telegram_address
from tests.botclient import BotClient
from tests.conftest import FakeClock
from tests.test_cli import cli_env, one_line, run_cli
from tests.test_console import Http, http, make_http, sign_in
from tests.test_contacts_migration import _downgrade_to, _scalar, _upgrade_to, pg_url
from tests.test_ticket_handling import HEAD, OFFICE, RESIDENT, Town, client, to, town

__all__ = ["client", "http", "pg_url", "town"]  # fixtures

NEW_HEAD, OFFICE_EN = 9101, 9102
TELEGRAM_LIMIT = 4096
ESTATES_CSV = (
    "community,code,name,address,estate\n"
    "塘中社区,A1,塘中新村1栋,塘中路1号,塘中新村\n"
    "塘中社区,A2,塘中新村2栋,塘中路2号, 塘中新村 \n"
    "塘中社区,B1,翠湖苑1座,翠湖路1号,翠湖苑\n"
    "塘中社区,C1,塘中综合楼,塘中路9号,\n"
)
# The same buildings, the estate column empty: every estate taken away.
CLEARED = re.sub(r",[^,\n]*\n", ",\n", ESTATES_CSV.split("\n", 1)[1])
CLEARED = "community,code,name,address,estate\n" + CLEARED
EN = {"Accept-Language": "en"}


async def import_csv(town: Town, text: str) -> str:
    """What ``python -m bot import-buildings FILE`` does with the file's text."""
    report = await town.world.services.community.import_buildings(parse_buildings_csv(text))
    return f"{report.count('created')} {report.count('updated')} {report.count('unchanged')}"


async def estates(town: Town) -> dict[str, str]:
    async with town.db.session() as session:
        return dict((await session.execute(select(Building.code, Building.estate))).all())


async def weeks(town: Town) -> dict[str, list[tuple[str, int, int]]]:
    """The weekly counts per estate: estate → [(Monday, buildings, with a head)]."""
    async with town.db.session() as session:
        rows = await session.scalars(select(CoverageEstateWeek).order_by(CoverageEstateWeek.week))
        found: dict[str, list[tuple[str, int, int]]] = {}
        for r in rows:
            found.setdefault(r.estate, []).append((f"{r.week:%m-%d}", r.buildings, r.with_head))
        return found


async def appoint(town: Town, who: int, language: str, name: str, role: Role, target: str) -> None:
    """``who`` opens an invitation to ``role`` of ``target`` in chat."""
    town.users[who] = town.client.user(who, language, name)
    await town.world.appoint(town.users[who], role, target)


async def count_week(town: Town, advance_days: int = 7) -> None:
    """The weekly count (the serve-offers scan's), then a week on."""
    await town.world.services.serving.offer_due()
    town.world.clock.advance(days=advance_days)


async def digest(town: Town, who: int = OFFICE) -> str:
    sent = await town.send(who, "/digest")
    messages = to(sent, who, "SendMessage")
    assert len(messages) == 1, [s.text[:40] for s in messages]  # one message, not split
    assert utf16_len(messages[0].text) <= TELEGRAM_LIMIT
    return messages[0].text


async def three_weeks(town: Town) -> None:
    """Week 1 and 2: B1 (翠湖苑) without a head; in week 3 a head is appointed there."""
    await count_week(town)
    await count_week(town)
    await appoint(town, NEW_HEAD, "zh-hans", "Sun", Role.HEAD, "B1")
    await town.world.services.serving.offer_due()


async def test_coverage_per_estate_over_weeks_in_the_digest(town: Town) -> None:
    assert await import_csv(town, ESTATES_CSV) == "1 3 0"  # C1 new, three get an estate
    assert await estates(town) == {"A1": "塘中新村", "A2": "塘中新村", "B1": "翠湖苑", "C1": ""}
    # An old file (no estate column) changes no building's estate.
    old = "community,code,name,address\n塘中社区,A1,塘中新村1栋,塘中路1号\n"
    assert await import_csv(town, old) == "0 0 1"
    assert (await estates(town))["A1"] == "塘中新村"

    await three_weeks(town)
    # The head appointed in 翠湖苑 moved 翠湖苑's figure only.
    assert await weeks(town) == {
        "": [("11-23", 1, 0), ("11-30", 1, 0), ("12-07", 1, 0)],
        "塘中新村": [("11-23", 2, 2), ("11-30", 2, 2), ("12-07", 2, 2)],
        "翠湖苑": [("11-23", 1, 0), ("11-30", 1, 0), ("12-07", 1, 1)],
    }
    text = await digest(town)
    assert "楼长覆盖：4 栋楼中 3 栋有楼长" in text  # the community's line, as before
    assert "11-23 2/4 · 11-30 2/4 · 12-07 3/4" in text
    assert (
        "• 按小区（有楼长/总栋数；近 3 周，▁ 无 … █ 全）：\n"
        "  塘中新村 2/2 ███\n"
        "  翠湖苑 1/1 ▁▁█ +1\n"
        "  未分小区 0/1 ▁▁▁\n"
    ) in text
    # In English for an English-speaking coordinator.
    await appoint(town, OFFICE_EN, "en", "Grace", Role.COORDINATOR, "塘中社区")
    english = await digest(town, OFFICE_EN)
    assert "翠湖苑 1/1 ▁▁█ +1" in english and "No estate 0/1 ▁▁▁" in english
    # A head's own /digest is refused as before; no estate figure reaches them.
    refused = "".join(s.text for s in await town.send(HEAD, "/digest"))
    assert "翠湖苑" not in refused


async def test_without_estates_the_digest_is_as_before(town: Town) -> None:
    await three_weeks(town)
    assert await weeks(town) == {}  # nothing counted per estate
    text = await digest(town)
    assert "11-23 2/3 · 11-30 2/3 · 12-07 3/3" in text
    assert "按小区" not in text and "未分小区" not in text
    # Estates given, then all taken away again: the next count drops the section.
    await import_csv(town, ESTATES_CSV)
    await town.world.services.serving.offer_due()
    assert "按小区" in await digest(town)
    await import_csv(town, CLEARED)
    assert set((await estates(town)).values()) == {""}
    await town.world.services.serving.offer_due()
    assert "按小区" not in await digest(town)


async def test_forty_estates_fit_the_digest_in_one_message(town: Town) -> None:
    lines = ["community,code,name,address,estate"]
    for i in range(1, 41):
        estate = f"第{i:02d}期塘中南海狮山翡翠湖畔花园小区"
        lines += [f"塘中社区,E{i:02d}-{n},{estate}{n}栋,塘中路{i}号,{estate}" for n in (1, 2)]
    assert await import_csv(town, "\n".join(lines) + "\n") == "80 0 0"
    for _ in range(6):
        await count_week(town)
    await appoint(town, NEW_HEAD, "zh-hans", "Sun", Role.HEAD, "E07-1")
    await town.world.services.serving.offer_due()
    text = await digest(town)
    assert "近 6 周" in text
    assert "  第07期塘中南海狮… 1/2 ▁▁▁▁▁▅ +1" in text
    assert all(f"第{i:02d}期塘中南海狮… " in text for i in range(1, 41))
    assert "  未分小区 2/3 " in text  # A1, A2, B1
    await appoint(town, OFFICE_EN, "en", "Grace", Role.COORDINATOR, "塘中社区")
    english = await digest(town, OFFICE_EN)
    assert "  No estate 2/3 " in english


# ------------------------------------------------------------------------------ the console


async def building_id(town: Town, code: str) -> int:
    async with town.db.session() as session:
        found = await session.scalar(select(Building.id).where(Building.code == code))
    assert found is not None
    return int(found)


async def test_the_office_sets_an_estate_and_reads_coverage_per_estate(
    town: Town, http: Http
) -> None:
    await import_csv(town, ESTATES_CSV)
    await three_weeks(town)  # first: a console session ends after 12 idle hours
    csrf = await sign_in(town, http, OFFICE)
    page = await (await http.get("/console/buildings")).text()
    assert "<th>小区</th>" in page
    b1 = page[page.index('data-code="B1"') :].split("</tr>")[0]
    assert 'name="estate" value="翠湖苑"' in b1 and 'hx-post="/console/buildings/' in b1
    assert '<option value="塘中新村">' in page  # the estates named, offered while typing
    c1 = await building_id(town, "C1")
    htmx = {"HX-Request": "true"}
    saved = await http.post(
        f"/console/buildings/{c1}/estate",
        data={"csrf": csrf, "estate": "  翠湖苑 "},
        headers=htmx,
    )
    fragment = await saved.text()
    assert saved.status == 200
    assert 'value="翠湖苑"' in fragment and "已保存" in fragment and "<html" not in fragment
    assert (await estates(town))["C1"] == "翠湖苑"
    # Too long: said in the office's language, the building keeps its estate.
    long = await http.post(
        f"/console/buildings/{c1}/estate", data={"csrf": csrf, "estate": "苑" * 51}, headers=htmx
    )
    assert long.status == 200 and "不超过 50 个字" in await long.text()
    assert (await estates(town))["C1"] == "翠湖苑"
    # Without JavaScript: back to the page; "" takes the estate away.
    plain = await http.post(
        f"/console/buildings/{c1}/estate", data={"csrf": csrf, "estate": ""}, allow_redirects=False
    )
    assert plain.status == 303 and plain.headers["Location"] == "/console/buildings"
    assert (await estates(town))["C1"] == ""

    numbers = await http.get("/console/numbers")
    text = await numbers.text()
    assert numbers.status == 200 and "各小区楼长覆盖" in text
    table = text[text.index('id="per-estate"') :].split("</table>")[0]
    assert re.findall(r"<th>(\d\d-\d\d)</th>", table) == ["11-23", "11-30", "12-07"]
    rows = re.findall(r"<tr><td>([^<]+)</td>((?:<td>[^<]*</td>)+)<td><strong>", table)
    assert [(name, re.findall(r"<td>([^<]*)</td>", cells)) for name, cells in rows] == [
        ("塘中新村", ["2/2", "2/2", "2/2"]),
        ("翠湖苑", ["0/1", "0/1", "1/1"]),
        ("未分小区", ["0/1", "0/1", "0/1"]),
    ]


async def test_a_head_cannot_set_an_estate_and_a_resident_never_gets_in(
    town: Town, http: Http, client: BotClient
) -> None:
    await import_csv(town, ESTATES_CSV)
    await three_weeks(town)
    a1 = await building_id(town, "A1")
    csrf = await sign_in(town, http, HEAD)
    page = await (await http.get("/console/buildings", headers=EN)).text()
    row = page[page.index('data-code="A1"') :].split("</tr>")[0]
    assert "塘中新村" in row and 'name="estate"' not in row  # read, not changed
    for headers in (EN, {**EN, "HX-Request": "true"}):
        forged = await http.post(
            f"/console/buildings/{a1}/estate",
            data={"csrf": csrf, "estate": "Elsewhere"},
            headers=headers,
        )
        assert forged.status == 403 and "not allowed" in await forged.text()
    assert (await estates(town))["A1"] == "塘中新村"
    # Their Numbers are their building's: no community table per estate.
    numbers = await (await http.get("/console/numbers", headers=EN)).text()
    assert 'id="per-estate"' not in numbers
    # A resident: no sign-in link in chat, and the console answers nobody without one.
    assert "for building heads" in "".join(s.text for s in await town.send(RESIDENT, "/web"))
    async with make_http(client) as stranger:
        refused = await stranger.post(
            f"/console/buildings/{a1}/estate", data={"estate": "Elsewhere"}, headers=EN
        )
        assert refused.status in (401, 403)
        numbers_page = await stranger.get("/console/numbers", headers=EN)
        assert numbers_page.status == 401
    assert (await estates(town))["A1"] == "塘中新村"


# ------------------------------------------------------------------------------ the command line


def test_import_buildings_reads_the_optional_estate_column(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    db = tmp_path / "data" / "louzhang.db"
    (cwd / "estates.csv").write_text(ESTATES_CSV, encoding="utf-8")
    result = run_cli("import-buildings", "estates.csv", cwd=cwd, env=cli_env(db))
    assert result.returncode == 0, result.stderr
    assert one_line(result.stderr).startswith("# 4 created, 0 updated")
    with sqlite3.connect(db) as connection:
        found = connection.execute("SELECT code, estate FROM buildings ORDER BY code").fetchall()
    assert found == [("A1", "塘中新村"), ("A2", "塘中新村"), ("B1", "翠湖苑"), ("C1", "")]


def test_an_estate_name_too_long_is_refused_naming_its_line() -> None:
    with pytest.raises(ServiceError) as refused:
        parse_buildings_csv(ESTATES_CSV + f"塘中社区,D1,D1,,{'苑' * 51}\n")
    said = Translations(default="en").bind("en")(refused.value.key, **refused.value.args_)
    assert said == "Line 6 of the CSV file: the estate's name is over 50 characters."


# ------------------------------------------------------------------------------ migration 0028

OLD_ROWS = [
    "INSERT INTO communities (id, name, timezone, settings, ticket_seq, created_at) "
    "VALUES (1, 'C', 'Asia/Shanghai', '{}', 1, '2026-11-01 00:00:00')",
    "INSERT INTO buildings (id, community_id, code, name, address, join_token, created_at) "
    "VALUES (1, 1, 'A1', 'A1', '', 'tok', '2026-11-01 00:00:00')",
    "INSERT INTO people (id, display_name, phone_consent, created_at) "
    "VALUES (1, 'Head', false, '2026-11-01 00:00:00')",
    "INSERT INTO memberships (id, person_id, building_id, role, since) "
    "VALUES (1, 1, 1, 'head', '2026-11-01 00:00:00')",
]


async def _check_migration(db: Database) -> None:
    """Up from 0027: every building without an estate; down again: the buildings, and what
    hangs on them, are still there (no table copy dropped them)."""
    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0027"))  # type: ignore[arg-type]
        for statement in OLD_ROWS:
            await connection.execute(text(statement))
    await db.migrate()
    assert await _scalar(db, "SELECT estate FROM buildings WHERE id = 1") == ""
    async with db.engine.begin() as connection:
        await connection.execute(text("UPDATE buildings SET estate = '翠湖苑'"))
        await connection.execute(
            text(
                "INSERT INTO coverage_estate_weeks "
                "(community_id, week, estate, buildings, with_head, taken_at) "
                "VALUES (1, '2026-11-30', '翠湖苑', 1, 1, '2026-12-01 00:00:00')"
            )
        )
    async with db.engine.begin() as connection:
        await connection.run_sync(_downgrade_to("0027"))  # type: ignore[arg-type]
    assert await _scalar(db, "SELECT count(*) FROM buildings") == 1
    assert await _scalar(db, "SELECT count(*) FROM memberships") == 1
    async with db.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("buildings")}
        )
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert "estate" not in columns and "coverage_estate_weeks" not in tables


async def test_migration_0028_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await _check_migration(db)
    finally:
        await db.close()


async def test_migration_0028_up_and_down_on_postgres(pg_url: str) -> None:  # noqa: F811
    db = Database(pg_url)
    try:
        await _check_migration(db)
    finally:
        await db.close()


async def test_coverage_per_estate_on_postgres(pg_url: str) -> None:  # noqa: F811
    """The count per estate (GROUP BY, a week's count replaced) and the digest's figures."""
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        await services.community.import_buildings(parse_buildings_csv(ESTATES_CSV))
        office = await services.onboarding.touch(telegram_address(300), "Office", "en")
        head = await services.onboarding.touch(telegram_address(100), "Head", "en")
        for person, role, target in (
            (office, Role.COORDINATOR, "塘中社区"),
            (head, Role.HEAD, "A1"),
        ):
            invite = await services.community.invite(role, target)
            await services.onboarding.open_payload(person, invite.payload)
        await services.serving.offer_due()
        clock.advance(days=7)
        await services.serving.offer_due()
        invite = await services.community.invite(Role.HEAD, "B1")
        await services.onboarding.open_payload(head, invite.payload)
        await services.serving.offer_due()  # the same week again: its count replaced
        t = Translations(default="en").bind("en")
        [found] = await services.scheduling.digest.on_demand(office, None, t)
        assert "  塘中新村 1/2 ▅▅\n" in found.text, found.text
        assert "  翠湖苑 1/1 ▁█ +1\n" in found.text
        assert "  No estate 0/1 ▁▁" in found.text
    finally:
        await db.close()
