"""A community's own vote rule, driven as the people involved would: the office defines
"Garden works" (3/5 take part, at least 2/3 approve), the head of A1 picks it in /vote's rule
step among the presets, the summary, the ballots and the result show its name and thresholds,
and the vote passes on exactly 2/3 of the owners (the major preset's 3/4 would not). Retiring
the rule while the vote is open changes nothing for that vote (it keeps its thresholds) and
takes it off the next vote's buttons. Forged presses choosing another community's rule, a
retired rule or nonsense are refused politely and open nothing."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select

from bot.services.access import Coverage
from handlers.votes import RULES_PER_PAGE, VoteAction, VoteCb
from storage.models import Building, Vote, VoteRule, VoteStatus
from storage.repositories import CommunityRepository
from tests.botclient import Sent
from tests.test_ticket_handling import (
    HEAD,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    Town,
    answer,
    client,
    one,
    to,
    town,
)
from tests.test_votes import QUESTION, THIRD, ballot_of, owners

__all__ = ["client", "owners", "town"]  # fixtures

GARDEN = "📐 Garden works"


async def community_of_a1(town: Town) -> int:
    async with town.db.session() as session:
        a1 = await session.scalar(select(Building).where(Building.code == "A1"))
        assert a1 is not None
        return a1.community_id


async def define(town: Town, community_id: int, name: str, turnout: str, approve: str) -> int:
    """The office's rule, as the console's form defines it (tested over HTTP elsewhere)."""
    office = Coverage(community_ids=frozenset({community_id}))
    row = await town.world.services.vote_rules.define(
        office, town.ids[OFFICE], community_id, name, turnout, approve, approve_strict=False
    )
    return row.id


async def rule_step(town: Town) -> Sent:
    """The head of A1 at the rule step of a yes/no question."""
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    options = one(await town.send(HEAD, QUESTION), HEAD)
    return one(await town.click(HEAD, options, "Yes / No"), HEAD)


async def votes(town: Town) -> list[Vote]:
    async with town.db.session() as session:
        return list(await session.scalars(select(Vote).order_by(Vote.id)))


def texts(sent: list[Sent]) -> str:
    return "\n".join(s.text or "" for s in sent)


async def test_a_community_rule_decides_a_vote_and_the_vote_keeps_its_thresholds(
    owners: Town,
) -> None:
    town = owners
    community_id = await community_of_a1(town)
    rule_id = await define(town, community_id, "Garden works", "60%", "2/3")

    rule = await rule_step(town)
    assert rule.buttons == [
        "Major matter (lift, repairs fund): ¾",
        "Ordinary matter: more than half",
        GARDEN,
    ]
    days = one(await town.click(HEAD, rule, GARDEN), HEAD)
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    assert "“Garden works”" in summary.text
    assert "≥ 3/5 of the area and ≥ 3/5 of the owners take part" in summary.text
    assert "≥ 2/3 of the participating area and owners approve" in summary.text
    assert "is open" in one(await town.click(HEAD, summary, "✅ Open the vote"), HEAD).text
    [vote] = await votes(town)
    assert vote.rule == "custom"
    kept = {
        "id": rule_id,
        "name": "Garden works",
        "turnout": "3/5",
        "approve": "2/3",
        "turnout_strict": False,
        "approve_strict": False,
    }
    assert vote.rule_spec == kept
    await town.deliver()

    paper = await ballot_of(town, RESIDENT)
    assert "“Garden works”" in paper.text
    for who, choice in ((RESIDENT, "Yes"), (NEIGHBOUR, "Yes"), (THIRD, "No")):
        await town.click(who, await ballot_of(town, who), choice)

    # The office retires the rule while the vote is open: the vote keeps its thresholds, and
    # the next vote is not offered the rule.
    office = Coverage(community_ids=frozenset({community_id}))
    await town.world.services.vote_rules.retire(office, rule_id)
    rule = await rule_step(town)
    assert GARDEN not in rule.buttons
    await town.send(HEAD, "/vote")  # leaves the flow

    clock = town.world.clock
    clock.now = vote.deadline + timedelta(minutes=1)
    assert await town.world.services.votes.run() == 5
    told = await town.deliver()
    result = one(told, RESIDENT).text
    assert "✅" in result and "Passed" in result
    assert "“Garden works”" in result
    assert "Owners taking part: 3 of 4 (75.0%), needs ≥ 3/5: met" in result
    # Exactly 2 of 3 participating owners: enough at "at least 2/3" (not at the major 3/4).
    assert "Approving owners: 2 of 3 (66.7%), needs ≥ 2/3: met" in result
    assert "规则：“Garden works”" in one(told, 503).text  # FOURTH reads Chinese
    [closed] = await votes(town)
    assert closed.status is VoteStatus.CLOSED and closed.rule_spec == kept
    assert closed.result is not None and closed.result["passed"] is True
    async with town.db.session() as session:
        retired = await session.get(VoteRule, rule_id)
        assert retired is not None and retired.retired_at is not None
        assert (retired.turnout, retired.approve) == ("3/5", "2/3")  # never edited


async def test_forged_choices_of_a_foreign_or_retired_rule_are_refused(owners: Town) -> None:
    town = owners
    community_id = await community_of_a1(town)
    async with town.db.session() as session:
        other = await CommunityRepository(session).add(
            "翠湖社区", "Asia/Shanghai", town.world.clock()
        )
        await session.commit()
        other_id = other.id
    foreign = await define(town, other_id, "Roof", "1/2", "1/2")
    old = await define(town, community_id, "Old rule", "1/2", "1/2")
    await town.world.services.vote_rules.retire(Coverage(admin=True), old)

    rule = await rule_step(town)
    assert rule.buttons[2:] == []  # neither the other community's nor the retired rule
    message_id = town.message_id(rule)
    for value, said in (
        (f"c{foreign}", "not one of this community's rules"),
        (f"c{old}", "“Old rule” has been retired"),
        ("c99999", "not one of this community's rules"),
        ("c1x", "not one of this community's rules"),
        ("minor", "not one of this community's rules"),
    ):
        forged = VoteCb(action=VoteAction.RULE, value=value).pack()
        sent = await town.press(HEAD, forged, message_id, rule.text)
        assert said in answer(sent), value
        assert not [s for s in to(sent, HEAD) if "How long" in (s.text or "")]
    # The step is still where it was: a real button goes on; nothing was opened.
    days = one(await town.click(HEAD, rule, "Ordinary matter: more than half"), HEAD)
    assert days.buttons[:1] == ["3 days"]
    assert await votes(town) == []


async def test_a_rule_retired_between_the_choice_and_the_opening_opens_nothing(
    owners: Town,
) -> None:
    town = owners
    community_id = await community_of_a1(town)
    rule_id = await define(town, community_id, "Garden works", "3/5", "2/3")
    rule = await rule_step(town)
    days = one(await town.click(HEAD, rule, GARDEN), HEAD)
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    await town.world.services.vote_rules.retire(Coverage(admin=True), rule_id)
    sent = await town.click(HEAD, summary, "✅ Open the vote")
    assert "“Garden works” has been retired" in texts(sent)
    assert await votes(town) == []


async def test_a_community_of_many_rules_pages_the_rule_step(owners: Town) -> None:
    """The office defined 110 rules, more than a keyboard holds: the rule step shows ten a page
    with ‹ ›, every rule reachable and chosen from the last page; a forged page shows
    the first, a page button after the step is stale and changes nothing."""
    town = owners
    community_id = await community_of_a1(town)
    names = [f"Rule {n:03}" for n in range(110)]
    for name in names:
        await define(town, community_id, name, "1/2", "1/2")
    page = await rule_step(town)
    reachable: list[str] = []
    while True:
        markup = getattr(page.method, "reply_markup", None)
        assert isinstance(markup, InlineKeyboardMarkup)
        data = [b.callback_data or "" for row in markup.inline_keyboard for b in row]
        assert len(data) <= RULES_PER_PAGE + 2 <= 100 and all(len(d.encode()) <= 64 for d in data)
        reachable += [b for b in page.buttons if b not in ("‹", "›")]
        if "›" not in page.buttons:
            break
        page = one(await town.click(HEAD, page, "›"), HEAD, "EditMessageReplyMarkup")
    presets = ["Major matter (lift, repairs fund): ¾", "Ordinary matter: more than half"]
    assert reachable == presets + [f"📐 {name}" for name in names]
    days = one(await town.click(HEAD, page, "📐 Rule 109"), HEAD)
    assert "7 days" in days.buttons
    # Back at the rule step: a word for a page shows the first page.
    page = await rule_step(town)
    forged = await town.press(HEAD, VoteCb(action=VoteAction.RULE_PAGE, value="lots").pack())
    assert answer(forged) == ""
    first = one(forged, HEAD, "EditMessageReplyMarkup")
    assert first.buttons[:2] == presets and "‹" not in first.buttons
    await town.send(HEAD, "/vote")  # leaves the flow
    stale = await town.click(HEAD, page, "›")
    assert "no longer valid" in answer(stale)
    assert not to(stale, HEAD, "EditMessageReplyMarkup")
    assert await votes(town) == []
