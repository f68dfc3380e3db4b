"""``python -m bot`` as an operator uses it: real subprocesses, a temporary working directory (so no
``.env`` of the developer can leak in), a temporary SQLite file, no network (only 127.0.0.1)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.services.settings_schema import KEYS
from tests.fakeapi import FakeBotAPI
from tests.waiting import PATIENCE

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "tangzhong.csv"
USERNAME = "louzhang_test_bot"
# Valid-looking, so only another setting can be what is wrong; it must never be printed.
SECRET_TOKEN = "987654321:AAHsecretTOKENnever-printed_anywhere42"
# Nothing listens on the discard port: a regression that gets as far as calling Telegram fails
# fast on 127.0.0.1 instead of reaching the network.
DEAD_API = "http://127.0.0.1:9"
# The only variables a child inherits: no setting of the developer's shell (BOT_TOKEN, ...), no
# proxy, no PYTHON* variable can change what the bot does under test.
INHERITED = ("PATH", "HOME", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT")
JOIN_LINK = re.compile(rf"^https://t\.me/{USERNAME}\?start=j[A-Za-z0-9_-]{{22}}$")
INVITE_LINK = re.compile(rf"^https://t\.me/{USERNAME}\?start=i[A-Za-z0-9_-]{{22}}$")
SUBCOMMANDS = ("run", "migrate", "import-buildings", "join-link", "invite", "outbox", "revoke")


def cli_env(db: Path, **settings: str | None) -> dict[str, str]:
    """A child environment: a few harmless variables of the parent, the repository importable,
    the database and bot username set; ``settings`` on top (None removes a key)."""
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env |= {
        "PYTHONPATH": str(REPO),
        "PYTHONUTF8": "1",
        "NO_PROXY": "127.0.0.1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "BOT_USERNAME": USERNAME,
        # The web server runs in polling mode too: on a port of the system's choosing, so
        # that tests running bots side by side never compete for 8080.
        "WEB_LISTEN": "127.0.0.1:0",
    }
    for key, value in settings.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(
    *args: str | Path | int, cwd: Path, env: dict[str, str], time_limit: float = 2 * PATIENCE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=time_limit,
        check=False,
    )


async def run_cli_async(
    *args: str | Path | int, cwd: Path, env: dict[str, str], time_limit: float = 2 * PATIENCE
) -> tuple[int, str, str]:
    """The same, without blocking the event loop (for a server running in this process)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *map(str, args),
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), time_limit)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def one_line(stderr: str) -> str:
    """stderr holds exactly one line (an error or a summary) and no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy through SQLite's backup API (the source is in WAL mode)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    target.chmod(0o600)  # as the bot makes its files (it would say it tightened this one)
    return target


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@dataclass(frozen=True)
class Seeded:
    """The example community imported once for the module."""

    cwd: Path
    db: Path
    env: dict[str, str]
    stdout: str
    stderr: str
    links: dict[str, str]  # building code -> join link


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("seeded")
    db = root / "data" / "louzhang.db"
    env = cli_env(db)
    result = run_cli("import-buildings", EXAMPLE, cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    links = {line.split("\t")[1]: line.split("\t")[3] for line in result.stdout.splitlines()}
    return Seeded(root, db, env, result.stdout, result.stderr, links)


def example_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))


# Configuration


def test_run_without_token_and_web_fails_in_one_line_and_creates_nothing(
    tmp_path: Path, cwd: Path
) -> None:
    """No token runs the web door alone (tests/test_notoken.py); with the web off too there
    would be nothing to run."""
    db = tmp_path / "data" / "louzhang.db"
    result = run_cli(cwd=cwd, env=cli_env(db, TELEGRAM_API_URL=DEAD_API, WEB_LISTEN="off"))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("error: BOT_TOKEN is missing and WEB_LISTEN is off")
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == [cwd]  # no database, no data directory, nothing


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("BOT_TOKEN", "abc"),
        ("ADMIN_IDS", "1,x"),
        ("TIMEZONE", "Mars/Base"),
        ("TELEGRAM_API_URL", "ftp://x"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_setting_is_named_in_one_line_and_the_token_never_shown(
    tmp_path: Path, cwd: Path, key: str, value: str
) -> None:
    db = tmp_path / "data" / "louzhang.db"
    env = cli_env(db, BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=DEAD_API)
    env[key] = value
    result = run_cli(cwd=cwd, env=env)  # `run`, the default command
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(f"error: {key} ") and "malformed" in line
    output = result.stdout + result.stderr
    assert SECRET_TOKEN not in output
    assert SECRET_TOKEN.split(":")[1] not in output
    if key == "BOT_TOKEN":
        assert value not in output  # a mistyped token is still a secret
    assert not db.exists()


def test_help_of_every_command_exits_0(tmp_path: Path, cwd: Path) -> None:
    """One interpreter runs ``python -m bot ARGS`` for each help (runpy, as ``-m`` does), so the
    seven helps cost one start-up."""
    driver = (
        "import runpy, sys\n"
        "for args in sys.argv[1:]:\n"
        "    sys.argv = ['bot', *args.split()]\n"
        "    try:\n"
        "        runpy.run_module('bot', run_name='__main__', alter_sys=True)\n"
        "    except SystemExit as exit:\n"
        "        print(f'@@exit {args} {exit.code}', flush=True)\n"
        "    else:\n"
        "        print(f'@@exit {args} none', flush=True)\n"
    )
    db = tmp_path / "data" / "louzhang.db"
    helps = ["--help", *(f"{command} --help" for command in SUBCOMMANDS)]
    result = subprocess.run(
        [sys.executable, "-c", driver, *helps],
        cwd=cwd,
        env=cli_env(db),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=2 * PATIENCE,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    sections = re.split(r"^@@exit (.+) (\S+)$", result.stdout, flags=re.MULTILINE)
    texts = [text.strip() for text in sections[0::3]]
    outcomes = list(zip(sections[1::3], sections[2::3], strict=True))
    assert outcomes == [(args, "0") for args in helps]
    assert texts.pop() == ""
    top = texts[0]
    assert top.startswith("usage: python -m bot")
    for command in SUBCOMMANDS:
        assert command in top
    for command, text in zip(SUBCOMMANDS, texts[1:], strict=True):
        assert text.startswith(f"usage: python -m bot {command}"), text
    assert "BUILDING_CODE" in texts[4] and "ROLE" in texts[5] and "FILE" in texts[3]
    assert "Telegram user id" in texts[7] and "PERSON" in texts[7]
    assert not db.exists()


def test_dotenv_of_the_working_directory_is_read_and_the_environment_wins(
    seeded: Seeded, cwd: Path
) -> None:
    (cwd / ".env").write_text(
        "BOT_USERNAME=from_dotenv_bot\nDATABASE_URL=sqlite+aiosqlite:///not-this.db\n",
        encoding="utf-8",
    )
    env = cli_env(seeded.db, BOT_USERNAME=None)
    result = run_cli("join-link", "TZ-A01", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    expected = seeded.links["TZ-A01"].replace(USERNAME, "from_dotenv_bot")
    assert result.stdout == expected + "\n"
    assert not (cwd / "not-this.db").exists()


# Database


def test_migrate_creates_the_database_in_wal_mode(tmp_path: Path, cwd: Path) -> None:
    db = tmp_path / "data" / "louzhang.db"
    result = run_cli("migrate", cwd=cwd, env=cli_env(db))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert db.is_file()
    tables = {name for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    expected = {"alembic_version", "communities", "buildings", "people", "memberships"}
    expected |= {"coordinator_scopes", "invitations", "outbox", "fsm_state"}
    assert expected <= tables
    assert len(query(db, "SELECT version_num FROM alembic_version")) == 1
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    assert not (cwd / "louzhang.db").exists()  # DATABASE_URL was honoured


# Buildings


def test_import_prints_one_join_link_per_building(seeded: Seeded) -> None:
    rows = example_rows()
    assert len(rows) == 36
    lines = seeded.stdout.splitlines()
    assert len(lines) == 36
    parsed = [line.split("\t") for line in lines]
    assert [(p[0], p[1], p[2]) for p in parsed] == [
        (r["community"], r["code"], r["name"]) for r in rows
    ]
    links = [p[3] for p in parsed]
    assert all(JOIN_LINK.match(link) for link in links), links
    assert len(set(links)) == 36
    summary = one_line(seeded.stderr)
    assert summary == "# 36 created, 0 updated, 0 unchanged; new communities: 塘中社区"
    assert query(seeded.db, "SELECT count(*) FROM buildings") == [(36,)]


def test_import_again_changes_nothing_and_prints_the_same_links(seeded: Seeded) -> None:
    result = run_cli("import-buildings", EXAMPLE, cwd=seeded.cwd, env=seeded.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == seeded.stdout
    summary = one_line(result.stderr)
    assert summary == "# 0 created, 0 updated, 36 unchanged; new communities: none"
    assert query(seeded.db, "SELECT count(*) FROM buildings") == [(36,)]


def test_import_reports_an_updated_name_and_keeps_its_link(
    seeded: Seeded, tmp_path: Path, cwd: Path
) -> None:
    db = copy_db(seeded.db, tmp_path / "copy.db")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "塘中社区,TZ-A02,塘中新村2栋," in text
    text = text.replace("塘中社区,TZ-A02,塘中新村2栋,", "塘中社区,TZ-A02,塘中新村二栋,")
    text += "新城社区,XC-01,新城1栋,\n"
    changed = cwd / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    result = run_cli("import-buildings", changed.name, cwd=cwd, env=cli_env(db))
    assert result.returncode == 0, result.stderr
    summary = one_line(result.stderr)
    assert summary == "# 1 created, 1 updated, 35 unchanged; new communities: 新城社区"
    lines = result.stdout.splitlines()
    assert len(lines) == 37
    assert (
        f"塘中社区\tTZ-A02\t塘中新村二栋\t{seeded.links['TZ-A02']}" in lines
    )  # poster still valid
    assert lines[-1].startswith("新城社区\tXC-01\t新城1栋\thttps://t.me/")
    assert query(db, "SELECT name FROM buildings WHERE code = 'TZ-A02'") == [("塘中新村二栋",)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("community,code,title,address\n塘中社区,TZ-A01,1栋,\n", "community,code,name,address"),
        ("community,code,name,address\n塘中社区,TZ-A01,1栋,\n塘中社区,A 01!,2栋,\n", "Line 3"),
    ],
    ids=["bad-header", "bad-code"],
)
def test_import_refuses_a_bad_csv_in_one_line(
    tmp_path: Path, cwd: Path, content: str, expected: str
) -> None:
    db = tmp_path / "data" / "louzhang.db"
    (cwd / "bad.csv").write_text(content, encoding="utf-8")
    result = run_cli("import-buildings", "bad.csv", cwd=cwd, env=cli_env(db))
    assert result.returncode != 0
    line = one_line(result.stderr)
    assert line.startswith("error: ") and expected in line
    if expected.startswith("Line"):
        assert "A 01!" in line
    assert result.stdout == ""
    assert not db.exists()  # refused before anything was written


def test_import_refuses_a_code_twice_in_one_community_naming_both_lines(
    tmp_path: Path, cwd: Path
) -> None:
    db = tmp_path / "data" / "louzhang.db"
    text = EXAMPLE.read_text(encoding="utf-8")
    text += "新城社区,TZ-A01,新城1栋,\n塘中社区,TZ-A01,塘中新村一栋（重复）,\n"
    (cwd / "twice.csv").write_text(text, encoding="utf-8")
    result = run_cli("import-buildings", "twice.csv", cwd=cwd, env=cli_env(db))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "error: Lines 2 and 39: the code TZ-A01 appears twice for 塘中社区; nothing was imported."
    )
    assert result.stdout == ""
    assert not db.exists()  # refused before anything was written


def test_join_link_prints_the_link_import_printed(seeded: Seeded) -> None:
    result = run_cli("join-link", "TZ-A01", cwd=seeded.cwd, env=seeded.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == seeded.links["TZ-A01"] + "\n"

    result = run_cli("join-link", "NO-SUCH-9", cwd=seeded.cwd, env=seeded.env)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("error: ") and "NO-SUCH-9" in line
    assert result.stdout == ""


# Invitations


def test_invite_prints_one_time_links(seeded: Seeded) -> None:
    before = query(seeded.db, "SELECT count(*) FROM invitations")[0][0]
    assert isinstance(before, int)

    head = run_cli("invite", "head", "TZ-A01", cwd=seeded.cwd, env=seeded.env)
    assert head.returncode == 0, head.stderr
    link = head.stdout.strip()
    assert head.stdout == link + "\n" and INVITE_LINK.match(link), head.stdout
    note = one_line(head.stderr)
    assert note.startswith("# one-time link: head of 塘中新村1栋 (塘中社区), valid until ")
    token = link.rsplit("=i", 1)[1]
    rows = query(
        seeded.db,
        "SELECT i.role, b.code, i.used_by, julianday(i.expires_at) - julianday(i.created_at) "
        "FROM invitations i LEFT JOIN buildings b ON b.id = i.building_id WHERE i.token = ?",
        token,
    )
    assert len(rows) == 1
    role, code, used_by, days = rows[0]
    assert (role, code, used_by) == ("head", "TZ-A01", None)
    assert days == pytest.approx(7)

    office = run_cli("invite", "coordinator", "塘中社区", cwd=seeded.cwd, env=seeded.env)
    assert office.returncode == 0, office.stderr
    assert INVITE_LINK.match(office.stdout.strip()), office.stdout
    assert "coordinator of 塘中社区" in one_line(office.stderr)
    token = office.stdout.strip().rsplit("=i", 1)[1]
    assert query(seeded.db, "SELECT role, building_id FROM invitations WHERE token = ?", token) == [
        ("coordinator", None)
    ]

    mayor = run_cli("invite", "mayor", "TZ-A01", cwd=seeded.cwd, env=seeded.env)
    assert mayor.returncode == 2
    assert "invalid choice: 'mayor'" in mayor.stderr and "Traceback" not in mayor.stderr
    assert mayor.stdout == ""
    assert query(seeded.db, "SELECT count(*) FROM invitations") == [(before + 2,)]


# Delivery


def test_outbox_prints_the_counts_and_the_oldest_pending(
    seeded: Seeded, tmp_path: Path, cwd: Path
) -> None:
    db = copy_db(seeded.db, tmp_path / "copy.db")
    connection = sqlite3.connect(db)
    with connection:
        connection.executemany(
            "INSERT INTO outbox (id, channel, address, kind, payload, status, attempts, "
            "not_before, created_at, sent_at, last_error) "
            "VALUES (?, 'telegram', ?, 'text', ?, ?, ?, ?, ?, ?, ?)",
            [
                (7, 111, '{"text": "a"}', "pending", 3, "2026-11-20 08:00:00.000000",
                 "2026-11-20 08:00:00.000000", None, "Bad Gateway"),
                (8, 222, '{"text": "b"}', "pending", 0, "2026-11-21 08:00:00.000000",
                 "2026-11-21 08:00:00.000000", None, None),
                (9, 333, '{"text": "c"}', "failed", 1, "2026-11-21 08:00:00.000000",
                 "2026-11-21 08:00:00.000000", None, "Forbidden: bot was blocked by the user"),
                (10, 444, '{"text": "d"}', "sent", 1, "2026-11-21 08:00:00.000000",
                 "2026-11-21 08:00:00.000000", "2026-11-21 08:00:01.000000", None),
            ],
        )  # fmt: skip
        # Rows purged after OUTBOX_RETENTION_DAYS still count.
        connection.executemany(
            "INSERT INTO outbox_counts (day, status, count) VALUES (?, ?, ?)",
            [("2026-10-01", "sent", 40), ("2026-10-02", "sent", 2), ("2026-10-02", "failed", 3)],
        )
    connection.close()
    result = run_cli("outbox", cwd=cwd, env=cli_env(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "pending: 2",
        "failed: 4",
        "sent: 43",
        "purged: 42 sent, 3 failed (older than 30 days; counted above, their texts deleted)",
        "oldest pending: #7 to chat 111, created 2026-11-20 08:00:00 UTC, attempts 3, "
        "last error: Bad Gateway",
    ]
    assert "Traceback" not in result.stderr


# Username from Telegram


async def test_join_link_asks_get_me_without_bot_username(seeded: Seeded, cwd: Path) -> None:
    async with FakeBotAPI(username="fake_getme_bot") as fake:
        env = cli_env(
            seeded.db, BOT_USERNAME=None, BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=fake.base_url
        )
        code, stdout, stderr = await run_cli_async("join-link", "TZ-A01", cwd=cwd, env=env)
        assert code == 0, stderr
        assert stdout == seeded.links["TZ-A01"].replace(USERNAME, "fake_getme_bot") + "\n"
        assert [call.ok for call in fake.calls] == [True]
        assert fake.calls[0].method == "getMe"
        assert SECRET_TOKEN not in stdout + stderr


def test_settings_change_a_community_and_print_every_effective_value(
    seeded: Seeded, tmp_path: Path, cwd: Path
) -> None:
    db = copy_db(seeded.db, tmp_path / "settings.db")
    result = run_cli(
        "settings", "塘中社区", "quiet_hours=21:30-7:30", "nudge_backoff_hours=[3,6,24]",
        "timezone=Europe/Berlin", cwd=cwd, env=cli_env(db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert list(lines) == ["timezone", *KEYS]  # every key, defaults included
    assert lines["timezone"] == '"Europe/Berlin"'
    assert lines["quiet_hours"] == '"21:30-07:30"'  # as stored: one canonical form
    assert lines["nudge_backoff_hours"] == "[3, 6, 24]"
    assert lines["digest_hour"] == '"08:00"  # default'
    assert lines["join_policy"] == '"approve"  # default'
    assert query(db, "SELECT timezone, settings FROM communities") == [
        ("Europe/Berlin", '{"quiet_hours": "21:30-07:30", "nudge_backoff_hours": [3, 6, 24]}')
    ]
    refused = run_cli(
        "settings", "塘中社区", "bogus=1", "timezone=Mars/Base", cwd=cwd, env=cli_env(db)
    )
    assert refused.returncode == 2
    assert one_line(refused.stderr) == "error: Unknown setting: bogus."
    assert query(db, "SELECT timezone FROM communities") == [("Europe/Berlin",)]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            "quiet_hours=晚上十点",
            "error: quiet_hours: expected two times of day such as 22:00-08:00, or off; "
            "got 晚上十点",
        ),
        ("digest_hour=25", "error: digest_hour: expected a time of day such as 8 or 07:30; got 25"),
        (
            "autoclose_days=-3",
            "error: autoclose_days: expected a number of days, more than 0 and at most 365; got -3",
        ),
        (
            "weekly=星期一",
            "error: weekly: expected a weekday in English and a time, such as Mon 09:00; "
            "got 星期一",
        ),
        (
            'categories=["repairs"]',
            "error: categories: expected a list of categories, each with a unique code (a-z, "
            "0-9, _), an emoji, urgent, notify_coordinators and private (true or false), and "
            'names for a code of your own; got ["repairs"] (categories[0]: each category is an '
            'object, e.g. {"code": "repairs", "emoji": "🔧"})',
        ),
    ],
    ids=["quiet_hours", "digest_hour", "autoclose_days", "weekly", "categories"],
)
def test_settings_refuse_a_bad_value_in_one_line_and_change_nothing(
    seeded: Seeded, tmp_path: Path, cwd: Path, change: str, line: str
) -> None:
    db = copy_db(seeded.db, tmp_path / "settings.db")
    before = query(db, "SELECT timezone, settings FROM communities")
    refused = run_cli("settings", "塘中社区", "idle_days=2", change, cwd=cwd, env=cli_env(db))
    assert refused.returncode == 2
    assert one_line(refused.stderr) == line
    assert refused.stdout == ""
    assert query(db, "SELECT timezone, settings FROM communities") == before


def test_settings_explain_each_setting_in_the_default_language(
    seeded: Seeded, tmp_path: Path, cwd: Path
) -> None:
    """``--explain``: a comment above each setting saying what it means, in DEFAULT_LANGUAGE
    (Chinese unless set), the value lines unchanged."""
    db = copy_db(seeded.db, tmp_path / "explain.db")
    result = run_cli("settings", "塘中社区", "--explain", cwd=cwd, env=cli_env(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    comments, values = lines[0::2], lines[1::2]
    assert [v.split(None, 1)[0] for v in values] == ["timezone", *KEYS]
    assert all(c.startswith("# ") and "settings-about" not in c for c in comments)
    explained = dict(zip([v.split(None, 1)[0] for v in values], comments, strict=True))
    assert explained["quiet_hours"].startswith("# 这段时间内不发提醒（off：随时提醒）")
    english = run_cli(
        "settings", "塘中社区", "--explain", cwd=cwd, env=cli_env(db, DEFAULT_LANGUAGE="en")
    )
    assert "# No reminders during these hours" in english.stdout
