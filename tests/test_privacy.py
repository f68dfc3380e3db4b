"""Privacy between neighbours, driven as the residents and heads would: a follower ("me too")
hears the status and nothing of the conversation, sees public events only in History, and
goes on in a ticket of their own when the author closes; only the author confirms or reopens;
the me-too offer shows no words; private categories (neighbour disputes) are never offered,
followed or merged; "hide my name" holds in the staff's History too."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.cards import shared_preview
from bot.services.categories import categories_for
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import Content, Draft
from handlers.keyboards import TicketCb
from handlers.scheduling import SchedCb
from storage.models import Ticket, TicketStatus
from tests.botclient import asked
from tests.test_ticket_handling import (
    HEAD,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    answer,
    card,
    client,
    events,
    followers,
    one,
    ticket,
    to,
    town,
)

__all__ = ["client", "town"]  # the fixtures this module uses, from test_ticket_handling

S = TicketStatus
SECRET = "No water. The key is under the mat at 302."


async def follow_from_the_offer(town: Town, who: int, category: str = "🔧 Repairs") -> str:
    """/report, the category, then "same problem: follow": returns the offer's text."""
    sent = await town.send(who, "/report")
    offer_sent = await town.click(who, one(sent, who), category)
    offer = asked(to(offer_sent, who))
    await town.click(who, offer, offer.buttons[0])
    return offer.text


async def test_followers_hear_the_status_and_nothing_of_the_conversation(town: Town) -> None:
    await town.report(RESIDENT, SECRET)
    offer = await follow_from_the_offer(town, NEIGHBOUR)
    assert "Ticket #1 · 🔧 Repairs" in offer and "key" not in offer
    head_card = card(await town.deliver(), HEAD)

    # Taken: the author and the follower hear it, each in their own words.
    taken = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    delivered = await town.deliver()
    assert "Your ticket #1 has been taken" in one(delivered, RESIDENT).text
    taken_notice = one(delivered, NEIGHBOUR)
    assert "Ticket #1, which you follow, has been taken" in taken_notice.text

    # The head's reply is the author's alone.
    await town.click(HEAD, taken, "💬 Reply")
    await town.send(HEAD, "I will let myself in with the key under the mat.")
    delivered = await town.deliver()
    assert "key under the mat" in one(delivered, RESIDENT).text
    assert to(delivered, NEIGHBOUR) == []

    # The follower cannot join the conversation by replying to a notice either.
    sent = await town.reply_to(NEIGHBOUR, taken_notice, "Come to mine too")
    assert "Only the neighbour who reported ticket #1 can do that" in one(sent, NEIGHBOUR).text
    assert to(await town.deliver(), HEAD) == []

    # Resolved: the note and the question go to the author; the follower hears the status
    # and may say it is still a problem for them.
    await town.click(HEAD, taken, "✅ Resolve")
    await town.send(HEAD, "Opened the valve in flat 302.")
    delivered = await town.deliver()
    question = one(delivered, RESIDENT)
    assert "Opened the valve" in question.text
    assert question.buttons == ["👍 Yes, fixed", "👎 Not fixed"]
    resolved = one(delivered, NEIGHBOUR)
    assert "302" not in resolved.text and "valve" not in resolved.text
    assert resolved.buttons == ["🙋 Still a problem for me"]

    # Their card and History: status only.
    before = await ticket(town.db, 1)
    listing = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    assert listing.buttons == ["✅ #1 🙋 Repairs"]
    own_card = one(await town.click(NEIGHBOUR, listing, listing.buttons[0]), NEIGHBOUR)
    assert "key" not in own_card.text and "302" not in own_card.text
    assert "Auntie" not in own_card.text
    assert own_card.buttons == ["🙋 Still a problem for me", "📜 History"]
    history = one(await town.click(NEIGHBOUR, own_card, "📜 History"), NEIGHBOUR).text
    assert "reported" in history and "taken" in history and "resolved" in history
    for private in ("message", "key", "valve", "302", "Wang", "Auntie"):
        assert private not in history, private
    # The author's History keeps their own conversation.
    services = town.world.services
    _, lines = await services.ticket_cards.history(
        await town.person(RESIDENT), before.id, services.ticket_cards.translations.bind("en")
    )
    assert any("key under the mat" in line for line in lines)

    # A button only the author has, pressed by the follower (an old notice, a forged one).
    sent = await town.press(NEIGHBOUR, TicketCb(action=Action.CONFIRM, ticket_id=before.id).pack())
    assert "Only the neighbour who reported ticket #1" in answer(sent)
    assert (await ticket(town.db, 1)).status is S.RESOLVED


