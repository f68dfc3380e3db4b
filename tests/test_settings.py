"""Community settings against their schema: a bad value is refused and changes nothing, every key
is shown with its effective value, a bad value already stored is read as its default, and a
category of the community's own is named as the community names it."""

from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import Services, setting_errors
from bot.services.categories import DEFAULT_CATEGORIES, categories_for
from bot.services.errors import ServiceError
from bot.services.setting_errors import InvalidSetting, UnknownSetting
from bot.services.settings_schema import DEFAULTS, KEYS, read_settings
from bot.services.settings_view import markdown_table, render_text
from storage.db import Database
from storage.models import Community, Role
from tests.botclient import Sent, asked, only
from tests.conftest import FakeClock
from tests.factories import World, make_world

README = Path(__file__).resolve().parent.parent / "README.md"
COMMUNITY = "塘中社区"
PARKING = {
    "code": "parking",
    "emoji": "🅿️",
    "names": {"zh-hans": "停车", "en": "Parking"},
}


@pytest.fixture
async def world(client: Any, services: Services, db: Database, clock: FakeClock) -> World:
    return await make_world(client, services, db, clock)


async def stored(db: Database) -> tuple[str, dict[str, Any]]:
    async with db.session() as session:
        community = await session.scalar(select(Community).where(Community.name == COMMUNITY))
        assert community is not None
        return community.timezone, dict(community.settings)


async def store_raw(db: Database, settings: dict[str, Any]) -> None:
    """Writes settings past the schema, as an older version (or a hand edit) did."""
    async with db.session() as session:
        community = await session.scalar(select(Community).where(Community.name == COMMUNITY))
        assert community is not None
        community.settings = settings
        await session.commit()


# ----------------------------------------------------------------------------- refusing


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("quiet_hours", "晚上十点", "two times of day such as 22:00-08:00, or off"),
        ("digest_hour", 25, "a time of day such as 8 or 07:30"),
        ("autoclose_days", -3, "a number of days, more than 0 and at most 365"),
        ("weekly", "星期一", "a weekday in English and a time, such as Mon 09:00"),
        ("categories", ["repairs"], "a list of categories"),
        ("escalate_untaken_hours", True, "a number of hours"),
        ("escalate_untaken_hours", 10_000, "at most 720"),
        ("nudge_backoff_hours", [6, 2], "increasing"),
        ("nudge_backoff_hours", [1, 2, 3, 4], "a list of 1 to 3"),
        ("recurring_reports", 2.5, "a whole number from 2 to 1000"),
        ("join_policy", "closed", "open, approve or link_only"),
        ("escalation_overrides", {"saftey": {"untaken_hours": 4}}, "per category code"),
    ],
)
async def test_a_bad_value_is_refused_naming_the_key_and_nothing_changes(
    world: World, key: str, value: Any, expected: str
) -> None:
    await world.services.community.settings(COMMUNITY, {"quiet_hours": "21:00-07:00"})
    before = await stored(world.db)
    with pytest.raises(InvalidSetting) as refused:
        await world.services.community.settings(
            COMMUNITY, {"digest_hour": 7, key: value, "timezone": "Europe/Berlin"}
        )
    assert refused.value.setting == key
    assert refused.value.args_["setting"] == key and expected in refused.value.args_["expected"]
    assert await stored(world.db) == before  # not even the good values of the same change


@pytest.mark.parametrize(
    ("categories", "detail"),
    [
        ([PARKING | {"names": {"en": "Parking"}}], "needs names in zh-hans and en"),
        ([{"code": "Parking!", "emoji": "🅿️"}], "[0].code: the code 'Parking!' must be"),
        ([{"code": "repairs", "emoji": "🔧"}, {"code": "repairs", "emoji": "🛠"}], "used twice"),
        ([{"code": "repairs", "emoji": "R"}], "[0].emoji: emoji must be an emoji"),
        ([{"code": "repairs", "emoji": "🔧", "urgent": "yes"}], "[0].urgent"),
        ([{"code": "repairs", "emoji": "🔧", "colour": "red"}], "[0].colour"),
        ([], "at least 1 item"),
    ],
)
async def test_categories_are_checked_entry_by_entry(
    world: World, categories: list[Any], detail: str
) -> None:
    with pytest.raises(InvalidSetting) as refused:
        await world.services.community.settings(COMMUNITY, {"categories": categories})
    assert detail in refused.value.args_["detail"]


