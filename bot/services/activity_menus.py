"""A volunteering activity's Sign up / Cancel as WeChat choices (``msgmenu``): the ids
``act.<activity>.join`` and ``act.<activity>.leave``. The announcement's row carries the
scheduler's button (label, ``vol-sign-up``, activity id), which the WeChat door offers as the
``join`` choice; a tap signs up (or cancels) through VolunteeringService, which checks that the
person belongs to one of the activity's buildings and that it is still ahead: a forged or
stale id is refused in words and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.choice_numbers import choice_number
from bot.services.scheduling import SchedAction

PREFIX = "act"
JOIN, LEAVE = "join", "leave"
# A parametric WeChat QR's scene for an activity's check-in (the organiser shows it beside the
# Telegram one): distinct from a building's join token, which has no ".".
CHECKIN_SCENE = "checkin."
# How long WeChat keeps a temporary parametric QR: its longest, 30 days.
CHECKIN_QR_SECONDS = 30 * 24 * 3600


def checkin_scene(payload: str) -> str:
    """The scene of the check-in QR whose Telegram deep-link payload is ``payload`` (the
    kind's letter, then the activity's check-in token)."""
    return CHECKIN_SCENE + payload[1:]


def activity_choice(activity_id: int, join: bool) -> str:
    return f"{PREFIX}.{activity_id}.{JOIN if join else LEAVE}"


def parse_activity(key: str) -> tuple[int, bool] | None:
    """(activity, join) of a choice's id; None for anything else."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or parts[2] not in (JOIN, LEAVE):
        return None
    activity_id = choice_number(parts[1])
    return None if activity_id is None else (activity_id, parts[2] == JOIN)


def door_value(button: Sequence[Any]) -> str:
    """A row's button as the value a door without the scheduler's callbacks offers: the
    sign-up of an activity as its choice id; any other as its action (or value)."""
    if len(button) > 2 and str(button[1]) == SchedAction.VOL_SIGN_UP.value:
        return activity_choice(int(button[2]), True)
    return str(button[1])


def signed_up_for(payload: dict[str, Any]) -> int | None:
    """The activity whose Sign up a row's buttons carry (its announcement); None otherwise."""
    for line in payload.get("buttons", []):
        for button in line:
            if len(button) > 2 and str(button[1]) == SchedAction.VOL_SIGN_UP.value:
                return int(button[2])
    return None
