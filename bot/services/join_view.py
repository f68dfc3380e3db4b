"""What a join request looks like to an approver: its card (edited in place as the request is
decided) and its line in the staff list. Pure: figures in, text and abstract buttons out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.i18n import Translator
from bot.services.cards import age
from storage.models import Building, Community, JoinRequest, JoinStatus


class JoinAction(StrEnum):
    APPROVE = "a"
    DECLINE = "d"
    CANCEL = "x"  # the requester withdraws it
    LIST = "l"  # a page of the pending requests
    SEND = "s"  # the resident sends their request without a flat number (id: the building)


@dataclass(frozen=True, slots=True)
class JoinCard:
    text: str
    # Rows of (label, action); the request id is the card's.
    buttons: list[list[tuple[str, JoinAction]]] = field(default_factory=list)


def requester(t: Translator, request: JoinRequest) -> str:
    """The name the requester agreed to show, or a neutral word once they used /forgetme."""
    return request.display_name or t("jr-former-resident")


def flat_part(t: Translator, request: JoinRequest) -> str:
    return t("jr-flat", flat=request.flat) if request.flat else t("jr-no-flat")


def render_join_card(
    t: Translator,
    request: JoinRequest,
    building: Building,
    community: Community,
    decider: str | None,
    now: datetime,
) -> JoinCard:
    lines = [
        t(
            "jr-card",
            name=requester(t, request),
            building=building.name,
            community=community.name,
        ),
        flat_part(t, request),
        t("jr-asked", age=age(t, request.created_at, now)),
        "",
    ]
    if request.status is JoinStatus.PENDING:
        lines.append(t("jr-card-hint"))
        buttons = [
            [
                (t("jr-btn-approve"), JoinAction.APPROVE),
                (t("jr-btn-decline"), JoinAction.DECLINE),
            ]
        ]
        return JoinCard("\n".join(lines), buttons)
    status = request.status.value
    if request.status in (JoinStatus.APPROVED, JoinStatus.DECLINED) and decider:
        lines.append(t("jr-outcome-by", status=status, name=decider))
    else:
        lines.append(t("jr-outcome", status=status))
    return JoinCard("\n".join(lines))


def render_no_access(t: Translator, building: Building, community: Community) -> JoinCard:
    """The copy of someone who no longer decides for the building (a removed head, an admin
    taken out of ADMIN_IDS): which request it was, nothing of who asked, no buttons."""
    return JoinCard(t("jr-card-no-access", building=building.name, community=community.name))


def list_line(
    t: Translator, index: int, request: JoinRequest, building: Building, now: datetime
) -> str:
    return t(
        "jr-list-line",
        index=str(index),
        name=requester(t, request),
        flat=flat_part(t, request),
        building=building.name,
        age=age(t, request.created_at, now),
    )
