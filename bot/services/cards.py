"""What a ticket looks like to someone: the card's text and which buttons it carries.
Pure content (no aiogram): handlers and the delivery worker turn ``buttons`` into a keyboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.categories import Category
from bot.services.policy import Action, Relation, is_staff, may
from storage.models import Building, Community, Person, Ticket, TicketEvent, TicketStatus

DESCRIPTION_PREVIEW = 1500
STAFF_ONLY_DETAILS = frozenset({"escalated", "merged", "merged-in", "routed"})


@dataclass(frozen=True, slots=True)
class CardView:
    text: str
    # Rows of (label, action); the ticket id is the card's.
    buttons: list[list[tuple[str, Action]]] = field(default_factory=list)


def local_time(moment: datetime, community: Community) -> str:
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


def reporter_line(t: Translator, ticket: Ticket, author: Person | None) -> str:
    if author is None:
        return t("card-reporter-gone")
    name = author.display_name if ticket.show_name else t("card-reporter-hidden")
    if ticket.show_phone and author.phone:
        return t("card-reporter-phone", name=name, phone=author.phone)
    return t("card-reporter", name=name)


def render_card(
    t: Translator,
    ticket: Ticket,
    *,
    community: Community,
    building: Building,
    category: Category | None,
    author: Person | None,
    holder: Person | None,
    followers: int,
    relations: frozenset[Relation],
    now: datetime,
) -> CardView:
    lines = [
        f"{category_label(t, category, ticket.category)} · #{ticket.number}"
        + (f" · {t('card-urgent')}" if ticket.urgent else ""),
        t("card-building", building=building.name, community=community.name)
        + (t("card-flat", flat=ticket.flat) if ticket.flat else ""),
    ]
    if is_staff(relations):
        lines.append(reporter_line(t, ticket, author))
    description = ticket.description
    if len(description) > DESCRIPTION_PREVIEW:
        description = description[:DESCRIPTION_PREVIEW] + "…"
    if description:
        lines.append("")
        lines.append(description)
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
    lines.append(status_line(t, ticket, holder))
    if ticket.escalated:
        lines.append(t("card-escalated"))
    if ticket.rating:
        lines.append(t("card-rating", stars="★" * ticket.rating + "☆" * (5 - ticket.rating)))
    return CardView("\n".join(lines), card_buttons(t, ticket.status, relations))


def status_line(t: Translator, ticket: Ticket, holder: Person | None) -> str:
    if ticket.status is TicketStatus.TAKEN and holder is not None:
        return t("card-status-taken", name=holder.display_name)
    return t("card-status", status=t("status-" + ticket.status.value))


def card_buttons(
    t: Translator, status: TicketStatus, relations: frozenset[Relation]
) -> list[list[tuple[str, Action]]]:
    def allowed(actions: Sequence[Action]) -> list[tuple[str, Action]]:
        return [(t("btn-" + a.value), a) for a in actions if may(a, relations, status)]

    if is_staff(relations):
        rows = [
            allowed([Action.TAKE, Action.REPLY, Action.RESOLVE]),
            allowed([Action.ESCALATE, Action.MERGE, Action.HISTORY]),
        ]
    else:
        rows = [
            allowed([Action.CONFIRM, Action.REOPEN]),
            allowed([Action.MESSAGE, Action.WITHDRAW]),
            allowed([Action.HISTORY]),
        ]
    return [row for row in rows if row]


def history_lines(
    t: Translator,
    events: Sequence[TicketEvent],
    names: dict[int, str],
    community: Community,
    *,
    staff: bool,
) -> list[str]:
    lines = []
    for event in events:
        who = names.get(event.actor_id or 0, "") if staff else ""
        detail = str(event.data.get("note") or event.data.get("text") or "")
        if not staff and event.kind in STAFF_ONLY_DETAILS:
            detail = ""  # why the head escalated or merged is the office's business
        if len(detail) > 200:
            detail = detail[:200] + "…"
        line = t(
            "history-line",
            time=local_time(event.created_at, community),
            what=t("event-" + event.kind),
        )
        if who:
            line += t("history-who", who=who)
        if detail:
            line += t("history-detail", detail=detail)
        lines.append(line)
    return lines
