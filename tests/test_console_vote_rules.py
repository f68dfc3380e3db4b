"""A community's own vote rules at the console, over HTTP as the office uses it: a coordinator
of the whole community adds "Garden works" with htmx (the section swaps in place) and another
rule with a plain form (post/redirect/get); nonsense shares, an empty or taken name are
answered politely in their language and nothing is written; a rule in use is retired, never
changed, and the vote opened with it keeps its thresholds on the Votes pages. A head reads the
rules but cannot add or retire one; a visitor without a session is refused."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.services.flat_claims import FlatRow
from storage.models import Building, VoteRule
from tests.test_console import Http, http, make_http, sign_in
from tests.test_console_votes import main
from tests.test_ticket_handling import HEAD, OFFICE, Town, client, town

__all__ = ["client", "http", "town"]  # fixtures

HTMX = {"HX-Request": "true"}


async def a1(town: Town) -> Building:
    async with town.db.session() as session:
        found = await session.scalar(select(Building).where(Building.code == "A1"))
        assert found is not None
        return found


async def rules(town: Town) -> list[VoteRule]:
    async with town.db.session() as session:
        return list(await session.scalars(select(VoteRule).order_by(VoteRule.id)))


async def rule_count(town: Town) -> int:
    async with town.db.session() as session:
        return int(await session.scalar(select(func.count(VoteRule.id))) or 0)


def form(token: str, community: int, **fields: str) -> dict[str, str]:
    return {"csrf": token, "community": str(community), **fields}


async def test_the_office_adds_and_retires_rules_and_a_vote_keeps_its_thresholds(
    town: Town, http: Http
) -> None:
    building = await a1(town)
    community = building.community_id
    token = await sign_in(town, http, OFFICE)  # a coordinator of the whole community (zh-hans)
    page = main(await (await http.get("/console/votes")).text())
    assert 'id="vote-rules"' in page and "塘中社区的表决规则" in page
    assert "尚无自定义规则" in page and 'name="turnout"' in page

    # Added with htmx: the section comes back in place, with the rule and its thresholds.
    added = await http.post(
        "/console/votes/rules",
        data=form(
            token, community, action="add", name=" Garden  works ", turnout="3/5", approve="2/3"
        ),
        headers=HTMX,
    )
    section = await added.text()
    assert added.status == 200
    assert '<section class="card" id="vote-rules">' in section and "<main" not in section
    assert "规则“Garden works”已添加" in section
    assert "面积占比 ≥ 3/5" in section and "人数 ≥ 2/3" in section and "尚未使用" in section
    [garden] = await rules(town)
    assert (garden.name, garden.turnout, garden.approve) == ("Garden works", "3/5", "2/3")
    assert not garden.approve_strict and not garden.turnout_strict

    # Nonsense is answered politely and writes nothing (htmx: the section with the notice).
    for turnout, approve in (
        ("4/3", "1/2"),
        ("0", "1/2"),
        ("-1/2", "1/2"),
        ("1/2", "abc"),
        ("1/2", "150%"),
        ("1/0", "1/2"),
    ):
        refused = await http.post(
            "/console/votes/rules",
            data=form(token, community, action="add", name="Bad", turnout=turnout, approve=approve),
            headers=HTMX,
        )
        text = await refused.text()
        assert refused.status == 200 and "不是可用的比例" in text, (turnout, approve)
        assert 'value="Bad"' in text  # what was typed stays in the form
    for name, said in (
        ("  ", "简短的名称"),
        ("garden WORKS", "已有名为“garden WORKS”"),
        ("Major", "已有名为“Major”"),
        ("x" * 41, "简短的名称"),
    ):
        refused = await http.post(
            "/console/votes/rules",
            data=form(token, community, action="add", name=name, turnout="1/2", approve="1/2"),
            headers=HTMX,
        )
        assert said in await refused.text(), name
    # Without htmx: the whole page with the notice, a 400.
    plain = await http.post(
        "/console/votes/rules",
        data=form(token, community, action="add", name="Bad", turnout="2", approve="1/2"),
    )
    assert plain.status == 400 and "不是可用的比例" in main(await plain.text())
    assert await rule_count(town) == 1

    # A plain form: post/redirect/get; a strict approval reads "> 1/2", 51% reads 51/100.
    done = await http.post(
        "/console/votes/rules",
        data=form(
            token,
            community,
            action="add",
            name="Roof repairs",
            turnout="51%",
            approve="1/2",
            approve_strict="1",
        ),
        allow_redirects=False,
    )
    assert done.status == 303
    assert done.headers["Location"] == f"/console/votes?community={community}#vote-rules"
    roof = (await rules(town))[1]
    assert (roof.turnout, roof.approve, roof.approve_strict) == ("51/100", "1/2", True)
    assert "人数 &gt; 1/2" in main(await (await http.get(done.headers["Location"])).text())

    # The head of A1 opens a vote with "Roof repairs"; then the office retires it.
    assert await town.world.services.flats.import_flats([FlatRow("A1", "101", "50")]) == 1
    vote = await town.world.services.votes.open_vote(
        await town.person(HEAD),
        building.id,
        "Fix the roof?",
        ["Yes", "No"],
        f"c{roof.id}",
        7,
        yes_no=True,
    )
    retired = await http.post(
        "/console/votes/rules",
        data=form(token, community, action="retire", rule=str(roof.id)),
        headers=HTMX,
    )
    section = await retired.text()
    assert "规则“Roof repairs”已停用" in section and "已用于 1 次表决" in section
    block = re.search(rf'data-rule="{roof.id}">(.*?)</div>', section, re.S)
    assert block and "已停用" in block.group(1) and "action" not in block.group(1)
    again = await http.post(
        "/console/votes/rules",
        data=form(token, community, action="retire", rule=str(roof.id)),
        headers=HTMX,
    )
    assert "规则“Roof repairs”已停用，请选择其他规则" in await again.text()
    [_, kept] = await rules(town)
    assert kept.retired_at is not None and (kept.turnout, kept.approve) == ("51/100", "1/2")

    # The vote keeps the thresholds it was opened with, by the rule's name.
    listed = main(await (await http.get("/console/votes")).text())
    row = re.search(rf'<tr class="vote" data-vote="{vote.id}">(.*?)</tr>', listed, re.S)
    assert row and "Roof repairs" in row.group(1)
    shown = main(await (await http.get(f"/console/votes/{vote.id}")).text())
    assert "规则：“Roof repairs”" in shown and "面积占比 ≥ 51/100" in shown
    assert "要求 ≥ 51/100" in shown  # the turnout line against its kept need


async def test_a_head_reads_the_rules_but_cannot_change_them(town: Town, http: Http) -> None:
    building = await a1(town)
    community = building.community_id
    office = await sign_in(town, http, OFFICE)
    await http.post(
        "/console/votes/rules",
        data=form(
            office, community, action="add", name="Garden works", turnout="3/5", approve="2/3"
        ),
        headers=HTMX,
    )
    [garden] = await rules(town)
    async with make_http(town.client) as head_pc:
        token = await sign_in(town, head_pc, HEAD)
        page = main(await (await head_pc.get("/console/votes")).text())
        assert "Garden works" in page and "Only the community&#39;s coordinators" in page
        assert 'name="turnout"' not in page and "Retire" not in page
        added = await head_pc.post(
            "/console/votes/rules",
            data=form(token, community, action="add", name="Mine", turnout="1/2", approve="1/2"),
            headers={"Accept-Language": "en"},
        )
        assert added.status == 403
        retired = await head_pc.post(
            "/console/votes/rules",
            data=form(token, community, action="retire", rule=str(garden.id)),
        )
        assert retired.status == 403
    # Without a session (a resident has none): refused before anything is read.
    async with make_http(town.client) as stranger:
        refused = await stranger.post(
            "/console/votes/rules",
            data={"community": str(community), "action": "retire", "rule": str(garden.id)},
            headers={"Accept-Language": "en"},
        )
        assert refused.status in (401, 403)
    [still] = await rules(town)
    assert still.retired_at is None and await rule_count(town) == 1
