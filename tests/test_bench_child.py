"""The benchmarks' child process: stopping one that has just exited is not an error, and it gets
the variants' settings from the shell (and nothing else of it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.common import Child, bot_env


async def test_stopping_a_child_that_exited_meanwhile_returns_its_code(tmp_path: Path) -> None:
    child = await Child.start(
        [sys.executable, "-c", "import time; time.sleep(1); raise SystemExit(3)"],
        env={},
        cwd=tmp_path,
        log=tmp_path / "log",
    )

    def gone(signal: int) -> None:
        # What asyncio raises when the child exited after ``alive()`` said it had not.
        raise ProcessLookupError

    child.process.send_signal = gone  # type: ignore[method-assign]
    assert child.alive()  # not reaped yet: the race the benchmarks met in a warm-up
    assert await child.stop(grace=5) == 3


def test_a_child_gets_the_variants_settings_from_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_PASSES", "3")
    monkeypatch.setenv("DEVELOPERS_SECRET", "x")
    env = bot_env(tmp_path / "db", None)
    assert env["BENCH_PASSES"] == "3" and "DEVELOPERS_SECRET" not in env
