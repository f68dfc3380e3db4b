"""The community settings: one schema for every key (type, bounds, default and a one-line
explanation), with pydantic.

Three readers share it: ``python -m bot settings`` (and later the web console) validates a
change and refuses a bad value with one line naming the key and what is expected, so a bad
setting cannot be stored; the scheduler and the report flow read what is stored leniently (a
value stored before this schema existed that no longer validates keeps its default, logged once,
and never stops anything); and the README's table of settings is generated from it (a test
keeps the two equal). "timezone" is the community's own column and is checked here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import time
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    model_validator,
)

from bot.config import is_time_zone
from bot.services.categories import (
    DEFAULT_CATEGORIES,
    CategoryList,
    CategorySpec,
    Code,
    spec_of,
)
from bot.services.departments import (
    DEFAULT_DEPARTMENTS,
    DepartmentList,
    DepartmentSpec,
)
from bot.services.departments import spec_of as department_spec
from bot.services.setting_errors import InvalidSetting, UnknownSetting, describe_error, warn_invalid
from bot.services.setting_types import (
    MAX_DAYS,
    MAX_HOURS,
    MAX_NUDGES,
    MAX_POINTS,
    Backoff,
    Clock,
    DayCount,
    Days,
    Hours,
    JoinPolicy,
    PointsRate,
    Quiet,
    Reports,
    Weekly,
    WhistleReminders,
)


class Override(BaseModel):
    """Faster (or slower) escalation for one category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    untaken_hours: Hours | None = None
    unresolved_days: Days | None = None

    @model_validator(mode="after")
    def _something(self) -> Override:
        if self.untaken_hours is None and self.unresolved_days is None:
            raise ValueError("untaken_hours, unresolved_days or both")
        return self


def _setting(default: Any, meaning: str, expected: str, shown: str | None = None) -> Any:
    """A field with its explanation (for the README and the console) and what the CLI says is
    expected when it refuses a value; ``shown`` replaces a default too long for a table."""
    extra: dict[str, Any] = {"expected": expected}
    if shown is not None:
        extra["shown"] = shown
    if callable(default):
        return Field(default_factory=default, description=meaning, json_schema_extra=extra)
    return Field(default, description=meaning, json_schema_extra=extra)


_HOURS = f"a number of hours, more than 0 and at most {MAX_HOURS}"
_DAYS = f"a number of days, more than 0 and at most {MAX_DAYS}"
_POINTS = f"a whole number of points from 0 to {MAX_POINTS}"


