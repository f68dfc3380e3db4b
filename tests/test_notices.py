"""Notices (通知), driven as heads, the community office and residents would: a head writes to
their building and only its people get it, each framed in their own language; the office
chooses several buildings; urgent goes in quiet hours and the rest waits for the morning; a
scheduled notice is released at its time once, even by two scans at once; the author follows
progress in /notices, stops what has not gone, withdraws (copies deleted) and corrects (copies
edited); a resident mutes a building; refusals (a resident, a forged building, too long, a
sticker) change nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from aiogram.methods import DeleteMessage, SendPhoto
from sqlalchemy import func, select

from bot.services.notice_errors import BadTime
from bot.services.notices import MAX_TEXT, minutes_for, parse_time
from bot.services.sla import sla_for
from handlers.notice_keyboards import NoticeCb, NoticeStep
from storage.db import Database
from storage.models import (
    Building,
    FsmRecord,
    Notice,
    NoticeCopy,
    NoticeMute,
    NoticeStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Role,
)
from tests.botclient import Sent
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STICKER,
    STRANGER,
    Town,
    answer,
    one,
    photo,
    to,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

WATER = "Water cut on Thursday 09:00–12:00: please store some water. 周四停水。"
EN = {
    "next": "Next ›",
    "no-photos": "No photos ›",
    "done": "Done ›",
    "now": "Now",
    "normal": "Not urgent",
    "urgent": "⚠️ Urgent",
    "send": "✅ Send",
}
ZH = {
    "next": "下一步 ›",
    "no-photos": "不加照片 ›",
    "done": "完成 ›",
    "now": "现在",
    "normal": "不紧急",
    "urgent": "⚠️ 紧急",
    "send": "✅ 发送",
}
LABELS = {HEAD: EN, HEAD2: EN, OFFICE: ZH}
EVERYONE = (HEAD, DEPUTY, HEAD2, OFFICE, RESIDENT, NEIGHBOUR, STRANGER)


async def write(
    town: Town,
    who: int,
    text: str = WATER,
    *,
    buildings: tuple[str, ...] = (),
    photos: tuple[str, ...] = (),
    when: str | None = None,
    urgent: bool = False,
) -> tuple[Sent, list[Sent]]:
    """``who`` writes a notice through the whole flow; returns the summary and what Send did."""
    labels = LABELS[who]
    first = await town.send(who, "/notice")
    if buildings:
        choice = one(first, who)
        for name in buildings:
            await town.click(who, choice, name)
        first = await town.click(who, choice, labels["next"])
    asked = await town.send(who, text)
    step = one(asked, who)
    for index, file_id in enumerate(photos):
        step = one(await town.send(who, photo=photo(file_id)), who)
        assert f"{index + 1}" in step.text
    done = labels["done"] if photos else labels["no-photos"]
    timing = one(await town.click(who, step, done), who)
    if when is None:
        urgency = one(await town.click(who, timing, labels["now"]), who)
    elif when in timing.buttons:
        urgency = one(await town.click(who, timing, when), who)
    else:
        urgency = one(await town.send(who, when), who)
    summary = one(await town.click(who, urgency, labels["urgent" if urgent else "normal"]), who)
    return summary, await town.click(who, summary, labels["send"])


async def notices(db: Database) -> list[Notice]:
    async with db.session() as session:
        return list(await session.scalars(select(Notice).order_by(Notice.id)))


async def notice_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.notice_id.is_not(None))
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def copies(db: Database) -> list[NoticeCopy]:
    async with db.session() as session:
        return list(await session.scalars(select(NoticeCopy).order_by(NoticeCopy.id)))


async def building_id(db: Database, code: str) -> int:
    async with db.session() as session:
        found = await session.scalar(select(Building.id).where(Building.code == code))
        assert found is not None
        return found


def readers(delivered: list[Sent]) -> set[int]:
    return {
        int(s.chat_id) for s in delivered if type(s.method).__name__ in ("SendMessage", "SendPhoto")
    }


# --------------------------------------------------------------------------- the whole loop


async def test_a_head_reaches_their_building_only_in_each_readers_language(town: Town) -> None:
    summary, sent = await write(town, HEAD)
    # Before sending: who it reaches (the deputy and two residents; not the author).
    assert "To: 塘中新村1栋" in summary.text
    assert "Reaches 3 people, about one minute at Telegram's pace." in summary.text
    assert "Not urgent." in summary.text and WATER in summary.text
    assert "Notice #1 is on its way to 3 people; about 1 min" in one(sent, HEAD).text
    [notice] = await notices(town.db)
    assert (notice.status, notice.recipients, notice.urgent) == (NoticeStatus.RELEASED, 3, False)
    # Committed with the notice, in one go: one row per reader, linked to it.
    rows = await notice_rows(town.db)
    assert {r.person_id for r in rows} == {town.ids[w] for w in (DEPUTY, RESIDENT, NEIGHBOUR)}
    assert {r.kind for r in rows} == {OutboxKind.NOTICE}

    delivered = await town.deliver()
    assert readers(delivered) == {DEPUTY, RESIDENT, NEIGHBOUR}
    copy = one(delivered, RESIDENT)
    assert copy.text == f"📢 Notice for 塘中新村1栋\n\n{WATER}"
    assert copy.buttons == ["🔕 Mute notices from this building"]
    assert one(delivered, DEPUTY).text == f"📢 塘中新村1栋 通知\n\n{WATER}"
    assert len(await copies(town.db)) == 3

    listed = one(await town.send(HEAD, "/notices"), HEAD)
    assert "#1 · 塘中新村1栋" in listed.text and "· sent" in listed.text
    assert "Reached 3, blocked 0, pending 0, cancelled 0" in listed.text
    assert listed.buttons == ["Withdraw #1", "Correct #1"]


async def test_the_office_chooses_buildings_and_strangers_never_hear(town: Town) -> None:
    summary, _ = await write(town, OFFICE, buildings=("塘中新村1栋", "翠湖苑1座"))
    assert "发给：塘中新村1栋, 翠湖苑1座" in summary.text
    assert "将送达 5 人" in summary.text
    delivered = await town.deliver()
    assert readers(delivered) == {HEAD, DEPUTY, RESIDENT, NEIGHBOUR, STRANGER}
    assert one(delivered, STRANGER).text.startswith("📢 Notice for 翠湖苑1座")
    assert one(delivered, HEAD).text.startswith("📢 Notice for 塘中新村1栋")


async def test_photos_follow_the_text_and_a_sixth_is_refused(town: Town) -> None:
    await write(town, HEAD, photos=("p1", "p2"))
    delivered = await town.deliver()
    assert [type(s.method).__name__ for s in to(delivered, RESIDENT)] == [
        "SendMessage",
        "SendPhoto",
        "SendPhoto",
    ]
    photos = [cast(SendPhoto, s.method).photo for s in to(delivered, RESIDENT, "SendPhoto")]
    assert photos == ["p1", "p2"]
    assert sorted(c.part for c in await copies(town.db) if c.address == str(RESIDENT)) == [0, 1, 2]

    await town.send(HEAD, "/notice")
    await town.send(HEAD, "Second")
    for index in range(5):
        await town.send(HEAD, photo=photo(f"q{index}"))
    refused = one(await town.send(HEAD, photo=photo("q5")), HEAD)
    assert refused.text == "A notice can carry at most 5 photos; this one was not added."


async def test_an_album_is_answered_once_and_refused_once_past_five(town: Town) -> None:
    """An album comes as one update per photo: the step answers its first, and when it goes
    past five photos, says so once; the five are kept."""
    await town.send(HEAD, "/notice")
    await town.send(HEAD, "Water off on Friday")
    first = await town.send(HEAD, None, photo=photo("a0"), media_group_id="album-1")
    assert one(first, HEAD).text.startswith("Photos added (a notice carries 5 at most)")
    for n in (1, 2):
        assert await town.send(HEAD, None, photo=photo(f"a{n}"), media_group_id="album-1") == []
    answers = [
        await town.send(HEAD, None, photo=photo(f"b{n}"), media_group_id="album-2")
        for n in range(4)
    ]
    assert one(answers[0], HEAD).text.startswith("Photos added")
    assert one(answers[2], HEAD).text == (
        "A notice can carry at most 5 photos; this one was not added."
    )
    assert answers[1] == [] and answers[3] == []
    labels = LABELS[HEAD]
    timing = one(await town.click(HEAD, one(first, HEAD), labels["done"]), HEAD)
    urgency = one(await town.click(HEAD, timing, labels["now"]), HEAD)
    summary = one(await town.click(HEAD, urgency, labels["normal"]), HEAD)
    assert "With 5 photo(s)." in summary.text


# --------------------------------------------------------------------------- quiet hours, time


async def test_urgent_goes_in_quiet_hours_and_the_rest_waits_for_morning(town: Town) -> None:
    town.world.clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Foshan
    summary, sent = await write(town, HEAD)
    assert "It waits for the end of quiet hours: from 2026-11-27 08:00." in summary.text
    assert "from 2026-11-27 08:00" in one(sent, HEAD).text
    assert readers(await town.deliver()) == set()
    # It waits as a notice, not as outbox rows that would hold up the readers' other messages.
    assert await notice_rows(town.db) == []
    assert await town.world.services.notices.release_due() == 0
    await write(town, HEAD, "Gas leak: do not use lifts", urgent=True)
    urgent = await town.deliver()
    assert readers(urgent) == {DEPUTY, RESIDENT, NEIGHBOUR}
    assert one(urgent, RESIDENT).text.startswith("⚠️ Urgent notice for 塘中新村1栋")

    town.world.clock.now = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00
    assert await town.world.services.notices.release_due() == 3
    morning = await town.deliver()
    assert readers(morning) == {DEPUTY, RESIDENT, NEIGHBOUR}
    assert WATER in one(morning, RESIDENT).text


async def test_a_scheduled_notice_is_released_once_at_its_time(town: Town) -> None:
    summary, sent = await write(town, HEAD, when="2026-11-26 12:00")
    assert "Scheduled for 2026-11-26 12:00." in summary.text
    assert "will go at 2026-11-26 12:00 (3 people now)" in one(sent, HEAD).text
    notices_service = town.world.services.notices
    assert await notices_service.release_due() == 0  # 10:00: not yet
    assert await notice_rows(town.db) == []

    town.world.clock.now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Foshan
    # Two scans at once (two instances): one releases it, the other finds it taken.
    written = await asyncio.gather(notices_service.release_due(), notices_service.release_due())
    assert sorted(written) == [0, 3]
    assert len(await notice_rows(town.db)) == 3
    assert await notices_service.release_due() == 0
    assert readers(await town.deliver()) == {DEPUTY, RESIDENT, NEIGHBOUR}
    [notice] = await notices(town.db)
    assert notice.status is NoticeStatus.RELEASED


async def test_tomorrow_morning_is_scheduled_and_waits_for_quiet_hours_to_end(town: Town) -> None:
    summary, sent = await write(town, HEAD, when="Tomorrow 07:30")
    assert "Scheduled for 2026-11-27 07:30." in summary.text
    # 07:30 is still quiet hours (22:00–08:00): a notice that is not urgent goes at 08:00.
    assert "It waits for the end of quiet hours: from 2026-11-27 08:00." in summary.text
    [notice] = await notices(town.db)
    assert notice.send_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    town.world.clock.now = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 07:30
    assert await town.world.services.notices.release_due() == 0
    town.world.clock.now = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert await town.world.services.notices.release_due() == 3


def test_the_estimate_and_typed_times() -> None:
    sla = sla_for({}, "Asia/Shanghai")
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Foshan
    assert minutes_for(43_000) == 24  # at 30 a second
    assert minutes_for(3) == 1 and minutes_for(0) == 0
    assert parse_time("11:30", now, sla) == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)
    assert parse_time("09:00", now, sla) == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # tomorrow
    assert parse_time("2026-12-01 7：05", now, sla) == datetime(2026, 11, 30, 23, 5, tzinfo=UTC)
    for bad in ("25:00", "soon", "2026-11-26 09:00", "2026-02-30 10:00", ""):
        with pytest.raises(BadTime):
            parse_time(bad, now, sla)


async def test_a_typed_time_that_has_passed_is_asked_again(town: Town) -> None:
    await town.send(HEAD, "/notice")
    step = one(await town.send(HEAD, WATER), HEAD)
    await town.click(HEAD, step, "No photos ›")
    refused = one(await town.send(HEAD, "2026-11-25 09:00"), HEAD)
    assert refused.text.startswith("I could not read that time, or it has passed.")
    asked = one(await town.send(HEAD, "11:30"), HEAD)  # today 11:30, still ahead
    assert asked.text.startswith("Is it urgent?")


async def test_a_typed_time_at_the_calendars_edge_is_asked_again(town: Town) -> None:
    """Found: 0001-01-01 01:00 in Foshan is before the first moment a datetime holds in UTC;
    the conversion overflowed and the head read the generic apology."""
    await town.send(HEAD, "/notice")
    step = one(await town.send(HEAD, WATER), HEAD)
    await town.click(HEAD, step, "No photos ›")
    refused = one(await town.send(HEAD, "0001-01-01 01:00"), HEAD)
    assert refused.text.startswith("I could not read that time, or it has passed.")
    asked = one(await town.send(HEAD, "11:30"), HEAD)  # the step still waits
    assert asked.text.startswith("Is it urgent?")


# --------------------------------------------------------------------------- after sending


async def test_progress_counts_who_blocked_the_bot(town: Town) -> None:
    town.client.session.blocked.add(NEIGHBOUR)
    await write(town, HEAD)
    await town.deliver()
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    assert "Reached 2, blocked 1, pending 0, cancelled 0" in listed.text
    assert "min left" not in listed.text


async def test_the_author_stops_what_has_not_gone(town: Town) -> None:
    await write(town, OFFICE, buildings=("塘中新村1栋", "翠湖苑1座"))
    listed = one(await town.send(OFFICE, "/notices"), OFFICE)
    assert "待发送 5" in listed.text
    assert "停止 #1" in listed.buttons
    pressed = await town.click(OFFICE, listed, "停止 #1")
    assert answer(pressed) == "通知 #1 已停止：尚未发出的 5 份不会再发。"
    assert readers(await town.deliver()) == set()
    assert {r.status for r in await notice_rows(town.db)} == {OutboxStatus.FAILED}
    listed = one(await town.send(OFFICE, "/notices"), OFFICE)
    assert "已送达 0，被屏蔽 0，待发送 0，已取消 5" in listed.text


async def test_withdraw_deletes_the_copies_and_marks_older_ones(town: Town) -> None:
    await write(town, HEAD, photos=("p1",))
    delivered = await town.deliver()
    sent_ids = {
        (int(s.chat_id), town.message_id(s))
        for s in delivered
        if type(s.method).__name__ in ("SendMessage", "SendPhoto")
    }
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    pressed = await town.click(HEAD, listed, "Withdraw #1")
    assert "3 copies will be deleted, 0 older ones" in answer(pressed)
    removed = await town.deliver()
    deleted = {
        (int(s.chat_id), int(cast(DeleteMessage, s.method).message_id))
        for s in removed
        if type(s.method).__name__ == "DeleteMessage"
    }
    assert deleted == sent_ids  # texts and photos, in every chat
    [notice] = await notices(town.db)
    assert notice.status is NoticeStatus.WITHDRAWN
    # Withdrawn twice: an old button changes nothing.
    again = await town.click(HEAD, listed, "Withdraw #1")
    assert "not yours, or it can no longer be changed" in answer(again)

    # Older than 48 hours: edited to say so, the buttons gone.
    await write(town, HEAD, "Lift maintenance")
    await town.deliver()
    town.world.clock.advance(hours=49)
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    await town.click(HEAD, listed, "Withdraw #2")
    edited = to(await town.deliver(), RESIDENT, "EditMessageText")
    assert [e.text for e in edited] == ["🚫 A notice for 塘中新村1栋 was withdrawn by its author."]
    assert edited[0].buttons == []


async def test_a_correction_edits_every_copy_sent(town: Town) -> None:
    await write(town, HEAD)
    await town.deliver()
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    asked = await town.click(HEAD, listed, "Correct #1")
    assert one(asked, HEAD).text.startswith("✏️ Write the corrected text of notice #1")
    done = one(await town.send(HEAD, "Water cut moved to Friday"), HEAD)
    assert done.text == "Notice #1 corrected; 3 copies sent will be edited."
    edits = [s for s in await town.deliver() if type(s.method).__name__ == "EditMessageText"]
    assert {int(e.chat_id) for e in edits} == {DEPUTY, RESIDENT, NEIGHBOUR}
    resident = next(e for e in edits if e.chat_id == RESIDENT)
    assert resident.text == (
        "📢 Notice for 塘中新村1栋\n\nWater cut moved to Friday\n\n✏️ Corrected by its author."
    )


async def test_a_corrected_copy_still_names_its_readers_building(town: Town) -> None:
    """A notice to A1 and B1: B1's reader got "Notice for 翠湖苑1座" with B1's mute button;
    the correction's edit of that copy says the same, not A1's name and A1's button (which
    B1's reader may not press); so does the correction told at the other doors."""
    await write(town, OFFICE, buildings=("塘中新村1栋", "翠湖苑1座"))
    sent = one(await town.deliver(), STRANGER)
    assert sent.text.startswith("📢 Notice for 翠湖苑1座")
    listed = one(await town.send(OFFICE, "/notices"), OFFICE)
    await town.click(OFFICE, listed, "更正 #1")
    one(await town.send(OFFICE, "Water cut moved to Friday"), OFFICE)
    edits = [s for s in await town.deliver() if type(s.method).__name__ == "EditMessageText"]
    edited = next(e for e in edits if e.chat_id == STRANGER)
    assert edited.text.startswith("📢 Notice for 翠湖苑1座\n\nWater cut moved to Friday")
    assert edited.button_data(edited.buttons[0]) == sent.button_data(sent.buttons[0])
    pressed = await town.click(STRANGER, edited, "🔕 Mute notices from this building")
    assert answer(pressed).startswith("Muted: no more non-urgent notices from 翠湖苑1座")
    # The same correction told at the WeChat and web doors names the reader's building too.
    board = town.world.services.notice_board
    change = await board.change(1, town.ids[STRANGER], "corrected")
    assert change is not None and change.building == "翠湖苑1座"


