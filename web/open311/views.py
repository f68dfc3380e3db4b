"""Services and tickets in the spec's words: a category is a service; a building gives the
address (its code is the address_id); our statuses are open or closed with a status note."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.cards import category_name
from bot.services.categories import Category
from bot.services.open311 import RequestView
from storage.models import Community, TicketStatus

S = TicketStatus
OPEN = frozenset({S.NEW, S.TAKEN, S.REOPENED})


def service(t: Translator, community: Community, category: Category) -> dict[str, Any]:
    name = category_name(t, category, category.code)
    key = "open311-service-private" if category.private else "open311-service-description"
    return {
        "service_code": category.code,
        "service_name": name,
        "description": t(key, name=name, community=community.name),
        "metadata": False,  # no attributes to ask for
        "type": "realtime",  # a ticket exists (with its number) once the POST is answered
        "keywords": category.code,
        "group": "urgent" if category.urgent else "",
    }


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": []}


def request(t: Translator, view: RequestView) -> dict[str, Any]:
    """Never the reporter's name, phone or e-mail (a caller's stay with the building's staff),
    never a description its author did not agree to share, never a resident's point (the
    address is the building's; ``lat``/``long`` only for the client that sent them)."""
    ticket, building, community = view.ticket, view.building, view.community
    note = "merged" if ticket.merged_into_id is not None else ticket.status.value
    address = building.name + (f", {building.address}" if building.address else "")
    row: dict[str, Any] = {
        "service_request_id": str(ticket.number),
        "status": "open" if ticket.status in OPEN else "closed",
        "status_notes": note,
        "service_name": category_name(t, view.category, ticket.category),
        "service_code": ticket.category,
        "description": view.description,
        "agency_responsible": t("open311-agency", community=community.name),
        "service_notice": "",
        "requested_datetime": iso(ticket.created_at, community),
        "updated_datetime": iso(ticket.updated_at, community),
        "address": address,
        "address_id": building.code,
    }
    if view.latitude is not None and view.longitude is not None:
        row["lat"] = view.latitude
        row["long"] = view.longitude
    return row


def iso(moment: datetime, community: Community) -> str:
    """ISO 8601 in the community's zone, with its offset (2026-11-26T10:00:00+08:00)."""
    return moment.astimezone(ZoneInfo(community.timezone)).isoformat(timespec="seconds")
