"""aiogram's Bot API models, built on first use instead of at import.

``import aiogram`` imports ``aiogram.types``, whose ``__init__`` calls ``model_rebuild()`` on each
of its ~400 pydantic models with one namespace of every type's name (the modules import each
other's types only for type checkers, so a model's annotations name types its own module does not
hold). Each rebuild builds a complete validator and serializer with every model it reaches inlined:
about 130 MB of the bot's resident memory, for a bot that meets a few dozen of those types. The
method models (``aiogram.methods``) are built as their classes are made, for the same reason.

Importing this module (first thing in ``python -m bot`` and tests/conftest.py) calls ``install()``,
which, before aiogram is first imported, lets that import run with those rebuilds
recorded instead of done, then gives every model class of aiogram the recorded namespace as its
``__pydantic_parent_namespace__`` (what pydantic keeps for a class made inside a function: the
names its annotations may use). ``TelegramObject`` is already ``defer_build``; a model whose build
is deferred or failed carries pydantic's placeholders for its validator, serializer and schema,
and the first use of any of them (validation, construction, dumping, ``model_json_schema()``)
calls ``model_rebuild()``, which resolves the annotations with that namespace ahead of the
caller's frame. What is built is then what the import would have built: the same annotations
with the same names (tests/test_lazy_models.py compares them, model by model). The method models
find their classes' placeholders at import and are built on first use the same way; aiogram's
``Response[...]`` (every API answer) inherits ``Response``'s namespace.

Without the namespace a lazily built model would resolve ``Chat`` in ``Message`` against whatever
frame asked first (or fail): that is why this is not simply "skip the rebuilds".

pydantic resolves the annotations of every class a build reaches with the namespace of the class
the build started from, so a model of our own with an aiogram type as a field would not find
aiogram's names in its own. For that case each aiogram module also gets, as module globals (which
the resolver reads after the namespaces above), the names its models' annotations use and it
lacks: those its ``if TYPE_CHECKING:`` imports would have given it, the same classes.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pydantic

_installed = False


def install() -> bool:
    """Import aiogram with its models' builds deferred. False (and nothing changed) when aiogram
    was imported before, or when aiogram.types did not ask for its rebuilds as expected."""
    global _installed
    if _installed:
        return True
    if "aiogram" in sys.modules or "aiogram.types" in sys.modules:
        return False

    recorded: list[type[pydantic.BaseModel]] = []
    namespaces: list[dict[str, Any]] = []
    original = pydantic.BaseModel.__dict__["model_rebuild"]
    rebuild = original.__func__

    def record(
        cls: type[pydantic.BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if (
            _types_namespace is not None
            and not force
            and cls.__module__.startswith("aiogram.types.")
            and isinstance(_types_namespace, dict)
        ):
            recorded.append(cls)
            if not namespaces or namespaces[-1] is not _types_namespace:
                namespaces.append(_types_namespace)
            return None
        # Any other rebuild during the import is done as asked; one frame deeper for the caller.
        result: bool | None = rebuild(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1 if _parent_namespace_depth else 0,
            _types_namespace=_types_namespace,
        )
        return result

    pydantic.BaseModel.model_rebuild = classmethod(record)  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401  (the import whose rebuilds are recorded)
    finally:
        pydantic.BaseModel.model_rebuild = original  # type: ignore[method-assign]

    if len(namespaces) != 1 or not recorded:
        # aiogram changed how it builds its types: build them now as it meant to.
        for namespace in namespaces:
            for cls in recorded:
                cls.model_rebuild(_types_namespace=namespace)
        return False
    namespace = dict(namespaces[0])
    for cls in aiogram_models():
        if cls.__dict__.get("__pydantic_parent_namespace__") is None:
            cls.__pydantic_parent_namespace__ = namespace
    _give_modules_their_names(namespace)
    _installed = True
    return True


def _give_modules_their_names(namespace: dict[str, Any]) -> None:
    """Add to each aiogram module the names of ``namespace`` its models' annotations use and it
    lacks (only those: all ~440 names in each of ~440 modules would cost 5 MB of dictionaries)."""
    for cls in aiogram_models():
        module = sys.modules.get(cls.__module__)
        if module is None:
            continue
        globals_ = vars(module)
        for annotation in vars(cls).get("__annotations__", {}).values():
            if not isinstance(annotation, str):
                continue
            for word in _NAME.findall(annotation):
                if word in namespace and word not in globals_:
                    globals_[word] = namespace[word]


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def aiogram_models() -> list[type[pydantic.BaseModel]]:
    """Every pydantic model class defined in an aiogram module imported so far."""
    found: dict[int, type[pydantic.BaseModel]] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "aiogram" or name.startswith("aiogram.")):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, pydantic.BaseModel)
                and value.__module__.startswith("aiogram.")
            ):
                found[id(value)] = value
    return list(found.values())


install()