async def test_a_resident_mutes_a_building_but_urgent_notices_still_come(town: Town) -> None:
    await write(town, HEAD)
    copy = one(await town.deliver(), RESIDENT)
    pressed = await town.click(RESIDENT, copy, "🔕 Mute notices from this building")
    assert answer(pressed).startswith("Muted: no more non-urgent notices from 塘中新村1栋")
    edited = one(pressed, RESIDENT, "EditMessageReplyMarkup")
    assert edited.buttons == ["🔔 Unmute this building's notices"]

    summary, _ = await write(town, HEAD, "Cleaning day")
    assert "Reaches 2 people" in summary.text
    assert readers(await town.deliver()) == {DEPUTY, NEIGHBOUR}
    await write(town, HEAD, "Fire drill now", urgent=True)
    urgent = await town.deliver()
    assert RESIDENT in readers(urgent)
    assert one(urgent, RESIDENT).buttons == ["🔔 Unmute this building's notices"]

    # The same button unmutes.
    await town.click(RESIDENT, one(urgent, RESIDENT), "🔔 Unmute this building's notices")
    async with town.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoticeMute)) == 0


async def test_mute_pressed_on_an_older_copy_keeps_the_building_muted(town: Town) -> None:
    """Two copies in the chat, both with "Mute" (or one button tapped twice before it
    changes): the second press mutes as its label says, it does not unmute."""
    await write(town, HEAD)
    first = one(await town.deliver(), RESIDENT)
    await write(town, HEAD, "Cleaning day")
    second = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, second, "🔕 Mute notices from this building")
    pressed = await town.click(RESIDENT, first, "🔕 Mute notices from this building")
    assert answer(pressed).startswith("Muted: no more non-urgent notices from 塘中新村1栋")
    edited = one(pressed, RESIDENT, "EditMessageReplyMarkup")
    assert edited.buttons == ["🔔 Unmute this building's notices"]
    async with town.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoticeMute)) == 1
    # Its Unmute unmutes, and pressed again (an older "Unmute") changes nothing either.
    await town.click(RESIDENT, edited, "🔔 Unmute this building's notices")
    again = await town.click(RESIDENT, edited, "🔔 Unmute this building's notices")
    assert answer(again).startswith("Notices from 塘中新村1栋 come again")
    async with town.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoticeMute)) == 0