async def test_removing_a_category_an_override_names_is_refused(world: World) -> None:
    community = world.services.community
    await community.settings(COMMUNITY, {"escalation_overrides": {"safety": {"untaken_hours": 4}}})
    with pytest.raises(InvalidSetting) as refused:
        await community.settings(COMMUNITY, {"categories": [{"code": "repairs", "emoji": "🔧"}]})
    assert refused.value.setting == "categories"
    assert "escalation_overrides names safety" in refused.value.args_["detail"]


async def test_unknown_keys_and_time_zones_are_refused(world: World) -> None:
    with pytest.raises(UnknownSetting):
        await world.services.community.settings(COMMUNITY, {"bogus": 1})
    with pytest.raises(InvalidSetting) as refused:
        await world.services.community.settings(COMMUNITY, {"timezone": "Mars/Base"})
    assert refused.value.setting == "timezone"
    with pytest.raises(ServiceError) as missing:
        await world.services.community.settings("No such place", {})
    assert missing.value.key == "community-not-found"


# ----------------------------------------------------------------------------- accepting


async def test_good_values_are_stored_in_one_form_and_shown_with_every_default(
    world: World,
) -> None:
    view = await world.services.community.settings(
        COMMUNITY,
        {
            "quiet_hours": "22:00-7:30",
            "digest_hour": "7:30",
            "weekly": "friday 17:00",
            "autoclose_days": 5,
            "categories": [*DEFAULT_CATEGORIES_AS_SET, PARKING],
            "timezone": "Europe/Berlin",
        },
    )
    zone, settings = await stored(world.db)
    assert zone == "Europe/Berlin"
    assert settings["quiet_hours"] == "22:00-07:30"
    assert settings["digest_hour"] == "07:30"
    assert settings["weekly"] == "Fri 17:00"
    assert settings["autoclose_days"] == 5
    assert settings["categories"][-1] == PARKING | {
        "urgent": False,
        "notify_coordinators": False,
        "private": False,
    }
    assert [line.key for line in view.lines] == ["timezone", *KEYS]
    assert view.value("digest_hour") == "07:30" and view.value("idle_days") == 3
    defaults = {line.key for line in view.lines if line.default}
    assert defaults == set(KEYS) - {
        "quiet_hours",
        "digest_hour",
        "weekly",
        "autoclose_days",
        "categories",
    }
    lines = render_text(view)
    assert re.fullmatch(r'digest_hour +"07:30"', lines[KEYS.index("digest_hour") + 1])
    assert re.fullmatch(r"idle_days +3  # default", lines[KEYS.index("idle_days") + 1])

    # KEY= (None) returns to the default; timezone= to TIMEZONE.
    view = await world.services.community.settings(
        COMMUNITY, {"digest_hour": None, "timezone": None}
    )
    assert (await stored(world.db))[0] == "Asia/Shanghai"
    assert "digest_hour" not in (await stored(world.db))[1]
    assert view.value("digest_hour") == DEFAULTS["digest_hour"] == "08:00"


DEFAULT_CATEGORIES_AS_SET = [{"code": c.code, "emoji": c.emoji} for c in DEFAULT_CATEGORIES]


# ----------------------------------------------------------------------------- stored before


