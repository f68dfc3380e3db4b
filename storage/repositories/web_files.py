"""Photos sent through the web door or WeChat (storage.models.WebFile)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket, TicketEvent, WebFile


class WebFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, key: str, person_id: int, content_type: str, content: bytes, now: datetime
    ) -> WebFile:
        row = WebFile(
            key=key,
            person_id=person_id,
            content_type=content_type,
            content=content,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, key: str) -> WebFile | None:
        return await self.session.get(WebFile, key)

    async def drop(self, key: str) -> None:
        await self.session.execute(delete(WebFile).where(WebFile.key == key))

    async def in_ticket(self, ticket_id: int, key: str) -> WebFile | None:
        """The photo ``key`` when it is the ticket's: in its report or its conversation."""
        ticket = await self.session.get(Ticket, ticket_id)
        if ticket is None:
            return None
        keys = {str(m["web_file"]) for m in ticket.media if "web_file" in m}
        said = await self.session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "message"
            )
        )
        keys |= {str(data["web_photo"]) for data in said if data.get("web_photo")}
        return await self.get(key) if key in keys else None

    async def lock(self, keys: Sequence[str]) -> dict[str, int | None]:
        """The photos ``keys`` (key → their sender) with their rows locked to the end of the
        unit of work (``FOR UPDATE``; SQLite's one connection is the unit of work's alone
        anyway): two tickets claiming one photo check ``filed`` and write one after the other."""
        rows = await self.session.execute(
            select(WebFile.key, WebFile.person_id)
            .where(WebFile.key.in_(list(keys)))
            .order_by(WebFile.key)
            .with_for_update()
        )
        return {key: person_id for key, person_id in rows}

    async def filed(self, person_id: int) -> set[str]:
        """The keys of the person's photos that are on one of their tickets: in its report or
        sent into its conversation (the other side saw it)."""
        media = await self.session.scalars(
            select(Ticket.media).where(Ticket.author_id == person_id)
        )
        filed = {str(m["web_file"]) for items in media for m in items if "web_file" in m}
        said = await self.session.scalars(
            select(TicketEvent.data).where(
                TicketEvent.actor_id == person_id, TicketEvent.kind == "message"
            )
        )
        filed |= {str(data["web_photo"]) for data in said if data.get("web_photo")}
        return filed

    async def drop_unfiled(self, person_id: int) -> None:
        """The person's photos that are on none of their tickets (a report left at its
        summary): the photos of a filed ticket are the building's record and stay."""
        filed = await self.filed(person_id)
        mine = await self.session.scalars(select(WebFile.key).where(WebFile.person_id == person_id))
        unfiled = [key for key in mine if key not in filed]
        if unfiled:
            await self.session.execute(delete(WebFile).where(WebFile.key.in_(unfiled)))

    async def kept_between(self, since: datetime, before: datetime) -> dict[int, list[str]]:
        """The photos kept from ``since`` to ``before``, by sender (person id → keys); a photo
        whose sender was forgotten is left out (forgetting dropped their unfiled ones)."""
        rows = await self.session.execute(
            select(WebFile.key, WebFile.person_id)
            .where(
                WebFile.person_id.is_not(None),
                WebFile.created_at >= since,
                WebFile.created_at < before,
            )
            .order_by(WebFile.person_id, WebFile.key)
        )
        senders: dict[int, list[str]] = {}
        for key, person_id in rows:
            if person_id is not None:  # the query's own condition, said to the type checker
                senders.setdefault(person_id, []).append(key)
        return senders

    async def drop_unfiled_of(self, person_id: int, keys: Sequence[str]) -> int:
        """Those of the person's photos ``keys`` that are on none of their tickets; locked
        first, as a report claiming them locks them (Reporting's ``_claim``), so a photo a
        ticket takes at this moment stays. Returns how many went."""
        await self.lock(keys)
        filed = await self.filed(person_id)
        unfiled = [key for key in keys if key not in filed]
        if unfiled:
            await self.session.execute(delete(WebFile).where(WebFile.key.in_(unfiled)))
        return len(unfiled)
