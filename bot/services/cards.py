"""What a ticket looks like to someone: the card's text and which buttons it carries.
Pure content (no aiogram): handlers and the delivery worker turn ``buttons`` into a keyboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.categories import Category
from bot.services.departments import name_in
from bot.services.policy import Action, Relation, is_author_or_staff, is_staff, may
from bot.text import TEXT_LIMIT, cut, fits
from storage.models import Community, Person, Ticket, TicketStatus
from storage.rows import BuildingView, CardCommunityView, EventView, OrderView

# A card is edited in place as the ticket changes, so it must always fit one message: the
# description shows its beginning (the full text comes with the card to the staff once, and is
# in History); CARD_LIMIT leaves room for a question shown under the card (withdraw?).
DESCRIPTION_PREVIEW = 1000  # UTF-16 units
CARD_LIMIT = TEXT_LIMIT - 300
HISTORY_DETAIL = 200  # UTF-16 units of a note or message on a History line
SHARED_PREVIEW = 1000  # UTF-16 code units of a description shared with neighbours
REOPENED_PREVIEW = 300  # UTF-16 units of the resident's "not fixed" reason on a card
ANSWER_PREVIEW = 300  # UTF-16 units of a department's answer on a card (whole in History)
STAFF_ONLY_DETAILS = frozenset({"escalated", "merged", "merged-in", "routed", "assigned"})
# Events done by a follower: their words (and names) are nobody else's business.
NEIGHBOUR_EVENTS = frozenset({"cosigned", "still-problem"})
# What a follower's History shows: how the ticket moved, never what was said
# (the ladder's "ladder-<reason>-<level>" events are public too).
PUBLIC_EVENTS = frozenset(
    {
        "created",
        "routed",
        "rerouted",
        "handed-over",
        "taken",
        "assigned",
        "resolved",
        "escalated",
        "merged",
        "merged-in",
        "confirmed",
        "reopened",
        "auto-closed",
        "withdrawn",
        "cosigned",
        "still-problem",
        "linked",
        "whistled",
        "whistle-answered",
    }
)


@dataclass(frozen=True, slots=True)
class CardView:
    text: str
    # Rows of (label, action); the ticket id is the card's.
    buttons: list[list[tuple[str, Action]]] = field(default_factory=list)
    # False: the reader has nothing (any more) to do with the ticket. An old card of theirs is
    # edited to this (no buttons); a new message is never sent for it.
    access: bool = True


class Shareable(Protocol):
    """What a preview reads of a ticket (a ``Ticket`` or a row of one)."""

    @property
    def share_description(self) -> bool: ...
    @property
    def description(self) -> str: ...


def shared_preview(ticket: Shareable, units: int) -> str:
    """The description a neighbour may read, when its author agreed (else ""), cut to
    ``units`` UTF-16 code units (Telegram's measure of a message) with "…"."""
    if not ticket.share_description:
        return ""
    text = ticket.description.strip()
    encoded = text.encode("utf-16-le")
    if len(encoded) // 2 <= units:
        return text
    cut = encoded[: 2 * (units - 1)].decode("utf-16-le", errors="ignore")
    return cut + "…"


def local_time(moment: datetime, community: CardCommunityView) -> str:
    return moment.astimezone(ZoneInfo(community.timezone)).strftime("%Y-%m-%d %H:%M")


def category_name(t: Translator, category: Category | None, code: str) -> str:
    """The category's name in the reader's language: the community's own name for it, else the
    translation of a built-in code, else another language's name, else the bare code (a ticket
    of a category the community has since removed), never a raw translation key."""
    own = category.name(t.language) if category else None
    if own:
        return own
    if t.translations.has(t.language, "category-" + code):
        return t("category-" + code)
    names = dict(category.names) if category else {}
    return next(iter(names.values()), code)


def category_label(t: Translator, category: Category | None, code: str) -> str:
    return f"{category.emoji if category else '📝'} {category_name(t, category, code)}"


def age(t: Translator, since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return t("age-minutes", n=minutes)
    if minutes < 48 * 60:
        return t("age-hours", n=minutes // 60)
    return t("age-days", n=minutes // (24 * 60))


def reporter_name(t: Translator, ticket: Ticket, author: Person | None) -> str:
    """The reporter as the staff may name them: as the ticket's consent says, everywhere."""
    return reporter_named(t, ticket, None if author is None else author.display_name)


def reporter_named(t: Translator, ticket: Ticket, display_name: str | None) -> str:
    """``reporter_name`` from the author's display name alone (None: the author is gone)."""
    if display_name is None:
        return t("card-reporter-gone")
    return display_name if ticket.show_name else t("card-reporter-hidden")


def consented_reporter(t: Translator, ticket: Ticket, author: Person | None) -> tuple[str, str]:
    """(name, phone) as the ticket's consent allows, the rule of the staff's card: the name or
    "name hidden", the phone only when shared ("" otherwise)."""
    if author is None:
        return t("export-reporter-gone"), ""
    phone = author.phone if ticket.show_phone and author.phone else ""
    return reporter_name(t, ticket, author), phone or ""


def reporter_line(t: Translator, ticket: Ticket, author: Person | None) -> str:
    if author is None:
        return t("card-reporter-gone")
    name = reporter_name(t, ticket, author)
    if ticket.show_phone and author.phone:
        return t("card-reporter-phone", name=name, phone=author.phone)
    return t("card-reporter", name=name)


def render_card(
    t: Translator,
    ticket: Ticket,
    *,
    community: CardCommunityView,
    building: BuildingView,
    category: Category | None,
    author: Person | None,
    holder: Person | None,
    followers: int,
    relations: frozenset[Relation],
    now: datetime,
    reopened: str | None = None,
    order: OrderView | None = None,
) -> CardView:
    """``reopened``: the resident's reason when the ticket was reopened since it was last
    resolved ("" without one); staff see it under the status. ``order``: the ticket's newest
    work order (the whistle), shown to everyone as where it went and whether the department
    answered; its answer to the staff and the author only."""
    title = f"{category_label(t, category, ticket.category)} · #{ticket.number}"
    place = t("card-building", building=building.name, community=community.name)
    if not relations:
        # A former head (or admin): what the ticket is, and nothing of what it says.
        return CardView("\n".join([title, place, "", t("card-no-access")]), access=False)
    if not is_author_or_staff(relations):
        return _follower_card(t, ticket, title, place, community, holder, relations, now, order)
    lines = [
        title + (f" · {t('card-urgent')}" if ticket.urgent else ""),
        place + (t("card-flat", flat=ticket.flat) if ticket.flat else ""),
    ]
    if is_staff(relations):
        lines.append(reporter_line(t, ticket, author))
    if ticket.description:
        lines.append("")
        lines.append(cut(ticket.description, DESCRIPTION_PREVIEW))
        if description_is_cut(ticket.description):
            lines.append(t("card-description-cut"))
        lines.append("")
    photos = sum(1 for m in ticket.media if m.get("type") == "photo")
    voices = sum(1 for m in ticket.media if m.get("type") == "voice")
    attachments = []
    if photos:
        attachments.append(t("card-photos", n=photos))
    if voices:
        attachments.append(t("card-voice", n=voices))
    if ticket.latitude is not None:
        attachments.append(t("card-location"))
    if attachments:
        lines.append("📎 " + " · ".join(attachments))
    if followers:
        lines.append(t("card-followers", n=followers))
    lines.append(
        t(
            "card-reported",
            time=local_time(ticket.created_at, community),
            age=age(t, ticket.created_at, now),
        )
    )
    lines.append(status_line(t, ticket, holder, staff=is_staff(relations)))
    if reopened is not None and is_staff(relations):
        lines.append(
            t("card-reopened-note", note=cut(reopened, REOPENED_PREVIEW))
            if reopened
            else t("card-reopened")
        )
    if ticket.escalated:
        lines.append(t("card-escalated"))
    lines += whistle_lines(t, order, community, answer=True)
    if ticket.rating:
        lines.append(t("card-rating", stars="★" * ticket.rating + "☆" * (5 - ticket.rating)))
    # Every other line is short (names and places are bounded); the cut is a guarantee only.
    buttons = card_buttons(t, ticket.status, relations, waiting=waiting(order))
    return CardView(cut("\n".join(lines), CARD_LIMIT), buttons)


def waiting(order: OrderView | None) -> bool:
    """Whether the ticket's newest work order still waits for the department's answer."""
    return order is not None and order.answered_at is None


def whistle_lines(
    t: Translator, order: OrderView | None, community: CardCommunityView, *, answer: bool
) -> list[str]:
    """Where the ticket went outside and how it stands: "forwarded to X, waiting since D" or
    "X answered on D" (with the answer's beginning when ``answer``). A department's name, a
    reference and dates: nobody's name."""
    if order is None:
        return []
    department = name_in(order.department_names, t.language, order.department)
    if order.answered_at is None:
        return [
            t(
                "card-whistle-waiting",
                department=department,
                reference=order.reference,
                since=local_time(order.forwarded_at, community),
            )
        ]
    lines = [
        t(
            "card-whistle-answered",
            department=department,
            reference=order.reference,
            time=local_time(order.answered_at, community),
        )
    ]
    if answer and order.answer:
        lines.append(cut(order.answer, ANSWER_PREVIEW))
    return lines


def description_is_cut(description: str) -> bool:
    """Whether the card shows only the beginning of ``description``."""
    return not fits(description, DESCRIPTION_PREVIEW)


def _follower_card(
    t: Translator,
    ticket: Ticket,
    title: str,
    place: str,
    community: CardCommunityView,
    holder: Person | None,
    relations: frozenset[Relation],
    now: datetime,
    order: OrderView | None,
) -> CardView:
    """ "Me too" follows the status: the category, the building (not the flat), when, and how
    it stands; never the neighbour's photos or place, and their words only if they agreed."""
    shared = shared_preview(ticket, SHARED_PREVIEW)
    lines = [
        title,
        place,
        *(["", t("report-metoo-shared"), shared, ""] if shared else []),
        t("card-following"),
        t(
            "card-reported",
            time=local_time(ticket.created_at, community),
            age=age(t, ticket.created_at, now),
        ),
        status_line(t, ticket, holder, staff=False),
    ]
    if ticket.escalated:
        lines.append(t("card-escalated"))
    lines += whistle_lines(t, order, community, answer=False)
    return CardView(cut("\n".join(lines), CARD_LIMIT), card_buttons(t, ticket.status, relations))


def status_line(t: Translator, ticket: Ticket, holder: Person | None, *, staff: bool) -> str:
    """Staff see who has the ticket; residents that someone has it: a volunteer's name (their
    Telegram name, maybe a nickname) is theirs to give, not the bot's."""
    if ticket.status is TicketStatus.TAKEN and holder is not None:
        if staff:
            return t("card-status-taken", name=holder.display_name)
        return t("card-status-taken-resident")
    return t("card-status", status=t("status-" + ticket.status.value))


def card_buttons(
    t: Translator, status: TicketStatus, relations: frozenset[Relation], *, waiting: bool = False
) -> list[list[tuple[str, Action]]]:
    """``waiting``: a work order of the ticket waits for its department's answer (then the
    office records the answer; otherwise it may forward the ticket)."""

    def allowed(actions: Sequence[Action]) -> list[tuple[str, Action]]:
        return [(t("btn-" + a.value), a) for a in actions if may(a, relations, status)]

    if is_staff(relations):
        rows = [
            allowed([Action.TAKE, Action.REPLY, Action.RESOLVE]),
            allowed([Action.ESCALATE, Action.MERGE, Action.HISTORY]),
            allowed([Action.WHISTLE_ANSWER if waiting else Action.WHISTLE]),
        ]
    else:
        rows = [
            allowed([Action.CONFIRM, Action.REOPEN]),
            allowed([Action.MESSAGE, Action.WITHDRAW]),
            allowed([Action.STILL]),
            allowed([Action.HISTORY]),
        ]
    return [row for row in rows if row]


class Reader(StrEnum):
    """Who reads a ticket's history, and so how much of it they see."""

    STAFF = "staff"  # everything, people named as the ticket's consent allows
    AUTHOR = "author"  # their own conversation too, nobody named
    FOLLOWER = "follower"  # the public events only: no words, no names


def reader_of(relations: frozenset[Relation]) -> Reader:
    if is_staff(relations):
        return Reader.STAFF
    return Reader.AUTHOR if Relation.AUTHOR in relations else Reader.FOLLOWER


def history_lines(
    t: Translator,
    events: Sequence[EventView],
    names: dict[int, str],
    community: Community,
    *,
    reader: Reader,
) -> list[str]:
    """``names`` holds the actors a staff reader may see named (bot/services/ticket_cards.py puts a
    reporter who hid their name and the neighbours who followed there as placeholders)."""
    lines = []
    for event in events:
        if reader is Reader.FOLLOWER and not is_public(event.kind):
            continue
        who = names.get(event.actor_id or 0, "") if reader is Reader.STAFF else ""
        detail = str(event.data.get("note") or event.data.get("text") or "")
        if reader is Reader.FOLLOWER:
            detail = ""  # the author's words and the staff's answers are theirs
        elif reader is Reader.AUTHOR and (
            event.kind in STAFF_ONLY_DETAILS or event.kind in NEIGHBOUR_EVENTS
        ):
            detail = ""  # why the head escalated is the office's business; a neighbour's own
        detail = cut(detail, HISTORY_DETAIL)
        line = t(
            "history-line",
            time=local_time(event.created_at, community),
            what=t("event-" + event.kind),
        )
        if who:
            line += t("history-who", who=who)
        if event.data.get("door") == "web":
            line += t("history-web")
        if detail:
            line += t("history-detail", detail=detail)
        lines.append(line)
    return lines


def is_public(kind: str) -> bool:
    return kind in PUBLIC_EVENTS or kind.startswith("ladder-")
