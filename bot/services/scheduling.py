"""What the scheduler's services share: their buttons, how they write to the outbox, and the
container the ``Services`` hold them in.

Buttons in an outbox payload are rows of ``[label, action, id]``: ``action`` is a ticket
``Action`` (the button opens or acts on ticket ``id``) or a ``SchedAction`` below (``id`` is its
ticket, 0 for none). The two-element ``[label, action]`` of the ticket service still means "this
row's ticket". ``handlers.scheduling.outbox_markup`` turns both into a keyboard."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translations, Translator
from bot.services.messages import write_media, write_text
from bot.services.policy import Action
from bot.services.sla import Sla, sla_for
from storage.models import Community, OutboxKind, Person, Urgency
from storage.repositories.people import address_of
from storage.repositories.stats import Scope

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services.closing import ClosingService
    from bot.services.digest import DigestService
    from bot.services.ladder import LadderService
    from bot.services.reminders import ReminderService
    from bot.services.retention import RetentionService
    from bot.services.whistle_reminders import WhistleReminders


class SchedAction(StrEnum):
    SNOOZE_HOUR = "snooze-hour"
    SNOOZE_MORNING = "snooze-morning"
    FIXED_YES = "fixed-yes"  # "still fixed?" → yes
    FIXED_NO = "fixed-no"  # → no: a new linked ticket
    REOPEN = "reopen-closed"  # reopen a ticket the scheduler closed
    # Volunteering and serving (bot/services/volunteering.py, serving.py): the button's id is
    # an activity, a service-hours row or a serve offer, not a ticket.
    VOL_SIGN_UP = "vol-sign-up"
    HELP_OK = "help-ok"
    HELP_NO = "help-no"
    SERVE_YES = "serve-yes"
    SERVE_ACCEPT = "serve-accept"
    SERVE_DECLINE = "serve-decline"
    SERVE_TAKE = "serve-take"


Button = tuple[str, str, int]
Buttons = list[list[Button]]
BUTTONS_PER_ROW = 2
MAX_LISTED = 10


def open_buttons(t: Translator, ticket_ids_numbers: list[tuple[int, int]]) -> Buttons:
    """ "Open #12" for each ticket, two to a row."""
    buttons = [(t("sched-btn-open", number=n), Action.OPEN.value, i) for i, n in ticket_ids_numbers]
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def sla_of(community: Community) -> Sla:
    return sla_for(community.settings or {}, community.timezone)


def translator(translations: Translations, person: Person) -> Translator:
    return translations.bind(person.language or translations.default)


async def write(
    session: AsyncSession,
    person: Person,
    now: datetime,
    text: str,
    *,
    buttons: Buttons | list[list[tuple[str, str]]] | None = None,
    ticket_id: int | None = None,
    chart: bytes | None = None,
    urgency: Urgency = Urgency.TELL,
    staff: Scope | None = None,
) -> None:
    """``text`` to ``person``, in the caller's transaction: one outbox row, or several in
    order when it is longer than a message. With ``chart`` (a PNG made here), the picture
    with ``text`` as its caption. ``urgency``: BULK for one copy of a message to a whole
    building (storage.models.Urgency). ``staff``: the area it is written for to a member of
    staff, whose removal from it fails the row if it has not gone (bot/services/staff_rows.py)."""
    to = address_of(person)
    if to is None:
        return
    if chart is None:
        await write_text(
            session,
            to=to,
            person_id=person.id,
            text=text,
            now=now,
            buttons=buttons,
            ticket_id=ticket_id,
            urgency=urgency,
            staff=staff,
        )
        return
    await write_media(
        session,
        to=to,
        person_id=person.id,
        kind=OutboxKind.CHART,
        media={"photo_png": base64.b64encode(chart).decode("ascii")},
        header=text,
        text=None,
        now=now,
        buttons=buttons,
        ticket_id=ticket_id,
        urgency=urgency,
        staff=staff,
    )


@dataclass(frozen=True, slots=True)
class Scheduling:
    """The scheduler's use cases; ``bot.scheduler`` runs their ``run`` methods as jobs."""

    reminders: ReminderService
    ladder: LadderService
    closing: ClosingService
    digest: DigestService
    retention: RetentionService
    whistle: WhistleReminders
