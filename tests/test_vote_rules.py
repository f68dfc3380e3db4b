"""The thresholds of a building vote (Civil Code art. 278) at their exact edges, in integers:
2/3 and 3/4 met by area but not by number of owners, and the reverse; exactly 2/3 and one
centi-m² or one owner below; and, by hypothesis, agreement with a plain Fraction reading."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.vote_rules import (
    MAJOR,
    ORDINARY,
    Result,
    Rule,
    ShareInvalid,
    evaluate,
    from_spec,
    parse_share,
    reaches,
    rule_of,
    spec,
)
from bot.services.vote_view import area, share

YES, NO = 0, 1


def met(result: Result, key: str) -> bool:
    return next(t.met for t in result.thresholds if t.key == key)


def test_exactly_two_thirds_takes_part_and_one_centi_m2_less_does_not() -> None:
    electorate = {1: 10000, 2: 10000, 3: 10000, 4: 10000, 5: 10000, 6: 10000}
    ballots = dict.fromkeys([1, 2, 3, 4], YES)  # 4 of 6 owners, 400 of 600 m²: exactly 2/3
    result = evaluate(MAJOR, electorate, ballots, 2)
    assert met(result, "turnout-area") and met(result, "turnout-owners")
    assert result.passed and result.winner == YES
    electorate[4] = 9999  # one centi-m² less: 39999 / 59999 < 2/3
    result = evaluate(MAJOR, electorate, ballots, 2)
    assert not met(result, "turnout-area") and met(result, "turnout-owners")
    assert not result.passed


def test_turnout_met_by_area_but_not_by_number() -> None:
    # One big flat (80 m²) and five small (4 m² each): the big one and one small take part.
    electorate = {1: 8000, 2: 400, 3: 400, 4: 400, 5: 400, 6: 400}
    result = evaluate(MAJOR, electorate, {1: YES, 2: YES}, 2)
    assert met(result, "turnout-area")  # 84 of 100 m²
    assert not met(result, "turnout-owners")  # 2 of 6
    assert not result.passed


def test_turnout_met_by_number_but_not_by_area() -> None:
    electorate = {1: 8000, 2: 400, 3: 400, 4: 400, 5: 400, 6: 400}
    result = evaluate(MAJOR, electorate, dict.fromkeys([2, 3, 4, 5], YES), 2)
    assert met(result, "turnout-owners")  # 4 of 6: exactly 2/3
    assert not met(result, "turnout-area")  # 16 of 100 m²
    assert not result.passed


def test_approval_three_quarters_met_by_area_but_not_by_number() -> None:
    electorate = {1: 6000, 2: 2000, 3: 1000, 4: 1000}
    result = evaluate(MAJOR, electorate, {1: YES, 2: YES, 3: NO}, 2)
    assert met(result, "turnout-area") and met(result, "turnout-owners")
    assert met(result, "approve-area")  # 80 of 90 m²
    assert not met(result, "approve-owners")  # 2 of 3 < 3/4
    assert not result.passed


def test_approval_three_quarters_met_by_number_but_not_by_area() -> None:
    electorate = {1: 1000, 2: 1000, 3: 1000, 4: 7000}
    result = evaluate(MAJOR, electorate, {1: YES, 2: YES, 3: YES, 4: NO}, 2)
    assert met(result, "approve-owners")  # 3 of 4: exactly 3/4
    assert not met(result, "approve-area")  # 30 of 100 m²
    assert not result.passed


def test_exactly_three_quarters_passes_a_major_matter() -> None:
    electorate = {1: 2500, 2: 2500, 3: 2500, 4: 2500}
    result = evaluate(MAJOR, electorate, {1: YES, 2: YES, 3: YES, 4: NO}, 2)
    assert result.passed and all(t.met for t in result.thresholds)


def test_ordinary_needs_more_than_half_so_exactly_half_fails() -> None:
    electorate = {1: 2500, 2: 2500, 3: 2500, 4: 2500}
    half = evaluate(ORDINARY, electorate, {1: YES, 2: YES, 3: NO, 4: NO}, 2)
    assert not met(half, "approve-area") and not met(half, "approve-owners")
    assert not half.passed
    more = evaluate(ORDINARY, electorate, {1: YES, 2: YES, 3: YES, 4: NO}, 2)
    assert more.passed


def test_an_election_has_at_most_one_winner_and_none_without_a_majority() -> None:
    electorate = {i: 1000 for i in range(1, 7)}
    won = evaluate(ORDINARY, electorate, {1: 2, 2: 2, 3: 2, 4: 0, 5: 1}, 3, approving=None)
    assert won.passed and won.winner == 2
    split = evaluate(ORDINARY, electorate, {1: 2, 2: 2, 3: 0, 4: 0, 5: 1}, 3, approving=None)
    assert not split.passed and split.winner is None


def test_ballots_outside_the_electorate_or_options_do_not_count() -> None:
    electorate = {1: 1000, 2: 1000, 3: 1000}
    result = evaluate(MAJOR, electorate, {1: YES, 2: YES, 9: YES, 3: 7}, 2)
    assert result.tallies[YES].owners == 2
    assert next(t for t in result.thresholds if t.key == "turnout-owners").figure == 2


def test_an_empty_building_passes_nothing() -> None:
    assert not evaluate(MAJOR, {}, {}, 2).passed


def test_figures_read_exactly() -> None:
    assert area(8950) == "89.50"
    assert share(2, 3) == "66.7%"
    assert share(3, 4) == "75.0%"
    assert share(0, 0) == "0.0%"


areas = st.dictionaries(st.integers(1, 40), st.integers(1, 10**7), min_size=1, max_size=40)


@given(areas, st.data(), st.sampled_from([MAJOR, ORDINARY]))
def test_evaluate_agrees_with_fractions(
    electorate: dict[int, int], data: st.DataObject, rule: Rule
) -> None:
    flats = sorted(electorate)
    voters = data.draw(st.lists(st.sampled_from(flats), unique=True))
    ballots = {f: data.draw(st.integers(0, 1)) for f in voters}
    result = evaluate(rule, electorate, ballots, 2)
    area_in = sum(electorate[f] for f in ballots)
    yes = [f for f, c in ballots.items() if c == YES]
    turnout = (
        Fraction(area_in, sum(electorate.values())) >= rule.turnout
        and Fraction(len(ballots), len(electorate)) >= rule.turnout
    )

    def enough(part: int, whole: int) -> bool:
        if whole == 0:
            return False
        value = Fraction(part, whole)
        return value > rule.approve if rule.approve_strict else value >= rule.approve

    approve = enough(sum(electorate[f] for f in yes), area_in) and enough(len(yes), len(ballots))
    assert result.passed == (turnout and approve)
    assert result.tallies[YES].area + result.tallies[NO].area == area_in


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.fractions(0, 1), st.booleans())
def test_reaches_is_the_fraction_comparison(
    figure: int, total: int, need: Fraction, strict: bool
) -> None:
    expected = total > 0 and (
        Fraction(figure, total) > need if strict else Fraction(figure, total) >= need
    )
    assert reaches(figure, total, need, strict) == expected


# ------------------------------------------------------------ a community's own rule

GARDEN = Rule("Garden works", Fraction(3, 5), Fraction(2, 3), custom=True)


def test_a_custom_turnout_of_three_fifths_met_exactly_and_one_centi_m2_below() -> None:
    electorate = dict.fromkeys(range(1, 6), 2000)  # five flats of 20 m²
    ballots = dict.fromkeys([1, 2, 3], YES)  # 3 of 5 owners, 60 of 100 m²: exactly 3/5
    result = evaluate(GARDEN, electorate, ballots, 2)
    assert met(result, "turnout-area") and met(result, "turnout-owners") and result.passed
    electorate[3] = 1999  # 5999 / 9999 < 3/5
    result = evaluate(GARDEN, electorate, ballots, 2)
    assert not met(result, "turnout-area") and met(result, "turnout-owners")
    assert not result.passed
    # "More than" three fifths: exactly 3/5 no longer takes part enough.
    strict = Rule("Strict", Fraction(3, 5), Fraction(2, 3), turnout_strict=True, custom=True)
    result = evaluate(strict, dict.fromkeys(range(1, 6), 2000), ballots, 2)
    assert not met(result, "turnout-area") and not met(result, "turnout-owners")


def test_a_custom_turnout_met_by_area_but_not_by_number_and_the_reverse() -> None:
    electorate = {1: 8000, 2: 400, 3: 400, 4: 400, 5: 400, 6: 400}
    by_area = evaluate(GARDEN, electorate, {1: YES, 2: YES}, 2)  # 84 m² of 100, 2 of 6
    assert met(by_area, "turnout-area") and not met(by_area, "turnout-owners")
    assert not by_area.passed
    by_number = evaluate(GARDEN, electorate, dict.fromkeys([2, 3, 4, 5], YES), 2)  # 4 of 6
    assert met(by_number, "turnout-owners") and not met(by_number, "turnout-area")
    assert not by_number.passed


# Everyone takes part: 60 + 10 + 10 + 10 + 5 + 5 = 100 m², six owners.
APPROVERS = {1: 6000, 2: 1000, 3: 1000, 4: 1000, 5: 500, 6: 500}


def _all_vote(yes: list[int]) -> dict[int, int]:
    return {f: YES if f in yes else NO for f in APPROVERS}


def test_a_custom_approval_of_two_thirds_met_exactly_and_one_owner_below() -> None:
    exact = evaluate(GARDEN, APPROVERS, _all_vote([1, 2, 3, 4]), 2)  # 4 of 6, 90 of 100 m²
    assert met(exact, "approve-owners") and met(exact, "approve-area") and exact.passed
    below = evaluate(GARDEN, APPROVERS, _all_vote([1, 2, 3]), 2)  # 3 of 6, 80 of 100 m²
    assert not met(below, "approve-owners") and met(below, "approve-area")  # by area only
    assert not below.passed
    # "More than" two thirds: exactly 4 of 6 is not enough.
    strict = Rule("Strict", Fraction(3, 5), Fraction(2, 3), approve_strict=True, custom=True)
    assert not evaluate(strict, APPROVERS, _all_vote([1, 2, 3, 4]), 2).passed


def test_a_custom_approval_met_by_number_but_not_by_area() -> None:
    result = evaluate(GARDEN, APPROVERS, _all_vote([2, 3, 4, 5]), 2)  # 4 of 6, 35 of 100 m²
    assert met(result, "approve-owners") and not met(result, "approve-area")
    assert not result.passed


def test_shares_read_as_people_write_them() -> None:
    assert parse_share("2/3") == Fraction(2, 3)
    assert parse_share(" 3 / 4 ") == Fraction(3, 4)
    assert parse_share("2／3") == Fraction(2, 3)  # a full-width slash from a Chinese keyboard
    assert parse_share("51%") == Fraction(51, 100)
    assert parse_share("66.5％") == Fraction(133, 200)
    assert parse_share("0.6") == Fraction(3, 5)
    assert parse_share("1") == 1 and parse_share("100%") == 1
    for nonsense in (
        "",
        "0",
        "0/3",
        "4/3",
        "101%",
        "-1/2",
        "1/0",
        "abc",
        "1.5",
        ".5",
        "2/3/4",
        "½",
        "1e-1",
        "nan",
        "0.",
        "１/２",
        "12345/99999",
    ):
        with pytest.raises(ShareInvalid):
            parse_share(nonsense)


def test_a_votes_kept_thresholds_read_back_exactly() -> None:
    kept = spec(GARDEN)
    assert kept == {
        "name": "Garden works",
        "turnout": "3/5",
        "approve": "2/3",
        "turnout_strict": False,
        "approve_strict": False,
    }
    assert from_spec(kept) == GARDEN
    assert rule_of("custom", kept) == GARDEN
    assert rule_of("major", None) == MAJOR  # a preset's vote keeps only its name
