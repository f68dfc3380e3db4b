"""Forged callback data: an integer out of range on any button of the bot is answered as an
out-of-date button and changes nothing (a 2**64 once overflowed SQLite in nine handlers)."""

from __future__ import annotations

import enum
import itertools
import logging
import sqlite3
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery
from pydantic.fields import FieldInfo

import handlers
from bot.i18n import Translations
from bot.services import Services
from bot.services.ticket_core import Draft
from storage.db import Database
from storage.models import Role
from tests.botclient import BotClient
from tests.conftest import FakeClock
from tests.factories import make_world

FORGED = (2**64, 2**31, -1)


def callback_classes() -> list[type[CallbackData]]:
    assert handlers.build_router() is not None  # every handler module imported
    found: list[type[CallbackData]] = []
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return sorted(found, key=lambda cls: cls.__prefix__)


def sample(field: FieldInfo) -> str:
    """A valid value for a field that is not the one being forged."""
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str(next(iter(annotation)).value)
    if annotation is bool:
        return "0"
    if annotation is int:
        return "1"
    return "x"


def forged(cls: type[CallbackData], name: str, value: int) -> str:
    parts = [str(value) if key == name else sample(f) for key, f in cls.model_fields.items()]
    return cls.__separator__.join([cls.__prefix__, *parts])


CASES = [
    pytest.param(cls, name, id=f"{cls.__prefix__}.{name}")
    for cls in callback_classes()
    for name, field in cls.model_fields.items()
    if field.annotation is int
]


def test_every_integer_of_every_button_is_covered() -> None:
    """New callback data classes join the forged presses by themselves; this lists today's."""
    prefixes = {case.values[0].__prefix__ for case in CASES}  # type: ignore[union-attr]
    assert prefixes >= {"t1", "my1", "wd1", "p1", "pk1", "s1", "sk1", "tl2"}
    for cls in callback_classes():
        for name, field in cls.model_fields.items():
            if field.annotation is int:
                assert any(getattr(m, "lt", None) == 2**31 for m in field.metadata), (cls, name)


def test_every_kind_of_button_has_a_prefix_of_its_own() -> None:
    """A press is routed by its data's prefix (handlers/presses.py) and read by the class of
    that prefix: two classes with one prefix (the building picker's and the points bank's were
    both "p1") were offered each other's presses, told apart only by their number of fields."""
    owners: dict[str, list[str]] = {}
    for cls in callback_classes():
        owners.setdefault(cls.__prefix__, []).append(cls.__qualname__)
    assert {prefix: names for prefix, names in owners.items() if len(names) > 1} == {}
    assert len(owners) >= 20  # every handler module's classes were found


def everything(path: str) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        }
    finally:
        connection.close()


TABLES = ("tickets", "ticket_events", "ticket_followers", "outbox", "fsm_state", "memberships")


@pytest.mark.parametrize(("cls", "name"), CASES)
async def test_a_forged_integer_is_an_out_of_date_button(
    client: BotClient,
    services: Services,
    db: Database,
    clock: FakeClock,
    translations: Translations,
    caplog: pytest.LogCaptureFixture,
    cls: type[CallbackData],
    name: str,
) -> None:
    world = await make_world(client, services, db, clock)
    head = await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    resident = await world.join(client.user(1, "en"), "A1")
    author = await world.person(resident)
    [a1] = await services.reporting.resident_buildings(author)
    await services.reporting.report(author, Draft(a1.building_id, "repairs", "The lift"))
    path = str(db.url.database)

    for user, value in itertools.product((head, resident), FORGED):
        menu = await client.send(user, "/help")
        before = everything(path)
        with caplog.at_level(logging.WARNING):
            answers = await client.press(user, menu[-1], forged(cls, name, value))
        [answer] = [s.method for s in answers if isinstance(s.method, AnswerCallbackQuery)]
        assert answer.text == translations.get("en", "button-stale")
        assert answer.show_alert
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert everything(path) == before
