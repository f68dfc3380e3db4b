"""Who may do what to a ticket in which state. A pure table, checked on every action against
what the database says about the caller, never against what a button claims."""

from __future__ import annotations

from enum import StrEnum

from storage.models import TicketStatus

S = TicketStatus


class Relation(StrEnum):
    """How the caller stands to one ticket (strongest first)."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"  # coordinates the ticket's building or community
    HEAD = "head"  # head or deputy of the ticket's building
    RECIPIENT = "recipient"  # received the card (fallback routing, escalation)
    AUTHOR = "author"
    FOLLOWER = "follower"
    NONE = "none"


class Action(StrEnum):
    TAKE = "take"
    REPLY = "reply"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    HISTORY = "history"
    MERGE = "merge"
    OPEN = "open"  # see the card
    CONFIRM = "confirm"  # "yes, it is fixed"
    REOPEN = "reopen"  # "not fixed"
    RATE = "rate"
    WITHDRAW = "withdraw"
    MESSAGE = "message"  # resident writes to the head


STAFF = frozenset({Relation.ADMIN, Relation.COORDINATOR, Relation.HEAD, Relation.RECIPIENT})
RESIDENT = frozenset({Relation.AUTHOR, Relation.FOLLOWER})
OPEN = frozenset({S.NEW, S.TAKEN, S.REOPENED})
ACTIVE = frozenset({S.NEW, S.TAKEN, S.REOPENED, S.RESOLVED})
ANY = frozenset(S)

RULES: dict[Action, tuple[frozenset[Relation], frozenset[TicketStatus]]] = {
    Action.TAKE: (STAFF, frozenset({S.NEW, S.REOPENED})),
    Action.REPLY: (STAFF, ACTIVE),
    Action.RESOLVE: (STAFF, frozenset({S.TAKEN})),
    Action.ESCALATE: (STAFF, OPEN),
    Action.HISTORY: (STAFF | RESIDENT, ANY),
    Action.MERGE: (STAFF, OPEN),
    Action.OPEN: (STAFF | RESIDENT, ANY),
    Action.CONFIRM: (RESIDENT, frozenset({S.RESOLVED})),
    Action.REOPEN: (RESIDENT, frozenset({S.RESOLVED})),
    Action.RATE: (RESIDENT, frozenset({S.CLOSED})),
    Action.WITHDRAW: (frozenset({Relation.AUTHOR}), OPEN),
    Action.MESSAGE: (RESIDENT, ACTIVE),
}


def may(action: Action, relations: frozenset[Relation], status: TicketStatus) -> bool:
    """Whether someone standing in ``relations`` to a ticket in ``status`` may do ``action``."""
    who, when = RULES[action]
    return bool(relations & who) and status in when


def is_staff(relations: frozenset[Relation]) -> bool:
    return bool(relations & STAFF)
