"""Flats, ownership claims, votes and ballots. No commit here: the service's unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Ballot,
    Building,
    ClaimStatus,
    Flat,
    FlatClaim,
    Membership,
    Role,
    Vote,
    VoteStatus,
)
from storage.repositories.joins import JoinArea


class VoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ----------------------------------------------------------------------------- flats

    async def flat(self, flat_id: int) -> Flat | None:
        return await self.session.get(Flat, flat_id)

    async def flat_by_code(self, building_id: int, code: str) -> Flat | None:
        return await self.session.scalar(
            select(Flat).where(Flat.building_id == building_id, Flat.code == code)
        )

    async def put_flat(self, building_id: int, code: str, area_centi: int) -> bool:
        """Creates the flat or sets its area; True when something changed."""
        flat = await self.flat_by_code(building_id, code)
        if flat is None:
            self.session.add(Flat(building_id=building_id, code=code, area_centi=area_centi))
            return True
        if flat.area_centi == area_centi:
            return False
        flat.area_centi = area_centi
        return True

    async def flats(self, building_id: int) -> Sequence[Flat]:
        return list(
            await self.session.scalars(
                select(Flat).where(Flat.building_id == building_id).order_by(Flat.code)
            )
        )

    async def owned(self, person_id: int) -> Sequence[Flat]:
        return list(
            await self.session.scalars(
                select(Flat).where(Flat.owner_id == person_id).order_by(Flat.id)
            )
        )

    async def resident_flats(self, person_id: int, code: str) -> Sequence[Flat]:
        """Flats called ``code`` in the buildings the person lives in."""
        query = (
            select(Flat)
            .join(Membership, Membership.building_id == Flat.building_id)
            .where(
                Membership.person_id == person_id,
                Membership.role == Role.RESIDENT,
                Flat.code == code,
            )
        )
        return list(await self.session.scalars(query))

    # ---------------------------------------------------------------------------- claims

    async def add_claim(self, flat_id: int, person_id: int, now: datetime) -> FlatClaim:
        claim = FlatClaim(
            flat_id=flat_id, person_id=person_id, status=ClaimStatus.PENDING, created_at=now
        )
        self.session.add(claim)
        await self.session.flush()
        return claim

    async def claim(self, claim_id: int) -> FlatClaim | None:
        return await self.session.get(FlatClaim, claim_id)

    async def pending_claim(self, flat_id: int, person_id: int) -> FlatClaim | None:
        return await self.session.scalar(
            select(FlatClaim).where(
                FlatClaim.flat_id == flat_id,
                FlatClaim.person_id == person_id,
                FlatClaim.status == ClaimStatus.PENDING,
            )
        )

    async def pending_claims(
        self,
        building_ids: Sequence[int] | None,
        community_ids: Sequence[int],
        after: int = 0,
        limit: int | None = None,
    ) -> Sequence[tuple[FlatClaim, Flat, Building]]:
        """Waiting claims in these buildings or communities (``building_ids`` None: all), in
        the order they came; a page of them: those after claim ``after``, at most ``limit``."""
        query = (
            select(FlatClaim, Flat, Building)
            .join(Flat, Flat.id == FlatClaim.flat_id)
            .join(Building, Building.id == Flat.building_id)
            .where(FlatClaim.status == ClaimStatus.PENDING, FlatClaim.id > after)
            .order_by(FlatClaim.id)
            .limit(limit)
        )
        if building_ids is not None:
            query = query.where(
                Building.id.in_(building_ids) | Building.community_id.in_(community_ids)
            )
        return [(c, f, b) for c, f, b in (await self.session.execute(query)).all()]

    async def settle_claim(
        self, claim_id: int, status: ClaimStatus, by: int, now: datetime
    ) -> bool:
        """Compare-and-set: only a pending claim is settled (the first decision wins)."""
        result = await self.session.execute(
            update(FlatClaim)
            .where(FlatClaim.id == claim_id, FlatClaim.status == ClaimStatus.PENDING)
            .values(status=status, decided_by=by, decided_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # ----------------------------------------------------------------------------- votes

    async def add_vote(self, vote: Vote) -> Vote:
        self.session.add(vote)
        await self.session.flush()
        return vote

    async def vote(self, vote_id: int) -> Vote | None:
        return await self.session.get(Vote, vote_id)

    async def votes_in(self, building_ids: Sequence[int], limit: int = 10) -> Sequence[Vote]:
        """Open votes first, then the newest closed ones."""
        query = (
            select(Vote)
            .where(Vote.building_id.in_(building_ids))
            .order_by(Vote.status != VoteStatus.OPEN, Vote.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def votes_covered(self, area: JoinArea, limit: int = 10) -> Sequence[Vote]:
        """The votes of every building the area covers (an admin's: all), open first, then
        the newest closed ones."""
        query = (
            select(Vote)
            .join(Building, Building.id == Vote.building_id)
            .where(area.where())
            .order_by(Vote.status != VoteStatus.OPEN, Vote.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(query))

    async def open_votes(self) -> Sequence[Vote]:
        return list(await self.session.scalars(select(Vote).where(Vote.status == VoteStatus.OPEN)))

    async def close(self, vote_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Vote)
            .where(Vote.id == vote_id, Vote.status == VoteStatus.OPEN)
            .values(status=VoteStatus.CLOSED, closed_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_invited(self, vote_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Vote).where(Vote.id == vote_id, Vote.invited_at.is_(None)).values(invited_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_reminder(self, vote_id: int, sent: int) -> bool:
        result = await self.session.execute(
            update(Vote)
            .where(Vote.id == vote_id, Vote.reminders_sent == sent)
            .values(reminders_sent=sent + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --------------------------------------------------------------------------- ballots

    async def ballot(self, vote_id: int, flat_id: int) -> Ballot | None:
        return await self.session.scalar(
            select(Ballot).where(Ballot.vote_id == vote_id, Ballot.flat_id == flat_id)
        )

    async def void_open_ballots(self, flat_id: int) -> int:
        """Deletes the flat's ballots in votes still open (its owner changed); returns how
        many. Closed votes keep theirs: their result is recorded."""
        open_votes = select(Vote.id).where(Vote.status == VoteStatus.OPEN)
        result = await self.session.execute(
            delete(Ballot)
            .where(Ballot.flat_id == flat_id, Ballot.vote_id.in_(open_votes))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    async def participating_owners(self, vote_id: int) -> set[int]:
        """The current owners of the flats that cast a ballot (not what they chose)."""
        rows = await self.session.execute(
            select(Flat.owner_id)
            .join(Ballot, Ballot.flat_id == Flat.id)
            .where(Ballot.vote_id == vote_id, Flat.owner_id.is_not(None))
            .distinct()
        )
        return {owner for owner in rows.scalars() if owner is not None}

    async def ballots(self, vote_id: int) -> dict[int, int]:
        """flat id → choice: for the tally only, never shown."""
        rows = await self.session.execute(
            select(Ballot.flat_id, Ballot.choice).where(Ballot.vote_id == vote_id)
        )
        return {flat: choice for flat, choice in rows.all()}
