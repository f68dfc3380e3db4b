"""The console's tests again on PostgreSQL (sign-in, sessions, row-value keysets, filters, the
pg_trgm search): the same test functions, with the ``config`` fixture pointing at a fresh
PostgreSQL database. Needs TEST_POSTGRES_URL (see test_postgres.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.config import Config
from storage.models import VoteRule
from storage.repositories.vote_rules import VoteRuleRepository
from tests.botclient import BotClient
from tests.test_console import (
    make_http,
    sign_in,
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
from tests.test_console_vote_rules import a1, rules
from tests.test_postgres import pg_url, pytestmark  # noqa: F401 (the fixture and the skip)
from tests.test_ticket_handling import OFFICE, Town, client, town

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


async def test_a_rule_added_twice_at_once_is_one_rule_and_a_polite_answer(
    town: Town, client: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click on "Add" (or two colleagues at once): both posts read that the community
    has no rule of that name yet, then both write one. The second met the unique name and was
    a server error; now it is answered as a taken name, and one rule is written."""
    both_read = asyncio.Barrier(2)
    original = VoteRuleRepository.named

    async def named(self: VoteRuleRepository, community_id: int, name: str) -> VoteRule | None:
        found = await original(self, community_id, name)
        await both_read.wait()
        return found

    monkeypatch.setattr(VoteRuleRepository, "named", named)
    building = await a1(town)
    async with make_http(client) as http:
        token = await sign_in(town, http, OFFICE)
        fields = {"csrf": token, "community": str(building.community_id), "action": "add"}
        fields |= {"name": "Garden works", "turnout": "3/5", "approve": "2/3"}
        answers = await asyncio.gather(
            *(http.post("/console/votes/rules", data=fields, allow_redirects=False) for _ in "ab")
        )
        statuses = sorted(answer.status for answer in answers)
        assert statuses == [303, 400]
        [refused] = [answer for answer in answers if answer.status == 400]
        assert "已有名为“Garden works”" in await refused.text()
    assert [rule.name for rule in await rules(town)] == ["Garden works"]
