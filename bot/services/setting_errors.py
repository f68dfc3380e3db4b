"""What goes wrong with community settings: a change the schema refuses (InvalidSetting,
UnknownSetting: nothing is changed), and a stored value that does not validate (written before
the schema existed, or by hand in the database), read as its default and logged once per
process, not at every scan of the scheduler."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError

from bot.services.errors import ServiceError
from bot.text import cut

log = logging.getLogger(__name__)
# Enough for every key of many communities; beyond it the log is not worth the memory.
_MAX_REMEMBERED = 1000
_warned: set[tuple[str, str]] = set()
# How much of unknown setting names an answer repeats (the schema's longest is far shorter).
KEYS_SHOWN = 80


def describe_error(error: ValidationError) -> str:
    """The first problem pydantic found, with where it is inside the value (``[1].code``)."""
    first = error.errors(include_url=False)[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where.lstrip('.')}: {message}" if where else message


def warn_invalid(key: str, value: Any, reason: str) -> None:
    """One warning per (key, value) and process: the setting keeps its default."""
    try:
        shown = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except ValueError:  # a circular structure cannot come from JSON; be safe anyway
        shown = repr(value)
    if (key, shown) in _warned:
        return
    if len(_warned) < _MAX_REMEMBERED:
        _warned.add((key, shown))
    log.warning(
        "community setting %s=%s is invalid (%s); using its default", key, shown[:200], reason
    )


class InvalidSetting(ServiceError):
    """A value the schema refuses; nothing was changed."""

    setting: str

    def __init__(self, key: str, expected: str, value: Any, detail: str = "") -> None:
        super().__init__(
            "settings-invalid",
            setting=key,
            expected=expected,
            value=_shown(value),
            detail=f" ({detail})" if detail else "",
        )
        self.setting = key


class UnknownSetting(ServiceError):
    """A change names a key the schema does not have; nothing was changed."""

    def __init__(self, keys: list[str]) -> None:
        # Cut: the name is whatever a forged form or a typo sent, and it is echoed back.
        super().__init__("settings-unknown", keys=cut(", ".join(keys), KEYS_SHOWN))


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:79] + "…"
