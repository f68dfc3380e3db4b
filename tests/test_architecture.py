"""The core does not think in any messenger: no module of bot/ (but the composition root that
wires every door: bot/app.py, bot/__main__.py, bot/web_only.py) or storage/ imports aiogram,
the Telegram door (handlers/, telegram/), the web door (web/) or the WeChat door (wechat/). Read
from the source (ast), so an import inside a function counts as much as one at the top."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ("bot", "storage")
# bot/web_only.py wires the doors when there is no Telegram token (``python -m bot`` without one).
COMPOSITION_ROOT = {Path("bot/app.py"), Path("bot/__main__.py"), Path("bot/web_only.py")}
DOORS = ("aiogram", "handlers", "telegram", "web", "wechat")


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
    assert Path("bot/services/ticket_actions.py") in modules


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


# --- one error handler ---------------------------------------------------------------------------
# A Telegram handler lets a service's refusal reach handlers/errors.py (or its router's own
# @router.error handler for a typed special case) instead of catching it: no `except ServiceError`,
# nor an except of one of its subclasses, in handlers/.


def _refusal_types() -> set[str]:
    """ServiceError and every class of bot/ that derives from it, however indirectly."""
    bases: dict[str, set[str]] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases}
                bases.setdefault(node.name, set()).update(names)
    found = {"ServiceError"}
    while grown := {name for name, of in bases.items() if of & found} - found:
        found |= grown
    return found


def _caught(source: str, types: set[str]) -> list[str]:
    """The refusal types the except clauses of ``source`` name, with their lines."""
    caught = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            named = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            for name in named:
                last = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
                if last in types:
                    caught.append(f"line {node.lineno}: except {last}")
    return caught


def _handler_modules() -> list[Path]:
    return [p.relative_to(ROOT) for p in sorted((ROOT / "handlers").rglob("*.py"))]


def test_the_refusal_types_include_the_typed_ones() -> None:
    types = _refusal_types()
    assert {"ServiceError", "StaleAction", "AlreadyTaken", "NoAccess", "Spent"} <= types
    assert "ValueError" not in types


@pytest.mark.parametrize("path", _handler_modules(), ids=str)
def test_no_handler_catches_a_refusal(path: Path) -> None:
    caught = _caught((ROOT / path).read_text(encoding="utf-8"), _refusal_types())
    assert caught == [], f"{path} catches a refusal: {'; '.join(caught)}"


def test_the_check_sees_a_caught_refusal_in_any_form() -> None:
    source = (
        "async def f():\n"
        "    try:\n        pass\n"
        "    except ServiceError as error:\n        pass\n"
        "    try:\n        pass\n"
        "    except (ValueError, errors.StaleAction):\n        pass\n"
        "    try:\n        pass\n"
        "    except TelegramBadRequest:\n        pass\n"
    )
    assert _caught(source, _refusal_types()) == [
        "line 4: except ServiceError",
        "line 8: except StaleAction",
    ]


# Services are composed, never mixed in: a use case gets its collaborators (TicketAccess,
# TicketAudience, …) in its constructor, so what it depends on is written where it is made.
PROJECT = ("bot", "storage", "handlers", "telegram", "web", "wechat")


def _service_modules() -> list[str]:
    services = ROOT / "bot" / "services"
    return [f"bot.services.{p.stem}" for p in sorted(services.glob("*.py")) if p.stem != "__init__"]


def _project_bases(cls: type) -> list[str]:
    return [b.__name__ for b in cls.__bases__ if b.__module__.split(".", 1)[0] in PROJECT]


@pytest.mark.parametrize("module", _service_modules())
def test_no_service_class_inherits_from_two_project_classes(module: str) -> None:
    found = importlib.import_module(module)
    mixed = {
        name: bases
        for name, cls in inspect.getmembers(found, inspect.isclass)
        if cls.__module__ == module and len(bases := _project_bases(cls)) > 1
    }
    assert mixed == {}, f"{module} mixes classes in: {mixed}"


def test_the_check_sees_a_mixin() -> None:
    from bot.services.ticket_access import TicketAccess
    from bot.services.ticket_audience import TicketAudience
    from bot.services.ticket_core import StaleAction

    class Mixed(TicketAccess, TicketAudience):
        pass

    class Refusal(StaleAction, ValueError):
        pass

    assert _project_bases(Mixed) == ["TicketAccess", "TicketAudience"]
    assert _project_bases(Refusal) == ["StaleAction"]
    assert len(_service_modules()) > 20
