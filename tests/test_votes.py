"""Building votes driven as the people involved would: the office imports A1's flats, four
residents claim theirs with /flat and the head confirms (or declines) in /flats; the head opens
a lift vote in /vote (reach shown first); owners cast, change and get a receipt; the one who
has not voted is reminded (not in quiet hours, at most twice); at the deadline the scheduler
closes it and every resident reads the result with each threshold against its figure (3/4 met
by area but not by owners: not passed). Nobody's choice is shown to the head. Forged presses,
someone else's flat, a late press, a sticker and an unknown flat change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.flat_claims import FlatRow
from handlers.votes import BallotCb, FlatAction, FlatCb
from storage.models import (
    Ballot,
    ClaimStatus,
    Flat,
    FlatClaim,
    Membership,
    PointsEntry,
    PointsReason,
    Role,
    Vote,
    VoteStatus,
)
from tests.botclient import Sent
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STICKER,
    STRANGER,
    Town,
    answer,
    one,
    to,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

THIRD, FOURTH = 502, 503
# 60 + 20 + 10 + 10 = 100 m²; areas as the CSV writes them.
FLATS = [("A1", "101", "60"), ("A1", "102", "20.00"), ("A1", "103", "10"), ("A1", "104", "10")]
QUESTION = "Install a lift in building 1?"


async def flats(town: Town) -> dict[str, Flat]:
    async with town.db.session() as session:
        return {f.code: f for f in await session.scalars(select(Flat))}


async def ballots(town: Town) -> list[Ballot]:
    async with town.db.session() as session:
        return list(await session.scalars(select(Ballot).order_by(Ballot.id)))


async def the_vote(town: Town) -> Vote:
    async with town.db.session() as session:
        vote: Vote | None = await session.scalar(select(Vote))
        assert vote is not None
        return vote


async def claim(town: Town, who: int, flat: str) -> None:
    await town.send(who, "/flat")
    sent = await town.send(who, flat)
    assert flat in one(sent, who).text


async def confirm_all(town: Town, approve: bool = True) -> None:
    cards = to(await town.send(HEAD, "/flats"), HEAD)
    for card in cards:
        pressed = await town.click(HEAD, card, "✅ Confirm owner" if approve else "❌ Decline")
        answer(pressed)


@pytest.fixture
async def owners(town: Town) -> Town:
    """A1's flats imported; RESIDENT owns 101, NEIGHBOUR 102, THIRD 103, FOURTH 104."""
    c = town.client
    town.users[THIRD] = await town.world.join(c.user(THIRD, "en", "Granny"), "A1")
    town.users[FOURTH] = await town.world.join(c.user(FOURTH, "zh-hans", "Lao Liu"), "A1")
    for tg in (THIRD, FOURTH):
        town.ids[tg] = (await town.person(tg)).id
    assert await town.world.services.flats.import_flats([FlatRow(*row) for row in FLATS]) == 4
    for who, flat in ((RESIDENT, "101"), (NEIGHBOUR, "102"), (THIRD, "103"), (FOURTH, "104")):
        await claim(town, who, flat)
    told = await town.deliver()
    # The head and the deputy of A1 hear of each claim, nobody else.
    assert {s.method.chat_id for s in told} == {HEAD, DEPUTY}  # type: ignore[attr-defined]
    assert len(to(told, HEAD)) == 4
    await confirm_all(town)
    told = await town.deliver()
    assert "confirmed that you own flat 101" in one(told, RESIDENT).text
    owned = await flats(town)
    assert owned["101"].owner_id == town.ids[RESIDENT]
    assert owned["104"].owner_id == town.ids[FOURTH]
    return town


async def open_lift_vote(town: Town) -> Sent:
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    asked = one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    assert "What is the question" in asked.text
    options = one(await town.send(HEAD, QUESTION), HEAD)
    rule = one(await town.click(HEAD, options, "Yes / No"), HEAD)
    days = one(await town.click(HEAD, rule, "Major matter (lift, repairs fund): ¾"), HEAD)
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    assert "4 flats count; 4 have a confirmed owner" in summary.text
    assert "≥ 3/4" in summary.text
    return one(await town.click(HEAD, summary, "✅ Open the vote"), HEAD)


