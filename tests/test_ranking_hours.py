"""The year-end ranking reads volunteers' hours from the record of service hours (confirmed
only), not from the points book: in a community that pays 0 points an hour the head confirms
two residents' help to a neighbour in chat, nothing is written in the book, and /ranking's
spreadsheet still lists both with their hours (unnamed: residents, not staff), more hours
first; help still waiting for the head counts for nothing."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from storage.models import PointsEntry
from tests.test_ticket_handling import HEAD, NEIGHBOUR, OFFICE, RESIDENT, Town, one
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

HOURS_COLUMN = 5


async def helped(town: Town, who: int, text: str, confirm: bool = True) -> None:
    one(await town.send(who, f"/helped {text}"), who)
    ask = one(await town.deliver(), HEAD)
    if confirm:
        assert "Confirmed" in one(await town.click(HEAD, ask, "✅ Confirm"), HEAD).text
        await town.deliver()


async def test_confirmed_hours_rank_though_an_hour_pays_nothing(town: Town) -> None:
    from openpyxl import load_workbook

    await town.world.services.community.settings("塘中社区", {"points_per_service_hour": 0})
    await helped(town, RESIDENT, "1.5 repaired a fan on floor 3")
    await helped(town, NEIGHBOUR, "3 carried shopping upstairs")
    await helped(town, NEIGHBOUR, "4 waiting for the head", confirm=False)
    async with town.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PointsEntry)) == 0

    document = one(await town.send(OFFICE, "/ranking"), OFFICE, "SendDocument")
    upload = document.method.document  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(upload.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.rows]
    volunteers = [(r[1], r[2], r[3], r[HOURS_COLUMN]) for r in rows[1:] if r[2] == "志愿者"]
    # Counted, but not named: they told their head, not the office, who they are.
    hidden = "居民（未显示姓名）"
    assert volunteers == [(hidden, "志愿者", 0, 3.0), (hidden, "志愿者", 0, 1.5)]
