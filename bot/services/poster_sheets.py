"""Which posters the office prints: the buildings of a community, all or some by code, each with
the link its QR code holds (bot/documents/posters.py draws them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.documents.posters import PosterPage
from bot.services.errors import ServiceError
from bot.services.links import PayloadKind, make_payload
from storage.db import Database
from storage.models import Building, Community
from storage.repositories import CommunityRepository
from storage.repositories.documents import DocumentRepository


class PosterSheets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def pages(
        self, community_name: str, codes: Sequence[str], link: Callable[[str], str]
    ) -> list[PosterPage]:
        """The posters of ``codes`` (every building when empty), in the order asked (by code
        for all). ``link`` makes the link of a join payload (the Telegram door's t.me link, or
        another door's). An unknown code refuses the whole run: a missing poster in a pile of
        238 would not be noticed."""
        async with self.db.session() as session:
            community = await CommunityRepository(session).by_name(community_name)
            if community is None:
                raise ServiceError("community-not-found", name=community_name)
            buildings = await DocumentRepository(session).buildings(community.id, codes)
        by_code = {b.code: b for b in buildings}
        for code in codes:
            if code not in by_code:
                raise ServiceError("building-not-found", code=code)
        chosen = [by_code[c] for c in dict.fromkeys(codes)] if codes else buildings
        return [poster_page(community, b, link) for b in chosen]


def poster_page(community: Community, building: Building, link: Callable[[str], str]) -> PosterPage:
    """A building's poster: its names and the join link its QR code holds."""
    payload = make_payload(PayloadKind.JOIN, building.join_token)
    return PosterPage(community.name, building.name, building.code, link(payload))
