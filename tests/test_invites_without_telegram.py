"""The console without a Telegram door (no BOT_TOKEN, no BOT_USERNAME: the no-token run):
invitations are accepted only by the Telegram door's /start link, so the Buildings page
offers none and says why, and a posted invitation (a stale page, a forged form) is refused
politely in the viewer's language and writes no invitation: ``https://t.me/?start=…`` would
open nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Config
from tests.test_console import Http, http, sign_in
from tests.test_console_desk import EN, building, count_invitations, staff_of
from tests.test_ticket_handling import OFFICE, Town, client, town

__all__ = ["client", "http", "town"]  # fixtures


@pytest.fixture
def config(config: Config) -> Config:
    """The conftest's configuration without a bot username; the console gets no bot to ask
    (tests/test_console.py wires it as the no-token run does)."""
    return replace(config, bot_username=None)


async def test_the_buildings_page_offers_no_invitation_and_says_why(town: Town, http: Http) -> None:
    await sign_in(town, http, OFFICE)
    text = await (await http.get("/console/buildings")).text()
    assert '/invite"' not in text and ">邀请楼长</button>" not in text
    assert "请设置 BOT_TOKEN" in text  # the coordinator's Chinese
    assert "撤销" in text  # removing needs no link: still offered


async def test_a_posted_invitation_is_refused_and_writes_nothing(town: Town, http: Http) -> None:
    token = await sign_in(town, http, OFFICE)
    b1 = await building(town, "B1")
    invitations = await count_invitations(town)
    page = await http.post(
        f"/console/buildings/{b1.id}/invite", data={"csrf": token, "role": "head"}
    )
    text = await page.text()
    assert page.status == 400 and "请设置 BOT_TOKEN" in text
    assert "t.me" not in text and "一次性链接" not in text
    english = await http.post(
        f"/console/buildings/{b1.id}/invite", data={"csrf": token, "role": "deputy"}, headers=EN
    )
    # The viewer's language is their own, not the browser's.
    assert english.status == 400 and "请设置 BOT_TOKEN" in await english.text()
    assert await count_invitations(town) == invitations
    assert await staff_of(town, "B1") == set()
