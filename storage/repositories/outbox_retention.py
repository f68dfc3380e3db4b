"""Purging delivered notifications: their payloads hold residents' words (relayed messages,
descriptions on cards), so sent and failed rows go after the retention period; the number of
them per day and status stays in ``outbox_counts``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxCount, OutboxMessage, OutboxStatus


@dataclass(frozen=True, slots=True)
class PurgedCounts:
    sent: int
    failed: int


class OutboxRetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def purge(self, before: datetime, limit: int) -> int:
        """Deletes up to ``limit`` of the oldest rows sent (or failed, counted from when they
        were written: a failed row is never tried again) before ``before`` and adds them to the
        day's counts. RETURNING counts exactly what this transaction deleted, so two instances
        purging at once never count a row twice."""
        m = OutboxMessage
        old = or_(
            and_(m.status == OutboxStatus.SENT, func.coalesce(m.sent_at, m.created_at) < before),
            and_(m.status == OutboxStatus.FAILED, m.created_at < before),
        )
        oldest = select(m.id).where(old).order_by(m.id).limit(limit).scalar_subquery()
        return await self.delete_counted(m.id.in_(oldest))

    async def delete_counted(self, where: ColumnElement[bool]) -> int:
        """Deletes the rows ``where`` says; those sent or failed are added to their day's
        counts first (a pending one was never a notification). /forgetme uses it too."""
        m = OutboxMessage
        rows = (
            await self.session.execute(
                delete(m)
                .where(where)
                .returning(m.status, m.sent_at, m.created_at)
                .execution_options(synchronize_session=False)
            )
        ).all()
        days = Counter(
            ((sent_at or created_at).date(), OutboxStatus(status))
            for status, sent_at, created_at in rows
            if OutboxStatus(status) in (OutboxStatus.SENT, OutboxStatus.FAILED)
        )
        for (day, status), count in sorted(days.items()):
            await self._add(day, status, count)
        return len(rows)

    async def _add(self, day: date, status: OutboxStatus, count: int) -> None:
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(OutboxCount).values(day=day, status=status, count=count)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[OutboxCount.day, OutboxCount.status],
                set_={"count": OutboxCount.count + statement.excluded.count},
            )
        )

    async def purged(self) -> PurgedCounts:
        counts = dict(
            (
                await self.session.execute(
                    select(OutboxCount.status, func.sum(OutboxCount.count)).group_by(
                        OutboxCount.status
                    )
                )
            ).all()
        )
        return PurgedCounts(
            sent=int(counts.get(OutboxStatus.SENT) or 0),
            failed=int(counts.get(OutboxStatus.FAILED) or 0),
        )
