"""Notices on PostgreSQL: a scheduled notice released by two instances (two connection pools)
scanning at once goes out once, its rows written in bulk; progress and cancel count them.
Needs TEST_POSTGRES_URL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.config import Config, Secret
from bot.i18n import Translations
from bot.services import Services
from bot.services.community import BuildingRow
from bot.services.notices import NoticeDraft
from storage.db import Database
from storage.models import NoticeStatus, Role, telegram_address
from storage.repositories.notices import NoticeRepository
from tests.conftest import FakeClock
from tests.test_postgres import URL
from tests.test_postgres import pg_url as pg_url_fixture

pg_url = pg_url_fixture

pytestmark = pytest.mark.skipif(
    not URL, reason="TEST_POSTGRES_URL is not set (a PostgreSQL server for these tests)"
)
RESIDENTS = 40


async def test_a_scheduled_notice_is_released_once_by_two_instances(pg_url: str) -> None:
    config = Config(bot_token=Secret("1:x"), database_url=pg_url, bot_username="b_test_bot")
    db, other_db = Database(pg_url), Database(pg_url)
    try:
        await db.migrate()
        clock = FakeClock()
        services = Services.create(config, db, Translations(), clock)
        other = Services.create(config, other_db, Translations(), clock)
        await services.community.import_buildings(
            [BuildingRow("社区", "A1", "1栋", ""), BuildingRow("社区", "A2", "2栋", "")]
        )
        head = await services.onboarding.touch(telegram_address(100), "Head", "zh-hans")
        invite = await services.community.invite(Role.HEAD, "A1")
        await services.onboarding.open_payload(head, invite.payload)
        a1 = await services.community.find_building("A1")
        a2 = await services.community.find_building("A2")
        for n in range(RESIDENTS):
            resident = await services.onboarding.touch(telegram_address(1000 + n), "R", "en")
            await services.onboarding.join_building(resident, a1.id if n % 4 else a2.id)

        draft = NoticeDraft([a1.id], "停水通知", send_at=clock.now + timedelta(hours=2))
        notice, preview = await services.notices.publish(head, draft)
        assert preview.reach == RESIDENTS * 3 // 4
        assert notice.status is NoticeStatus.SCHEDULED

        clock.advance(hours=2)
        written = await asyncio.gather(services.notices.release_due(), other.notices.release_due())
        assert sorted(written) == [0, preview.reach]
        async with db.session() as session:
            progress = await NoticeRepository(session).progress(notice.id)
        assert (progress.pending, progress.reached) == (preview.reach, 0)

        _, stopped = await services.notices.cancel(head, notice.id)
        assert stopped == preview.reach
        async with db.session() as session:
            progress = await NoticeRepository(session).progress(notice.id)
        assert (progress.pending, progress.cancelled, progress.blocked) == (0, preview.reach, 0)
    finally:
        await db.close()
        await other_db.close()
