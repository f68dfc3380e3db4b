"""Translations: Project Fluent files in ``bot/locales/<lang>/*.ftl`` rendered with fluent.runtime.

Handlers get a ``Translator`` bound to the caller's language; services, the scheduler and the
delivery worker render in the *recipient's* language with ``Translations.get(lang, key, ...)``,
because outside a handler there is no per-update context.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle
from fluent.syntax import FluentParser
from fluent.syntax.ast import Junk

from bot.text import FLUENT_LIMIT, cut

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES: tuple[str, ...] = ("zh-hans", "en")
LANGUAGE_NAMES = {"zh-hans": "简体中文", "en": "English"}
# Babel locale used for plural rules and number formatting of each language.
_BABEL_LOCALE = {"zh-hans": "zh", "en": "en"}
LOCALES_DIR = Path(__file__).parent / "locales"
# Rendered texts kept per (language, key, arguments), for arguments that are short plain strings
# and integers: a message renders the same each time (the bundles never change once loaded),
# and fluent.runtime's resolver cost ~5 % of an update's CPU. Past MAX_RENDERED entries the
# memory starts afresh (at most ~2 MB). A message that failed to render is not kept: its error
# is logged each time.
MAX_RENDERED = 4_096
MAX_KEPT_ARGUMENT = 80  # characters; longer (user text) is rendered each time


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
        self._rendered: dict[tuple[Any, ...], str] = {}
        self._in_every_language: dict[tuple[str, ...], frozenset[str]] = {}
        for language in SUPPORTED_LANGUAGES:
            bundle = FluentBundle([_BABEL_LOCALE[language]], use_isolating=False)
            for path in sorted((locales_dir / language).glob("*.ftl")):
                source = path.read_text(encoding="utf-8")
                # Parsed once, without the source positions fluent.runtime's FluentResource
                # keeps for every node (nothing reads them; 2 of the 5 MB the texts take).
                resource = FluentParser(with_spans=False).parse(source)
                # fluent.runtime skips what it cannot parse; a broken file must fail loudly.
                junk = [e for e in resource.body if isinstance(e, Junk)]
                if junk:
                    raise ValueError(f"{path}: cannot parse {(junk[0].content or '')[:80]!r}")
                bundle.add_resource(resource)
            self._bundles[language] = bundle

    def keys(self, language: str) -> set[str]:
        return set(self._bundles[language]._messages)

    def has(self, language: str, key: str) -> bool:
        return self._bundles[language].has_message(key)

    def get(self, language: str, key: str, **args: Any) -> str:
        for name in IDENTIFIERS.intersection(args):
            if type(args[name]) is int:  # "#1234", never a quantity's "#1,234"
                args[name] = str(args[name])
        if not all(_keepable(v) for v in args.values()):
            return self._render(language, key, args)[0]
        remembered = (language, key, *args.items())
        text = self._rendered.get(remembered)
        if text is None:
            text, rendered = self._render(language, key, args)
            if rendered:
                if len(self._rendered) >= MAX_RENDERED:
                    self._rendered.clear()
                self._rendered[remembered] = text
        return text

    def _render(self, language: str, key: str, args: dict[str, Any]) -> tuple[str, bool]:
        """The text, and whether it rendered without an error."""
        bundle = self._bundles.get(language) or self._bundles[self.default]
        found = bundle.has_message(key)
        if not found:
            log.error("missing translation %s for %s", key, language)
            bundle = self._bundles[self.default]
            if not bundle.has_message(key):
                return key, False
        message = bundle.get_message(key)
        if message.value is None:
            return key, False
        args = _bounded(key, args)
        text, errors = bundle.format_pattern(message.value, args)
        if errors:
            log.error("translation %s/%s: %s", language, key, errors)
        return str(text), found and not errors  # a missing one is logged each time

    def in_every_language(self, keys: tuple[str, ...]) -> frozenset[str]:
        """These texts in every language: what a keyboard's buttons may say, whichever language
        drew it. Worked out once: filters ask on every message."""
        texts = self._in_every_language.get(keys)
        if texts is None:
            texts = frozenset(
                self.get(language, key) for language in SUPPORTED_LANGUAGES for key in keys
            )
            self._in_every_language[keys] = texts
        return texts

    def bind(self, language: str) -> Translator:
        return Translator(self, language)


# Arguments that name a thing by its number (a ticket's "#{ $number }", a vote's "#{ $id }"):
# Fluent would format an int as a quantity, with the language's grouping ("#1,234"), where the
# card, the console and the resident's own typing have "#1234".
IDENTIFIERS = frozenset({"number", "id", "into", "old"})


def _keepable(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is str and len(value) <= MAX_KEPT_ARGUMENT


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
