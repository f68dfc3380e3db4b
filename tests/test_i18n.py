"""Translations: both languages hold the same keys, every key renders, every key the code uses
exists (found by walking the source), and Telegram language codes map to a supported language."""

from __future__ import annotations

import ast
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fl
from fluent.syntax.visitor import Visitor

from bot.i18n import LOCALES_DIR, SUPPORTED_LANGUAGES, Translations, match_language
from bot.services import errors as service_errors
from bot.services.community import INVITABLE
from telegram.commands import COORDINATOR, EVERYONE, HEAD

ROOT = Path(__file__).parent.parent
SOURCE_DIRS = ("bot", "handlers")
NUMERIC_ARGS = {"count", "max", "line", "n", "number", "stars"}
PLURAL_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


# --- the translation files, read with the Fluent parser ---------------------------------------


def _messages(language: str) -> dict[str, fl.Message]:
    messages: dict[str, fl.Message] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        for entry in resource.body:
            if isinstance(entry, fl.Message):
                assert entry.id.name not in messages, f"{path}: {entry.id.name} defined twice"
                messages[entry.id.name] = entry
    return messages


MESSAGES = {language: _messages(language) for language in SUPPORTED_LANGUAGES}


class _Variables(Visitor):
    def __init__(self, messages: dict[str, fl.Message]) -> None:
        super().__init__()
        self.messages = messages
        self.names: set[str] = set()
        self.selectors: dict[str, set[str]] = {}  # variable → the keys of its variants
        self._seen: set[str] = set()

    def visit_VariableReference(self, node: fl.VariableReference) -> None:
        self.names.add(node.id.name)

    def visit_SelectExpression(self, node: fl.SelectExpression) -> None:
        if isinstance(node.selector, fl.VariableReference):
            keys = self.selectors.setdefault(node.selector.id.name, set())
            for variant in node.variants:
                key = variant.key
                keys.add(key.name if isinstance(key, fl.Identifier) else str(key.value))
        self.generic_visit(node)

    def visit_MessageReference(self, node: fl.MessageReference) -> None:
        # A referenced message sees the caller's arguments.
        name = node.id.name
        if name not in self._seen and name in self.messages:
            self._seen.add(name)
            self.visit(self.messages[name])


def variables(language: str, key: str) -> tuple[set[str], dict[str, set[str]]]:
    visitor = _Variables(MESSAGES[language])
    visitor.visit(MESSAGES[language][key])
    return visitor.names, visitor.selectors


# --- every translation key the code uses, found by walking its syntax tree --------------------
#
# A key reaches Fluent through ``t(key)``, ``translations.get(language, key)``/``.has`` or
# ``ServiceError(key)``, or through a helper that passes one of its parameters on to those
# (``Notifier.tell(session, telegram_id, key, ...)``); helpers are found to a fixed point.
# Keys are resolved from string literals, conditional expressions and local assignments;
# f-strings and "prefix-" + value are checked as templates.


@dataclass(frozen=True)
class KeyUse:
    where: str  # path:line
    keys: frozenset[str]  # the keys this call may render
    template: str | None  # a computed key such as "duties-{}", else None
    dynamic: str | None  # the expression when it cannot be resolved statically
    kwargs: frozenset[str] | None  # keyword arguments, when the call renders the key itself


@dataclass(frozen=True)
class Sink:
    index: int  # position of the key among the call's positional arguments
    keyword: str | None  # or its keyword


# ServiceError and its subclasses that take the key as it does (InputRefused("flat-invalid")).
KEYED_ERRORS = frozenset(
    name
    for name, value in vars(service_errors).items()
    if isinstance(value, type)
    and issubclass(value, service_errors.ServiceError)
    and value.__init__ is service_errors.ServiceError.__init__
)
DIRECT_SINKS = {"t": Sink(0, None), **{name: Sink(0, "key") for name in KEYED_ERRORS}}
Function = ast.FunctionDef | ast.AsyncFunctionDef


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _key_argument(call: ast.Call, sinks: dict[str, Sink]) -> ast.expr | None:
    name = _call_name(call)
    if name in ("get", "has") and isinstance(call.func, ast.Attribute):
        if "ranslations" in ast.unparse(call.func.value) and len(call.args) >= 2:
            return call.args[1]
        return None
    sink = sinks.get(name)
    if sink is None:
        return None
    if len(call.args) > sink.index and not any(
        isinstance(a, ast.Starred) for a in call.args[: sink.index + 1]
    ):
        return call.args[sink.index]
    for keyword in call.keywords:
        if keyword.arg is not None and keyword.arg == sink.keyword:
            return keyword.value
    return None


def _assignments(function: Function | None, name: str) -> list[ast.expr]:
    if function is None:
        return []
    values: list[ast.expr] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            values.append(node.value)
    return values


