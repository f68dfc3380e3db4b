"""``python -m bot open311-key`` as the operator uses it: a key printed once (only its hash is
stored), a new key replacing the old, revocation, and one-line errors."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.test_cli import EXAMPLE, cli_env, one_line, run_cli


def test_a_key_is_printed_once_stored_hashed_and_revoked(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    db = tmp_path / "louzhang.db"
    env = cli_env(db)
    assert run_cli("import-buildings", EXAMPLE, cwd=cwd, env=env).returncode == 0

    issued = run_cli("open311-key", "12345热线", "--community", "塘中社区", cwd=cwd, env=env)
    assert issued.returncode == 0, issued.stderr
    [key] = issued.stdout.splitlines()
    assert len(key) >= 40 and "Traceback" not in issued.stderr
    assert "shown once" in issued.stderr and "塘中社区" in issued.stderr
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT name, key_hash, daily_limit, revoked_at FROM open311_clients"
        ).fetchall()
    assert rows == [("12345热线", hashlib.sha256(key.encode()).hexdigest(), 100, None)]
    assert key.encode() not in db.read_bytes()

    again = run_cli("open311-key", "12345热线", "--daily-limit", "500", cwd=cwd, env=env)
    assert again.returncode == 0 and again.stdout.strip() != key
    assert "every community" in again.stderr and "500" in again.stderr

    revoked = run_cli("open311-key", "--revoke", "12345热线", cwd=cwd, env=env)
    assert revoked.returncode == 0 and "no longer works" in revoked.stdout
    with sqlite3.connect(db) as connection:
        [(revoked_at,)] = connection.execute("SELECT revoked_at FROM open311_clients").fetchall()
    assert revoked_at is not None

    twice = run_cli("open311-key", "--revoke", "12345热线", cwd=cwd, env=env)
    assert twice.returncode == 1
    assert one_line(twice.stderr) == (
        "error: There is no Open311 client called 12345热线 with a working key."
    )
    nowhere = run_cli("open311-key", "app", "--community", "别的社区", cwd=cwd, env=env)
    assert nowhere.returncode == 1
    assert one_line(nowhere.stderr) == "error: There is no community called 别的社区."
    zero = run_cli("open311-key", "app", "--daily-limit", "0", cwd=cwd, env=env)
    assert zero.returncode == 1 and "at least 1" in one_line(zero.stderr)
