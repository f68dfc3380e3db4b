"""The whistle's refusals (bot/services/whistle.py): typed, so the doors' one error handler
reads each to the person in their language and nothing changes."""

from __future__ import annotations

from bot.services.errors import ServiceError
from storage.models import Ticket, WorkOrder


class OfficeOnly(ServiceError):
    """A head or deputy pressed (or forged) the whistle: the office forwards; they escalate."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("whistle-office-only", number=ticket.number)


class UnknownDepartment(ServiceError):
    """A department the community's list does not have (a forged button, or one removed from
    the list since the keyboard was shown)."""

    def __init__(self) -> None:
        super().__init__("whistle-unknown-department")


class AlreadyForwarded(ServiceError):
    """The ticket's work order still waits for its answer: one at a time (a double tap, two
    coordinators at once, an old keyboard)."""

    def __init__(self, ticket: Ticket, order: WorkOrder, department: str) -> None:
        super().__init__(
            "whistle-already",
            number=ticket.number,
            reference=order.reference,
            department=department,
        )


class NoAnswerAwaited(ServiceError):
    """ "Answer received" when no work order of the ticket waits (answered meanwhile)."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("whistle-nothing-waiting", number=ticket.number)


class TicketNotFound(ServiceError):
    """/whistle with a number the caller has no ticket of."""

    def __init__(self, number: int) -> None:
        super().__init__("whistle-no-ticket", number=number)
