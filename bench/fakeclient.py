"""How much the fake server answers on its own (so a throughput figure is the bot's, not the
fake's): fetches every queued update with getUpdates in batches of 100, then makes N sendMessage
calls, 8 in flight, encoded as aiogram encodes them (form fields). Prints JSON.

    python -m bench.fakeclient http://127.0.0.1:PORT N
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

from bench.common import TOKEN


async def main(base: str, calls: int) -> None:
    url = f"{base}/bot{TOKEN}/"
    async with aiohttp.ClientSession() as session:
        offset, fetched = 0, 0
        started = time.perf_counter()
        while True:
            form = aiohttp.FormData({"offset": str(offset), "timeout": "0"})
            async with session.post(url + "getUpdates", data=form) as response:
                updates = (await response.json())["result"]
            if not updates:
                break
            fetched += len(updates)
            offset = updates[-1]["update_id"] + 1
        updates_s = time.perf_counter() - started

        queue = iter(range(calls))

        async def worker() -> None:
            for i in queue:
                form = aiohttp.FormData(
                    {"chat_id": str(1_000_000 + i % 1000), "text": f"answer {i}"}
                )
                async with session.post(url + "sendMessage", data=form) as response:
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(8)))
        calls_s = time.perf_counter() - started
    print(  # noqa: T201
        json.dumps(
            {
                "updates": fetched,
                "updates_per_s": fetched / updates_s if updates_s else 0.0,
                "calls": calls,
                "calls_per_s": calls / calls_s if calls_s else 0.0,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
