"""Every view, tried as a neighbour, a follower and a removed head: the card, History, /my,
/tickets, the me-too offer, relayed messages, notices, reminders, the digest, the points
ranking, flats, activities and votes. None of them may carry the author's words, photo, flat
or name, or the staff's answers to the author."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Content, Draft
from handlers.keyboards import TicketCb
from storage.models import Role, Ticket
from tests.botclient import Sent, asked
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    answer,
    card,
    client,
    one,
    to,
    town,
)

__all__ = ["client", "town"]  # the fixtures this module uses, from test_ticket_handling

OUTSIDER = 502  # lives in the building, follows nothing
FOLLOWER = NEIGHBOUR  # pressed "me too"
FORMER = HEAD  # the head, removed half-way
SECRETS = (
    "key is under the mat",  # the author's description
    "SECRET-REPLY",  # the head to the author
    "SECRET-MESSAGE",  # the author to the head
    "SECRET-NOTE",  # the resolve note
    "secret-photo",  # the author's photo
    "Auntie",  # the author's name (shown to the staff: she agreed)
    "302",  # her flat
)


def leaks(sent: list[Sent]) -> list[tuple[str, str]]:
    found = []
    for item in sent:
        seen = " ".join([item.text, *item.buttons, str(getattr(item.method, "photo", "") or "")])
        found += [(secret, seen) for secret in SECRETS if secret in seen]
    return found


def everything_to(town: Town, chat_id: int, since: int = 0) -> list[Sent]:
    """Every call the bot made into that chat: answers, deliveries, edits."""
    return [
        Sent(m)
        for m in town.client.session.requests[since:]
        if getattr(m, "chat_id", None) == chat_id
    ]


async def report_with_secrets(town: Town) -> Ticket:
    services = town.world.services
    author = await town.person(RESIDENT)
    [building] = await services.reporting.resident_buildings(author)
    await services.onboarding.set_flat(author, building.building_id, "302")
    draft = Draft(
        building.building_id,
        "repairs",
        "The tap leaks. I am at work: the key is under the mat.",
        media=[{"type": "photo", "file_id": "secret-photo"}],
    )
    return (await services.reporting.report(author, draft)).ticket


async def try_every_view(town: Town, who: int, found: Ticket) -> dict[str, Any]:
    """What ``who`` gets from each view of the ticket."""
    open_card = await town.press(who, TicketCb(action=Action.OPEN, ticket_id=found.id).pack())
    history = await town.press(who, TicketCb(action=Action.HISTORY, ticket_id=found.id).pack())
    my = await town.send(who, "/my")
    tickets = await town.send(who, "/tickets")
    digest = await town.send(who, "/digest")
    # Community life: the points ranking, the flats' owners, the activities and the votes.
    life = {
        cmd: await town.send(who, cmd) for cmd in ("/ranking", "/flats", "/activities", "/vote")
    }
    return {
        "card": open_card,
        "history": history,
        "my": my,
        "tickets": tickets,
        "digest": digest,
        **life,
    }


async def test_no_view_shows_a_neighbour_what_is_not_theirs(town: Town) -> None:
    world, services = town.world, town.world.services
    town.users[OUTSIDER] = await world.join(town.client.user(OUTSIDER, "en", "Cousin"), "A1")
    found = await report_with_secrets(town)
    await services.neighbours.follow(await town.person(FOLLOWER), found.id)

    # The me-too offer, as the neighbour who lives there sees it.
    sent = await town.send(OUTSIDER, "/report")
    offer = asked(to(await town.click(OUTSIDER, one(sent, OUTSIDER), "🔧 Repairs"), OUTSIDER))
    assert "Ticket #1 · 🔧 Repairs" in offer.text
    await town.send(OUTSIDER, "/cancel")

    # The whole conversation, with the head still in office.
    head = await town.person(HEAD)
    await services.ticket_actions.take(head, found.id)
    await services.ticket_actions.reply(
        head, found.id, Content(text="SECRET-REPLY: I will use the key")
    )
    await services.ticket_actions.message(
        await town.person(RESIDENT), found.id, Content(text="SECRET-MESSAGE")
    )
    await services.ticket_actions.reply(
        head, found.id, Content(photo="secret-photo", text="SECRET-REPLY 2")
    )
    delivered = await town.deliver()
    head_card = card(delivered, HEAD)
    await services.ticket_actions.resolve(head, found.id, "SECRET-NOTE: washer replaced")
    await town.deliver()

    waiting = await town.report(RESIDENT, "The corridor light is out")
    await town.deliver()

    # The head is removed; what reaches him from now on is checked.
    removed_at = len(town.client.session.requests)
    office = await town.person(OFFICE)
    await world.services.revoke.remove(office, head.id, found.building_id, Role.HEAD)
    await town.deliver()
    assert "not allowed" in answer(await town.click(HEAD, head_card, "📜 History"))

    # Every view, as each of them.
    views = {who: await try_every_view(town, who, found) for who in (OUTSIDER, FOLLOWER, FORMER)}
    for who in (OUTSIDER, FORMER):
        assert "not allowed" in answer(views[who]["card"]), who
        assert "not allowed" in answer(views[who]["history"]), who
    follower_card = one(views[FOLLOWER]["card"], FOLLOWER)
    assert "#1" in follower_card.text and "You follow this ticket" in follower_card.text
    assert "📜 History of ticket #1" in one(views[FOLLOWER]["history"], FOLLOWER).text
    assert one(views[FOLLOWER]["my"], FOLLOWER).buttons == ["✅ #1 🙋 Repairs"]
    for who in (OUTSIDER, FOLLOWER, FORMER):
        assert "for building heads" in one(views[who]["tickets"], who).text, who
        assert "for coordinators" in one(views[who]["digest"], who).text, who
        assert "Only the community office" in one(views[who]["/ranking"], who).text, who
        assert "for building heads" in one(views[who]["/flats"], who).text, who
        assert "no activities" in one(views[who]["/activities"], who).text, who
        assert "no open vote" in one(views[who]["/vote"], who).text, who

    # The schedulers: reminders of the handed-over ticket, the "is it fixed?" reminder.
    world.clock.advance(hours=30)
    before_scans = len(town.client.session.requests)
    scheduling = world.services.scheduling
    await scheduling.reminders.run()
    await scheduling.closing.run()
    await scheduling.ladder.run()
    await town.deliver()
    scanned = [Sent(m) for m in town.client.session.requests[before_scans:]]
    assert any("#1" in s.text for s in to(scanned, RESIDENT))  # "is it really fixed?"
    assert any(f"#{waiting.number}" in s.text for s in to(scanned, DEPUTY))  # "waiting for you"
    assert everything_to(town, FORMER, before_scans) == []

    # Nothing any of them ever got carries what is not theirs.
    for who, since in ((OUTSIDER, 0), (FOLLOWER, 0), (FORMER, removed_at)):
        assert leaks(everything_to(town, who, since)) == [], who
    # (And the test is not vacuous: the author and, before his removal, the head got it all.)
    assert len(leaks(everything_to(town, RESIDENT))) >= 3
    assert len(leaks(everything_to(town, HEAD)[:removed_at])) >= 3


async def test_an_ex_admin_keeps_nothing_of_what_the_readme_says(
    town: Town, config: Config, translations: Translations, clock: FakeClock
) -> None:
    """README, "a removed head, an ex-admin": taken out of ADMIN_IDS (a config change: no
    event tells the bot), an admin's cards of unfinished tickets say "no access" after the
    scheduler's next scan, any other card the moment it is pressed; no view opens, no notice
    or reminder comes, nothing they get carries a ticket's words or its reporter."""
    world = town.world
    town.users[ADMIN_ID] = town.client.user(ADMIN_ID, "en", "Boss")
    await town.send(ADMIN_ID, "/start")
    await world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")  # B1: the admin
    closed = await town.report(STRANGER, "The B1 door is broken")
    waiting = await town.report(STRANGER, "The B1 light is out")
    admin, stranger = await town.person(ADMIN_ID), await town.person(STRANGER)
    await world.services.ticket_actions.take(admin, closed.id)
    await world.services.ticket_actions.resolve(admin, closed.id, "Fixed the hinge")
    await world.services.ticket_actions.confirm(stranger, closed.id)
    delivered = await town.deliver()
    closed_card = [s for s in to(delivered, ADMIN_ID) if f"#{closed.number}" in s.text][-1]
    assert "door" in closed_card.text and "📜 History" in closed_card.buttons

    restarted = replace(config, admin_ids=frozenset())
    town.client.dp = create_dispatcher(restarted, town.db, translations=translations, clock=clock)
    world.services = Services.create(restarted, town.db, translations, clock)
    removed_at = len(town.client.session.requests)
    try:
        # The card of the finished ticket, pressed: refused, and it says "no access".
        sent = await town.click(ADMIN_ID, closed_card, "📜 History")
        assert "not allowed" in answer(sent)
        edited = one(sent, ADMIN_ID, "EditMessageText")
        assert "no longer have a role" in edited.text and edited.buttons == []
        views = await try_every_view(town, ADMIN_ID, waiting)
        assert "not allowed" in answer(views["card"]) and "not allowed" in answer(views["history"])
        assert "for building heads" in one(views["tickets"], ADMIN_ID).text
        assert "for coordinators" in one(views["digest"], ADMIN_ID).text
        # The scan: the unfinished ticket's card is edited; no reminder, no notice after it.
        clock.advance(hours=30)
        await world.services.scheduling.reminders.run()
        await world.services.scheduling.ladder.run()
        await world.services.ticket_actions.message(
            stranger, waiting.id, Content(text="Still dark")
        )
        delivered = await town.deliver()
        assert to(delivered, ADMIN_ID, "SendMessage") == []
        [stripped] = to(delivered, ADMIN_ID, "EditMessageText")
        assert "no longer have a role" in stripped.text and stripped.buttons == []
        for item in everything_to(town, ADMIN_ID, removed_at):
            seen = " ".join([item.text, *item.buttons])
            assert not any(w in seen for w in ("door", "light", "hinge", "Visitor", "dark"))
    finally:
        await town.client.dp.storage.close()


async def test_what_was_still_on_its_way_to_a_removed_head_does_not_reach_him(
    town: Town,
) -> None:
    """A removal while delivery is behind (a notice to a whole estate ahead in the queue): the
    new ticket's photo and the resident's message, written for the head before he was removed,
    go to no one once he is (nor does the card of a ticket he never saw)."""
    services = town.world.services
    found = await report_with_secrets(town)
    await services.ticket_actions.message(
        await town.person(RESIDENT), found.id, Content(text="SECRET-MESSAGE")
    )
    removed_at = len(town.client.session.requests)
    head, office = await town.person(HEAD), await town.person(OFFICE)
    await services.revoke.remove(office, head.id, found.building_id, Role.HEAD)
    await town.deliver()
    got = everything_to(town, FORMER, removed_at)
    assert [s.text.split(".")[0] for s in got] == [
        "You are no longer building head of 塘中新村1栋 (塘中社区)"
    ]
    assert leaks(got) == []
    # The deputy, who has the ticket now, got it all.
    assert len(leaks(everything_to(town, DEPUTY))) >= 2
