"""Who holds the outbox's claims. Each process that delivers is an instance: an id stable
across restarts of one deployment (INSTANCE_ID, or the host name) and unique among the processes
running at once, a token its claims carry, and a heartbeat in the database.

On start a process takes back at once the claims of its predecessor (the same id: known dead
when it stopped cleanly, when its process is gone from this host, or when its heartbeat
stopped) and of any instance whose heartbeat stopped; while it runs, its heartbeat does the same
for instances that die meanwhile. The outbox lease (bot/delivery.py) is only what is left for
claims nobody knows are orphaned. (Issue "Trust" §7: after kill -9 the head heard nothing for a
minute, queued behind the dead process's claims.)"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
from storage.models import DeliveryInstance
from storage.repositories import OutboxRepository
from storage.repositories.instances import IdTaken, InstanceRepository

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
# No heartbeat for this long: the instance is dead (or frozen; its claims are taken back all
# the same). Well under the lease, well over a heartbeat delayed by a busy machine.
STALE = timedelta(seconds=30)


def default_instance_id() -> str:
    return socket.gethostname() or "bot"


def process_alive(pid: int) -> bool:
    """Whether a process of this host has this pid (a zombie is dead)."""
    if pid == os.getpid():
        return False  # that row is a predecessor's: one pid is not two processes at once
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    with contextlib.suppress(OSError, IndexError):
        # "pid (name) S …": the state follows the last parenthesis (Linux).
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


class InstanceRegistry:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        base_id: str | None = None,
        *,
        host: str | None = None,
        pid: int | None = None,
        alive: Callable[[int], bool] = process_alive,
    ) -> None:
        self.db = db
        self.clock = clock
        self.base_id = base_id or default_instance_id()
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.alive = alive
        self.instance_id = ""
        self.token = ""
        self.on_token: Callable[[str], None] | None = None  # the worker follows a new token
        self._task: asyncio.Task[None] | None = None

    def _gone(self, row: DeliveryInstance, now: datetime) -> bool:
        return (
            row.stopped_at is not None
            or row.heartbeat_at < now - STALE
            or (row.host == self.host and not self.alive(row.pid))
        )

    async def register(self) -> str:
        """Takes an id (the first free of base, base-2, base-3…) and a new token, and takes
        back the claims of every instance known to be gone. Returns the token."""
        for _ in range(3):
            try:
                return await self._register()
            except (IntegrityError, IdTaken):  # another process took the same id at that moment
                continue
        raise RuntimeError(f"no instance id free for {self.base_id!r}")

    async def _register(self) -> str:
        now, token = self.clock(), secrets.token_hex(8)
        async with self.db.session() as session:
            instances = InstanceRepository(session)
            rows = {row.instance_id: row for row in await instances.all()}
            gone = [row for row in rows.values() if row.stopped_at is None and self._gone(row, now)]
            tokens = [row.token for row in gone]
            taken = await OutboxRepository(session).release_claims(*tokens)
            await instances.ended([row.instance_id for row in gone], now)
            free = (self._id(n) for n in range(1, len(rows) + 2))
            instance_id = next(i for i in free if i not in rows or self._gone(rows[i], now))
            predecessor = rows.get(instance_id)
            await instances.take(
                instance_id,
                token,
                self.host,
                self.pid,
                now,
                replacing=predecessor.token if predecessor is not None else None,
            )
            await session.commit()
        self.instance_id, self.token = instance_id, token
        log.info(
            "delivery instance %s (pid %s); took back %d notification(s) claimed by %s",
            instance_id,
            self.pid,
            taken,
            ", ".join(row.instance_id for row in gone) or "nobody",
        )
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _id(self, n: int) -> str:
        return self.base_id if n == 1 else f"{self.base_id}-{n}"

    async def beat(self) -> None:
        """The heartbeat, and the claims of instances that died meanwhile taken back."""
        now = self.clock()
        async with self.db.session() as session:
            instances = InstanceRepository(session)
            mine = await instances.beat(self.instance_id, self.token, now)
            gone = [
                row
                for row in await instances.all()
                if row.instance_id != self.instance_id
                and row.stopped_at is None
                and self._gone(row, now)
            ]
            taken = await OutboxRepository(session).release_claims(*[r.token for r in gone])
            await instances.ended([row.instance_id for row in gone], now)
            await session.commit()
        for row in gone:
            log.warning(
                "delivery instance %s (pid %s on %s) has no heartbeat since %s: "
                "took back its claims",
                row.instance_id,
                row.pid,
                row.host,
                f"{row.heartbeat_at:%H:%M:%S}",
            )
        if taken:
            log.info("took back %d notification(s) claimed by dead instances", taken)
        if not mine:
            # Another process found this one dead (a long freeze) and took the id: this one
            # goes on under a new id and token.
            log.warning("delivery instance %s was taken over; registering again", self.instance_id)
            await self.register()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="instance-heartbeat")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except Exception as error:  # noqa: BLE001 (the next beat tries again)
                log.warning("heartbeat of %s failed: %s", self.instance_id, error)

    async def stop(self) -> None:
        """A clean stop (after the worker released its claims): the id is free at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        if not self.instance_id:
            return
        async with self.db.session() as session:
            await InstanceRepository(session).stop(self.instance_id, self.token, self.clock())
            await session.commit()