async def ballot_of(town: Town, who: int) -> Sent:
    return one(await town.send(who, "/vote"), who)


async def test_claim_open_cast_change_remind_close(owners: Town) -> None:
    town = owners
    opened = await open_lift_vote(town)
    assert "is open" in opened.text
    told = await town.deliver()
    for who in (RESIDENT, NEIGHBOUR, THIRD):
        assert QUESTION in one(told, who).text
    assert "新表决" in one(told, FOURTH).text
    assert not to(told, STRANGER)  # B1 is not asked

    # RESIDENT says No, then changes to Yes: one ballot, the same receipt.
    paper = await ballot_of(town, RESIDENT)
    assert paper.buttons == ["Yes", "No"]
    first = await town.click(RESIDENT, paper, "No")
    receipt = [s for s in to(first, RESIDENT) if "Receipt" in s.text][0].text
    changed = await town.click(RESIDENT, paper, "Yes")
    again = [s for s in to(changed, RESIDENT) if "changed to: Yes" in s.text][0].text
    assert receipt.split("Receipt ")[1][:8] == again.split("Receipt ")[1][:8]
    await town.click(NEIGHBOUR, await ballot_of(town, NEIGHBOUR), "Yes")
    await town.click(THIRD, await ballot_of(town, THIRD), "No")
    assert sorted(b.choice for b in await ballots(town)) == [0, 0, 1]

    # The head sees turnout, never a name or a choice.
    progress = to(await town.send(HEAD, "/vote"), HEAD)
    shown = "\n".join(s.text for s in progress)
    assert "Owners taking part: 3 of 4 (75.0%)" in shown
    assert "Auntie" not in shown and "Yes:" not in shown and "101" not in shown

    # A third of the time gone, in the community's evening quiet hours: no reminder yet.
    vote = await the_vote(town)
    clock = town.world.clock
    clock.now = vote.created_at + (vote.deadline - vote.created_at) / 3
    clock.now = clock.now.replace(hour=15)  # 23:00 in Shanghai
    assert await town.world.services.votes.run() == 0
    clock.advance(hours=12)  # 11:00 in Shanghai
    assert await town.world.services.votes.run() == 1
    assert await town.world.services.votes.run() == 0  # claimed once
    told = await town.deliver()
    assert "还没有" in one(told, FOURTH).text  # only the owner who has not voted
    assert [s for s in told if s.method.chat_id != FOURTH] == []  # type: ignore[attr-defined]

    # Past the deadline: closed once, the result to every resident and the head.
    clock.now = vote.deadline + timedelta(minutes=1)
    written = await town.world.services.votes.run()
    assert written == 5  # four residents and the head
    assert await town.world.services.votes.run() == 0
    told = await town.deliver()
    result = one(told, RESIDENT).text
    assert "❌ Not passed" in result
    assert "Area taking part (m²): 90.00 of 100.00 (90.0%), needs ≥ 2/3: met" in result
    assert "Approving area (m²): 80.00 of 90.00 (88.9%), needs ≥ 3/4: met" in result
    assert "Approving owners: 2 of 3 (66.7%), needs ≥ 3/4: not met" in result
    assert "Yes: 2 flats, 80.00 m²" in result
    assert "101" not in result and "Auntie" not in result
    assert (
        "未通过" in one(told, FOURTH).text
        and "\n同意：2 户，80.00 平方米" in one(told, FOURTH).text
    )
    assert "Not passed" in one(told, HEAD).text
    vote = await the_vote(town)
    assert vote.status is VoteStatus.CLOSED and vote.result is not None
    assert vote.result["passed"] is False
    # The points bank: each owner who took part earns points_per_vote (1) once; the one who
    # did not, nothing; and the entry says they took part, not what they chose.
    points = one(await town.send(RESIDENT, "/points"), RESIDENT).text
    assert "Your points: 1" in points and "took part in a vote" in points
    assert "Yes" not in points and "No" not in points
    async with town.db.session() as session:
        paid = await session.scalars(
            select(PointsEntry.points).where(PointsEntry.reason == PointsReason.VOTE)
        )
        assert list(paid) == [1, 1, 1]
    assert await town.world.services.votes.run() == 0  # nothing paid twice

    # A late ballot changes nothing.
    late = await town.click(RESIDENT, paper, "No")
    assert "closed" in answer(late) or "closed" in "\n".join(s.text for s in late)
    assert sorted(b.choice for b in await ballots(town)) == [0, 0, 1]


