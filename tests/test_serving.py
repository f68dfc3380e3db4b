"""Every building has a head, driven as the people involved would: the scan offers the resident
of a building without a head the chance to serve (never in quiet hours, once a quarter); their
"yes" reaches the community office, who accepts in one tap (the volunteer becomes the head with
one press) or declines with a note the resident reads. Someone else's offer, a head pressing
the office's button and a second answer change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Membership, Role, ServeOffer, ServeOfferStatus
from tests.botclient import Sent
from tests.test_ticket_handling import (
    HEAD,
    OFFICE,
    RESIDENT,
    STICKER,
    STRANGER,
    Town,
    answer,
    one,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture
YES = "🙋 Yes, I'd serve"


async def offers(db: Database) -> list[tuple[int, ServeOfferStatus, str | None]]:
    async with db.session() as session:
        rows = await session.scalars(select(ServeOffer).order_by(ServeOffer.id))
        return [(r.person_id, r.status, r.note) for r in rows]


async def roles(db: Database, person_id: int) -> set[Role]:
    async with db.session() as session:
        found = await session.scalars(
            select(Membership.role).where(Membership.person_id == person_id)
        )
        return set(found)


async def offered(town: Town) -> tuple[int, list[Sent]]:
    services = town.world.services
    town.world.clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00: quiet hours
    assert await services.serving.offer_due() == 0
    town.world.clock.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00
    written = await services.serving.offer_due()
    return written, await town.deliver()


async def test_a_resident_volunteers_and_the_office_accepts_in_one_tap(town: Town) -> None:
    written, delivered = await offered(town)
    # Only B1 has no head; A1's residents are not asked.
    assert written == 1
    offer = one(delivered, STRANGER)
    assert "翠湖苑1座 has no building head yet" in offer.text
    assert offer.buttons == [YES]
    assert await town.world.services.serving.offer_due() == 0  # once a quarter
    # Someone else cannot answer the stranger's offer.
    forged = await town.press(RESIDENT, offer.button_data(YES))
    assert "not yours" in answer(forged) + "".join(s.text for s in forged)

    thanks = one(await town.click(STRANGER, offer, YES), STRANGER)
    assert "The community office will get back to you" in thanks.text
    again = await town.click(STRANGER, offer, YES)
    assert "answered this already" in answer(again) + "".join(s.text for s in again)
    asked = one(await town.deliver(), OFFICE)
    assert "Visitor" in asked.text and "翠湖苑1座" in asked.text and "愿意担任楼长" in asked.text
    assert asked.buttons == ["✅ 接受", "婉拒"]
    # A head of another building cannot decide.
    refused = await town.press(HEAD, asked.button_data("✅ 接受"))
    assert "Only the coordinators" in answer(refused) + "".join(s.text for s in refused)

    accepted = one(await town.click(OFFICE, asked, "✅ 接受"), OFFICE)
    assert "邀请已发出" in accepted.text
    invitation = one(await town.deliver(), STRANGER)
    assert "accepted your offer to head 翠湖苑1座" in invitation.text
    head = one(await town.click(STRANGER, invitation, "Become the head"), STRANGER)
    assert "You are now the head of 翠湖苑1座" in head.text
    assert Role.HEAD in await roles(town.db, town.ids[STRANGER])
    assert [(s, n) for _, s, n in await offers(town.db)] == [(ServeOfferStatus.ACCEPTED, None)]
    # A week later B1 has a head: nobody is asked, and the office's digest shows coverage
    # growing week by week.
    town.world.clock.advance(days=7)
    assert await town.world.services.serving.offer_due() == 0
    digest = "".join(s.text for s in await town.send(OFFICE, "/digest"))
    assert "按周（周一：有楼长/总栋数）：11-23 2/3 · 11-30 3/3" in digest
    town.world.clock.advance(days=100)
    assert await town.world.services.serving.offer_due() == 0


async def test_the_office_declines_with_a_note(town: Town) -> None:
    _, delivered = await offered(town)
    await town.click(STRANGER, one(delivered, STRANGER), YES)
    asked = one(await town.deliver(), OFFICE)
    note_asked = one(await town.click(OFFICE, asked, "婉拒"), OFFICE)
    assert "说明" in note_asked.text
    assert one(await town.send(OFFICE, sticker=STICKER), OFFICE)  # asked again
    declined = one(await town.send(OFFICE, "下个月选举楼长，欢迎参选"), OFFICE)
    assert "已婉拒" in declined.text
    told = one(await town.deliver(), STRANGER)
    assert "The community office replied:\n下个月选举楼长，欢迎参选" in told.text
    assert await offers(town.db) == [
        (town.ids[STRANGER], ServeOfferStatus.DECLINED, "下个月选举楼长，欢迎参选")
    ]
    accept_late = await town.click(OFFICE, asked, "✅ 接受")
    assert "已处理" in answer(accept_late) + "".join(s.text for s in accept_late)
    assert Role.HEAD not in await roles(town.db, town.ids[STRANGER])
    # Still without a head: asked again, but only after a quarter.
    town.world.clock.advance(days=30)
    assert await town.world.services.serving.offer_due() == 0
    town.world.clock.now += timedelta(days=62)
    assert await town.world.services.serving.offer_due() == 1


async def test_a_decline_note_for_an_offer_decided_meanwhile_ends_the_step(town: Town) -> None:
    """The office pressed Decline (a note asked for), then Accept on the same card: the note
    typed after is refused as decided, and the step ends with it; the next message is not
    refused again as another note."""
    _, delivered = await offered(town)
    await town.click(STRANGER, one(delivered, STRANGER), YES)
    asked = one(await town.deliver(), OFFICE)
    await town.click(OFFICE, asked, "婉拒")
    await town.click(OFFICE, asked, "✅ 接受")
    await town.deliver()
    late = one(await town.send(OFFICE, "下个月选举楼长，欢迎参选"), OFFICE)
    assert "已处理" in late.text
    later = await town.send(OFFICE, "谢谢")
    assert "已处理" not in "".join(s.text for s in later)
    assert [(s, n) for _, s, n in await offers(town.db)] == [(ServeOfferStatus.ACCEPTED, None)]
