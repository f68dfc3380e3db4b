"""One repository per aggregate. Repositories flush but never commit."""

from storage.repositories.communities import CommunityRepository
from storage.repositories.fsm import FsmRepository
from storage.repositories.invitations import InvitationRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.people import PersonRepository
from storage.repositories.work_orders import WorkOrderRepository

__all__ = [
    "CommunityRepository",
    "FsmRepository",
    "InvitationRepository",
    "OutboxRepository",
    "PersonRepository",
    "WorkOrderRepository",
]
