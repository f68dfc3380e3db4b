"""Translations: Project Fluent files in ``bot/locales/<lang>/*.ftl`` rendered with fluent.runtime.

Handlers get a ``Translator`` bound to the caller's language; services, the scheduler and the
delivery worker render in the *recipient's* language with ``Translations.get(lang, key, ...)``,
because outside a handler there is no per-update context.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser
from fluent.syntax.ast import Junk

from bot.text import FLUENT_LIMIT, cut

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES: tuple[str, ...] = ("zh-hans", "en")
LANGUAGE_NAMES = {"zh-hans": "简体中文", "en": "English"}
# Babel locale used for plural rules and number formatting of each language.
_BABEL_LOCALE = {"zh-hans": "zh", "en": "en"}
LOCALES_DIR = Path(__file__).parent / "locales"
# Formatted messages kept (``Translations.get``); past it they are kept afresh.
FORMATTED_KEPT = 4096


def match_language(code: str | None, default: str) -> str:
    """Map a Telegram ``language_code`` (an IETF tag such as ``zh-hans``, ``zh-CN``, ``en-GB``)
    to a supported language; anything else gets the community default."""
    if not code:
        return default
    code = code.lower().replace("_", "-")
    if code in SUPPORTED_LANGUAGES:
        return code
    if code.split("-")[0] == "zh":
        # Only Simplified Chinese is translated; a Traditional Chinese reader still reads it
        # better than English.
        return "zh-hans"
    if code.split("-")[0] == "en":
        return "en"
    return default


def telegram_language_code(language: str) -> str:
    """setMyCommands takes a two-letter ISO 639-1 code."""
    return language.split("-")[0]


class Translations:
    def __init__(self, locales_dir: Path = LOCALES_DIR, default: str = "zh-hans") -> None:
        self.default = default
        self._bundles: dict[str, FluentBundle] = {}
        self._formatted: dict[Hashable, str] = {}  # see ``get``
        for language in SUPPORTED_LANGUAGES:
            bundle = FluentBundle([_BABEL_LOCALE[language]], use_isolating=False)
            for path in sorted((locales_dir / language).glob("*.ftl")):
                source = path.read_text(encoding="utf-8")
                # fluent.runtime skips what it cannot parse; a broken file must fail loudly.
                junk = [e for e in FluentParser().parse(source).body if isinstance(e, Junk)]
                if junk:
                    raise ValueError(f"{path}: cannot parse {(junk[0].content or '')[:80]!r}")
                bundle.add_resource(FluentResource(source))
            self._bundles[language] = bundle

    def keys(self, language: str) -> set[str]:
        return set(self._bundles[language]._messages)

    def has(self, language: str, key: str) -> bool:
        return self._bundles[language].has_message(key)

    def get(self, language: str, key: str, **args: Any) -> str:
        # The same message with the same arguments reads the same: kept, since a card or a
        # list formats a dozen of them each time (a button's label, a status, a building).
        memo: Hashable = (language, key, *sorted(args.items())) if args else (language, key)
        try:
            found = self._formatted.get(memo)
        except TypeError:  # an argument that is no key (never one of the cards')
            found, memo = None, None
        if found is not None:
            return found
        bundle = self._bundles.get(language) or self._bundles[self.default]
        if not bundle.has_message(key):
            log.error("missing translation %s for %s", key, language)
            bundle = self._bundles[self.default]
            if not bundle.has_message(key):
                return key
            memo = None  # logged each time it is asked
        message = bundle.get_message(key)
        if message.value is None:
            return key
        bounded = _bounded(key, args)
        text, errors = bundle.format_pattern(message.value, bounded)
        if errors:
            log.error("translation %s/%s: %s", language, key, errors)
        elif memo is not None and bounded is args:
            if len(self._formatted) >= FORMATTED_KEPT:
                self._formatted.clear()
            self._formatted[memo] = str(text)
        return str(text)

    def bind(self, language: str) -> Translator:
        return Translator(self, language)


def _bounded(key: str, args: dict[str, Any]) -> dict[str, Any]:
    """fluent.runtime would print "{???}" for a placeable over FLUENT_LIMIT characters. User
    text is composed outside Fluent (a header from Fluent, then the text), so this is a bug
    where it happens: it is logged, and the reader gets the beginning, marked "…", not "{???}"."""
    long = [
        name for name, value in args.items() if isinstance(value, str) and len(value) > FLUENT_LIMIT
    ]
    if not long:
        return args
    log.error("translation %s: argument(s) %s too long for Fluent; compose outside it", key, long)
    # UTF-16 units are never fewer than characters: the cut value fits Fluent's limit.
    return {
        name: cut(value, FLUENT_LIMIT) if name in long else value for name, value in args.items()
    }


@dataclass(frozen=True, slots=True)
class Translator:
    """The translations in one person's language; handlers receive it as ``t``."""

    translations: Translations
    language: str

    def __call__(self, key: str, **args: Any) -> str:
        return self.translations.get(self.language, key, **args)
