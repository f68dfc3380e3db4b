"""The stairwell poster of a building: its name large, its community and code, the QR code of
its join link and one line of how to use it, in the head's language, so printed posters of
different buildings can be told apart. Drawn in the child process (bot.drawing, with the
digest's font detection); the bare QR code is drawn here (segno is small), for when the child
fails: the poster is never lost, only its words."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from dataclasses import dataclass

from bot.drawing import Renderer
from bot.i18n import Translations
from bot.poster_art import Poster, PosterWords, needs_cjk
from bot.services.errors import ServiceError
from storage.db import Database
from storage.models import Building, Community
from storage.repositories import CommunityRepository

# A head waits for the answer in chat; the first drawing on a machine builds matplotlib's font
# cache, which can take longer: then the bare QR code goes, with the words in the caption.
POSTER_SECONDS = 45.0
# Drawn posters kept (about 40 KB each): a second /joinlink for a building is answered at once.
KEPT = 32


def qr_png(link: str, *, scale: int = 12) -> bytes:
    # Error correction "M" survives a scuffed printout; a 4-module quiet zone is what phone
    # cameras expect.
    buffer = io.BytesIO()
    import segno  # noqa: PLC0415 (only when a poster is made: tests/test_footprint.py)

    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class PosterImage:
    png: bytes
    english: bool = False  # English words: the server has no font for Chinese
    bare: bool = False  # only the QR code: the poster could not be drawn


class PosterService:
    def __init__(
        self,
        db: Database,
        translations: Translations,
        renderer: Renderer | None = None,
        time_limit: float = POSTER_SECONDS,
    ) -> None:
        self.db = db
        self.translations = translations
        self.renderer = renderer or Renderer()
        self.time_limit = time_limit
        # One drawing child at a time (each is a Python with matplotlib: repeated /joinlink
        # must not start a crowd of them); the same poster is drawn once.
        self._drawing = asyncio.Lock()
        self._kept: OrderedDict[Poster, PosterImage] = OrderedDict()

    async def poster(self, building_id: int, link: str, language: str) -> PosterImage:
        """The poster of ``building_id`` with ``link`` (the caller checked who may have it)."""
        async with self.db.session() as session:
            communities = CommunityRepository(session)
            building = await communities.building(building_id)
            community = await communities.get(building.community_id) if building else None
        if building is None or community is None:
            raise ServiceError("building-gone")
        poster = Poster(
            link,
            self.words(building, community, language),
            self.words(building, community, "en", latin_only=True),
        )
        async with self._drawing:
            if (kept := self._kept.get(poster)) is not None:
                self._kept.move_to_end(poster)
                return kept
            [picture] = await self.renderer.draw([poster], time_limit=self.time_limit)
            if picture is None:
                return PosterImage(qr_png(link), bare=True)  # not kept: next time may draw
            image = PosterImage(picture.png, english=picture.english)
            self._kept[poster] = image
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return image

    def words(
        self, building: Building, community: Community, language: str, *, latin_only: bool = False
    ) -> PosterWords:
        """The poster's words; ``latin_only`` leaves out every name the default font cannot
        draw (for a machine without a Chinese font), keeping what tells buildings apart."""
        t = self.translations.bind(language)
        if not latin_only:
            return PosterWords(
                building.name,
                t("poster-subheading", community=community.name, code=building.code),
                t("poster-instruction"),
            )
        names = [n for n in (building.name, building.code) if n and not needs_cjk(n)]
        heading = names[0] if names else ""
        rest = [n for n in (community.name, building.code) if not needs_cjk(n) and n != heading]
        return PosterWords(heading, " · ".join(rest), t("poster-instruction"))
