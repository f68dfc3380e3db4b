"""Pictures (the digest's chart, the stairwell poster), drawn in a short-lived child process.

matplotlib, numpy and PIL add 45–60 MB to a process that draws a picture, and no import is ever
undone, so a bot that drew its pictures itself would carry them from the first digest on. It
does not: ``Renderer`` starts ``python -m bot.drawing`` for a batch of pictures, writes them to
its stdin as JSON, reads the PNGs from its stdout, and the child exits. These modules are in
``bot`` (whose ``__init__`` is a docstring) rather than ``bot.services`` (whose ``__init__``
imports every service, SQLAlchemy and Alembic with them), and import only the standard library
at the top, so the child loads them and matplotlib, nothing of the bot and no aiogram. A child
that fails, or takes longer than ``timeout``, costs the picture, never the message it goes
with: its result is None. Cancelling the render (the scheduler shutting down) kills the child.

Starting the child is most of a chart's time (an interpreter, Pillow, the font: ~0.1 s; the
drawing itself 0.02 s). The child loads them before it reads what to draw, so a caller that
knows a picture is coming starts it first (``started()``) and gathers its figures meanwhile:
the child's start then costs nothing it would not wait for anyway (two cores: the database
work and the child's start run side by side).

Each item is a JSON object with a ``kind`` (``chart``: bot.chart, ``poster``: bot.poster_art);
each answer is null or ``{"png": base64, "english": bool}``, ``english`` saying that English
words stood in for Chinese ones because the machine has no font for them."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("bot.drawing")

# The first start on a machine builds matplotlib's font cache (seconds to a minute).
TIMEOUT = 120.0
PNG = b"\x89PNG\r\n\x1a\n"
# Where ``-m bot.drawing`` finds this very package (and no matplotlibrc of the bot's directory).
ROOT = Path(__file__).resolve().parent.parent


class Drawable(Protocol):
    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Picture:
    png: bytes
    english: bool  # English words stood in for Chinese ones (no font for them)


# ----------------------------------------------------------------------------- the bot's side


class Renderer:
    """Draws pictures in a short-lived child process; the bot never imports matplotlib."""

    def __init__(self, command: Sequence[str] | None = None, timeout: float = TIMEOUT) -> None:
        self.command = list(command or (sys.executable, "-m", "bot.drawing"))
        self.timeout = timeout

    async def render(self, items: Sequence[Drawable]) -> list[bytes | None]:
        """The PNG of each item, in order; None for each one the child did not draw."""
        return [p.png if p is not None else None for p in await self.draw(items)]

    async def draw(
        self, items: Sequence[Drawable], *, time_limit: float | None = None
    ) -> list[Picture | None]:
        """Each item's picture, in order; None for each one the child did not draw."""
        if not items:
            return []
        async with self.started() as drawing:
            return await drawing.draw(items, time_limit=time_limit)

    @contextlib.asynccontextmanager
    async def started(self) -> AsyncIterator[Drawing]:
        """A child started now, to draw later (once): it gets ready while the caller gathers
        what to draw. Leaving the block ends it, drawn or not (a child never outlives it)."""
        drawing = Drawing(await self._start(), self.timeout)
        try:
            yield drawing
        finally:
            await drawing.close()

    async def _start(self) -> asyncio.subprocess.Process | None:
        try:
            return await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=ROOT,
            )
        except OSError as error:
            log.error(
                "drawing: cannot start %s: %s; the pictures are left out", self.command, error
            )
            return None


class Drawing:
    """One started child, for one batch of pictures (Renderer.started)."""

    def __init__(self, child: asyncio.subprocess.Process | None, timeout: float) -> None:
        self._child = child
        self.timeout = timeout

    async def render(self, items: Sequence[Drawable]) -> list[bytes | None]:
        """The PNG of each item, in order; None for each one the child did not draw."""
        return [p.png if p is not None else None for p in await self.draw(items)]

    async def draw(
        self, items: Sequence[Drawable], *, time_limit: float | None = None
    ) -> list[Picture | None]:
        """Each item's picture, in order; None for each one the child did not draw. A
        child draws one batch: a second call gets None for each."""
        if not items:
            return []
        child, self._child = self._child, None
        failed: list[Picture | None] = [None] * len(items)
        if child is None:
            return failed
        limit = self.timeout if time_limit is None else time_limit
        request = json.dumps([i.to_json() for i in items], ensure_ascii=False).encode()
        try:
            out, _ = await asyncio.wait_for(child.communicate(request), limit)
        except TimeoutError:
            log.error("drawing: no answer in %.0f s; the pictures are left out", limit)
            return failed
        finally:
            await _end(child)
        if child.returncode != 0:
            log.error("drawing: the child exited with %s; pictures left out", child.returncode)
            return failed
        return _parse(out, len(items)) or failed

    async def close(self) -> None:
        """Ends a child that drew nothing (nothing to draw, or the caller failed first)."""
        child, self._child = self._child, None
        if child is not None:
            await _end(child)


async def _end(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:  # timed out, cancelled (shutdown), or never asked
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()


def _parse(out: bytes, count: int) -> list[Picture | None] | None:
    try:
        answer = json.loads(out)
        if not isinstance(answer, list) or len(answer) != count:
            raise ValueError(f"{count} pictures asked, {out[:80]!r} answered")
        pictures = [_picture(a) for a in answer]
    except (ValueError, TypeError, KeyError) as error:  # binascii.Error is a ValueError
        log.error("drawing: unreadable answer from the child (%s)", error)
        return None
    return [p if p is not None and p.png.startswith(PNG) else None for p in pictures]


def _picture(item: Any) -> Picture | None:
    if item is None:
        return None
    return Picture(base64.b64decode(item["png"], validate=True), bool(item["english"]))


# ----------------------------------------------------------------------------- the child's side


def _kinds() -> dict[str, Callable[[dict[str, Any]], tuple[bytes, bool]]]:
    from bot import chart, poster_art

    return {"chart": chart.render, "poster": poster_art.render}


def _prepare() -> None:
    """What the digest's chart needs, loaded before the request is read (the bot may still be
    gathering it): Pillow and the font for Chinese. (A poster loads matplotlib when drawn.)"""
    from PIL import Image, ImageDraw, ImageFont  # noqa: F401

    from bot.fonts import cjk_font_file

    cjk_font_file()


def main() -> int:
    """``python -m bot.drawing``: a JSON list of items on stdin, a JSON list of answers on
    stdout (null for an item that failed). Logs go to stderr, i.e. where the bot's go."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    kinds = _kinds()
    try:
        _prepare()
    except Exception:  # the pictures will fail one by one, each with its own trace
        log.exception("drawing: preparing failed")
    answer: list[dict[str, Any] | None] = []
    for item in json.load(sys.stdin):
        try:
            png, english = kinds[item["kind"]](item)
        except Exception:
            log.exception("picture failed")
            answer.append(None)
        else:
            answer.append({"png": base64.b64encode(png).decode("ascii"), "english": english})
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
