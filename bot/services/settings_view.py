"""A community's settings as people read them: every key with its effective value, marked when
it is the default or when the stored value is invalid (``python -m bot settings COMMUNITY``),
and the README's table of settings, both from the schema (bot/services/settings_schema.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.services.settings_schema import (
    KEYS,
    invalid_stored,
    meaning,
    read_settings,
    shown_default,
)


@dataclass(frozen=True, slots=True)
class SettingLine:
    key: str
    value: Any  # the effective value, as JSON would write it
    default: bool
    # A stored value that does not validate (the default applies instead), and why.
    invalid: tuple[Any, str] | None = None


@dataclass(frozen=True, slots=True)
class SettingsView:
    community: str
    lines: tuple[SettingLine, ...]

    def value(self, key: str) -> Any:
        return next(line.value for line in self.lines if line.key == key)


def describe(
    community: str, stored: Mapping[str, Any], timezone: str, default_timezone: str
) -> SettingsView:
    effective = read_settings(stored).model_dump(mode="json")
    bad = invalid_stored(stored)
    lines = [SettingLine("timezone", timezone, timezone == default_timezone)]
    for key in KEYS:
        invalid = (stored[key], bad[key].removeprefix(f"{key}: ")) if key in bad else None
        lines.append(SettingLine(key, effective[key], key not in stored or key in bad, invalid))
    return SettingsView(community, tuple(lines))


def about(t: Translator, key: str) -> str:
    """What a setting means, in the reader's language (``settings-about-<key>`` in
    bot/locales/*/settings.ftl and whistle.ftl; the schema's own English words are the
    README's)."""
    return t(f"settings-about-{key}")


def render_text(view: SettingsView, t: Translator | None = None) -> list[str]:
    """One line per setting, ``key  value`` with the value in JSON (what ``KEY=VALUE`` takes
    back), then a note for defaults and invalid stored values; with ``t``, each preceded by
    a comment line saying what it means."""
    width = max(len(line.key) for line in view.lines)
    out = []
    for line in view.lines:
        if t is not None:
            out.append(f"# {about(t, line.key)}")
        text = f"{line.key:<{width}}  {_json(line.value)}"
        if line.invalid is not None:
            stored, reason = line.invalid
            text += f"  # default: the stored {_json(stored)} is invalid ({reason})"
        elif line.default:
            text += "  # default"
        out.append(text)
    return out


def markdown_table() -> str:
    """The README's table of settings."""
    rows = [
        "| setting | default | meaning |",
        "|---|---|---|",
        "| `timezone` | `TIMEZONE` | the community's IANA time zone |",
    ]
    rows += [f"| `{key}` | {shown_default(key)} | {meaning(key)} |" for key in KEYS]
    return "\n".join(rows)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