# --------------------------------------------------------------------------- refusals


async def everything(db: Database) -> tuple[Any, ...]:
    async with db.session() as session:
        counted = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Notice, NoticeMute, NoticeCopy)
        ]
        rows = await session.scalar(
            select(func.count()).where(OutboxMessage.notice_id.is_not(None))
        )
        states = [
            (r.key, r.state)
            for r in await session.scalars(select(FsmRecord).where(FsmRecord.state.is_not(None)))
        ]
    return tuple(counted), rows, tuple(states)


async def test_refusals_change_nothing(town: Town) -> None:
    before = await everything(town.db)
    refused = one(await town.send(RESIDENT, "/notice"), RESIDENT)
    assert refused.text.startswith("Only a building head, a coordinator or an admin")
    assert await everything(town.db) == before

    # A head forging a button for another building (A2's) is refused, whatever the step.
    forged = NoticeCb(step=NoticeStep.TOGGLE, id=await building_id(town.db, "A2")).pack()
    pressed = await town.press(HEAD, forged)
    assert answer(pressed).startswith("Only a building head, a coordinator or an admin")
    # A resident forging a mute for a building they do not belong to.
    mute = NoticeCb(step=NoticeStep.MUTE, id=await building_id(town.db, "B1")).pack()
    assert answer(await town.press(RESIDENT, mute)) == (
        "You can mute only the buildings you belong to."
    )
    # Someone else's notice cannot be stopped by a forged button.
    assert await everything(town.db) == before

    await town.send(HEAD, "/notice")
    waiting = await everything(town.db)
    too_long = one(await town.send(HEAD, "水" * (MAX_TEXT + 1)), HEAD)
    assert "too long" in too_long.text
    sticker = one(await town.send(HEAD, sticker=STICKER), HEAD)
    assert sticker.text.startswith("Please write it as a text message")
    assert await everything(town.db) == waiting  # still at the text step, nothing written
    photos_step = one(await town.send(HEAD, "Fine now"), HEAD)
    assert photos_step.text.startswith("🖼 Add up to 5 photos")

    # Another head's notice: a forged Stop or Withdraw changes nothing of it.
    await write(town, HEAD2, "A2 only")
    [theirs] = await notices(town.db)
    assert theirs.author_id == town.ids[HEAD2]
    for step in (NoticeStep.CANCEL, NoticeStep.WITHDRAW, NoticeStep.CORRECT):
        forged = NoticeCb(step=step, id=theirs.id).pack()
        assert "not yours" in answer(await town.press(HEAD, forged))
    [theirs] = await notices(town.db)
    assert (theirs.status, theirs.ended_at) == (NoticeStatus.RELEASED, None)


