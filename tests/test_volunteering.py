"""Volunteering, driven as the people involved would: a head organises an activity for their
building and its residents (only they) get the announcement; they sign up until it is full and
cancel; the evening before they are reminded once, and not in quiet hours; at the event the
head shows the check-in QR and a signed-up volunteer who opens it is checked in (hours
credited), a stranger and an early bird are not; after the start the head confirms the hours in
one tap. A resident logs help to a neighbour and their head confirms it. Refusals (a resident
organising, a forged sign-up, a bad form, a sticker) change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.scheduling import SchedAction
from handlers.scheduling import SchedCb
from storage.db import Database
from storage.models import (
    ActivityStatus,
    HoursStatus,
    ServiceHours,
    VolunteerActivity,
    VolunteerSignup,
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
    to,
)
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

# 2026-11-27 09:00 in Foshan: tomorrow, seen from the fake clock's 2026-11-26 10:00.
FORM = "Tree planting\nGarden behind A1\n2026-11-27 09:00\n2\n2"
SIGN_UP = "🙋 Sign up"


async def activities(db: Database) -> list[VolunteerActivity]:
    async with db.session() as session:
        return list(await session.scalars(select(VolunteerActivity)))


async def signups(db: Database) -> list[tuple[int, bool, bool]]:
    async with db.session() as session:
        rows = await session.scalars(select(VolunteerSignup).order_by(VolunteerSignup.id))
        return [(r.person_id, r.cancelled_at is None, r.checked_in_at is not None) for r in rows]


async def hours(db: Database) -> list[tuple[int, float, HoursStatus, int | None]]:
    async with db.session() as session:
        rows = await session.scalars(select(ServiceHours).order_by(ServiceHours.id))
        return [(r.person_id, r.hours, r.status, r.confirmed_by) for r in rows]


async def organise(town: Town, form: str = FORM) -> list[Sent]:
    asked = one(await town.send(HEAD, "/activity"), HEAD)
    assert "one item per line" in asked.text
    summary = one(await town.send(HEAD, form), HEAD)
    assert "Reaches 3 people." in summary.text  # the deputy and two residents, not the head
    assert "To the residents of: 塘中新村1栋" in summary.text
    return await town.click(HEAD, summary, "✅ Announce")


async def test_organise_sign_up_remind_check_in_and_confirm_hours(town: Town) -> None:
    sent = await organise(town)
    assert "“Tree planting” is announced to 3 people" in one(sent, HEAD).text
    [activity] = await activities(town.db)
    assert (activity.status, activity.capacity, activity.hours) == (ActivityStatus.OPEN, 2, 2.0)

    delivered = await town.deliver()
    announced = {int(s.chat_id) for s in delivered if "Tree planting" in s.text}
    assert announced == {DEPUTY, RESIDENT, NEIGHBOUR}  # B1's stranger and the office: nothing
    ad = one(delivered, RESIDENT)
    assert "🕒 2026-11-27 09:00 · counts for 2 h of service · 2 places" in ad.text
    assert one(delivered, DEPUTY).buttons == ["🙋 报名"]

    signed = one(await town.click(RESIDENT, ad, SIGN_UP), RESIDENT)
    assert "You are signed up for “Tree planting”" in signed.text
    assert "One place is left." in signed.text
    again = await town.click(RESIDENT, ad, SIGN_UP)
    assert "already signed up" in answer(again) + "".join(s.text for s in again)
    last = one(await town.click(NEIGHBOUR, one(delivered, NEIGHBOUR), SIGN_UP), NEIGHBOUR)
    assert "That was the last place." in last.text
    full = await town.click(DEPUTY, one(delivered, DEPUTY), "🙋 报名")
    assert "名额已满" in answer(full) + "".join(s.text for s in full)
    # The neighbour cancels; the deputy takes the freed place.
    unsigned = one(await town.click(NEIGHBOUR, last, "Cancel my sign-up"), NEIGHBOUR)
    assert "cancelled" in unsigned.text
    assert (
        "您已报名" in one(await town.click(DEPUTY, one(delivered, DEPUTY), "🙋 报名"), DEPUTY).text
    )
    ids = town.ids
    assert await signups(town.db) == [
        (ids[RESIDENT], True, False),
        (ids[NEIGHBOUR], False, False),
        (ids[DEPUTY], True, False),
    ]

    # The evening before: not before 19:00, then once.
    services = town.world.services
    assert await services.volunteering.remind_due() == 0  # 10:00
    town.world.clock.now = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)  # 19:05 in Foshan
    assert await services.volunteering.remind_due() == 2
    assert await services.volunteering.remind_due() == 0
    reminded = await town.deliver()
    assert {int(s.chat_id) for s in reminded} == {RESIDENT, DEPUTY}
    assert one(reminded, RESIDENT).text.startswith("⏰ Coming up: Tree planting")

    # The check-in QR: a deep link with a one-time token of this activity.
    qr = one(await town.send(HEAD, "/checkin"), HEAD, "SendPhoto")
    match = re.search(r"https://t\.me/louzhang_test_bot\?start=(v[A-Za-z0-9_-]+)", qr.text)
    assert match is not None, qr.text
    start = f"/start {match.group(1)}"
    early = one(await town.send(RESIDENT, start), RESIDENT)
    assert "open from an hour before the start" in early.text
    town.world.clock.now = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # 09:10 on the day
    checked = one(await town.send(RESIDENT, start), RESIDENT)
    assert "Checked in at “Tree planting”: 2 h credited" in checked.text
    assert "already checked in" in one(await town.send(RESIDENT, start), RESIDENT).text
    refused = one(await town.send(NEIGHBOUR, start), NEIGHBOUR)  # cancelled: not signed up
    assert "You are not signed up for “Tree planting”" in refused.text
    stranger = one(await town.send(STRANGER, start), STRANGER)
    assert "not signed up" in stranger.text
    assert "Check-in" not in one(await town.send(RESIDENT, "/start vforged"), RESIDENT).text
    waiting = one(await town.send(RESIDENT, "/hours"), RESIDENT)
    assert "0 h confirmed, 2 h waiting for confirmation" in waiting.text

    # After the start the head confirms everyone checked in, in one tap.
    listed = one(await town.send(HEAD, "/activities"), HEAD)
    assert "Signed up 2 of 2, checked in 1 · open" in listed.text
    confirmed = one(await town.click(HEAD, listed, "✅ Confirm hours"), HEAD)
    assert "Confirmed: 2 h for each of one volunteer" in confirmed.text
    assert await hours(town.db) == [(ids[RESIDENT], 2.0, HoursStatus.CONFIRMED, ids[HEAD])]
    told = await town.deliver()
    assert "are confirmed" in one(told, RESIDENT).text
    assert "2 h confirmed, 0 h waiting" in one(await town.send(RESIDENT, "/hours"), RESIDENT).text
    # The points bank pays the confirmed hours at the community's rate (5 a hour by default).
    points = one(await town.send(RESIDENT, "/points"), RESIDENT).text
    assert "Your points: 10" in points and "2 hours of service" in points
    again = await town.click(HEAD, listed, "✅ Confirm hours")  # a second tap changes nothing
    assert "over or cancelled" in answer(again) + "".join(s.text for s in again)
    assert len(await hours(town.db)) == 1
    assert "Your points: 10" in one(await town.send(RESIDENT, "/points"), RESIDENT).text


async def test_refusals_change_nothing(town: Town) -> None:
    refused = one(await town.send(RESIDENT, "/activity"), RESIDENT)
    assert "Only a building head, a coordinator or an admin" in refused.text
    one(await town.send(HEAD, "/activity"), HEAD)
    assert "exactly five lines" in one(await town.send(HEAD, "Tree planting"), HEAD).text
    past = "Tree planting\nGarden\n2026-11-01 09:00\n2\n10"
    assert "has passed" in one(await town.send(HEAD, past), HEAD).text
    bad_places = "Tree planting\nGarden\n2026-11-27 09:00\n2\nmany"
    assert "whole number" in one(await town.send(HEAD, bad_places), HEAD).text
    assert to(await town.send(HEAD, sticker=STICKER), HEAD)  # a sticker: asked again
    assert await activities(town.db) == []
    # The step is still open: a good form goes on to the summary.
    assert "Reaches 3 people." in one(await town.send(HEAD, FORM), HEAD).text

    # A forged sign-up for an activity of another building.
    await organise(town, FORM)
    [activity] = await activities(town.db)
    data = SchedCb(action=SchedAction.VOL_SIGN_UP, ticket_id=activity.id).pack()
    forged = await town.press(STRANGER, data)
    assert "other buildings" in answer(forged) + "".join(s.text for s in forged)
    missing = SchedCb(action=SchedAction.VOL_SIGN_UP, ticket_id=999).pack()
    await town.press(RESIDENT, missing)
    assert await signups(town.db) == []
    # Someone else's activity: the QR is refused to a resident.
    assert "Only a building head" in one(await town.send(RESIDENT, "/checkin 1"), RESIDENT).text


async def test_a_neighbours_help_is_confirmed_by_the_head(town: Town) -> None:
    usage = one(await town.send(RESIDENT, "/helped"), RESIDENT)
    assert "how many hours" in usage.text
    logged = one(await town.send(RESIDENT, "/helped 1.5 repaired a fan on floor 3"), RESIDENT)
    assert "1.5 h of help are waiting" in logged.text
    delivered = await town.deliver()
    ask = one(delivered, HEAD)
    assert "A resident of 塘中新村1栋 helped a neighbour, 1.5 h:" in ask.text
    assert "Auntie" not in ask.text  # the head sees the help, not who (privacy by default)
    # A neighbour presses the head's button: refused.
    forged = await town.press(NEIGHBOUR, ask.button_data("✅ Confirm"))
    assert "Only a building head" in answer(forged) + "".join(s.text for s in forged)
    assert one(await town.click(HEAD, ask, "✅ Confirm"), HEAD).text == "✅ Confirmed: 1.5 h."
    ids = town.ids
    assert await hours(town.db) == [(ids[RESIDENT], 1.5, HoursStatus.CONFIRMED, ids[HEAD])]
    assert "are confirmed" in one(await town.deliver(), RESIDENT).text
    assert "1.5 h confirmed" in one(await town.send(RESIDENT, "/hours"), RESIDENT).text
    # 1.5 h at 5 points an hour: 7.5, rounded to 8 (half to even).
    assert "Your points: 8" in one(await town.send(RESIDENT, "/points"), RESIDENT).text
    # B1 has no head to confirm; a huge number of hours is refused.
    assert "no head yet" in one(await town.send(STRANGER, "/helped 1 shopping"), STRANGER).text
    too_many = one(await town.send(RESIDENT, "/helped 99 everything"), RESIDENT)
    assert "at most 24" in too_many.text
    assert len(await hours(town.db)) == 1
    assert OFFICE  # the office is not asked about a neighbour's help


async def test_the_office_chooses_buildings_with_the_notices_picker(town: Town) -> None:
    picker = one(await town.send(OFFICE, "/activity"), OFFICE)
    assert "活动面向哪些楼栋" in picker.text
    # A head's forged press for a building they do not cover: refused, nothing chosen.
    forged = await town.press(HEAD, picker.button_data("翠湖苑1座"))
    assert "Only a building head" in answer(forged) + "".join(s.text for s in forged)
    await town.click(OFFICE, picker, "塘中新村1栋")
    await town.click(OFFICE, picker, "翠湖苑1座")
    asked = one(await town.click(OFFICE, picker, "下一步 ›"), OFFICE)
    assert "每行一项" in asked.text
    summary = one(await town.send(OFFICE, FORM), OFFICE)
    assert "发给以下楼栋的居民：塘中新村1栋, 翠湖苑1座" in summary.text
    assert "将送达 5 人" in summary.text
    await town.click(OFFICE, summary, "✅ 发布")
    delivered = await town.deliver()
    announced = {int(s.chat_id) for s in delivered if "Tree planting" in s.text}
    assert announced == {HEAD, DEPUTY, RESIDENT, NEIGHBOUR, STRANGER}
    [activity] = await activities(town.db)
    assert len(activity.building_ids) == 2
    # The stranger of B1 may sign up now.
    signed = one(await town.click(STRANGER, one(delivered, STRANGER), SIGN_UP), STRANGER)
    assert "You are signed up" in signed.text


async def test_the_organiser_cancels_and_the_volunteers_are_told(town: Town) -> None:
    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    listed = one(await town.send(HEAD, "/activities"), HEAD)
    # Another head's press on this activity's Cancel: refused.
    forged = await town.press(HEAD2, listed.button_data("Cancel activity"))
    assert "Only a building head" in answer(forged) + "".join(s.text for s in forged)
    done = one(await town.click(HEAD, listed, "Cancel activity"), HEAD)
    assert done.text == "“Tree planting” is cancelled; the volunteers are told."
    assert "is cancelled by its organiser" in one(await town.deliver(), RESIDENT).text
    late = await town.click(NEIGHBOUR, ad, SIGN_UP)
    assert "over or cancelled" in answer(late) + "".join(s.text for s in late)
    [activity] = await activities(town.db)
    assert activity.status is ActivityStatus.CANCELLED
    assert "· cancelled" in one(await town.send(HEAD, "/activities"), HEAD).text
    assert await town.world.services.volunteering.remind_due() == 0


async def test_the_reminder_keeps_the_communitys_quiet_hours(town: Town) -> None:
    services = town.world.services
    await services.community.settings("塘中社区", {"quiet_hours": "18:00-08:00"})
    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    town.world.clock.now = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)  # 19:05: quiet here
    assert await services.volunteering.remind_due() == 0
    [activity] = await activities(town.db)
    assert activity.reminded_at is None
    # Held until the quiet hours end, the activity (09:00) still ahead.
    town.world.clock.now = datetime(2026, 11, 27, 0, 5, tzinfo=UTC)  # 08:05 on the day
    assert await services.volunteering.remind_due() == 1
    assert "⏰ Coming up: Tree planting" in one(await town.deliver(), RESIDENT).text
    town.world.clock.now = datetime(2026, 11, 27, 1, 5, tzinfo=UTC)  # started: nothing more
    assert await services.volunteering.remind_due() == 0


async def test_a_time_or_an_id_out_of_range_is_asked_again_not_a_crash(town: Town) -> None:
    """Found: a form dated 0001-01-01 (a typo in the year) overflowed the time zone's
    conversion, and ``/checkin`` with 20 digits or a "²" passed isdigit() and reached int()
    and the database: the organiser read the generic apology. Now the form is asked again and
    /checkin takes it as no id (the next activity's QR, or "none")."""
    one(await town.send(HEAD, "/activity"), HEAD)
    early = "Tree planting\nGarden\n0001-01-01 01:00\n2\n10"
    assert "could not read the time" in one(await town.send(HEAD, early), HEAD).text
    # The step is still open.
    assert "Reaches 3 people." in one(await town.send(HEAD, FORM), HEAD).text
    await town.send(HEAD, "/cancel")
    for args in ("9" * 20, "²"):
        answered = one(await town.send(HEAD, f"/checkin {args}"), HEAD)
        assert answered.text.startswith("You have no activities yet"), args
    assert await activities(town.db) == []


async def test_a_sign_up_to_a_cancelled_activity_is_not_cancelled_again(town: Town) -> None:
    """The "Cancel my sign-up" left under the answer, pressed after the organiser cancelled
    the activity: no "your place is free for someone else", the sign-up stays as it was."""
    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    signed = one(await town.click(RESIDENT, ad, SIGN_UP), RESIDENT)
    listed = one(await town.send(HEAD, "/activities"), HEAD)
    await town.click(HEAD, listed, "Cancel activity")
    await town.deliver()
    late = await town.click(RESIDENT, signed, "Cancel my sign-up")
    said = answer(late) + "".join(s.text for s in late)
    assert "over or cancelled" in said
    assert "free for someone else" not in said
    assert await signups(town.db) == [(town.ids[RESIDENT], True, False)]


async def test_a_form_refused_for_good_ends_the_step(town: Town) -> None:
    """The head was removed while filling in the activity's form: the form is refused, and
    the step ends with it; the next message is not refused again as another form."""
    from storage.models import Role
    from tests.test_notices import building_id

    one(await town.send(HEAD, "/activity"), HEAD)
    office, head = await town.person(OFFICE), await town.person(HEAD)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)
    await town.deliver()
    refused = one(await town.send(HEAD, FORM), HEAD)
    assert "Only a building head" in refused.text
    later = await town.send(HEAD, "Thank you all")
    assert "Only a building head" not in "".join(s.text for s in later)
    assert await activities(town.db) == []


