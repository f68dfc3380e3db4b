"""bench.district runs end to end on a tiny district (its own database, dropped afterwards).
A smoke test, not a timing: the figures are printed, not asserted. Needs TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.district import build_parser, main_async

PG_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.mark.skipif(not PG_URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server)")
async def test_a_tiny_district_is_generated_measured_and_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert PG_URL is not None
    name = f"louzhang_district_{uuid.uuid4().hex[:10]}"
    args = build_parser().parse_args(
        ["--postgres", PG_URL, "--database", name, "--communities", "2", "--buildings", "4",
         "--residents", "20", "--tickets", "300", "--days", "20", "--repeat", "1",
         "--older", "1"]
    )  # fmt: skip
    figures = await main_async(args)

    assert figures["counts"]["communities"] == 2
    assert figures["counts"]["tickets"] == 300
    digest = figures["digest"]
    # Both communities' coordinators (3 community-wide, one per building) got their digest,
    # its text and chart, in the outbox.
    assert len(digest["per_community"]) == 2
    assert digest["digests"] > 0 and digest["messages"] >= digest["digests"]
    assert {row[0] for row in figures["pages"]} == {
        next(r[0] for r in figures["pages"] if r[0].startswith("head")),
        "coordinator (a whole community)",
        "admin (every community)",
    }
    assert "## The morning digest window" in capsys.readouterr().out
    # Two instances at once (the job again, its digests reset): every digest written once
    # between them (tests/test_digest_instances.py proves each scope is gathered once).
    instances = dict(figures["instances"])
    assert instances["instances"] == 2 and instances["gathers in all"] > 0
    written = [int(w) for w in instances["digests written, each instance"].split(" / ")]
    assert sum(written) == digest["digests"]
    assert {row[0] for row in figures["scans"]} >= {"reminders (nudges)"}
    admin = create_async_engine(PG_URL)
    try:
        async with admin.connect() as connection:
            left = await connection.scalar(
                text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}
            )
    finally:
        await admin.dispose()
    assert left == 0, "the benchmark's database was left behind"