async def test_bulk_release_of_many_readers_is_one_transaction(town: Town) -> None:
    """The rows are written in batches of one statement each, all with the notice's release:
    a notice to more readers than a batch holds writes every row once."""
    from storage.repositories import notices as repository

    repository_batch = repository.INSERT_BATCH
    repository.INSERT_BATCH = 2
    try:
        await write(town, OFFICE, buildings=("塘中新村1栋", "塘中新村2栋", "翠湖苑1座"))
    finally:
        repository.INSERT_BATCH = repository_batch
    rows = await notice_rows(town.db)
    assert Counter(r.person_id for r in rows) == Counter(
        town.ids[w] for w in (HEAD, DEPUTY, HEAD2, RESIDENT, NEIGHBOUR, STRANGER)
    )
    assert all(r.not_before == rows[0].not_before for r in rows)
    assert rows[0].created_at - datetime(2026, 11, 26, 2, 0, tzinfo=UTC) < timedelta(seconds=1)


async def test_a_long_notice_to_a_whole_large_community_can_still_be_sent(town: Town) -> None:
    """The office writes a long notice (within the 3,800 allowed) to "all" of a community of
    238 buildings, as Tangzhong has: the summary, with its Send button, arrives (the list of
    buildings is shortened, the notice's text is whole), and so does /notices afterwards.
    Found: the summary named every building, 4096 units were passed, Telegram refused it and
    the office read only the generic apology, with no way to send."""
    from bot.services.community import BuildingRow
    from tests.botclient import utf16_len

    rows = [
        BuildingRow("塘中社区", f"T{n}", f"塘中新村{n}栋", f"塘中路{n}号") for n in range(3, 239)
    ]
    await town.world.services.community.import_buildings(rows)
    text = "停水" * (MAX_TEXT // 2)
    for _ in range(2):
        choice = one(await town.send(OFFICE, "/notice"), OFFICE)
        every = next(label for label in choice.buttons if label.startswith("全部"))
        asked = one(await town.click(OFFICE, choice, every), OFFICE)
        assert asked.text.startswith("✍️")
        step = one(await town.send(OFFICE, text), OFFICE)
        timing = one(await town.click(OFFICE, step, ZH["no-photos"]), OFFICE)
        urgency = one(await town.click(OFFICE, timing, ZH["now"]), OFFICE)
        summary = one(await town.click(OFFICE, urgency, ZH["normal"]), OFFICE)
        assert utf16_len(summary.text) <= 4096
        assert summary.text.endswith(text)
        assert "塘中新村1栋" in summary.text
        one(await town.click(OFFICE, summary, ZH["send"]), OFFICE)
    assert len(await notices(town.db)) == 2
    listed = one(await town.send(OFFICE, "/notices"), OFFICE)
    assert utf16_len(listed.text) <= 4096
    assert listed.buttons


# --------------------------------------------------------------------------- a removed author


async def remove_head(town: Town) -> None:
    head = await town.person(HEAD)
    office = await town.person(OFFICE)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)
    await town.deliver()


