"""A bad start: the real ``python -m bot`` with one bad setting at a time gives one line naming
the setting and the cause, exit code 2, no traceback, and no secret (issue "Trust" §5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakeapi import FakeBotAPI
from tests.test_cli import (
    DEAD_API,
    EXAMPLE,
    SECRET_TOKEN,
    cli_env,
    one_line,
    query,
    run_cli,
    run_cli_async,
)

# Nothing listens on the discard port (see DEAD_API): refused at once, never the network.
CLOSED = "127.0.0.1:9"
PASSWORD = "pg-password-never-printed-42"


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "cwd"
    path.mkdir()
    return path


def bad_start(line: str, stdout: str, stderr: str) -> None:
    assert line.startswith("error: ")
    for secret in (SECRET_TOKEN, SECRET_TOKEN.split(":")[1], PASSWORD):
        assert secret not in stdout + stderr
    assert stdout == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://bot@127.0.0.1/louzhang",
            "error: DATABASE_URL: mysql is not supported; expected ",
        ),
        (
            "postgresql://bot@127.0.0.1/louzhang",  # psycopg is not installed
            "error: DATABASE_URL: postgresql:// needs the asyncio driver the bot ships: "
            "postgresql+asyncpg://…",
        ),
        (
            f"postgresql+asyncpg://bot:{PASSWORD}@{CLOSED}/louzhang",
            f"error: DATABASE_URL: postgresql+asyncpg://bot:***@{CLOSED}/louzhang: cannot "
            "connect: Connection refused",
        ),
        ("sqlite+aiosqlite:///{tmp}/a-file/louzhang.db", "error: DATABASE_URL: cannot create the "),
        ("not a url", "error: DATABASE_URL: not a database URL; expected "),
    ],
    ids=[
        "mysql",
        "postgresql-without-asyncpg",
        "postgresql-refused",
        "sqlite-under-a-file",
        "junk",
    ],
)
def test_a_bad_database_url(tmp_path: Path, cwd: Path, url: str, expected: str) -> None:
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    env = cli_env(tmp_path / "unused.db", BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=DEAD_API)
    env["DATABASE_URL"] = url.format(tmp=tmp_path)
    result = run_cli(cwd=cwd, env=env)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line.startswith(expected), line
    bad_start(line, result.stdout, result.stderr)
    if "a-file" in url:
        assert line == (
            f"error: DATABASE_URL: cannot create the folder {tmp_path}/a-file: a file is in the way"
        )
    assert sorted(p.name for p in cwd.iterdir()) == []


def test_an_unreachable_redis(tmp_path: Path, cwd: Path) -> None:
    env = cli_env(
        tmp_path / "louzhang.db",
        BOT_TOKEN=SECRET_TOKEN,
        TELEGRAM_API_URL=DEAD_API,
        REDIS_URL=f"redis://:{PASSWORD}@{CLOSED}/0",
    )
    result = run_cli(cwd=cwd, env=env)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line == f"error: REDIS_URL: cannot use Redis at {CLOSED}: Connection refused"
    bad_start(line, result.stdout, result.stderr)


def test_an_unreachable_telegram(tmp_path: Path, cwd: Path) -> None:
    env = cli_env(tmp_path / "louzhang.db", BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=DEAD_API)
    result = run_cli(cwd=cwd, env=env)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"error: TELEGRAM_API_URL: cannot reach {DEAD_API}: "), line
    bad_start(line, result.stdout, result.stderr)


@pytest.mark.e2e
async def test_a_token_telegram_refuses(tmp_path: Path, cwd: Path) -> None:
    async with FakeBotAPI() as fake:
        fake.fail("getMe", status=401, description="Unauthorized")
        env = cli_env(
            tmp_path / "louzhang.db", BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=fake.base_url
        )
        code, stdout, stderr = await run_cli_async(cwd=cwd, env=env)
        assert [call.method for call in fake.calls] == ["getMe"]  # and no polling after it
    assert code == 2, stderr
    line = one_line(stderr)
    assert line == (
        "error: BOT_TOKEN: Telegram refused the token (401 Unauthorized); get one from @BotFather"
    )
    bad_start(line, stdout, stderr)


def test_invite_without_a_username_while_telegram_is_down_writes_nothing(
    tmp_path: Path, cwd: Path
) -> None:
    db = tmp_path / "louzhang.db"
    imported = run_cli("import-buildings", EXAMPLE, cwd=cwd, env=cli_env(db))
    assert imported.returncode == 0, imported.stderr
    env = cli_env(db, BOT_USERNAME=None, BOT_TOKEN=SECRET_TOKEN, TELEGRAM_API_URL=DEAD_API)
    for args in (("invite", "head", "TZ-A01"), ("import-buildings", EXAMPLE)):
        result = run_cli(*args, cwd=cwd, env=env)
        assert result.returncode == 2, result.stderr
        line = one_line(result.stderr)
        assert line.startswith(f"error: TELEGRAM_API_URL: cannot reach {DEAD_API}: "), line
        assert line.endswith("; or set BOT_USERNAME")
        bad_start(line, result.stdout, result.stderr)
    assert query(db, "SELECT count(*) FROM invitations") == [(0,)]
    assert query(db, "SELECT count(*) FROM buildings") == [(36,)]