async def test_only_the_author_closes_and_a_follower_goes_on_in_a_linked_ticket(
    town: Town,
) -> None:
    services = town.world.services
    first = await town.report(RESIDENT, SECRET)
    await services.neighbours.follow(await town.person(NEIGHBOUR), first.id)
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, first.id)
    await services.ticket_actions.resolve(head, first.id, "done")
    await town.deliver()

    await services.ticket_actions.confirm(await town.person(RESIDENT), first.id)
    closed = one(await town.deliver(), NEIGHBOUR)
    assert "Ticket #1, which you follow, is now closed" in closed.text
    assert closed.buttons == ["🙋 Still a problem for me"]

    ask = one(await town.click(NEIGHBOUR, closed, "🙋 Still a problem for me"), NEIGHBOUR)
    assert "your name and phone stay hidden" in ask.text and ask.buttons == ["Skip"]
    sent = await town.send(NEIGHBOUR, "Still dripping in my kitchen")
    assert "Your own ticket #2 has gone to the building head" in one(sent, NEIGHBOUR).text

    linked = await ticket(town.db, 2)
    assert (linked.author_id, linked.parent_id, linked.status) == (
        town.ids[NEIGHBOUR],
        first.id,
        S.NEW,
    )
    assert (linked.show_name, linked.show_phone) == (False, False)
    assert ("still-problem", {"note": "#2"}) in await events(town.db, 1)
    assert (await ticket(town.db, 1)).status is S.CLOSED  # the author's ticket stays closed
    head_card = card(await town.deliver(), HEAD)
    assert "#2" in head_card.text and "Still dripping in my kitchen" in head_card.text
    assert "after ticket #1" in head_card.text
    assert "resident (name hidden)" in head_card.text and "Uncle" not in head_card.text

    # Pressed again (a double tap, an old notice): the same ticket, not another.
    await town.click(NEIGHBOUR, closed, "🙋 Still a problem for me")
    skip = one(await town.click(NEIGHBOUR, ask, "Skip"), NEIGHBOUR)
    assert "#2" in skip.text
    async with town.db.session() as session:
        assert len((await session.scalars(select(Ticket))).all()) == 2

    # Someone who does not follow it cannot.
    sent = await town.press(RESIDENT, TicketCb(action=Action.STILL, ticket_id=first.id).pack())
    assert "not allowed" in answer(sent)


async def test_a_follower_cannot_reopen_an_autoclosed_ticket(town: Town) -> None:
    services = town.world.services
    found = await town.report(RESIDENT, SECRET)
    await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, found.id)
    await services.ticket_actions.resolve(head, found.id, "done")
    await town.deliver()
    town.world.clock.advance(days=4)
    assert await services.scheduling.closing.run() == 1
    delivered = await town.deliver()
    assert one(delivered, RESIDENT).buttons == ["👎 Not fixed"]
    follower_notice = one(delivered, NEIGHBOUR)
    assert follower_notice.buttons == ["🙋 Still a problem for me"]

    data = SchedCb(action="reopen-closed", ticket_id=found.id).pack()
    sent = await town.press(NEIGHBOUR, data)
    assert "Only the neighbour who reported ticket #1" in answer(sent)
    assert (await ticket(town.db, 1)).status is S.CLOSED
    sent = await town.press(RESIDENT, data)
    # The author may: the ticket goes back to the head who held it, still taken.
    reopened = await ticket(town.db, 1)
    assert (reopened.status, reopened.holder_id) == (S.TAKEN, head.id)


