"""The arithmetic of a building vote (Civil Code art. 278), with no database and no floats.

A rule has two participation thresholds (share of the building's floor area and of its owners
that took part) and two approval thresholds (share of the *participating* area and owners that
chose the option). Every share is compared as integers: ``figure / total ≥ need`` is
``figure · need.denominator ≥ need.numerator · total`` (``>`` for a strict rule), so 2/3 is
2/3, not 0.6666….

Owners are counted one per flat (the judicial interpretation's rule, 法释〔2009〕7号 art. 9:
one unit, one owner); an owner of several flats casts one ballot per flat.

Which option approves: a yes/no question's option 0 (``approving=0``). With more options (an
election), each option is measured against the approval thresholds and the winner is the one
that meets them (with a threshold above one half at most one can); if none does, nothing
passed. Ties cannot pass, by the same argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    turnout: Fraction  # at least this share of the area and of the owners take part
    approve: Fraction  # of the participating area and owners, this share approves
    approve_strict: bool = False  # "more than" instead of "at least"


MAJOR = Rule("major", Fraction(2, 3), Fraction(3, 4))
ORDINARY = Rule("ordinary", Fraction(2, 3), Fraction(1, 2), approve_strict=True)
RULES: dict[str, Rule] = {r.name: r for r in (MAJOR, ORDINARY)}


@dataclass(frozen=True, slots=True)
class Threshold:
    key: str  # turnout-area | turnout-owners | approve-area | approve-owners
    figure: int  # centi-m² or owners
    total: int
    need: Fraction
    strict: bool
    met: bool


@dataclass(frozen=True, slots=True)
class Tally:
    area: int  # centi-m²
    owners: int


@dataclass(frozen=True, slots=True)
class Result:
    passed: bool
    winner: int | None  # the option that met the rule
    thresholds: tuple[Threshold, ...]
    tallies: tuple[Tally, ...]


def reaches(figure: int, total: int, need: Fraction, strict: bool) -> bool:
    if total <= 0:
        return False
    left, right = figure * need.denominator, need.numerator * total
    return left > right if strict else left >= right


def _threshold(key: str, figure: int, total: int, need: Fraction, strict: bool) -> Threshold:
    return Threshold(key, figure, total, need, strict, reaches(figure, total, need, strict))


def evaluate(
    rule: Rule,
    electorate: Mapping[int, int],
    ballots: Mapping[int, int],
    options: int,
    approving: int | None = 0,
) -> Result:
    """``electorate``: flat id → area (centi-m²); ``ballots``: flat id → option index (flats
    outside the electorate and options out of range are not counted). ``approving`` None: the
    winner among all options (an election)."""
    valid = {f: c for f, c in ballots.items() if f in electorate and 0 <= c < options}
    area_all, owners_all = sum(electorate.values()), len(electorate)
    area_in = sum(electorate[f] for f in valid)
    owners_in = len(valid)
    tallies = tuple(
        Tally(
            sum(electorate[f] for f, c in valid.items() if c == option),
            sum(1 for c in valid.values() if c == option),
        )
        for option in range(options)
    )
    turnout = (
        _threshold("turnout-area", area_in, area_all, rule.turnout, False),
        _threshold("turnout-owners", owners_in, owners_all, rule.turnout, False),
    )

    def approval(option: int) -> tuple[Threshold, Threshold]:
        tally = tallies[option]
        return (
            _threshold("approve-area", tally.area, area_in, rule.approve, rule.approve_strict),
            _threshold(
                "approve-owners", tally.owners, owners_in, rule.approve, rule.approve_strict
            ),
        )

    candidates = [approving] if approving is not None else list(range(options))
    meeting = [o for o in candidates if all(t.met for t in approval(o))]
    shown = meeting[0] if meeting else (approving if approving is not None else _leader(tallies))
    approved = approval(shown) if shown is not None else ()
    winner = meeting[0] if meeting and all(t.met for t in turnout) else None
    return Result(winner is not None, winner, turnout + approved, tallies)


def _leader(tallies: tuple[Tally, ...]) -> int | None:
    """The option shown against the approval thresholds when none met them: the most owners,
    then the most area."""
    if not tallies:
        return None
    return max(range(len(tallies)), key=lambda o: (tallies[o].owners, tallies[o].area, -o))