async def test_a_removed_organiser_no_longer_runs_the_activity(town: Town) -> None:
    """Removed as head of A1, the organiser no longer lists the activity's sign-ups, shows
    its check-in QR, confirms its hours (points) or cancels it (a message to its volunteers):
    his /activities buttons from before are refused and change nothing."""
    from storage.models import Role
    from tests.test_notices import building_id

    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    listed = one(await town.send(HEAD, "/activities"), HEAD)
    assert "Signed up 1 of 2" in listed.text
    office, head = await town.person(OFFICE), await town.person(HEAD)
    await town.world.services.revoke.remove(
        office, head.id, await building_id(town.db, "A1"), Role.HEAD
    )
    await town.deliver()

    town.world.clock.now = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # 09:10 on the day
    for label in ("✅ Confirm hours", "Cancel activity", "📷 Check-in QR"):
        pressed = await town.click(HEAD, listed, label)
        said = answer(pressed) + "".join(s.text for s in pressed)
        assert "Only a building head" in said, label
        assert to(pressed, HEAD, "SendPhoto") == []
    assert "no activities" in one(await town.send(HEAD, "/activities"), HEAD).text
    assert "no activities" in one(await town.send(HEAD, "/checkin"), HEAD).text
    [activity] = await activities(town.db)
    assert activity.status is ActivityStatus.OPEN
    assert to(await town.deliver(), RESIDENT) == []