async def test_hide_my_name_holds_in_the_staff_history(town: Town) -> None:
    services = town.world.services
    resident = await town.person(RESIDENT)
    [building] = await services.reporting.resident_buildings(resident)
    draft = Draft(building.building_id, "repairs", "Leak", show_name=False)
    found = (await services.reporting.report(resident, draft)).ticket
    await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    await services.ticket_actions.message(resident, found.id, Content(text="Any news?"))
    await services.ticket_actions.take(await town.person(HEAD), found.id)
    await town.deliver()

    sent = await town.press(HEAD, TicketCb(action=Action.HISTORY, ticket_id=found.id).pack())
    history = one(sent, HEAD).text
    assert "reported · resident (name hidden)" in history
    assert "message · resident (name hidden): Any news?" in history
    assert "a neighbour has the same problem · a neighbour" in history
    assert "taken · Wang 100" in history
    assert "Auntie" not in history and "Uncle" not in history


async def test_private_categories_are_never_offered_followed_or_merged(town: Town) -> None:
    services = town.world.services
    resident = await town.person(RESIDENT)
    [building] = await services.reporting.resident_buildings(resident)
    dispute = "The family upstairs is noisy at night, please don't say it was me"
    draft = Draft(building.building_id, "neighbours", dispute)
    found = (await services.reporting.report(resident, draft)).ticket

    sent = await town.send(NEIGHBOUR, "/report")
    sent = await town.click(NEIGHBOUR, one(sent, NEIGHBOUR), "🏘 Neighbours")
    assert "Please describe the problem" in asked(to(sent, NEIGHBOUR)).text  # no offer
    assert all("upstairs" not in s.text for s in sent)
    await town.send(NEIGHBOUR, "/cancel")

    try:
        await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    except ServiceError as error:
        assert error.key == "not-allowed"
    else:
        raise AssertionError("followed a private ticket")

    draft = Draft(building.building_id, "neighbours", "Noise from 502")
    other = (await services.reporting.report(await town.person(NEIGHBOUR), draft)).ticket
    head_card = [c for c in to(await town.deliver(), HEAD) if "#2" in c.text and c.buttons][0]
    await town.click(HEAD, head_card, "🔗 Merge")
    sent = await town.send(HEAD, "#1")
    assert "Neighbour disputes are private" in one(sent, HEAD).text
    assert (await ticket(town.db, other.number)).status is S.NEW
    assert (await ticket(town.db, found.number)).status is S.NEW


def test_a_community_decides_which_of_its_categories_are_private() -> None:
    categories = categories_for(
        {
            "categories": [
                {"code": "neighbours"},
                {
                    "code": "parking",
                    "emoji": "🚗",
                    "private": True,
                    "names": {"zh-hans": "停车", "en": "Parking"},
                },
                {"code": "repairs", "private": False},
            ]
        }
    )
    assert [(c.code, c.private) for c in categories] == [
        ("neighbours", True),  # private unless the community says otherwise
        ("parking", True),
        ("repairs", False),
    ]
    assert [c.code for c in categories_for({}) if c.private] == ["neighbours"]


async def report_through_the_chat(town: Town, who: int, category: str, text: str) -> list[str]:
    """/report as a resident does it, sharing the description with neighbours if offered;
    returns the labels of the privacy step's buttons."""
    sent = await town.send(who, "/report")
    await town.click(who, one(sent, who), category)
    await town.send(who, text)
    privacy = [s for s in to(await town.send(who, "Skip"), who) if s.buttons][-1]
    labels = list(privacy.buttons)
    share = "Neighbours with the same problem may read my description: ❌"
    if share in labels:
        edited = one(await town.click(who, privacy, share), who, "EditMessageReplyMarkup")
        assert "Neighbours with the same problem may read my description: ✅" in edited.buttons
    summary = asked(to(await town.click(who, privacy, "Continue ›"), who))
    await town.click(who, summary, "✅ Send")
    return labels


