"""Who gets a new ticket. Pure: a function of the candidates and ``now``.

Order (../shared/PRODUCT.md, flow 3): the building's heads and deputies; when none is available
(none appointed, away, or blocked the bot): the building's coordinators, then the community's
coordinators, then the admins. Categories may add the coordinators. A ticket always has an owner:
when nobody is available, the first person of the chain is used anyway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: int
    reason: str  # head, deputy, building-coordinator, coordinator, admin
    away_until: datetime | None = None
    unreachable: bool = False

    def available(self, now: datetime) -> bool:
        return not self.unreachable and not (self.away_until and self.away_until > now)

    def why_not(self, now: datetime) -> str:
        return "unreachable" if self.unreachable else "away"


@dataclass(frozen=True, slots=True)
class Routing:
    recipients: list[tuple[int, str]]  # (person id, reason)
    owner_id: int | None
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (person id, why)


def route(
    heads: Sequence[Candidate],
    building_coordinators: Sequence[Candidate],
    community_coordinators: Sequence[Candidate],
    admins: Sequence[Candidate],
    now: datetime,
    *,
    notify_coordinators: bool = False,
) -> Routing:
    chain = [heads, building_coordinators, community_coordinators, admins]
    skipped = [(c.person_id, c.why_not(now)) for c in heads if not c.available(now)]
    recipients: list[tuple[int, str]] = []
    for level in chain:
        available = [c for c in level if c.available(now)]
        if available:
            recipients = [(c.person_id, c.reason) for c in available]
            break
        skipped += [(c.person_id, c.why_not(now)) for c in level if c not in heads]
    else:
        # Nobody can be reached: the first person of the chain still owns it, so it is never
        # orphaned; the scheduler's escalation will keep trying.
        everyone = [c for level in chain for c in level]
        recipients = [(everyone[0].person_id, everyone[0].reason)] if everyone else []
    if notify_coordinators:
        for c in [*building_coordinators, *community_coordinators]:
            if c.available(now) and all(c.person_id != p for p, _ in recipients):
                recipients.append((c.person_id, "category"))
    reasons: dict[int, str] = {}
    for person_id, why in skipped:
        reasons.setdefault(person_id, why)
    return Routing(recipients, _owner(recipients), list(reasons.items()))


def _owner(recipients: list[tuple[int, str]]) -> int | None:
    for preferred in ("head", "deputy"):
        for person_id, reason in recipients:
            if reason == preferred:
                return person_id
    return recipients[0][0] if recipients else None