async def test_refusals_change_nothing(owners: Town) -> None:
    town = owners
    await open_lift_vote(town)
    vote = await the_vote(town)
    owned = await flats(town)
    # Someone else's flat, a stranger, a forged option: refused, no ballot.
    forged = BallotCb(vote=vote.id, flat=owned["102"].id, choice=0).pack()
    sent = await town.press(RESIDENT, forged)
    assert "Only the confirmed owner of flat 102" in "\n".join(s.text for s in sent)
    sent = await town.press(STRANGER, forged)
    assert "Only the confirmed owner" in "\n".join(s.text for s in sent)
    out_of_range = BallotCb(vote=vote.id, flat=owned["101"].id, choice=7).pack()
    await town.press(RESIDENT, out_of_range)
    assert await ballots(town) == []
    # A resident cannot decide claims, nor open votes.
    await town.send(STRANGER, "/flat")
    await town.send(STRANGER, "101")  # not a flat of B1
    async with town.db.session() as session:
        assert await session.scalar(select(FlatClaim).where(FlatClaim.status == "pending")) is None
    # The head of another building cannot confirm A1's claims.
    await town.send(RESIDENT, "/flat")
    await town.send(RESIDENT, "103")  # owned by THIRD: a rival claim, waiting
    async with town.db.session() as session:
        rival = await session.scalar(select(FlatClaim).where(FlatClaim.status == "pending"))
        assert rival is not None
    sent = await town.press(HEAD2, FlatCb(action=FlatAction.APPROVE, id=rival.id).pack())
    assert "not allowed" in "\n".join(s.text for s in sent)
    assert "\n".join(s.text for s in to(await town.send(HEAD2, "/flats"), HEAD2)).count("103") == 0
    assert (await flats(town))["103"].owner_id == town.ids[THIRD]
    fake = FlatCb(action=FlatAction.APPROVE, id=1).pack()
    sent = await town.press(RESIDENT, fake)
    assert "for building heads" in "\n".join(s.text for s in sent)
    async with town.db.session() as session:
        waiting = select(FlatClaim).where(FlatClaim.status == "pending")
        assert [c.id for c in await session.scalars(waiting)] == [rival.id]
    # The stranger (B1) has no ballot and no organiser's view of A1's vote.
    [none] = to(await town.send(STRANGER, "/vote"), STRANGER)
    assert "no open vote" in none.text and QUESTION not in none.text


async def test_flat_step_refuses_a_sticker_and_an_unknown_flat(town: Town) -> None:
    await town.world.services.flats.import_flats([FlatRow(*row) for row in FLATS])
    await town.send(RESIDENT, "/flat")
    assert "text" in one(await town.send(RESIDENT, sticker=STICKER), RESIDENT).text
    assert "not on the list" in one(await town.send(RESIDENT, "999"), RESIDENT).text
    # The step is still open: the right flat goes through.
    assert "flat 101" in one(await town.send(RESIDENT, "101"), RESIDENT).text
    await town.deliver()
    await confirm_all(town, approve=False)
    told = await town.deliver()
    assert "could not confirm" in one(told, RESIDENT).text
    assert (await flats(town))["101"].owner_id is None
    async with town.db.session() as session:
        [settled] = await session.scalars(select(FlatClaim))
        assert settled.status is ClaimStatus.DECLINED
    # The same card pressed again: already decided.
    sent = await town.press(HEAD, FlatCb(action=FlatAction.APPROVE, id=settled.id).pack())
    assert "already decided" in "\n".join(s.text for s in sent)
    assert (await flats(town))["101"].owner_id is None
    # Nobody owns a flat: /vote says how to get one.
    assert "/flat" in one(await town.send(RESIDENT, "/vote"), RESIDENT).text