async def test_a_removed_resident_s_old_qr_link_checks_nothing_in(town: Town) -> None:
    """Found: check-in read only the sign-up, so a resident who signed up and was then removed
    from the building (moved away) still checked in with the QR link and was credited hours.
    Now they are told they are no longer a resident there, and nothing is recorded."""
    from sqlalchemy import delete

    from storage.models import Membership

    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    qr = one(await town.send(HEAD, "/checkin"), HEAD, "SendPhoto")
    match = re.search(r"start=(v[A-Za-z0-9_-]+)", qr.text)
    assert match is not None, qr.text
    async with town.db.session() as session:
        await session.execute(delete(Membership).where(Membership.person_id == town.ids[RESIDENT]))
        await session.commit()
    town.world.clock.now = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # 09:10 on the day
    refused = one(await town.send(RESIDENT, f"/start {match.group(1)}"), RESIDENT)
    assert "no longer registered in a building “Tree planting” is for" in refused.text
    assert "Checked in" not in refused.text
    assert await signups(town.db) == [(town.ids[RESIDENT], True, False)]
    assert await hours(town.db) == []


async def test_a_head_removed_before_announce_is_let_go(town: Town) -> None:
    """Found: removed while the activity waited at its summary, the head's Announce was
    refused, but the flow stayed, refusing every press again. Now it ends, its buttons go,
    nothing is announced."""
    from storage.models import Role
    from tests.test_notices import building_id

    one(await town.send(HEAD, "/activity"), HEAD)
    summary = one(await town.send(HEAD, FORM), HEAD)
    office, head = await town.person(OFFICE), await town.person(HEAD)
    a1 = await building_id(town.db, "A1")
    await town.world.services.revoke.remove(office, head.id, a1, Role.HEAD)
    await town.deliver()
    pressed = await town.click(HEAD, summary, "✅ Announce")
    answer(pressed)
    said = one(pressed, HEAD).text
    assert "Only a building head" in said and "nothing was sent" in said
    assert any(type(s.method).__name__ == "EditMessageReplyMarkup" for s in pressed)
    later = one(await town.send(HEAD, "hello"), HEAD).text
    assert "press one of the buttons" not in later
    assert await activities(town.db) == []


