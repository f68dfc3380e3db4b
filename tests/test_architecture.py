"""The core does not think in any messenger: no module of bot/ (but the composition root that
wires every door: bot/app.py, bot/__main__.py) or storage/ imports aiogram, the Telegram door
(handlers/, telegram/) or the web door (web/). Read from the source (ast), so an import inside a
function counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ("bot", "storage")
COMPOSITION_ROOT = {Path("bot/app.py"), Path("bot/__main__.py")}
DOORS = ("aiogram", "handlers", "telegram", "web")


def _core_modules() -> list[Path]:
    found = []
    for package in CORE:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative not in COMPOSITION_ROOT:
                found.append(relative)
    return found


def _imports(path: Path) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # "from bot import x" is fine; "from telegram import budget" names the door.
    return names


def _door(name: str) -> str | None:
    top = name.split(".", 1)[0]
    return top if top in DOORS else None


def test_the_core_has_modules_to_check() -> None:
    modules = _core_modules()
    assert Path("bot/delivery.py") in modules
    assert Path("storage/models.py") in modules
    assert Path("bot/services/tickets.py") in modules


@pytest.mark.parametrize("path", _core_modules(), ids=str)
def test_no_core_module_imports_a_door(path: Path) -> None:
    doors = sorted(name for name in _imports(path) if _door(name))
    assert doors == [], f"{path} imports {', '.join(doors)}"


def test_the_check_sees_an_import_of_a_door_anywhere_in_a_module(tmp_path: Path) -> None:
    source = "def f():\n    from aiogram import Bot\n    import handlers.keyboards\n"
    tree = ast.parse(source)
    names = {
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert {_door(n) for n in names} == {"aiogram", "handlers"}