async def test_the_author_may_share_the_description_with_neighbours(town: Town) -> None:
    labels = await report_through_the_chat(town, RESIDENT, "🔧 Repairs", "Water off since 6 am")
    assert "Neighbours with the same problem may read my description: ❌" in labels
    found = await ticket(town.db, 1)
    assert found.share_description is True

    offer = await follow_from_the_offer(town, NEIGHBOUR)
    assert "The neighbour agreed to share their description:\nWater off since 6 am" in offer
    listing = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    followed = one(await town.click(NEIGHBOUR, listing, listing.buttons[0]), NEIGHBOUR)
    assert "Water off since 6 am" in followed.text

    # A private category never offers it.
    labels = await report_through_the_chat(town, NEIGHBOUR, "🏘 Neighbours", "Noise at night")
    assert not [label for label in labels if "neighbours" in label.lower()]
    assert (await ticket(town.db, 2)).share_description is False


def test_a_shared_description_is_cut_in_telegram_units() -> None:
    emoji = Ticket(description="😀" * 700, share_description=True)
    preview = shared_preview(emoji, 600)
    assert len(preview.encode("utf-16-le")) // 2 <= 600 and preview.endswith("😀…")
    assert shared_preview(Ticket(description="short", share_description=True), 600) == "short"
    assert shared_preview(Ticket(description="not shared", share_description=False), 600) == ""


async def test_followers_hear_of_escalation_and_withdrawal_in_their_own_words(
    town: Town,
) -> None:
    services = town.world.services
    found = await town.report(RESIDENT, SECRET)
    await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    await services.ticket_actions.escalate(
        await town.person(HEAD), found.id, "The pipe is the company's"
    )
    delivered = await town.deliver()
    assert "Ticket #1 has been passed to the community office" in one(delivered, RESIDENT).text
    escalated = one(delivered, NEIGHBOUR)
    assert "Ticket #1, which you follow, has been passed" in escalated.text
    assert "pipe" not in escalated.text

    await services.ticket_actions.withdraw(await town.person(RESIDENT), found.id)
    withdrawn = one(await town.deliver(), NEIGHBOUR)
    assert "was withdrawn by the neighbour who reported it" in withdrawn.text
    assert withdrawn.buttons == ["🙋 Still a problem for me"]
    await town.click(NEIGHBOUR, withdrawn, "🙋 Still a problem for me")
    sent = await town.send(NEIGHBOUR, "Still no water here")
    assert "Your own ticket #2" in one(sent, NEIGHBOUR).text


async def test_residents_see_that_the_ticket_is_handled_not_by_whom(town: Town) -> None:
    """A volunteer's name (their Telegram name, maybe a nickname) is theirs to give: the
    author's and a follower's card say the ticket is being handled; the staff's names who."""
    await town.report(RESIDENT, SECRET)
    await follow_from_the_offer(town, NEIGHBOUR)
    head_card = card(await town.deliver(), HEAD)
    taken = one(await town.click(HEAD, head_card, "✋ Take"), HEAD, "EditMessageText")
    name = (await town.person(HEAD)).display_name
    assert f"Status: being handled by {name}" in taken.text
    for who in (RESIDENT, NEIGHBOUR):
        listing = one(await town.send(who, "/my"), who)
        own = one(await town.click(who, listing, listing.buttons[0]), who)
        assert "Status: being handled" in own.text and name not in own.text, who


