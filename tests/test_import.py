"""Importing buildings: a code repeated within one community of one file is refused, naming both
lines, and nothing of the file is imported."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services import Services
from bot.services.community import BuildingRow, parse_buildings_csv
from bot.services.errors import ServiceError
from storage.db import Database
from storage.models import Building, Community

CSV = (
    "community,code,name,address\n"
    "塘中社区,A1,1栋,\n"
    "\n"  # a blank line still counts as a line of the file
    "新城社区,A1,新城1栋,\n"  # the same code in another community is another building
    "塘中社区,A2,2栋,\n"
    "塘中社区,A1,1栋（重复）,\n"
)


def test_the_parser_names_both_lines() -> None:
    with pytest.raises(ServiceError) as refused:
        parse_buildings_csv(CSV)
    assert refused.value.key == "import-duplicate-code"
    assert refused.value.args_ == {"code": "A1", "community": "塘中社区", "first": 2, "line": 6}


async def test_the_service_imports_nothing_of_a_list_with_a_repeated_code(
    services: Services, db: Database
) -> None:
    rows = [
        BuildingRow("塘中社区", "A1", "1栋", ""),
        BuildingRow("新城社区", "A1", "新城1栋", ""),
        BuildingRow("塘中社区", "A1", "1栋（重复）", ""),
    ]
    with pytest.raises(ServiceError) as refused:
        await services.community.import_buildings(rows)
    assert (refused.value.args_["first"], refused.value.args_["line"]) == (1, 3)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Building)) == 0
        assert await session.scalar(select(func.count()).select_from(Community)) == 0

    report = await services.community.import_buildings(rows[:2])
    assert [b.community for b in report.buildings] == ["塘中社区", "新城社区"]