async def test_a_final_refusal_of_a_claim_ends_the_flat_step(owners: Town) -> None:
    """ "Flat 101 is already confirmed as yours" asks nothing more: the resident's next words
    (to their head) are not read as another flat number and refused."""
    town = owners
    await town.send(RESIDENT, "/flat")
    mine = one(await town.send(RESIDENT, "101"), RESIDENT)
    assert mine.text == "Flat 101 is already confirmed as yours."
    said = one(await town.send(RESIDENT, "The lift in A1 is stuck again"), RESIDENT)
    assert "flat number" not in said.text
    async with town.db.session() as session:
        waiting = select(FlatClaim).where(FlatClaim.status == "pending")
        assert list(await session.scalars(waiting)) == []


async def test_a_head_election_and_the_winner_invited_in_one_press(owners: Town) -> None:
    town = owners
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    await town.click(HEAD, organiser, "➕ Open a new vote")
    options = one(await town.send(HEAD, "Who should be our building head?"), HEAD)
    asked = one(await town.click(HEAD, options, "🗳 Head election (candidates)"), HEAD)
    assert "candidates" in asked.text
    # A name that is nobody's: refused, the step stays open.
    assert "Nobody" in one(await town.send(HEAD, "Auntie 500\nNobody"), HEAD).text
    rule = one(await town.send(HEAD, "auntie 500\nGranny 502"), HEAD)
    days = one(await town.click(HEAD, rule, "Ordinary matter: more than half"), HEAD)
    summary = one(await town.click(HEAD, days, "3 days"), HEAD)
    assert "Auntie 500 / Granny 502" in summary.text
    await town.click(HEAD, summary, "✅ Open the vote")
    vote = await the_vote(town)
    assert vote.candidates == [town.ids[RESIDENT], town.ids[THIRD]]
    await town.deliver()
    for who, choice in ((RESIDENT, "Auntie 500"), (NEIGHBOUR, "Auntie 500"), (THIRD, "Granny 502")):
        await town.click(who, await ballot_of(town, who), choice)

    town.world.clock.now = vote.deadline + timedelta(minutes=1)
    await town.world.services.votes.run()
    told = await town.deliver()
    assert "✅ Passed: Auntie 500" in one(told, RESIDENT).text
    assert "/vote" in one(told, OFFICE).text  # the office is told how to invite
    # The head cannot appoint heads: no invite button for them.
    assert all(
        s.buttons[:1] != ["👤 Invite Auntie 500 as head"]
        for s in to(await town.send(HEAD, "/vote"), HEAD)
    )
    invite = "👤 邀请 Auntie 500 担任楼长"
    [result] = [s for s in to(await town.send(OFFICE, "/vote"), OFFICE) if invite in s.buttons]
    pressed = await town.click(OFFICE, result, "👤 邀请 Auntie 500 担任楼长")
    assert "Auntie 500" in one(pressed, OFFICE).text
    again = await town.click(OFFICE, result, "👤 邀请 Auntie 500 担任楼长")
    assert "已经邀请过" in "\n".join(s.text for s in again)
    invitation = one(await town.deliver(), RESIDENT).text
    assert "elected building head" in invitation
    payload = invitation.split("?start=")[1].split()[0]
    await town.send(RESIDENT, f"/start {payload}")
    async with town.db.session() as session:
        roles = await session.scalars(
            select(Membership.role).where(Membership.person_id == town.ids[RESIDENT])
        )
        assert Role.HEAD in set(roles)