async def test_followers_hear_that_the_author_reopened_and_not_why(town: Town) -> None:
    """ "Not fixed" is a status change like the others: the follower hears the ticket is open
    again, never the author's reason (which is the author's word to the head)."""
    services = town.world.services
    found = await town.report(RESIDENT, SECRET)
    await services.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, found.id)
    await town.deliver()
    await services.ticket_actions.resolve(head, found.id, "done")
    question = one(await town.deliver(), RESIDENT)

    await town.click(RESIDENT, question, "👎 Not fixed")
    await town.send(RESIDENT, "Still no water; the key is under the mat at 302.")
    delivered = await town.deliver()
    assert "302" in one(delivered, HEAD).text
    notice = one(delivered, NEIGHBOUR)
    assert "Ticket #1, which you follow, is open again" in notice.text
    for private in ("302", "key", "water", "Auntie", "Wang"):
        assert private not in notice.text, private
    assert notice.buttons == []

    # The same when the ticket had closed itself and the author reopens it in time.
    await services.ticket_actions.resolve(head, found.id, "done again")
    await town.deliver()
    town.world.clock.advance(days=4)
    assert await town.world.services.scheduling.closing.run() == 1
    closed = one(await town.deliver(), RESIDENT)
    await town.click(RESIDENT, closed, "👎 Not fixed")
    notice = one(await town.deliver(), NEIGHBOUR)
    assert "Ticket #1, which you follow, is open again" in notice.text


async def test_my_names_a_followed_tickets_category_as_the_community_does(town: Town) -> None:
    """/my lists a followed ticket by its category, never by the neighbour's words: by the
    community's own name for it (a category of its own, or a built-in it renamed), in the
    reader's language, not by the bare code."""
    await town.world.services.community.settings(
        "塘中社区",
        {
            "categories": [
                {"code": "repairs", "emoji": "🔧", "names": {"en": "Fix-it", "zh-hans": "维修"}},
                {
                    "code": "water",
                    "emoji": "💧",
                    "names": {"en": "Water supply", "zh-hans": "供水"},
                },
            ]
        },
    )
    resident = await town.person(RESIDENT)
    tickets = town.world.services
    [building] = await tickets.reporting.resident_buildings(resident)
    for category in ("repairs", "water"):
        draft = Draft(building.building_id, category, SECRET)
        found = (await tickets.reporting.report(resident, draft)).ticket
        await tickets.neighbours.follow(await town.person(NEIGHBOUR), found.id)
    listing = one(await town.send(NEIGHBOUR, "/my"), NEIGHBOUR)
    assert listing.buttons == ["🆕 #2 🙋 Water supply", "🆕 #1 🙋 Fix-it"]


async def test_a_merge_across_buildings_is_refused(town: Town) -> None:
    """The office merging a B1 ticket into an A1 one would make the B1 reporter a follower of
    A1's ticket (its status, its place in /my): refused, and nothing changes."""
    first = await town.report(RESIDENT, SECRET)
    other = await town.report(STRANGER, "No water in B1 either")
    delivered = await town.deliver()
    office_card = [c for c in to(delivered, OFFICE) if f"#{other.number}" in c.text][-1]
    prompt = one(await town.click(OFFICE, office_card, "🔗 合并"), OFFICE)
    assert "#2" in prompt.text
    sent = await town.send(OFFICE, f"#{first.number}")
    assert one(sent, OFFICE).text.startswith(f"工单 #{first.number} 属于另一栋楼")
    assert (await ticket(town.db, other.number)).status is S.NEW
    assert (await ticket(town.db, first.number)).status is S.NEW
    assert await followers(town.db, first.number) == set()
    assert to(await town.deliver(), STRANGER) == []
    my = one(await town.send(STRANGER, "/my"), STRANGER)
    assert f"#{first.number}" not in my.text and SECRET not in my.text
    # The step is over: the next message is not read as a ticket number.
    assert "属于另一栋楼" not in " ".join(s.text for s in await town.send(OFFICE, "#1"))
