"""The office's documents on PostgreSQL: the export's joins and the monthly report's figures
(the digest's queries with a category filter) give what they give on SQLite."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.exports import TicketExports
from bot.services.monthly import MonthlyReports
from storage.db import Database
from storage.models import TicketStatus
from tests.conftest import FakeClock
from tests.test_documents import HOSTILE, november
from tests.test_postgres import URL, pg_url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(
    not URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)"
)


async def test_exports_and_the_monthly_report_on_postgres(pg_url: str) -> None:  # noqa: F811
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db = Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        translations = Translations()
        services = Services.create(config, db, translations, clock)
        month = await november(services, db, clock)
        rows = await TicketExports(db, translations).rows(
            "塘中社区", "en", statuses=[TicketStatus.CLOSED], first=date(2026, 11, 1)
        )
        assert [r.number for r in rows] == [
            month.tickets["fast"].number,
            month.tickets["late"].number,
        ]
        assert rows[0].description == HOSTILE and rows[0].reporter == "resident (name hidden)"
        assert rows[0].reported.strftime("%Y-%m-%d %H:%M") == "2026-11-02 10:00"
        figures = await MonthlyReports(db, translations, clock).figures(
            "塘中社区", date(2026, 11, 1), "en"
        )
        assert figures.total.kpis.reports == 6 and figures.total.counts.resolved == 3
        assert (figures.total.kpis.satisfied, figures.total.kpis.rated) == (1, 2)
        repairs = next(line for line in figures.categories if line.category == "Repairs")
        assert repairs.counts.new == 2
        assert {(p.code, p.category) for p in figures.pairs} >= {("A1", "Repairs")}
    finally:
        await db.close()