# Flats 101: 60 m² (RESIDENT), 102: 20 (NEIGHBOUR), 103: 10 (THIRD), 104: 10 (FOURTH).
EDGES = [
    # turnout 2/3 met by area (80 of 100 m²) but not by owners (2 of 4)
    (
        {RESIDENT: "Yes", NEIGHBOUR: "Yes"},
        [
            "Area taking part (m²): 80.00 of 100.00 (80.0%), needs ≥ 2/3: met",
            "Owners taking part: 2 of 4 (50.0%), needs ≥ 2/3: not met",
        ],
        False,
    ),
    # turnout met by owners (3 of 4) but not by area (40 of 100 m²)
    (
        {NEIGHBOUR: "Yes", THIRD: "Yes", FOURTH: "Yes"},
        [
            "Owners taking part: 3 of 4 (75.0%), needs ≥ 2/3: met",
            "Area taking part (m²): 40.00 of 100.00 (40.0%), needs ≥ 2/3: not met",
        ],
        False,
    ),
    # approval 3/4 met by owners (exactly 3 of 4) but not by area (40 of 100 m²)
    (
        {RESIDENT: "No", NEIGHBOUR: "Yes", THIRD: "Yes", FOURTH: "Yes"},
        [
            "Approving owners: 3 of 4 (75.0%), needs ≥ 3/4: met",
            "Approving area (m²): 40.00 of 100.00 (40.0%), needs ≥ 3/4: not met",
        ],
        False,
    ),
    # everything met, approval by owners exactly 3/4
    (
        {RESIDENT: "Yes", NEIGHBOUR: "Yes", THIRD: "Yes", FOURTH: "No"},
        [
            "Approving owners: 3 of 4 (75.0%), needs ≥ 3/4: met",
            "Approving area (m²): 90.00 of 100.00 (90.0%), needs ≥ 3/4: met",
        ],
        True,
    ),
]


@pytest.mark.parametrize(("cast", "lines", "passed"), EDGES)
async def test_thresholds_at_their_edges_in_chat(
    owners: Town, cast: dict[int, str], lines: list[str], passed: bool
) -> None:
    town = owners
    await open_lift_vote(town)
    await town.deliver()
    for who, choice in cast.items():
        # Yes / No in each owner's language.
        label = {"Yes": "同意", "No": "不同意"}[choice] if who == FOURTH else choice
        await town.click(who, await ballot_of(town, who), label)
    town.world.clock.now = (await the_vote(town)).deadline
    await town.world.services.votes.run()
    result = one(await town.deliver(), RESIDENT).text
    for line in lines:
        assert line in result
    assert ("✅ Passed: Yes" in result) is passed
    assert ("❌ Not passed" in result) is not passed


async def test_the_opening_steps_refuse_what_they_cannot_use(owners: Town) -> None:
    town = owners
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    await town.click(HEAD, organiser, "➕ Open a new vote")
    assert "up to 500" in one(await town.send(HEAD, "Lift? " * 100), HEAD).text
    assert "text" in one(await town.send(HEAD, sticker=STICKER), HEAD).text
    options = one(await town.send(HEAD, QUESTION), HEAD)  # the step was still open
    assert "2 to 10 different options" in one(await town.send(HEAD, "Only one"), HEAD).text
    assert "2 to 10" in one(await town.send(HEAD, "Same\nSame"), HEAD).text
    rule = one(await town.send(HEAD, "Lift A\nLift B\nNo lift"), HEAD)
    assert options.buttons and rule.buttons[0].startswith("Major")
    # A rule button of an abandoned flow, after /cancel: refused, nothing opened.
    await town.send(HEAD, "/cancel")
    sent = await town.click(HEAD, rule, rule.buttons[0])
    assert "no longer valid" in answer(sent)
    # A resident has no "new vote" button and cannot reach the steps.
    assert all(
        "➕ Open a new vote" not in s.buttons
        for s in to(await town.send(RESIDENT, "/vote"), RESIDENT)
    )
    async with town.db.session() as session:
        assert await session.scalar(select(Vote)) is None


