"""The bot with a proposed fix applied in memory, to measure a fix before anyone writes it.

    BENCH_VARIANT=once-memory,fsm-cache python -m bench.variants    # then as ``python -m bot``

Nothing here changes the repository's code: each variant monkeypatches one thing at start-up and
then runs ``bot.__main__.main``. ``bench.throughput --variant NAME`` runs these next to the bot.

- ``count``: no change; every 2 s the log gets the number of SQL statements, commits, sessions and
  aiosqlite calls so far (what an update costs in round trips).
- ``once-memory``: the processed-update claim kept in memory instead of a database write per
  update. With long polling Telegram never redelivers an update whose offset was confirmed
  (aiogram confirms a batch when it asks for the next one), so the table only matters for
  webhooks; a bounded in-memory set still skips a repeated id within the process.
- ``fsm-cache``: SqlStorage reads state and data from an in-process cache (writes go through to
  the database as now), so a step's get_state/get_data/update_data cost no round trip. Valid
  while one process owns the conversations (several instances use RedisStorage anyway).
- ``tasks-limit``: ``start_polling(tasks_concurrency_limit=32)`` (or ``BENCH_TASKS_LIMIT``):
  at most that many updates in hand (the bot's own is 64, bot/__main__.py UPDATES_IN_HAND);
  fewer share the event loop with the delivery worker.
- ``passes``: the delivery worker keeps ``BENCH_PASSES`` (3) passes in hand, not 2.
- ``pass-rows``: a delivery pass claims ``BENCH_PASS_ROWS`` (20) rows (telegram/delivery.py
  PASS_ROWS).
- ``pool1``: one database connection (pool_size=1, max_overflow=0): one aiosqlite thread
  instead of up to 15 contending for the GIL; SQLite has one writer anyway.
- ``switch``: ``sys.setswitchinterval(0.0005)``: hand the GIL over sooner (the aiosqlite threads
  wait up to 5 ms for it to deliver each result).
- ``inline``: SQLite called on the event loop's own thread (aiosqlite's per-call hand-over to its
  connection thread removed), with one connection (implies ``pool1``). A local SQLite statement
  takes microseconds; the hand-over costs tens. Only sound with one connection in one process
  and a short busy timeout (a lock held by another process would stall the loop).
- ``gc-time``: every 2 s the log gets the time spent in the garbage collector so far, by
  generation (``gc.callbacks``).
- ``gc-freeze``: once started, before the first poll, everything alive is moved out of the
  collector's sight (``gc.collect(); gc.freeze()``): a full collection no longer walks the
  modules, models and compiled statements of start-up. The bot does it itself now
  (bot/startup.py freeze_startup_objects); the variant measures a tree from before.
- ``gc-young``: the young generation collected after 10,000 allocations instead of 700
  (``gc.set_threshold``): fewer young collections, fewer objects promoted.
- ``builds``: no change; each pydantic model built (a lazily built aiogram model's first use,
  telegram/lazy_models.py) is logged with its CPU time (``BENCH-BUILD``).
- ``stalls``: a thread watches the event loop's heartbeat (every 10 ms); when it is
  ``BENCH_STALL`` seconds (0.2) late, the log gets the loop thread's stack (``BENCH-STALL``):
  what holds the loop while no update is handled.
- ``magic-inline``: aiogram evaluates every magic filter (``F.text``, ``F.chat.type == …``)
  with ``asyncio.to_thread`` (CallableObject.call runs any non-async callable in the default
  executor); this evaluates them inline. In the bot: async filter classes instead of F-filters.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger("bench.variants")
_P = ParamSpec("_P")
_R = TypeVar("_R")
VARIANTS = (
    "count",
    "once-memory",
    "fsm-cache",
    "tasks-limit",
    "pool1",
    "switch",
    "inline",
    "magic-inline",
    "passes",
    "pass-rows",
    "gc-time",
    "gc-freeze",
    "gc-young",
    "builds",
    "stalls",
    "waits",
    "bucket-waits",
)


def apply(names: list[str]) -> None:
    for name in names:
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
        globals()["_" + name.replace("-", "_")]()


def _count() -> None:
    import aiosqlite.core
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    counts: Counter[str] = Counter()

    @event.listens_for(Engine, "before_cursor_execute")
    def statement(*args: Any) -> None:
        counts["statements"] += 1

    @event.listens_for(Engine, "commit")
    def commit(*args: Any) -> None:
        counts["commits"] += 1

    @event.listens_for(Session, "after_begin")
    def begin(*args: Any) -> None:
        counts["transactions"] += 1

    original: Callable[..., Awaitable[Any]] = aiosqlite.core.Connection._execute  # unannotated

    async def execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts["aiosqlite_calls"] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = execute  # type: ignore[method-assign]

    import asyncio

    to_thread = asyncio.to_thread

    async def counted_to_thread(fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        counts["to_thread"] += 1
        return await to_thread(fn, *args, **kwargs)

    asyncio.to_thread = counted_to_thread

    def report() -> None:
        while True:
            time.sleep(2)
            print(f"BENCH-COUNTS {dict(counts)}", file=sys.stderr, flush=True)  # noqa: T201

    threading.Thread(target=report, daemon=True).start()


def _once_memory() -> None:
    from bot.services import updates

    seen: OrderedDict[int, None] = OrderedDict()

    async def claim(self: Any, update_id: int) -> bool:
        if update_id in seen:
            return False
        seen[update_id] = None
        while len(seen) > 100_000:
            seen.popitem(last=False)
        return True

    updates.UpdateLog.claim = claim  # type: ignore[method-assign]


def _fsm_cache() -> None:
    from telegram import fsm

    cls = fsm.SqlStorage
    cache: dict[str, tuple[str | None, dict[str, Any]]] = {}
    get_state, get_data = cls.get_state, cls.get_data
    set_state, set_data = cls.set_state, cls.set_data

    async def load(self: Any, key: Any) -> tuple[str | None, dict[str, Any]]:
        built = self.keys.build(key)
        if built not in cache:
            cache[built] = (await get_state(self, key), await get_data(self, key))
        return cache[built]

    async def cached_get_state(self: Any, key: Any) -> str | None:
        return (await load(self, key))[0]

    async def cached_get_data(self: Any, key: Any) -> dict[str, Any]:
        return dict((await load(self, key))[1])

    async def through_set_state(self: Any, key: Any, state: Any = None) -> None:
        await set_state(self, key, state)
        value = state.state if hasattr(state, "state") else state
        cache[self.keys.build(key)] = (value, (await load(self, key))[1])

    async def through_set_data(self: Any, key: Any, data: Any) -> None:
        await set_data(self, key, data)
        cache[self.keys.build(key)] = ((await load(self, key))[0], dict(data))

    cls.get_state = cached_get_state  # type: ignore[method-assign]
    cls.get_data = cached_get_data  # type: ignore[method-assign]
    cls.set_state = through_set_state  # type: ignore[method-assign]
    cls.set_data = through_set_data  # type: ignore[method-assign]


def _tasks_limit() -> None:
    from aiogram import Dispatcher

    original = Dispatcher.start_polling

    async def start_polling(self: Any, *bots: Any, **kwargs: Any) -> Any:
        kwargs["tasks_concurrency_limit"] = int(os.environ.get("BENCH_TASKS_LIMIT", "32"))
        return await original(self, *bots, **kwargs)

    Dispatcher.start_polling = start_polling  # type: ignore[method-assign]


def _passes() -> None:
    import bot.delivery

    bot.delivery.PASSES = int(os.environ.get("BENCH_PASSES", "3"))


def _pass_rows() -> None:
    from telegram.delivery import TelegramDelivery

    defaults = TelegramDelivery.__init__.__kwdefaults__
    assert defaults is not None
    defaults["batch"] = int(os.environ.get("BENCH_PASS_ROWS", "20"))


def _pool1() -> None:
    from sqlalchemy.ext import asyncio as sa_asyncio

    from storage import db

    original = sa_asyncio.create_async_engine

    def create(url: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        return original(url, **kwargs)

    db.create_async_engine = create  # type: ignore[attr-defined]


def _switch() -> None:
    sys.setswitchinterval(0.0005)


def _inline() -> None:
    import aiosqlite.core

    _pool1()
    connection = aiosqlite.core.Connection

    async def execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def connect(self: Any) -> Any:
        if self._connection is None:
            self._connection = self._connector()
        return self

    connection._execute = execute  # type: ignore[method-assign]
    connection._connect = connect  # type: ignore[method-assign]


def _magic_inline() -> None:
    from aiogram.dispatcher.event.handler import FilterObject

    original = FilterObject.call

    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.magic is not None:
            return self.callback(*args, **self._prepare_kwargs(kwargs))
        return await original(self, *args, **kwargs)

    FilterObject.call = call  # type: ignore[method-assign]


def _gc_time() -> None:
    import gc

    spent = [0.0, 0.0, 0.0]
    runs = [0, 0, 0]
    started = [0.0]

    def timing(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"]] += time.perf_counter() - started[0]
            runs[info["generation"]] += 1

    gc.callbacks.append(timing)

    def report() -> None:
        while True:
            time.sleep(2)
            print(  # noqa: T201
                f"BENCH-GC runs {runs} ms {[round(s * 1000) for s in spent]}",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=report, daemon=True).start()


def _gc_freeze() -> None:
    import gc

    from aiogram import Dispatcher

    original = Dispatcher.start_polling

    async def start_polling(self: Any, *bots: Any, **kwargs: Any) -> Any:
        gc.collect()
        gc.freeze()
        return await original(self, *bots, **kwargs)

    Dispatcher.start_polling = start_polling  # type: ignore[method-assign]


def _gc_young() -> None:
    import gc

    _, middle, old = gc.get_threshold()
    gc.set_threshold(10_000, middle, old)


def _builds() -> None:
    import pydantic
    from pydantic._internal import _model_construction

    original = _model_construction.complete_model_class

    def timed(cls: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(cls, *args, **kwargs)
        finally:
            spent = (time.process_time() - started) * 1000
            if spent > 1:
                what = f"{time.monotonic():.2f} {spent:.1f} ms {cls.__qualname__}"
                print(f"BENCH-BUILD {what}", file=sys.stderr)  # noqa: T201

    _model_construction.complete_model_class = timed
    assert pydantic


def _stalls() -> None:
    import asyncio
    import traceback

    beat = [time.monotonic()]
    main_thread = threading.get_ident()

    async def heartbeat() -> None:
        while True:
            beat[0] = time.monotonic()
            await asyncio.sleep(0.01)

    original = asyncio.BaseEventLoop.run_forever

    def run_forever(self: Any) -> None:
        self.call_soon(lambda: self.create_task(heartbeat()))
        original(self)

    asyncio.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]

    def watch() -> None:
        seen = 0.0
        while True:
            time.sleep(0.05)
            late = time.monotonic() - beat[0]
            if late > STALL and beat[0] != seen:
                seen = beat[0]
                frame = sys._current_frames().get(main_thread)
                stack = "".join(traceback.format_stack(frame, limit=25)) if frame else "-"
                print(  # noqa: T201
                    f"BENCH-STALL {time.monotonic():.2f} {late * 1000:.0f} ms\n{stack}",
                    file=sys.stderr,
                    flush=True,
                )

    threading.Thread(target=watch, daemon=True).start()


STALL = float(os.environ.get("BENCH_STALL", "0.2"))


def _bucket_waits() -> None:
    from bot.ratelimit import Bucket

    original = Bucket.acquire

    async def acquire(self: Bucket, *args: Any, **kwargs: Any) -> None:
        self._refill()
        before, flying, queued = self._tokens, self._in_flight, self.waiting
        started = time.monotonic()
        await original(self, *args, **kwargs)
        waited = time.monotonic() - started
        if waited > 0.05 and self.capacity < 10:
            print(  # noqa: T201
                f"BENCH-BUCKET {started:.2f} waited {waited * 1000:.0f} ms tokens {before:.2f} "
                f"in flight {flying} waiting {queued} args {args} {kwargs}",
                file=sys.stderr,
                flush=True,
            )

    Bucket.acquire = acquire  # type: ignore[method-assign]


def _waits() -> None:
    import asyncio

    def where(task: asyncio.Task[Any]) -> str:
        coro: Any = task.get_coro()
        ours, last = "", ""
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None)
            if frame is not None:
                name = frame.f_code.co_filename
                last = f"{name.split('/')[-1]}:{frame.f_lineno}"
                if "site-packages" not in name and "/python3." not in name:
                    ours = f"{'/'.join(name.split('/')[-2:])}:{frame.f_lineno}"
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None)
        return f"{ours} > {last}"

    async def sample() -> None:
        while True:
            await asyncio.sleep(0.25)
            counts = Counter(where(t) for t in asyncio.all_tasks())
            top = "; ".join(f"{n}× {w}" for w, n in counts.most_common(6))
            print(f"BENCH-WAITS {time.monotonic():.2f} {top}", file=sys.stderr, flush=True)  # noqa: T201

    original = asyncio.BaseEventLoop.run_forever

    def run_forever(self: Any) -> None:
        self.call_soon(lambda: self.create_task(sample()))
        original(self)

    asyncio.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]


def main() -> None:
    names = [n for n in os.environ.get("BENCH_VARIANT", "").split(",") if n]
    apply(names)
    from bot.__main__ import main as bot_main

    sys.exit(bot_main(["run"]))


if __name__ == "__main__":
    main()