async def test_a_removed_head_cannot_correct_a_notice_into_the_residents_chats(
    town: Town,
) -> None:
    """Access follows current roles: the old /notices list's "Correct" of a head removed since
    would rewrite the copies in every resident's chat with whatever he types now."""
    await write(town, HEAD)
    await town.deliver()
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    asked = await town.click(HEAD, listed, "Correct #1")  # still the head: asked for the text
    assert one(asked, HEAD).text.startswith("✏️ Write the corrected text of notice #1")
    await remove_head(town)

    # The text typed after the removal is refused, and so is the old button pressed again.
    typed = one(await town.send(HEAD, "Ignore the office: pay the fee to me in cash"), HEAD)
    assert "look after" in typed.text
    pressed = await town.click(HEAD, listed, "Correct #1")
    assert "look after" in answer(pressed)
    edits = [s for s in await town.deliver() if type(s.method).__name__ == "EditMessageText"]
    assert edits == []
    [notice] = await notices(town.db)
    assert notice.text == WATER


async def test_a_correction_refused_for_good_ends_the_step(town: Town) -> None:
    """The office withdrew the notice while its author was writing the correction: the text
    is refused, and the step ends with it; the head's next words are not taken for another
    try at correcting a notice that can no longer be changed."""
    await write(town, HEAD)
    await town.deliver()
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    await town.click(HEAD, listed, "Correct #1")
    # Too long: asked again, the step waits.
    assert "too long" in one(await town.send(HEAD, "水" * (MAX_TEXT + 1)), HEAD).text
    others = [s for s in await town.send(OFFICE, "/notices") if s.chat_id == OFFICE]
    await town.click(OFFICE, others[-1], "撤回 #1")
    await town.deliver()
    refused = one(await town.send(HEAD, "Water cut moved to Friday"), HEAD)
    assert refused.text == "That notice is not yours, or it can no longer be changed that way."
    later = await town.send(HEAD, "Thanks everyone for your patience")
    assert "can no longer be changed" not in "".join(s.text for s in later)
    [notice] = await notices(town.db)
    assert notice.text == WATER and notice.status is NoticeStatus.WITHDRAWN


