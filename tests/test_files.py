"""Data at rest: the SQLite database, its -wal and -shm files and a backup are readable by the
bot's user only (0600), whatever the umask; a database made before this rule is tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import UsageError, backup_sqlite
from storage.db import Database
from storage.repositories import CommunityRepository


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask that lets new files be read by everyone, as many servers have."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def write_something(db: Database) -> None:
    async with db.session() as session:
        await CommunityRepository(session).add("塘中社区", "Asia/Shanghai", datetime.now(UTC))
        await session.commit()


async def test_the_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "louzhang.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        await write_something(db)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(file.exists() for file in files)  # WAL mode, connection open
        assert [mode(file) for file in files] == [0o600, 0o600, 0o600]
    finally:
        await db.close()


async def test_a_database_made_before_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "louzhang.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await write_something(db)
    await db.close()
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            file.chmod(0o644)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await write_something_else(db)
        assert mode(path) == 0o600
        for file in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert mode(file) == 0o600
    finally:
        await db.close()


async def write_something_else(db: Database) -> None:
    async with db.session() as session:
        await CommunityRepository(session).add("新城社区", "Asia/Shanghai", datetime.now(UTC))
        await session.commit()


async def test_a_backup_is_private_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "louzhang.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()
        await write_something(db)
        target = tmp_path / "backup.db"
        assert backup_sqlite(db, target) > 0
        assert mode(target) == 0o600
        before = target.read_bytes()
        with pytest.raises(UsageError, match="exists"):
            backup_sqlite(db, target)
        assert target.read_bytes() == before
    finally:
        await db.close()