async def test_a_forged_vote_button_with_a_word_for_a_number_changes_nothing(
    owners: Town,
) -> None:
    """A vote button whose value is text, not a number (garbage callback data): Invite, from
    anyone in any state, and a number of days on the days step, are refused like any
    out-of-date button. Found: both parsed the value with int() and the person read the
    generic apology."""
    town = owners
    invitations = await _invitations(town)
    for who in (RESIDENT, HEAD):
        for value in ("abc", "²", "9" * 30):
            pressed = await town.press(who, f"vo1:invite:{value}")
            assert answer(pressed) == STALE, value
            assert to(pressed, who, "SendMessage") == []
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    await town.click(HEAD, organiser, "➕ Open a new vote")
    options = one(await town.send(HEAD, QUESTION), HEAD)
    rule = one(await town.click(HEAD, options, "Yes / No"), HEAD)
    days = one(await town.click(HEAD, rule, "Major matter (lift, repairs fund): ¾"), HEAD)
    for value in ("abc", "²", "9" * 30, "-3", "0", "100000"):
        pressed = await town.press(HEAD, f"vo1:days:{value}", town.message_id(days), days.text)
        assert answer(pressed) == STALE, value
        assert to(pressed, HEAD, "SendMessage") == []
    # The step still takes a real press, and the vote opens as usual.
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    one(await town.click(HEAD, summary, "✅ Open the vote"), HEAD)
    async with town.db.session() as session:
        [vote] = list(await session.scalars(select(Vote)))
    assert vote.deadline - vote.created_at == timedelta(days=7)
    assert await _invitations(town) == invitations


STALE = "This button is no longer valid. Please use the latest message."


async def _invitations(town: Town) -> int:
    from sqlalchemy import func

    from storage.models import Invitation

    async with town.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Invitation)) or 0)


async def test_the_menu_in_the_middle_of_a_step_does_what_it_says(owners: Town) -> None:
    """The menu stays under the text field while /flat or a new vote's question waits. Found:
    "📋 My tickets" pressed there was taken as the flat number ("does not look like a flat
    number") or as the vote's question, instead of showing the tickets as it does in the
    other flows (and as /my does: the step ends)."""
    town = owners
    claims = await _claims(town)
    await town.send(NEIGHBOUR, "/flat")
    mine = one(await town.send(NEIGHBOUR, "📋 My tickets"), NEIGHBOUR)
    assert mine.text.startswith("You have no tickets yet"), mine.text

    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    await town.click(HEAD, organiser, "➕ Open a new vote")
    mine = one(await town.send(HEAD, "📋 My tickets"), HEAD)
    assert mine.text.startswith("You have no tickets yet"), mine.text
    async with town.db.session() as session:
        assert await session.scalar(select(Vote)) is None
    assert await _claims(town) == claims


async def _claims(town: Town) -> int:
    async with town.db.session() as session:
        return len(list(await session.scalars(select(FlatClaim))))


BUYER = 505


async def test_a_flat_s_new_owner_never_sees_the_previous_owner_s_choice(owners: Town) -> None:
    """102 changes hands while the lift vote is open: NEIGHBOUR had voted No. The ballot
    speaks for the confirmed owner, so it is void; the buyer's /vote shows a blank ballot
    (no "your ballot now", no ✓), and their press is a new ballot with its own receipt."""
    town = owners
    await open_lift_vote(town)
    await town.deliver()
    seller = await town.click(NEIGHBOUR, await ballot_of(town, NEIGHBOUR), "No")
    old = [s for s in to(seller, NEIGHBOUR) if "Receipt" in s.text][0].text
    await town.click(RESIDENT, await ballot_of(town, RESIDENT), "Yes")
    town.users[BUYER] = await town.world.join(town.client.user(BUYER, "en", "Buyer"), "A1")
    town.ids[BUYER] = (await town.person(BUYER)).id
    await claim(town, BUYER, "102")
    await town.deliver()
    await confirm_all(town)
    paper = await ballot_of(town, BUYER)
    assert "flat 102" in paper.text and "Your ballot now" not in paper.text
    assert paper.buttons == ["Yes", "No"]
    told = await town.deliver()
    assert "The ballot you cast for it in the open vote no longer counts" in (
        one(told, NEIGHBOUR).text
    )
    # 102's ballot is void; nobody else's was touched.
    assert [b.choice for b in await ballots(town)] == [0]

    pressed = to(await town.click(BUYER, paper, "Yes"), BUYER)
    receipt = [s for s in pressed if "Receipt" in s.text][0].text
    assert "is recorded: Yes" in receipt and old.split("Receipt ")[1][:8] not in receipt
    assert [b.choice for b in await ballots(town)] == [0, 0]


