"""telegram/lazy_models.py: aiogram's models built on first use read and write the Bot API's data as
the models aiogram builds at import do. Each side runs tests/lazy_models_probe.py in a fresh
interpreter (the shim works only before aiogram's first import)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> str:
    """What a fresh interpreter (``python ARGS``, in the repository) printed."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _probe(mode: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_run("-m", "tests.lazy_models_probe", mode))
    return found


def test_lazily_built_models_read_and_write_as_the_eager_ones() -> None:
    with ThreadPoolExecutor(2) as pool:
        eager, lazy = pool.map(_probe, ["eager", "lazy"])
    assert eager["errors"] == {}
    assert lazy["errors"] == {}
    # The lazy side really built them on first use: the types of aiogram.types were unbuilt
    # when the probe got to them (rebuild returned True) but for those the updates, answers and
    # requests had built; none was on the eager side.
    lazily_built = [name for name, rebuilt in lazy["built"].items() if rebuilt]
    assert sum(name.startswith("aiogram.types.") for name in lazily_built) > 380
    assert not any(eager["built"].values())
    assert lazy["built"].keys() == eager["built"].keys()
    assert len(lazy["built"]) > 550
    # A model of ours holding an aiogram type, built before any of aiogram's.
    assert lazy["holder"] == eager["holder"]
    assert lazy["holder"]["message"]["photo"][1]["file_id"] == "p-big"
    for kind in eager["updates"]:
        assert lazy["updates"][kind] == eager["updates"][kind], kind
    assert lazy["updates"].keys() == eager["updates"].keys()
    assert lazy["updates"]["my_chat_member"]["my_chat_member"]["new_chat_member"]["status"] == (
        "kicked"
    )
    for method in eager["answers"]:
        assert lazy["answers"][method] == eager["answers"][method], method
    assert lazy["answers"].keys() == eager["answers"].keys()
    assert lazy["requests"] == eager["requests"]
    different = sorted(
        name for name in eager["schemas"] if lazy["schemas"].get(name) != eager["schemas"][name]
    )
    assert different == []
    assert len(eager["schemas"]) > 150


def test_without_the_namespace_lazily_built_models_fail() -> None:
    """What the shim's namespace is for: aiogram's rebuilds skipped and nothing else, Message's
    ``Chat`` (imported only for type checkers) cannot be resolved when it is first used."""
    naive = _probe("lazy-no-namespace")
    assert "model aiogram.types.message.Message" in naive["errors"]
    assert "answer SendMessage" in naive["errors"]
    assert "Chat" in naive["errors"]["answer SendMessage"]


def test_the_bot_starts_with_aiogram_models_unbuilt() -> None:
    """``python -m bot``'s imports (the shim first) leave the Bot API types the bot never meets
    unbuilt, and the shim refuses to work once aiogram is imported."""
    code = (
        "import bot.__main__, sys, pydantic\n"
        "from aiogram import types\n"
        "from telegram import lazy_models\n"
        "models = [getattr(types, n) for n in types.__all__]\n"
        "models = [m for m in models if isinstance(m, type)"
        " and issubclass(m, pydantic.BaseModel)]\n"
        "print(sum(m.__pydantic_complete__ for m in models), len(models),"
        " types.Sticker.__pydantic_complete__, lazy_models.install())\n"
    )
    built, total, sticker, installed = _run("-c", code).split()
    assert int(total) > 400
    assert int(built) < 20
    assert sticker == "False"
    assert installed == "True"
    late = _run(
        "-c", "import aiogram\nfrom telegram import lazy_models\nprint(lazy_models.install())"
    )
    assert late == "False"
