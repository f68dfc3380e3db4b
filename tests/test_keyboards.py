"""A ticket button's callback data is packed by hand on the hot paths (handlers/keyboards.py
``ticket_data``): it must be TicketCb's own packing, for every action and id, and refuse what
TicketCb refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.services.policy import Action
from handlers.keyboards import TicketCb, ticket_data


@pytest.mark.parametrize("ticket_id", [0, 1, 7, 1234, 2**31 - 1])
def test_ticket_data_is_ticketcbs_packing(ticket_id: int) -> None:
    for action in Action:
        packed = ticket_data(action, ticket_id)
        assert packed == TicketCb(action=action, ticket_id=ticket_id).pack()
        assert TicketCb.unpack(packed) == TicketCb(action=action, ticket_id=ticket_id)


@pytest.mark.parametrize("ticket_id", [-1, 2**31, 2**64])
def test_ticket_data_refuses_what_ticketcb_refuses(ticket_id: int) -> None:
    with pytest.raises(ValidationError):
        ticket_data(Action.TAKE, ticket_id)