class CommunitySettings(BaseModel):
    """Every setting of a community, each with its default. Unknown keys are ignored when
    reading (``KEYS`` is what a change may name)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    nudge_backoff_hours: Backoff = _setting(
        (2.0, 6.0, 24.0),
        "remind the heads when a ticket is not taken after these hours (at most 3)",
        f"a list of 1 to {MAX_NUDGES} increasing numbers of hours, e.g. [2, 6, 24]",
    )
    nudge_after_hours: Hours | None = _setting(
        None, "moves the first reminder (null: the first of nudge_backoff_hours)", _HOURS
    )
    quiet_hours: Quiet = _setting(
        (time(22), time(8)),
        "no reminders then (off: none); urgent categories (safety) ignore it",
        "two times of day such as 22:00-08:00, or off",
    )
    escalate_untaken_hours: Hours = _setting(
        24.0, "not taken by then: the building's coordinators co-own it", _HOURS
    )
    escalate_unresolved_days: Days = _setting(
        7.0, "taken but not resolved this long: the same", _DAYS
    )
    escalation_overrides: dict[Code, Override] = _setting(
        dict,
        'per category, e.g. `{"safety": {"untaken_hours": 4}}`',
        'per category code, {"untaken_hours": hours, "unresolved_days": days}',
    )
    escalate_second_level_hours: Hours = _setting(
        48.0, "then the community's coordinators / admins", _HOURS
    )
    confirm_reminder_hours: Hours = _setting(
        24.0, 'one "is it fixed?" reminder to the resident', _HOURS
    )
    autoclose_days: Days = _setting(3.0, "resolved but unconfirmed tickets close", _DAYS)
    reopen_window_days: Days = _setting(
        7.0, "an auto-closed ticket may be reopened this long", _DAYS
    )
    followup_days: Days = _setting(
        30.0, '"still fixed?" once after closing; "no" opens a linked ticket', _DAYS
    )
    idle_days: Days = _setting(3.0, "taken with no news this long: a reminder to the holder", _DAYS)
    digest_hour: Clock = _setting(
        time(8), "the coordinators' morning digest", "a time of day such as 8 or 07:30"
    )
    weekly: Weekly = _setting(
        (0, time(9)),
        "the heads' weekly summary",
        "a weekday in English and a time, such as Mon 09:00",
    )
    recurring_reports: Reports = _setting(
        3,
        "a building + category with this many reports in recurring_days is flagged",
        "a whole number from 2 to 1000",
    )
    recurring_days: DayCount = _setting(
        30, "the window of recurring_reports, in days", f"a whole number from 1 to {MAX_DAYS}"
    )
    kpi_days: DayCount = _setting(
        30,
        "the digest's rates and median times cover this many days",
        f"a whole number from 1 to {MAX_DAYS}",
    )
    join_policy: JoinPolicy = _setting(
        "approve",
        "new residents: open (join at once), approve (a head approves), link_only (only "
        "with a building's join link)",
        "open, approve or link_only",
    )
    categories: CategoryList = _setting(
        lambda: [CategorySpec.model_validate(spec_of(c)) for c in DEFAULT_CATEGORIES],
        'the report categories: `[{"code": "repairs", "emoji": "🔧", "urgent": false, '
        '"notify_coordinators": false, "private": false}, …]`; a code of the community\'s own '
        'also needs `"names": {"zh-hans": "…", "en": "…"}`',
        "a list of categories, each with a unique code (a-z, 0-9, _), an emoji, urgent, "
        "notify_coordinators and private (true or false), and names for a code of your own",
        shown="7 categories",
    )
    whistle_departments: DepartmentList = _setting(
        lambda: [DepartmentSpec.model_validate(department_spec(d)) for d in DEFAULT_DEPARTMENTS],
        'where a coordinator may forward a ticket (吹哨) as a work order: `[{"code": '
        '"street_office", "names": {"zh-hans": "街道办事处", "en": "Street office"}}, …]`',
        "a list of 1 to 12 departments, each with a unique code (a-z, 0-9, _) and names in "
        "zh-hans and en",
        shown="4 departments",
    )
    whistle_reminder_days: DayCount = _setting(
        3,
        "a work order with no answer this many days reminds its coordinator, then again every "
        "as many days",
        f"a whole number from 1 to {MAX_DAYS}",
    )
    whistle_reminders: WhistleReminders = _setting(
        3, "at most this many reminders per work order (0: none)", "a whole number from 0 to 10"
    )
    points_per_fix: PointsRate = _setting(
        10,
        "points bank: to the person who resolved a ticket, once, when its resident confirms it "
        "fixed",
        _POINTS,
    )
    points_per_service_hour: PointsRate = _setting(
        5, "points bank: per hour of volunteer service", _POINTS
    )
    points_per_vote: PointsRate = _setting(
        1, "points bank: for taking part in a building vote", _POINTS
    )

    @field_serializer("escalation_overrides")
    def _overrides(self, value: dict[str, Override]) -> dict[str, Any]:
        return {code: o.model_dump(mode="json", exclude_none=True) for code, o in value.items()}

    @field_serializer("whistle_departments")
    def _departments(self, value: list[DepartmentSpec]) -> list[dict[str, Any]]:
        return [department_spec(spec.department()) for spec in value]

    @field_serializer("categories")
    def _categories(self, value: list[CategorySpec]) -> list[dict[str, Any]]:
        return [spec_of(spec.category()) for spec in value]


KEYS: tuple[str, ...] = tuple(CommunitySettings.model_fields)
DEFAULTS: dict[str, Any] = CommunitySettings().model_dump(mode="json")


def expected(key: str) -> str:
    extra = CommunitySettings.model_fields[key].json_schema_extra
    return str(extra.get("expected", "")) if isinstance(extra, dict) else ""


def meaning(key: str) -> str:
    return CommunitySettings.model_fields[key].description or ""


def shown_default(key: str) -> str:
    """The default as the README's table shows it (a short word for a long list)."""
    extra = CommunitySettings.model_fields[key].json_schema_extra
    if isinstance(extra, dict) and "shown" in extra:
        return str(extra["shown"])
    return "`" + json.dumps(DEFAULTS[key], ensure_ascii=False) + "`"