def _parameters(function: Function) -> list[str]:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _resolve(expr: ast.expr, function: Function | None) -> tuple[set[str], str | None, str | None]:
    """(keys, template, unresolvable expression)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}, None, None
    if isinstance(expr, ast.IfExp):
        keys_a, template_a, dynamic_a = _resolve(expr.body, function)
        keys_b, template_b, dynamic_b = _resolve(expr.orelse, function)
        return keys_a | keys_b, template_a or template_b, dynamic_a or dynamic_b
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = expr.left, expr.right
        if isinstance(left, ast.Constant) and isinstance(left.value, str):
            return set(), f"{left.value}{{}}", None
        if isinstance(right, ast.Constant) and isinstance(right.value, str):
            return set(), f"{{}}{right.value}", None
    if isinstance(expr, ast.JoinedStr):
        template = "".join(
            str(v.value) if isinstance(v, ast.Constant) else "{}" for v in expr.values
        )
        return set(), template, None
    if isinstance(expr, ast.Name):
        values = _assignments(function, expr.id)
        if values:
            keys: set[str] = set()
            assigned: str | None = None  # the template of one of the name's assignments
            dynamic: str | None = None
            for value in values:
                more, template_, dynamic_ = _resolve(value, function)
                keys |= more
                assigned, dynamic = assigned or template_, dynamic or dynamic_
            return keys, assigned, dynamic
    return set(), None, ast.unparse(expr)


def _calls(tree: ast.AST) -> Iterator[tuple[Function | None, ast.Call]]:
    """Every call with its innermost enclosing function."""

    def walk(
        node: ast.AST, function: Function | None
    ) -> Iterator[tuple[Function | None, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, Function) else function
            if isinstance(child, ast.Call):
                yield inner, child
            yield from walk(child, inner)

    yield from walk(tree, None)


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for directory in SOURCE_DIRS
        for path in sorted((ROOT / directory).rglob("*.py"))
    ]


def _passes_a_parameter(function: Function | None, expr: ast.expr) -> str | None:
    """The parameter name when ``expr`` is a parameter of ``function`` passed on unchanged."""
    if (
        function is not None
        and isinstance(expr, ast.Name)
        and expr.id in _parameters(function)
        and not _assignments(function, expr.id)
    ):
        return expr.id
    return None


def find_sinks(sources: list[tuple[str, ast.Module]]) -> dict[str, Sink]:
    sinks = dict(DIRECT_SINKS)
    changed = True
    while changed:
        changed = False
        for _, tree in sources:
            for function, call in _calls(tree):
                argument = _key_argument(call, sinks)
                if argument is None or function is None or function.name.startswith("__"):
                    continue
                parameter = _passes_a_parameter(function, argument)
                if parameter is not None and function.name not in sinks:
                    index = _parameters(function).index(parameter)
                    sinks[function.name] = Sink(index, parameter)
                    changed = True
    return sinks


def key_uses() -> list[KeyUse]:
    sources = _sources()
    sinks = find_sinks(sources)
    uses: list[KeyUse] = []
    for relative, tree in sources:
        for function, call in _calls(tree):
            argument = _key_argument(call, sinks)
            if argument is None or _passes_a_parameter(function, argument) is not None:
                continue  # a helper passing its parameter on: its callers are checked
            keys, template, dynamic = _resolve(argument, function)
            direct = _call_name(call) in ("t", "get") or _call_name(call) in KEYED_ERRORS
            spread = any(k.arg is None for k in call.keywords)
            kwargs = (
                frozenset(k.arg for k in call.keywords if k.arg) if direct and not spread else None
            )
            uses.append(
                KeyUse(f"{relative}:{call.lineno}", frozenset(keys), template, dynamic, kwargs)
            )
    return uses


USES = key_uses()


def test_the_walk_finds_the_known_call_sites() -> None:
    """Guards the walker itself: if it stopped seeing calls, the tests below would pass
    vacuously."""
    found = set().union(*(u.keys for u in USES))
    assert {"error-generic", "button-stale", "invite-issued", "not-allowed"} <= found
    assert {"joined", "joined-already", "cancelled", "nothing-to-cancel"} <= found
    assert {"appointed-notice", "flat-invalid", "start-link-malformed"} <= found
    assert any(u.template == "duties-{}" for u in USES)
    assert len(found) >= 40


def test_both_languages_have_exactly_the_same_keys() -> None:
    translations = Translations()
    zh, en = translations.keys("zh-hans"), translations.keys("en")
    assert sorted(zh - en) == [], "only in zh-hans"
    assert sorted(en - zh) == [], "only in en"
    assert set(MESSAGES["en"]) == en  # the parser sees what fluent.runtime loaded


@pytest.mark.parametrize("key", sorted(MESSAGES["en"]))
def test_a_key_takes_the_same_arguments_in_both_languages(key: str) -> None:
    # The names only: plural variants differ by language (Chinese has none).
    assert variables("en", key)[0] == variables("zh-hans", key)[0]


def _sample_arguments(names: set[str], selectors: dict[str, set[str]]) -> Iterator[dict[str, Any]]:
    """Representative arguments: each variant of a selector (and a value matching none),
    several numbers for plurals, a recognisable text for everything else."""
    choices: dict[str, list[Any]] = {}
    for name in sorted(names):
        variants = selectors.get(name)
        if variants is not None:
            numeric = [int(v) for v in variants if v.lstrip("-").isdigit()]
            if variants & PLURAL_CATEGORIES or numeric or name in NUMERIC_ARGS:
                choices[name] = sorted({0, 1, 2, 5, 17, *numeric})
            else:
                choices[name] = sorted(variants) + ["something-else"]
        elif name in NUMERIC_ARGS:
            choices[name] = [42]
        else:
            choices[name] = [f"«{name}»"]
    for combination in itertools.product(*choices.values()):
        yield dict(zip(choices, combination, strict=True))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_key_renders_without_fluent_errors(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    translations = Translations()
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    for key in sorted(MESSAGES[language]):
        names, selectors = variables(language, key)
        for args in _sample_arguments(names, selectors):
            text = translations.get(language, key, **args)
            assert text.strip() and text != key, f"{language}/{key} renders empty"
            for name, value in args.items():
                if name not in selectors:
                    assert str(value) in text, f"{language}/{key} drops ${name}: {text!r}"
    assert [r.getMessage() for r in caplog.records] == []


def test_a_missing_argument_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    """The check above can fail: a message rendered without its argument logs an error."""
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    Translations().get("en", "flat-saved")
    assert any("flat-saved" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_key_the_code_uses_exists(language: str) -> None:
    known = set(MESSAGES[language])
    missing = sorted(f"{use.where}: {key}" for use in USES for key in use.keys if key not in known)
    assert missing == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_f_string_key_matches_a_key(language: str) -> None:
    known = set(MESSAGES[language])
    for use in USES:
        if use.template is None:
            continue
        pattern = re.compile(
            "^" + ".+".join(re.escape(part) for part in use.template.split("{}")) + "$"
        )
        assert any(pattern.match(key) for key in known), f"{use.where}: {use.template}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_appointed_role_has_its_duties(language: str) -> None:
    # handlers/onboarding.py renders f"duties-{role}" for the role an invitation grants.
    for role in INVITABLE:
        assert f"duties-{role.value}" in MESSAGES[language]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_menu_command_has_a_description(language: str) -> None:
    translations = Translations()
    for command, key in EVERYONE + HEAD + COORDINATOR:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command)
        assert key in MESSAGES[language], f"/{command}: {key}"
        text = translations.get(language, key)
        assert 0 < len(text) <= 256


def test_call_sites_pass_every_argument_the_message_needs() -> None:
    problems = []
    for use in USES:
        if use.kwargs is None:
            continue
        for key in use.keys:
            for language in SUPPORTED_LANGUAGES:
                if key not in MESSAGES[language]:
                    continue  # reported by test_every_key_the_code_uses_exists
                names, _ = variables(language, key)
                if names - use.kwargs:
                    problems.append(f"{use.where}: {key} needs {sorted(names - use.kwargs)}")
    assert sorted(set(problems)) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("zh_CN", "zh-hans"),
        ("zh-TW", "zh-hans"),
        ("zh-hant", "zh-hans"),
        ("zh-HK", "zh-hans"),
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("ru", "DEFAULT"),
        ("de-DE", "DEFAULT"),
        ("english", "DEFAULT"),
        ("", "DEFAULT"),
        (None, "DEFAULT"),
    ],
)
@pytest.mark.parametrize("default", SUPPORTED_LANGUAGES)
def test_match_language(code: str | None, expected: str, default: str) -> None:
    assert match_language(code, default) == (default if expected == "DEFAULT" else expected)


def test_a_message_with_short_plain_arguments_is_rendered_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rendered texts are kept (issue 11: Fluent's resolver was ~5 % of an update's CPU); a
    long argument (user text), a failed render and a missing key are rendered every time."""
    translations = Translations()
    bundle = translations._bundles["en"]
    calls: list[str] = []
    original = bundle.format_pattern

    def counting(pattern: Any, args: Any = None) -> Any:
        calls.append("render")
        return original(pattern, args)

    bundle.format_pattern = counting  # type: ignore[method-assign]
    first = translations.get("en", "button-stale")
    assert translations.get("en", "button-stale") == first
    assert len(calls) == 1
    assert translations.get("en", "flood-slow-down", n=3) == translations.get(
        "en", "flood-slow-down", n=3
    )
    assert len(calls) == 2
    long = "x" * 500
    translations.get("en", "button-stale", text=long)
    translations.get("en", "button-stale", text=long)
    assert len(calls) == 4
    with caplog.at_level(logging.ERROR):
        assert translations.get("en", "no-such-key") == "no-such-key"
        assert translations.get("en", "no-such-key") == "no-such-key"
    assert len([r for r in caplog.records if "no-such-key" in r.getMessage()]) == 2


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_ticket_number_reads_as_on_its_card_not_as_a_quantity(language: str) -> None:
    translations = Translations()
    sent = translations.get(language, "report-sent", number=12345, who="-", building="A1")
    assert "#12345" in sent
    assert "12,345" not in sent
    # the same message kept and asked again reads the same
    assert translations.get(language, "report-sent", number=12345, who="-", building="A1") == sent
