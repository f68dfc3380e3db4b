"""The scheduler: APScheduler runs short scans; their state lives in our tables.

Started inside the running loop (``dp.startup``) and shut down with the bot (``dp.shutdown``).
The job store is in memory on purpose: APScheduler cannot share one between processes
(docs/faq.rst), and it needs none here, because every scan reads what is due from the database
and claims each piece of work with a conditional UPDATE (storage/repositories/sla.py). So a
restart, a run missed during downtime (each job runs once at start: catch-up) or a second
instance over the same database never sends twice and never skips."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.services import Services

log = logging.getLogger(__name__)

# (job id, seconds between scans). Short scans, often: a reminder is never more than a minute
# late, and the digest goes out within a minute of its hour in every community's time zone.
INTERVALS: tuple[tuple[str, int], ...] = (
    ("sla-reminders", 60),
    ("sla-ladder", 120),
    ("sla-closing", 300),
    ("digest-daily", 60),
    ("digest-weekly", 300),
    ("outbox-purge", 3600),
    ("whistle-reminders", 300),
    ("notices-release", 30),
    ("volunteer-reminders", 300),
    # Each resident is offered at most once a quarter, so an hourly scan offers each once.
    ("serve-offers", 3600),
    ("votes", 60),
)
# A scan that could not start in time (a busy loop, a suspended laptop) still runs, once.
MISFIRE_GRACE_SECONDS = 3600


def job_functions(services: Services) -> dict[str, Callable[[], Awaitable[int]]]:
    """Each job: one scan, returning how many messages or steps it wrote."""
    scheduling = services.scheduling
    return {
        "sla-reminders": scheduling.reminders.run,
        "sla-ladder": scheduling.ladder.run,
        "sla-closing": scheduling.closing.run,
        "digest-daily": scheduling.digest.run,
        "digest-weekly": scheduling.digest.run_weekly,
        "outbox-purge": scheduling.retention.run,
        "whistle-reminders": scheduling.whistle.run,
        "notices-release": services.notices.release_due,
        "volunteer-reminders": services.volunteering.remind_due,
        "serve-offers": services.serving.offer_due,
        "votes": services.votes.run,
    }


class Scheduler:
    def __init__(
        self,
        services: Services,
        timezone: str,
        *,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = job_functions(services)
        self.zone = ZoneInfo(timezone)
        self.on_written = on_written
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        """Call from inside the running event loop."""
        scheduler = AsyncIOScheduler(timezone=self.zone)
        now = datetime.now(self.zone)
        for job_id, seconds in INTERVALS:
            scheduler.add_job(
                self.run,
                IntervalTrigger(seconds=seconds, timezone=self.zone),
                args=[job_id],
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                next_run_time=now,  # catch up on start
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info("scheduler started: %s", ", ".join(job_id for job_id, _ in INTERVALS))

    async def run(self, job_id: str) -> int:
        """One scan; a failure is logged and the next scan tries again."""
        try:
            written = await self.jobs[job_id]()
        except Exception:
            log.exception("scheduler job %s failed", job_id)
            return 0
        if written:
            log.info("scheduler job %s: %s", job_id, written)
            if self.on_written is not None:
                self.on_written()  # let the delivery worker look now
        return written

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running