async def remove_organiser(town: Town) -> None:
    """The office removes Wang (the organiser) as head of A1."""
    from storage.models import Role
    from tests.test_notices import building_id

    office, head = await town.person(OFFICE), await town.person(HEAD)
    await town.world.services.revoke.remove(
        office, head.id, await building_id(town.db, "A1"), Role.HEAD
    )
    await town.deliver()


async def test_the_new_head_runs_the_activity_a_removed_head_left_behind(town: Town) -> None:
    """While Wang serves, his activity is his: the deputy's and the office's /activities do
    not list it. Removed, he leaves it to whoever serves A1 now: Zhao, its new head, finds it
    in /activities (said to be left behind), shows its QR with /checkin, and confirms the
    volunteer's hours, which no longer wait for nobody."""
    from storage.models import Role

    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    assert "还没有组织活动" in one(await town.send(DEPUTY, "/activities"), DEPUTY).text
    assert "还没有组织活动" in one(await town.send(OFFICE, "/activities"), OFFICE).text

    await remove_organiser(town)
    assert "no activities" in one(await town.send(HEAD2, "/activities"), HEAD2).text  # A2's
    await town.world.appoint(town.users[HEAD2], Role.HEAD, "A1")
    await town.deliver()

    listed = one(await town.send(HEAD2, "/activities"), HEAD2)
    assert "Tree planting" in listed.text and "Signed up 1 of 2" in listed.text
    assert "Its organiser no longer serves these buildings" in listed.text
    assert listed.buttons == ["📷 Check-in QR", "✅ Confirm hours", "Cancel activity"]
    town.world.clock.now = datetime(2026, 11, 27, 1, 10, tzinfo=UTC)  # 09:10 on the day
    qr = one(await town.send(HEAD2, "/checkin"), HEAD2, "SendPhoto")
    match = re.search(r"\?start=(v[A-Za-z0-9_-]+)", qr.text)
    assert match is not None, qr.text
    checked = one(await town.send(RESIDENT, f"/start {match.group(1)}"), RESIDENT)
    assert "Checked in at “Tree planting”" in checked.text
    confirmed = one(await town.click(HEAD2, listed, "✅ Confirm hours"), HEAD2)
    assert "Confirmed: 2 h for each of one volunteer" in confirmed.text
    assert await hours(town.db) == [
        (town.ids[RESIDENT], 2.0, HoursStatus.CONFIRMED, town.ids[HEAD2])
    ]
    assert "are confirmed" in one(await town.deliver(), RESIDENT).text


async def test_the_office_cancels_an_activity_a_removed_head_left_behind(town: Town) -> None:
    """With no new head yet, the office (and the deputy, who still serves A1) find the left
    activity in /activities; the office cancels it and its volunteer is told. The head of
    another building does not see it."""
    await organise(town)
    ad = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, ad, SIGN_UP)
    await remove_organiser(town)

    assert "no activities" in one(await town.send(HEAD2, "/activities"), HEAD2).text
    assert "组织者已不再负责" in one(await town.send(DEPUTY, "/activities"), DEPUTY).text
    listed = one(await town.send(OFFICE, "/activities"), OFFICE)
    assert "Tree planting" in listed.text and "组织者已不再负责" in listed.text
    cancelled = one(await town.click(OFFICE, listed, "取消活动"), OFFICE)
    assert "Tree planting" in cancelled.text
    [activity] = await activities(town.db)
    assert activity.status is ActivityStatus.CANCELLED
    assert "is cancelled" in one(await town.deliver(), RESIDENT).text
    # Over: no longer listed as left behind.
    assert "还没有组织活动" in one(await town.send(OFFICE, "/activities"), OFFICE).text