async def test_a_removed_head_s_scheduled_notice_does_not_go(town: Town) -> None:
    await write(town, HEAD, when="2026-11-26 12:00")
    await remove_head(town)
    town.world.clock.now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in Foshan
    assert await town.world.services.notices.release_due() == 0
    assert readers(await town.deliver()) == set()
    [notice] = await notices(town.db)
    assert notice.status is NoticeStatus.CANCELLED


async def test_a_removed_head_cannot_withdraw_a_notice_from_the_residents_chats(
    town: Town,
) -> None:
    """Withdrawing speaks for the community as correcting does: the old /notices list's
    "Withdraw" of a head removed since answers politely and every copy stays as it is."""
    await write(town, HEAD)
    await town.deliver()
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    await remove_head(town)

    pressed = await town.click(HEAD, listed, "Withdraw #1")
    assert "look after" in answer(pressed)
    changed = [
        s
        for s in await town.deliver()
        if type(s.method).__name__ in ("DeleteMessage", "EditMessageText")
    ]
    assert changed == []
    [notice] = await notices(town.db)
    assert notice.status is NoticeStatus.RELEASED
    assert all(r.kind == OutboxKind.NOTICE for r in await notice_rows(town.db))


async def test_a_removed_head_s_notices_list_offers_only_what_he_may_still_do(
    town: Town,
) -> None:
    """/notices after the removal: his released notice is listed with its numbers and no
    Withdraw or Correct (pressing them would only be refused); his scheduled one keeps Stop,
    his own unsent words to take back."""
    await write(town, HEAD)
    await town.deliver()
    await write(town, HEAD, "Lift maintenance", when="2026-11-26 12:00")
    before = one(await town.send(HEAD, "/notices"), HEAD)
    assert {"Withdraw #1", "Correct #1", "Stop #2", "Correct #2"} <= set(before.buttons)
    await remove_head(town)

    listed = one(await town.send(HEAD, "/notices"), HEAD)
    assert "#1" in listed.text and "#2" in listed.text
    assert listed.buttons == ["Stop #2"]
    pressed = await town.click(HEAD, listed, "Stop #2")
    assert "#2" in answer(pressed)
    assert [n.status for n in await notices(town.db)] == [
        NoticeStatus.RELEASED,
        NoticeStatus.CANCELLED,
    ]
    assert one(await town.send(HEAD, "/notices"), HEAD).buttons == []


