"""The year-end ranking the office chooses its "excellent heads" (优秀楼长) from: every head and
deputy of the community and everyone who earned points in the year, with the points earned,
the fixes residents confirmed, the hours of service and the satisfaction of the tickets they
held (closed in the year), best first. Heads and deputies are named (residents see their names
on every card); a resident who only volunteered or voted is "a resident (name hidden)": they
gave the office no name, and the office's activity lists show none either. For the
coordinators of the whole community and the admins; shown in the console and downloaded as
CSV or XLSX (openpyxl imported at the first download, as the other exports are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from bot.config import Config
from bot.i18n import Translator
from bot.services.access import Coverage, coverage
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.scheduling import sla_of
from bot.services.sla import at_local, local
from storage.db import Database
from storage.models import Community, Person
from storage.repositories import CommunityRepository
from storage.repositories.points import PointsRepository, Standing, served

FIRST_YEAR = 2000


@dataclass(frozen=True, slots=True)
class Ranking:
    community: Community
    year: int
    lines: list[Standing]


class RankingService:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock

    async def communities(self, cover: Coverage) -> list[Community]:
        async with self.db.session() as session:
            places = CommunityRepository(session)
            if cover.admin:
                return list(await places.page(0, 1000))
            found = [await places.get(i) for i in sorted(cover.community_ids)]
            return [c for c in found if c is not None]

    async def for_person(self, person: Person, year: int | None) -> Ranking:
        """The ranking of the first community the person coordinates (any, for an admin)."""
        async with self.db.session() as session:
            cover = await coverage(session, self.config, person)
        return await self.ranking(cover, None, year)

    async def ranking(self, cover: Coverage, community_id: int | None, year: int | None) -> Ranking:
        offered = await self.communities(cover)
        if not offered:
            raise ServiceError("points-office-only")
        community = next((c for c in offered if c.id == community_id), None)
        if community_id is not None and community is None:
            raise ServiceError("not-allowed")
        community = community or offered[0]
        sla = sla_of(community)
        # None is this year; a year 0 ("0000" typed) is out of range, not this year quietly.
        year = local(self.clock(), sla).year if year is None else year
        if not FIRST_YEAR <= year <= local(self.clock(), sla).year:
            raise ServiceError("points-bad-year", year=str(year))
        start = at_local(date(year, 1, 1), time(0), sla)
        end = at_local(date(year + 1, 1, 1), time(0), sla)
        async with self.db.session() as session:
            lines = await PointsRepository(session).standings(community.id, start, end)
        return Ranking(community, year, lines)


def ranking_rows(
    t: Translator, ranking: Ranking
) -> tuple[list[str], list[list[str | int | float]]]:
    """The ranking as a table: headers and rows in the reader's language."""
    headers = [
        t("points-col-place"),
        t("points-col-name"),
        t("points-col-role"),
        t("points-col-points"),
        t("points-col-fixes"),
        t("points-col-hours"),
        t("points-col-satisfaction"),
        t("points-col-rated"),
    ]
    rows: list[list[str | int | float]] = []
    for place, line in enumerate(ranking.lines, start=1):
        rows.append(
            [
                place,
                standing_name(t, line),
                t("role-name", role=line.role.value) if line.role else t("points-volunteer"),
                line.points,
                line.fixes,
                round(line.hours, 1),
                f"{line.rating:.1f}" if line.rating is not None else "—",
                line.rated,
            ]
        )
    return headers, rows


def standing_name(t: Translator, line: Standing) -> str:
    if line.person_id is None:
        return t("points-former-person")
    if not served(line):
        return t("points-resident-unnamed")
    return line.name or f"#{line.person_id}"


def ranking_file(t: Translator, ranking: Ranking, kind: str) -> bytes:
    """CSV or XLSX; openpyxl is imported here, at the first download."""
    from bot.documents.cells import csv_bytes, fit_columns, header_row, put

    headers, rows = ranking_rows(t, ranking)
    if kind == "csv":
        return csv_bytes(headers, rows)
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(ranking.year)
    header_row(sheet, 1, headers)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            put(sheet, number, column, value)
    sheet.freeze_panes = "A2"
    fit_columns(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
