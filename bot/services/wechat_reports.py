"""Reporting in WeChat: a text from a resident with no open ticket of their own is a new report,
whose kind of problem the person chooses from a msgmenu of the community's categories (or by
replying with its number: bot/services/wechat_categories.py); the words and photos wait for the
choice (``wechat_pending``, an hour), then the report is filed through Reporting (its limits,
routing and cards) and confirmed with its number. A community with one category is not asked.
When a neighbour's open ticket of the same building and kind exists (NeighbourActions.similar),
the person is asked first whether it is the same problem (bot/services/wechat_metoo.py): the same
one is followed ("me too") and their words are not sent, as the head has the problem already; a
new one is filed.
Photos come before the text they belong to: kept (``web_files``, as the web door keeps them) and
attached to the report that text makes."""

from __future__ import annotations

import asyncio
import secrets

from bot.services.categories import categories_for
from bot.services.clock import Clock
from bot.services.errors import ServiceError
from bot.services.neighbours import NeighbourActions, Similar, describe_similar
from bot.services.reporting import Reporting
from bot.services.ticket_core import MAX_DESCRIPTION, Draft, StaleAction, checked
from bot.services.web_photos import clean_photo
from bot.services.wechat_categories import category_menu, typed_category
from bot.services.wechat_metoo import SAME, same_menu, typed_same
from bot.services.wechat_replies import PENDING, Incoming, WeChatReplies
from storage.db import Database
from storage.models import Person, Role, WeChatPending
from storage.repositories import CommunityRepository, PersonRepository
from storage.repositories.tickets import TicketRepository
from storage.repositories.web_files import WebFileRepository
from storage.repositories.wechat import WeChatPendingRepository

MAX_PHOTOS = 3
# Pending choices a photo joins (the words and photos of a report not filed yet).
WAITING = ("photos", "category", SAME)


async def home(db: Database, person: Person) -> tuple[int, dict[str, object]]:
    """The building the person reports for: the first of theirs (a person in two
    buildings would need a menu; not in this slice)."""
    async with db.session() as session:
        roles = await PersonRepository(session).building_roles(person.id)
        homes = [r for r in roles if r.role is Role.RESIDENT]
        if not homes:
            raise ServiceError("wechat-no-building")
        building = await CommunityRepository(session).building(homes[0].building_id)
        assert building is not None
        community = await CommunityRepository(session).get(building.community_id)
        assert community is not None
        return building.id, dict(community.settings)


