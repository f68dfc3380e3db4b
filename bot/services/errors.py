from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal the user should read. ``key`` is a translation key; handlers render it in the
    caller's language and the CLI in English."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


# What a door does besides reading the refusal depends on its kind; these say which. Each is
# raised where the service decides the condition, so a door never reads ``key`` to tell them apart.


class Spent(ServiceError):
    """The button already did its work, or is too old to do it: pressing it again changes
    nothing, so a door takes the button away with the answer."""


class InputRefused(ServiceError):
    """The person's answer to a question is not usable (a flat number out of shape, a ticket
    number that does not exist): the question stays open for another answer."""


class NotStaff(ServiceError):
    """The caller holds no staff role (head, deputy, coordinator, admin) at all: a staff-only
    list or setting is refused as such, whatever the door calls it."""

    def __init__(self) -> None:
        super().__init__("not-allowed")


class ReportRefused(ServiceError):
    """This person cannot file this report at all (not a resident of the building, the day's
    cap reached): unlike a fixable draft (empty, too long), the draft is over."""