async def test_a_removed_head_cannot_stop_the_rest_of_a_notice_half_way(town: Town) -> None:
    """Stopping the copies still to go withholds from some residents what the others were
    told: like a withdrawal, only while the author looks after its buildings. The old Stop
    button is refused and every copy still goes."""
    await write(town, HEAD)
    listed = one(await town.send(HEAD, "/notices"), HEAD)
    assert "Stop #1" in listed.buttons
    head = await town.person(HEAD)
    office = await town.person(OFFICE)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)  # copies pending

    assert "Stop #1" not in one(await town.send(HEAD, "/notices"), HEAD).buttons
    pressed = await town.click(HEAD, listed, "Stop #1")
    assert "look after" in answer(pressed)
    assert {RESIDENT, NEIGHBOUR, DEPUTY} <= readers(await town.deliver())
    rows = await notice_rows(town.db)
    assert len(rows) == 3
    assert {r.status for r in rows} == {OutboxStatus.SENT}


async def test_the_office_withdraws_a_removed_head_s_notice(town: Town) -> None:
    """The head who wrote it was removed and can no longer take it back; the community's
    coordinator finds it in /notices among the others' notices and withdraws it: the copies
    go out of the residents' chats as the author's withdrawal would. A head of another
    building cannot, even with a forged button."""
    await write(town, HEAD)
    sent = await town.deliver()
    sent_ids = {(int(s.chat_id), town.message_id(s)) for s in sent if s.chat_id != HEAD}
    await remove_head(town)
    forged = NoticeCb(step=NoticeStep.WITHDRAW, id=1).pack()
    assert "not yours" in answer(await town.press(HEAD2, forged))

    listed = [s for s in await town.send(OFFICE, "/notices") if s.chat_id == OFFICE]
    assert listed[0].text.startswith("🏢 社区内其他人发出的通知")
    assert listed[0].buttons == ["撤回 #1"]
    pressed = await town.click(OFFICE, listed[0], "撤回 #1")
    assert "通知 #1 已撤回：3 份将被删除" in answer(pressed)
    deleted = {
        (int(s.chat_id), int(cast(DeleteMessage, s.method).message_id))
        for s in await town.deliver()
        if type(s.method).__name__ == "DeleteMessage"
    }
    assert deleted == sent_ids
    [notice] = await notices(town.db)
    assert notice.status is NoticeStatus.WITHDRAWN
    assert one(await town.send(OFFICE, "/notices"), OFFICE).text.startswith("您还没有")


