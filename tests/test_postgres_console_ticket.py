"""The ticket page's actions again on PostgreSQL: the same test functions, with the ``config``
fixture pointing at a fresh PostgreSQL database. Needs TEST_POSTGRES_URL (see test_postgres.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Config
from tests.test_console_ticket import (
    http,
    test_a_coordinator_escalates_merges_and_assigns,
    test_a_head_takes_replies_and_resolves_from_the_web,
    test_a_stale_page_is_refused_and_changes_nothing,
    test_the_office_forwards_outside_and_records_the_answer,
)
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)
from tests.test_ticket_handling import client, town

__all__ = [
    "client",
    "http",
    "town",
    "test_a_coordinator_escalates_merges_and_assigns",
    "test_a_head_takes_replies_and_resolves_from_the_web",
    "test_a_stale_page_is_refused_and_changes_nothing",
    "test_the_office_forwards_outside_and_records_the_answer",
]


@pytest.fixture
def config(config: Config, pg_url: str) -> Config:  # noqa: F811
    return replace(config, database_url=pg_url)
