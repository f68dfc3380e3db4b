from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal the user should read. ``key`` is a translation key; handlers render it in the
    caller's language and the CLI in English."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args