async def test_invalid_stored_values_are_read_as_defaults_and_shown_as_invalid(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: categories=["repairs"] was accepted once and every /report failed."""
    monkeypatch.setattr(setting_errors, "_warned", set())  # what earlier tests were warned of
    await store_raw(
        world.db, {"categories": ["repairs"], "autoclose_days": -3, "digest_hour": "7:30"}
    )
    resident = await world.join(world.client.user(1, "en"), "A1")
    with caplog.at_level(logging.WARNING):
        sent = await world.client.send(resident, "/report")
        await world.client.send(resident, "/report")
    assert "🔧 Repairs" in only(sent).buttons and len(only(sent).buttons) == 7
    warnings = [r.getMessage() for r in caplog.records if "is invalid" in r.getMessage()]
    assert len(warnings) == 1 and "categories" in warnings[0]  # once, not at every read

    view = await world.services.community.settings(COMMUNITY)
    lines = dict(zip(["timezone", *KEYS], render_text(view), strict=True))
    assert lines["autoclose_days"].endswith(
        "3  # default: the stored -3 is invalid (Input should be greater than 0)"
    )
    assert '# default: the stored ["repairs"] is invalid' in lines["categories"]
    assert not [line for line in view.lines if line.key == "digest_hour"][0].default
    settings = read_settings((await stored(world.db))[1])
    assert settings.autoclose_days == 3 and settings.digest_hour.minute == 30

    # Changing another key keeps the invalid value visible; replacing it makes it valid.
    await world.services.community.settings(COMMUNITY, {"idle_days": 2})
    assert (await stored(world.db))[1]["autoclose_days"] == -3
    view = await world.services.community.settings(COMMUNITY, {"autoclose_days": 4})
    assert [line.invalid for line in view.lines if line.key == "autoclose_days"] == [None]


def test_every_stored_key_falls_back_alone() -> None:
    settings = read_settings({"idle_days": 2, "followup_days": "soon", "unknown_key": 1})
    assert settings.idle_days == 2 and settings.followup_days == 30


# ----------------------------------------------------------------------------- categories


async def test_a_category_of_the_communitys_own_is_named_in_each_language(
    world: World,
) -> None:
    await world.services.community.settings(
        COMMUNITY, {"categories": [{"code": "repairs", "emoji": "🔧"}, PARKING]}
    )
    client = world.client
    await world.appoint(client.user(100, "en"), Role.HEAD, "A1")
    english = await world.join(client.user(1, "en"), "A1")
    chinese = await world.join(client.user(2, "zh-hans"), "A1")

    sent = await client.send(chinese, "/report")
    assert only(sent).buttons == ["🔧 维修", "🅿️ 停车"]
    sent = await client.send(english, "/report")
    assert only(sent).buttons == ["🔧 Repairs", "🅿️ Parking"]
    described = asked(await client.click(english, only(sent), "🅿️ Parking"))
    assert described.text.startswith("Problem: 🅿️ Parking\n\n")  # the answer, named, on top
    await client.send(english, "A car blocks the fire lane")
    sent = await client.send(english, "Skip")
    sent = await client.click(english, sent[-1], "Continue ›")
    summary = asked(sent).text
    assert "Parking" in summary and "category-" not in summary
    await client.click(english, asked(sent), "✅ Send")
    before = len(client.session.requests)
    await world.deliver()
    card = [Sent(m).text for m in client.session.requests[before:]]
    assert any("🅿️ Parking · #1" in text for text in card), card


def test_a_stored_category_without_names_never_shows_a_raw_key() -> None:
    from bot.i18n import Translations
    from bot.services.cards import category_label

    t = Translations().bind("en")
    [parking] = categories_for({"categories": [PARKING]})
    assert category_label(t, parking, "parking") == "🅿️ Parking"
    assert category_label(t, None, "parking") == "📝 parking"  # a category removed since
    assert category_label(t, None, "safety") == "📝 Safety hazard"


# ----------------------------------------------------------------------------- the README


def test_the_readme_table_is_the_schema() -> None:
    # Indented: it is part of a numbered step.
    assert textwrap.indent(markdown_table(), "   ") in README.read_text(encoding="utf-8")


def test_every_setting_is_explained_in_chinese_and_english() -> None:
    """``settings-about-<key>`` for the time zone and every key of the schema, in both
    languages, and the Chinese is Chinese (not the schema's English copied)."""
    from bot.i18n import Translations
    from bot.services.settings_view import about

    translations = Translations()
    zh, en = translations.bind("zh-hans"), translations.bind("en")
    for key in ("timezone", *KEYS):
        chinese, english = about(zh, key), about(en, key)
        assert "settings-about" not in chinese + english, key
        assert re.search(r"[\u4e00-\u9fff]", chinese) and chinese != english, key
        assert not re.search(r"[\u4e00-\u9fff]", english.replace("吹哨", "")), key