async def test_a_head_removed_during_his_vote_gets_no_result(owners: Town) -> None:
    """He opened the building's vote, then was removed as its head: /vote shows him nothing of
    it, and at the close the result goes to the owners, not to him."""
    from tests.test_notices import building_id

    town = owners
    await open_lift_vote(town)
    await town.deliver()
    await town.click(RESIDENT, await ballot_of(town, RESIDENT), "Yes")
    office, head = await town.person(OFFICE), await town.person(HEAD)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)
    await town.deliver()
    shown = "\n".join(s.text for s in to(await town.send(HEAD, "/vote"), HEAD))
    assert QUESTION not in shown and "taking part" not in shown

    vote = await the_vote(town)
    town.world.clock.now = vote.deadline + timedelta(minutes=1)
    assert await town.world.services.votes.run() == 4  # the four owners
    told = await town.deliver()
    assert "Not passed" in one(told, RESIDENT).text
    assert to(told, HEAD) == []


async def removed(town: Town, who: int = HEAD) -> None:
    """The office removes ``who`` as A1's head (the chat's /staff)."""
    from tests.test_notices import building_id

    office, head = await town.person(OFFICE), await town.person(who)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)
    await town.deliver()


async def votes_in(town: Town) -> list[Vote]:
    async with town.db.session() as session:
        return list(await session.scalars(select(Vote)))


async def test_a_head_removed_while_typing_the_question_is_told_and_let_go(town: Town) -> None:
    """Found: the steps after the building did not look at the organiser again, so a head
    removed meanwhile went on question, options, rule and days (seeing the building's reach),
    then was refused at Open and kept there; a refusal at a step left the step waiting, and
    every later message was refused again. Now the next step ends the flow, politely."""
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    await removed(town)
    ended = one(await town.send(HEAD, QUESTION), HEAD)
    assert "You can no longer open this vote" in ended.text
    assert "Nothing was created" in ended.text
    assert ended.buttons == []
    # The flow is over: the next words are not read as the question (nor refused again).
    later = await town.send(HEAD, "Thank you")
    assert "no longer open this vote" not in "".join(s.text for s in later)
    assert "What are the options" not in "".join(s.text for s in later)
    assert await votes_in(town) == []


async def test_a_head_removed_before_open_creates_nothing(owners: Town) -> None:
    town = owners
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    options = one(await town.send(HEAD, QUESTION), HEAD)
    rule = one(await town.click(HEAD, options, "Yes / No"), HEAD)
    days = one(await town.click(HEAD, rule, "Major matter (lift, repairs fund): ¾"), HEAD)
    summary = one(await town.click(HEAD, days, "7 days"), HEAD)
    await removed(town)
    pressed = await town.click(HEAD, summary, "✅ Open the vote")
    answer(pressed)  # the button stops spinning
    assert "You can no longer open this vote" in one(pressed, HEAD).text
    # Its button goes with the flow.
    assert any(type(s.method).__name__ == "EditMessageReplyMarkup" for s in pressed)
    assert await votes_in(town) == []
    assert not await town.deliver()  # no resident is asked to vote
    # A second press of the old button: out of date, still nothing.
    again = await town.click(HEAD, summary, "✅ Open the vote")
    assert "no longer open this vote" not in answer(again)
    assert await votes_in(town) == []


async def test_a_head_removed_at_the_rule_step_is_let_go(town: Town) -> None:
    organiser = to(await town.send(HEAD, "/vote"), HEAD)[-1]
    one(await town.click(HEAD, organiser, "➕ Open a new vote"), HEAD)
    options = one(await town.send(HEAD, QUESTION), HEAD)
    rule = one(await town.click(HEAD, options, "Yes / No"), HEAD)
    await removed(town)
    pressed = await town.click(HEAD, rule, "Major matter (lift, repairs fund): ¾")
    answer(pressed)
    assert "You can no longer open this vote" in one(pressed, HEAD).text
    assert "flats count" not in "".join(s.text for s in pressed)  # no reach shown
    assert await votes_in(town) == []