async def test_an_older_copy_the_office_withdrew_says_the_office_did(town: Town) -> None:
    """Past 48 hours a withdrawn copy is edited, not deleted: when the office withdrew it, the
    copy says so rather than blaming its author."""
    await write(town, HEAD)
    await town.deliver()
    town.world.clock.advance(hours=49)
    await remove_head(town)
    listed = [s for s in await town.send(OFFICE, "/notices") if s.chat_id == OFFICE]
    await town.click(OFFICE, listed[0], "撤回 #1")
    edited = to(await town.deliver(), RESIDENT, "EditMessageText")
    assert [e.text for e in edited] == [
        "🚫 A notice for 塘中新村1栋 was withdrawn by the community office."
    ]


async def test_a_head_removed_before_send_is_let_go_and_nothing_goes(town: Town) -> None:
    """Found: the head was removed while the notice waited at its summary; Send was refused,
    but the flow stayed: every press of Send was refused again, and a typed word was told to
    press those very buttons. Now the flow ends with the refusal, its buttons go, nothing is
    sent."""
    from storage.models import Role

    one(await town.send(HEAD, "/notice"), HEAD)
    photos = one(await town.send(HEAD, "Water off tomorrow 💧💧"), HEAD)
    when = one(await town.click(HEAD, photos, "No photos ›"), HEAD)
    urgent = one(await town.click(HEAD, when, "Now"), HEAD)
    summary = one(await town.click(HEAD, urgent, "Not urgent"), HEAD)
    office, head = await town.person(OFFICE), await town.person(HEAD)
    await town.world.services.revoke.remove(
        office, head.id, await building_id(town.db, "A1"), Role.HEAD
    )
    await town.deliver()
    pressed = await town.click(HEAD, summary, "✅ Send")
    answer(pressed)
    said = one(pressed, HEAD).text
    assert "Only a building head" in said and "nothing was sent" in said
    assert any(type(s.method).__name__ == "EditMessageReplyMarkup" for s in pressed)
    later = one(await town.send(HEAD, "hello"), HEAD).text
    assert "press one of the buttons" not in later
    assert await notices(town.db) == []
    assert await town.deliver() == []
