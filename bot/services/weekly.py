"""The heads' weekly summary (Monday 09:00 community time, once): open tickets of their
buildings, what they resolved that week and how residents rated it, in their language.

The week is the one before the slot, from the community's creation or the head's appointment if
later: catching up on a missed slot never reaches back before either, so a community imported
today sends no "last week's summary" and a head appointed on the slot's day waits for the next."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from bot.i18n import Translations
from bot.services.clock import Clock
from bot.services.digest_view import WeeklyData, render_weekly
from bot.services.scheduling import sla_of, translator, write
from bot.services.sla import Sla, at_local, had_day, local, weekly_due
from storage.db import Database
from storage.models import Community, Person
from storage.repositories.sla import SlaRepository
from storage.repositories.stats import Scope, StatsRepository

WEEKLY_LISTED = 5


class WeeklySummaries:
    def __init__(self, db: Database, translations: Translations, clock: Clock) -> None:
        self.db = db
        self.translations = translations
        self.clock = clock

    async def run(self) -> int:
        """Each head's summary of the past week, Monday 09:00 community time, once."""
        now = self.clock()
        async with self.db.session() as session:
            communities = await SlaRepository(session).communities()
        written = 0
        for community in communities:
            sla = sla_of(community)
            day = weekly_due(now, community.weekly_sent_on, sla, since=community.created_at)
            if day is not None:
                written += await self._weekly(community, day, now, sla)
        return written

    async def _weekly(self, community: Community, day: date, now: datetime, sla: Sla) -> int:
        """The week before ``day``'s slot, from the community's creation or the head's
        appointment if later; a head appointed on the slot's day gets next week's."""
        end = at_local(day, sla.weekly_at, sla)
        start = max(end - timedelta(days=7), community.created_at)
        last = day - timedelta(days=1)
        async with self.db.session() as session:
            stats = StatsRepository(session)
            buildings: dict[int, list[int]] = defaultdict(list)
            people: dict[int, Person] = {}
            for person, building_id in await stats.heads(community.id):
                buildings[person.id].append(building_id)
                people[person.id] = person
            since = await stats.heads_since(community.id)
            resolved = await stats.by_holder(community.id, start, end)
            messages = []
            for person_id, ids in buildings.items():
                person = people[person_id]
                if person.unreachable_since is not None:
                    continue
                if not had_day(since.get(person_id), last, sla):
                    continue
                own = max(start, since.get(person_id, start))
                if own > start:
                    resolved_own = await stats.by_holder(community.id, own, end)
                else:
                    resolved_own = resolved
                total, oldest = await stats.open_in(Scope(community.id, tuple(ids)), WEEKLY_LISTED)
                count, rating, ratings = resolved_own.get(person_id, (0, None, 0))
                first = local(own, sla).date()
                data = WeeklyData(
                    first, last, total, oldest, count, rating, ratings, community.settings, now
                )
                text, buttons = render_weekly(translator(self.translations, person), data)
                messages.append((person, text, buttons, Scope(community.id, tuple(ids))))
            if not await SlaRepository(session).claim_weekly(community, day):
                return 0
            for person, text, buttons, scope in messages:
                await write(session, person, now, text, buttons=buttons, staff=scope)
            await session.commit()
        return len(messages)