class WeChatReports:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        replies: WeChatReplies,
        reporting: Reporting,
        neighbours: NeighbourActions | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.replies = replies
        self.reporting = reporting
        self.neighbours = neighbours

    async def keep_photo(self, person: Person, openid: str, media: bytes) -> None:
        """A photo kept for the report the person's next text makes."""
        t = self.replies.t(person)
        await home(self.db, person)  # only a resident reports
        cleaned = await asyncio.to_thread(clean_photo, media)
        now = self.clock()
        async with self.db.session() as session:
            pending = WeChatPendingRepository(session)
            kept = await pending.take(openid, now)
            waiting = kept if kept is not None and kept.action in WAITING else None
            action = waiting.action if waiting else "photos"
            text = waiting.text if waiting else ""
            keys = waiting.photos.split() if waiting else []
            about = waiting.ticket_id if waiting else None  # "same": the neighbour's ticket
            if len(keys) >= MAX_PHOTOS:
                await pending.put(openid, about, action, now + PENDING, " ".join(keys), text)
                await session.commit()
                raise ServiceError("wechat-photos-full", max=MAX_PHOTOS)
            key = secrets.token_urlsafe(16)
            await WebFileRepository(session).add(key, person.id, "image/jpeg", cleaned, now)
            keys.append(key)
            await pending.put(openid, about, action, now + PENDING, " ".join(keys), text)
            await session.commit()
        if action == SAME:
            await self.replies.tell(person, t("wechat-metoo-photo-kept", count=len(keys)))
        elif action == "category":
            await self.replies.tell(person, t("wechat-category-photo-kept", count=len(keys)))
        else:
            await self.replies.tell(person, t("wechat-photo-kept", count=len(keys)))

    async def report(
        self,
        person: Person,
        incoming: Incoming,
        text: str,
        photos: list[str],
        settings: dict[str, object],
    ) -> None:
        """The words (and the photos kept before them) as a report of the community whose
        ``settings`` these are: filed at once with its one category, else after the question."""
        t = self.replies.t(person)
        categories = categories_for(settings)
        if len(categories) == 1:
            await self._file(person, incoming, text, photos, categories[0].code)
            return
        # The kind of problem first, as the chat's report asks it: the words wait for it.
        checked(text, MAX_DESCRIPTION)
        async with self.db.session() as session:
            await WeChatPendingRepository(session).put(
                incoming.openid,
                None,
                "category",
                self.clock() + PENDING,
                " ".join(photos),
                text,
            )
            await session.commit()
        await self.replies.tell(person, t("wechat-category-ask"), category_menu(t, categories))

    async def late_answer(self, person: Person, action: str, text: str) -> bool:
        """Whether ``text`` answers the question of a pending ``action`` (the kind of
        problem, "same problem?") as it was asked: said after it lapsed, it is no report."""
        if action == SAME:
            return typed_same(text) is not None
        if action != "category":
            return False
        try:
            _, settings = await home(self.db, person)
        except ServiceError:
            return False
        chosen = typed_category(self.replies.t(person), text, categories_for(settings))
        return chosen is not None

    async def typed_category(
        self, person: Person, incoming: Incoming, pending: WeChatPending
    ) -> None:
        """The answer to the category menu typed instead of tapped (its number or name)."""
        t = self.replies.t(person)
        _, settings = await home(self.db, person)
        categories = categories_for(settings)
        chosen = typed_category(t, incoming.text, categories)
        if chosen is None:
            await self.keep(incoming.openid, pending)
            raise ServiceError("wechat-category-pick", max=len(categories))
        await self._file(person, incoming, pending.text, pending.photos.split(), chosen.code)

    async def categorised(self, person: Person, incoming: Incoming, code: str) -> None:
        """A category tapped in the menu: the report waiting for it is filed."""
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).take(incoming.openid, self.clock())
            await session.commit()
        if pending is None or pending.action != "category":
            if pending is not None:
                await self.keep(incoming.openid, pending)
            raise ServiceError("wechat-category-stale")
        _, settings = await home(self.db, person)
        if code not in {c.code for c in categories_for(settings)}:
            await self.keep(incoming.openid, pending)
            raise ServiceError("wechat-menu-unknown")
        await self._file(person, incoming, pending.text, pending.photos.split(), code)

    async def keep(self, openid: str, pending: WeChatPending) -> None:
        """A pending choice taken for an answer that did not fit it, put back as it was."""
        async with self.db.session() as session:
            await WeChatPendingRepository(session).put(
                openid,
                pending.ticket_id,
                pending.action,
                pending.until,
                pending.photos,
                pending.text,
            )
            await session.commit()

    async def same(self, person: Person, incoming: Incoming, ticket_id: int, yes: bool) -> None:
        """The answer to "same problem?" tapped in its menu."""
        async with self.db.session() as session:
            pending = await WeChatPendingRepository(session).take(incoming.openid, self.clock())
            await session.commit()
        if pending is None or pending.action != SAME or pending.ticket_id != ticket_id:
            if pending is not None:
                await self.keep(incoming.openid, pending)
            raise ServiceError("wechat-category-stale")
        await self._same(person, incoming, pending, yes)

    async def typed_same(self, person: Person, incoming: Incoming, pending: WeChatPending) -> None:
        """The answer to "same problem?" typed instead of tapped (1 or 2, yes or no)."""
        yes = typed_same(incoming.text)
        if yes is None:
            await self.keep(incoming.openid, pending)
            raise ServiceError("wechat-metoo-pick")
        await self._same(person, incoming, pending, yes)

    async def _same(
        self, person: Person, incoming: Incoming, pending: WeChatPending, yes: bool
    ) -> None:
        assert pending.ticket_id is not None  # a "same" choice names the neighbour's ticket
        t = self.replies.t(person)
        async with self.db.session() as session:
            ticket = await TicketRepository(session).get(pending.ticket_id)
        assert ticket is not None  # (its pending choice goes with it)
        photos = pending.photos.split()
        if yes and self.neighbours is not None:
            try:
                followed = await self.neighbours.follow(person, ticket.id)
            except StaleAction:
                pass  # finished meanwhile: the report is theirs to send after all
            else:
                await self.replies.tell(
                    person,
                    t("report-following", number=followed.number)
                    + "\n"
                    + t("wechat-metoo-words-not-sent"),
                )
                return
        await self._file(person, incoming, pending.text, photos, ticket.category, asked=True)

    async def _ask_same(
        self,
        person: Person,
        incoming: Incoming,
        text: str,
        photos: list[str],
        similar: Similar,
    ) -> None:
        """ "Same problem?": the words and photos wait for the answer."""
        t = self.replies.t(person)
        found = similar.ticket
        async with self.db.session() as session:
            await WeChatPendingRepository(session).put(
                incoming.openid, found.id, SAME, self.clock() + PENDING, " ".join(photos), text
            )
            await session.commit()
        question = describe_similar(t, similar, self.clock()) + "\n\n" + t("wechat-metoo-how")
        await self.replies.tell(person, question, same_menu(t, found.id, found.number))

    async def _file(
        self,
        person: Person,
        incoming: Incoming,
        text: str,
        photos: list[str],
        category: str,
        *,
        asked: bool = False,
    ) -> None:
        """Files the report, after "same problem?" when a neighbour's open ticket of the same
        building and kind exists and the person was not asked yet."""
        t = self.replies.t(person)
        building_id, _ = await home(self.db, person)
        if not asked and self.neighbours is not None:
            similar = await self.neighbours.similar(person, building_id, category)
            if similar is not None:
                await self._ask_same(person, incoming, text, photos, similar)
                return
        reported = await self.reporting.report(
            person,
            Draft(
                building_id=building_id,
                category=category,
                description=text,
                show_name=False,  # a WeChat user has given no name to show
                media=[{"type": "photo", "web_file": key} for key in photos],
                key=f"wechat:{incoming.msg_id}" if incoming.msg_id else None,
            ),
        )
        await self.replies.tell(
            person,
            t("wechat-reported", number=reported.ticket.number, building=reported.building),
        )
