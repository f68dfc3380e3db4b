"""Estates (小区): a community is made of several, each of several buildings. A building's estate
is a name the office gives it (``import-buildings``' optional ``estate`` column, or the
console's Buildings page); the weekly coverage count (bot/services/serving.py) is also taken per
estate while any building has one, and the digest and the console's Numbers page show, per
estate, this week's coverage and its trend. Buildings without an estate are one "no estate"
line, only when the others have estates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import InputRefused
from bot.text import one_line
from storage.repositories.volunteering import VolunteeringRepository

ESTATE_MAX = 50  # characters of an estate's name
SPARKS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a week without a count of that estate

WeekCount = tuple[int, int]  # (buildings, with a head)


@dataclass(frozen=True, slots=True)
class EstateCoverage:
    """One estate's coverage over the weeks of ``EstateTable.weeks`` (None: not counted that
    week, e.g. before the estate existed). ``name`` "" is the buildings without an estate."""

    name: str
    counts: tuple[WeekCount | None, ...]

    @property
    def now(self) -> WeekCount:
        return self.counts[-1] or (0, 0)

    @property
    def change(self) -> int:
        """Buildings with a head now less in the first week counted (0: a single week)."""
        known = [c for c in self.counts if c is not None]
        return known[-1][1] - known[0][1] if len(known) > 1 else 0


@dataclass(frozen=True, slots=True)
class EstateTable:
    weeks: tuple[date, ...]  # Mondays, oldest first
    estates: tuple[EstateCoverage, ...]  # by name, "no estate" last


def clean_estate(raw: str) -> str:
    """An estate's name as stored: spaces folded; "" clears it; too long is refused."""
    name = one_line(raw)
    if len(name) > ESTATE_MAX:
        raise InputRefused("estate-too-long", max=ESTATE_MAX)
    return name


def spark(counts: Sequence[WeekCount | None]) -> str:
    """One character a week, from ▁ (no building with a head) to █ (all of them)."""
    marks = []
    for count in counts:
        if count is None or count[0] == 0:
            marks.append(GAP)
        else:
            buildings, with_head = count
            marks.append(SPARKS[round(with_head / buildings * (len(SPARKS) - 1))])
    return "".join(marks)


async def estate_table(
    session: AsyncSession, community_id: int, weeks: Sequence[date]
) -> EstateTable | None:
    """The per-estate counts of those weeks (the community's counted weeks); None when the
    newest week counted no estate (estates not in use: the digest stays as it was)."""
    if not weeks:
        return None
    rows = await VolunteeringRepository(session).estate_weeks(community_id, weeks)
    newest = weeks[-1]
    current = {r.estate for r in rows if r.week == newest}
    if not any(current):
        return None
    position = {week: i for i, week in enumerate(weeks)}
    counts: dict[str, list[WeekCount | None]] = {name: [None] * len(weeks) for name in current}
    for row in rows:
        if row.estate in counts:
            counts[row.estate][position[row.week]] = (row.buildings, row.with_head)
    names = sorted(current, key=lambda name: (name == "", name))
    return EstateTable(
        tuple(weeks), tuple(EstateCoverage(name, tuple(counts[name])) for name in names)
    )