# ----------------------------------------------------------------------------- reading


def _problem(key: str, value: Any) -> ValidationError | None:
    try:
        CommunitySettings.model_validate({key: value})
    except ValidationError as error:
        return error
    return None


def invalid_stored(stored: Mapping[str, Any]) -> dict[str, str]:
    """The stored keys whose values do not validate, with the reason."""
    return {
        key: describe_error(error)
        for key, value in stored.items()
        if key in KEYS and (error := _problem(key, value)) is not None
    }


def read_settings(stored: Mapping[str, Any]) -> CommunitySettings:
    """A community's settings as stored, leniently: a value that does not validate keeps its
    default (logged once per process), unknown keys are ignored."""
    try:
        return CommunitySettings.model_validate(dict(stored))
    except ValidationError:
        pass
    bad = invalid_stored(stored)
    for key, reason in bad.items():
        warn_invalid(key, stored[key], reason)
    return CommunitySettings.model_validate({k: v for k, v in stored.items() if k not in bad})


# ----------------------------------------------------------------------------- changing


def check_keys(changes: Mapping[str, Any]) -> None:
    unknown = sorted(set(changes) - set(KEYS) - {"timezone"})
    if unknown:
        raise UnknownSetting(unknown)


def check_timezone(zone: Any) -> str:
    expected_zone = "an IANA time zone such as Asia/Shanghai"
    if not isinstance(zone, str) or not is_time_zone(zone):
        raise InvalidSetting("timezone", expected_zone, zone)
    return zone


def apply_changes(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with ``changes`` applied (None: back to the default), each new value checked
    and kept in its canonical form (``7:30`` is stored as ``"07:30"``). Raises InvalidSetting
    naming the first bad key. A stored value that was already invalid stays as it is (shown as
    invalid) unless it is changed."""
    check_keys(changes)
    result = dict(stored)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
            continue
        error = _problem(key, value)
        if error is not None:
            raise InvalidSetting(key, expected(key), value, _detail(key, error))
        result[key] = CommunitySettings.model_validate({key: value}).model_dump(mode="json")[key]
    _check_together(read_settings(result), changes)
    return result


def _detail(key: str, error: ValidationError) -> str:
    """What the expectation alone does not say: where inside a list or an object the problem
    is, or a rule of our own ("the code repairs is used twice"); not pydantic's generic "Input
    should be greater than 0"."""
    first = error.errors(include_url=False)[0]
    inside = describe_error(error).removeprefix(key)
    message = str(first["msg"]).removeprefix("Value error, ")
    if len(first["loc"]) > 1:
        return key + inside
    if message.startswith("Input should") or message == expected(key):
        return ""
    return message


def _check_together(settings: CommunitySettings, changes: Mapping[str, Any]) -> None:
    """Rules across keys: an override for a category the community does not have would never
    apply (a typo such as "saftey")."""
    codes = {spec.code for spec in settings.categories}
    unknown = sorted(set(settings.escalation_overrides) - codes)
    if unknown:
        key = "categories" if "categories" in changes else "escalation_overrides"
        raise InvalidSetting(
            key,
            expected(key),
            changes.get(key, DEFAULTS[key]),
            f"escalation_overrides names {', '.join(unknown)}, not among the categories "
            f"({', '.join(sorted(codes))})",
        )
