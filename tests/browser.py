"""Browser tests: Playwright for Python driving Debian's chromium (installed by .ci/run with apt)
through ``executable_path``; no browser download. Skipped with a reason where chromium or
playwright cannot be had. ``page`` opens at a small phone's size, the web door's first reader."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
# As root in a container there is no sandbox to drop into; the machine's network is closed, so
# Chromium must not try its own background connections (each would be refused, many at once).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a browser test keeps the pictures of its pages: the test's own directory, or the
    README's (docs/) when asked (``SCREENSHOTS=docs``, after a change to the console's look),
    so a test run does not rewrite files of the repository."""
    if os.environ.get("SCREENSHOTS") == "docs":
        return DOCS
    return tmp_path


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run does)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def phone(browser: Any) -> AsyncIterator[Any]:
    """A page on a small phone, in Chinese (the residents' language)."""
    context = await browser.new_context(**PHONE, locale="zh-CN")
    try:
        yield await context.new_page()
    finally:
        await context.close()
