"""The console's Buildings, Numbers, Settings and exports again on PostgreSQL (grouped counts,
the digest's medians by window functions, the list's keyset walk for a download): the same test
functions, with the ``config`` fixture pointing at a fresh PostgreSQL database. Needs
TEST_POSTGRES_URL (see test_postgres.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Config
from tests.test_console import http
from tests.test_console_desk import (
    test_a_coordinator_changes_a_setting_and_a_bad_value_changes_nothing,
    test_a_coordinator_sees_every_building_the_headless_first,
    test_any_period_and_a_head_gets_their_buildings_only,
    test_removing_a_head_asks_first_then_hands_their_tickets_over,
    test_the_numbers_are_the_digests_for_the_same_period,
)
from tests.test_console_exports import (
    filed,
    test_the_list_downloads_with_its_filters_as_xlsx_and_csv,
)
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)
from tests.test_ticket_handling import client, town

__all__ = [
    "client",
    "filed",
    "http",
    "town",
    "test_a_coordinator_changes_a_setting_and_a_bad_value_changes_nothing",
    "test_a_coordinator_sees_every_building_the_headless_first",
    "test_any_period_and_a_head_gets_their_buildings_only",
    "test_removing_a_head_asks_first_then_hands_their_tickets_over",
    "test_the_numbers_are_the_digests_for_the_same_period",
    "test_the_list_downloads_with_its_filters_as_xlsx_and_csv",
]


@pytest.fixture
def config(config: Config, pg_url: str) -> Config:  # noqa: F811
    return replace(config, database_url=pg_url)
