"""The console's tests again on PostgreSQL (sign-in, sessions, row-value keysets, filters, the
pg_trgm search): the same test functions, with the ``config`` fixture pointing at a fresh
PostgreSQL database. Needs TEST_POSTGRES_URL (see test_postgres.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Config
from tests.test_console import (
    test_a_head_removed_mid_session_loses_access_on_the_next_click,
    test_a_head_signs_in_by_the_link_from_chat,
    test_a_link_works_once,
    test_sign_out_everywhere_ends_the_other_browsers_session,
)
from tests.test_console_tickets import (
    filed,
    http,
    test_columns_sort_with_keyset_pages_both_ways,
    test_each_role_sees_its_own_tickets,
    test_filters_select_the_right_rows,
    test_keyset_pages_follow_each_other,
    test_overdue_tickets_are_marked_and_filtered,
    test_search_finds_notes_replies_and_short_chinese,
    test_search_finds_words_inside_descriptions,
)
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)
from tests.test_ticket_handling import client, town

__all__ = [
    "client",
    "filed",
    "http",
    "town",
    "test_a_head_removed_mid_session_loses_access_on_the_next_click",
    "test_a_head_signs_in_by_the_link_from_chat",
    "test_a_link_works_once",
    "test_sign_out_everywhere_ends_the_other_browsers_session",
    "test_columns_sort_with_keyset_pages_both_ways",
    "test_each_role_sees_its_own_tickets",
    "test_filters_select_the_right_rows",
    "test_keyset_pages_follow_each_other",
    "test_overdue_tickets_are_marked_and_filtered",
    "test_search_finds_notes_replies_and_short_chinese",
    "test_search_finds_words_inside_descriptions",
]


@pytest.fixture
def config(config: Config, pg_url: str) -> Config:  # noqa: F811
    return replace(config, database_url=pg_url)
