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

Besides the two presets a community defines its own rules (bot/services/vote_rule_book.py):
a vote keeps the thresholds it was opened with (``spec``/``from_spec``), so a closed vote's
result never changes whatever happens to the community's rules later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    turnout: Fraction  # at least this share of the area and of the owners take part
    approve: Fraction  # of the participating area and owners, this share approves
    approve_strict: bool = False  # "more than" instead of "at least"
    turnout_strict: bool = False
    custom: bool = False  # a community's own rule: ``name`` is in its office's words


MAJOR = Rule("major", Fraction(2, 3), Fraction(3, 4))
ORDINARY = Rule("ordinary", Fraction(2, 3), Fraction(1, 2), approve_strict=True)
RULES: dict[str, Rule] = {r.name: r for r in (MAJOR, ORDINARY)}
CUSTOM = "custom"  # Vote.rule of a vote opened with a community's own rule

SHARE_MAX_DIGITS = 4  # "2/3", "51%", "66.7%": no one writes a share with more


class ShareInvalid(ValueError):
    """Not a share of more than 0 and at most 1."""


def parse_share(text: str) -> Fraction:
    """A share as people write it: "2/3", "3/4", "1/2", "51%", "66.5%", "0.6", "1"; never
    0, negative or more than the whole."""
    typed = "".join(text.split()).replace("／", "/").replace("％", "%")
    try:
        if typed.count("/") == 1:
            top, bottom = typed.split("/")
            if not (_plain(top) and _plain(bottom)):
                raise ShareInvalid(text)
            share = Fraction(int(top), int(bottom))
        elif typed.endswith("%"):
            share = _decimal(typed[:-1]) / 100
        else:
            share = _decimal(typed)
    except (ValueError, ZeroDivisionError) as error:
        raise ShareInvalid(text) from error
    if not 0 < share <= 1:
        raise ShareInvalid(text)
    return share


def _plain(digits: str) -> bool:
    return digits.isascii() and digits.isdigit() and len(digits) <= SHARE_MAX_DIGITS


def _decimal(text: str) -> Fraction:
    whole, _, part = text.partition(".")
    if not _plain(whole) or (part and not _plain(part)) or (not part and "." in text):
        raise ShareInvalid(text)
    return Fraction(int(whole + part), 10 ** len(part))


def fraction_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def spec(rule: Rule) -> dict[str, Any]:
    """The thresholds a vote keeps (JSON), whatever happens to the rule later."""
    return {
        "name": rule.name,
        "turnout": fraction_text(rule.turnout),
        "approve": fraction_text(rule.approve),
        "turnout_strict": rule.turnout_strict,
        "approve_strict": rule.approve_strict,
    }


def from_spec(kept: dict[str, Any]) -> Rule:
    return Rule(
        str(kept["name"]),
        Fraction(str(kept["turnout"])),
        Fraction(str(kept["approve"])),
        approve_strict=bool(kept["approve_strict"]),
        turnout_strict=bool(kept.get("turnout_strict", False)),
        custom=True,
    )


def rule_of(name: str, kept: dict[str, Any] | None) -> Rule:
    """A vote's rule: the thresholds it was opened with, or (a preset's vote) the preset."""
    return from_spec(kept) if kept is not None else RULES[name]


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
        _threshold("turnout-area", area_in, area_all, rule.turnout, rule.turnout_strict),
        _threshold("turnout-owners", owners_in, owners_all, rule.turnout, rule.turnout_strict),
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
