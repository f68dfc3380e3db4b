"""Who may do what to a ticket in which state. A pure table, checked on every action against
what the database says about the caller, never against what a button claims."""

from __future__ import annotations

from enum import StrEnum

from storage.models import TicketStatus

S = TicketStatus


class Relation(StrEnum):
    """How the caller stands to one ticket (strongest first). Staff relations come from the
    person's *current* roles only: having received a ticket's card (fallback routing,
    escalation) is no relation, so a removed head, deputy, coordinator or admin loses every
    ticket of that role at once."""

    ADMIN = "admin"  # listed in ADMIN_IDS now
    COORDINATOR = "coordinator"  # coordinates the ticket's building or community
    HEAD = "head"  # head or deputy of the ticket's building
    AUTHOR = "author"
    FOLLOWER = "follower"  # "me too": hears of status changes, sees nothing of the conversation
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
    STILL = "still"  # a follower: "still a problem for me" (a linked ticket of their own)
    WHISTLE = "whistle"  # forward outside (吹哨): a work order to a department
    WHISTLE_ANSWER = "whistle-answer"  # the department answered: record it
    ASSIGN = "assign"  # give the ticket to a head or deputy of its building (the console)


STAFF = frozenset({Relation.ADMIN, Relation.COORDINATOR, Relation.HEAD})
RESIDENT = frozenset({Relation.AUTHOR, Relation.FOLLOWER})
# The community office: whoever speaks for the community to the departments outside. A head
# (or deputy) escalates to the office instead; see bot/services/whistle.py.
OFFICE = frozenset({Relation.ADMIN, Relation.COORDINATOR})
AUTHOR = frozenset({Relation.AUTHOR})
FOLLOWER = frozenset({Relation.FOLLOWER})
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
    # Only the author speaks for the ticket: confirms, reopens, rates, talks with the staff.
    Action.CONFIRM: (AUTHOR, frozenset({S.RESOLVED})),
    Action.REOPEN: (AUTHOR, frozenset({S.RESOLVED})),
    Action.RATE: (AUTHOR, frozenset({S.CLOSED})),
    Action.WITHDRAW: (AUTHOR, OPEN),
    Action.MESSAGE: (AUTHOR, ACTIVE),
    # A follower whose problem outlives the ticket (resolved, confirmed, withdrawn) goes on.
    Action.STILL: (FOLLOWER, frozenset({S.RESOLVED, S.CLOSED, S.WITHDRAWN})),
    # Forwarding does not close the ticket; an answer may come after it was closed (and stops
    # the work order's reminders then too). Whether an order is waiting is the work order's
    # state, checked by the whistle service.
    Action.WHISTLE: (OFFICE, OPEN),
    Action.WHISTLE_ANSWER: (OFFICE, ANY),
    # Whoever may take a ticket may hand it to a colleague of the building, also from one who
    # has it (a head away for a week): while it is open.
    Action.ASSIGN: (STAFF, OPEN),
}


def may(action: Action, relations: frozenset[Relation], status: TicketStatus) -> bool:
    """Whether someone standing in ``relations`` to a ticket in ``status`` may do ``action``."""
    who, when = RULES[action]
    return bool(relations & who) and status in when


def is_staff(relations: frozenset[Relation]) -> bool:
    return bool(relations & STAFF)


def is_author_or_staff(relations: frozenset[Relation]) -> bool:
    """Sees the ticket's conversation and its reporter's words; a follower sees neither."""
    return bool(relations & (STAFF | AUTHOR))
