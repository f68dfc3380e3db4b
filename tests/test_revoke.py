"""Taking a role away, as an operator and a coordinator do it: ``python -m bot revoke`` and
/staff in chat (with a confirmation). The removed person's cards lose their buttons, the open
tickets they owned or held go to the next person of the chain, they and the building's staff
are told; an admin taken out of ADMIN_IDS has nothing left at the next start."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardMarkup, User
from sqlalchemy import select

from bot.app import create_dispatcher
from bot.config import Config
from bot.i18n import Translations
from bot.services import Services
from bot.services.policy import Action
from bot.services.ticket_core import Content
from handlers.keyboards import TicketCb
from handlers.removal import STAFF_PER_PAGE, StaffCb, StaffPageCb
from storage.models import (
    Membership,
    OutboxMessage,
    OutboxStatus,
    Role,
    TicketRecipient,
    TicketStatus,
)
from tests.botclient import Sent
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_cli import cli_env, run_cli_async
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    answer,
    card,
    client,
    events,
    one,
    ticket,
    to,
    town,
)

__all__ = ["client", "town"]  # the fixtures this module uses, from test_ticket_handling

S = TicketStatus


async def recipients(town: Town, number: int) -> set[int]:
    found = await ticket(town.db, number)
    async with town.db.session() as session:
        rows = await session.scalars(
            select(TicketRecipient.person_id).where(TicketRecipient.ticket_id == found.id)
        )
        return set(rows)


async def outbox_texts(town: Town) -> dict[int, list[str]]:
    """What is waiting in the outbox, by chat: texts, and "card" for a card to render."""
    found: dict[int, list[str]] = {}
    async with town.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        for row in rows:
            text = "card" if row.kind == "card" else str(row.payload.get("text", ""))
            found.setdefault(int(row.address), []).append(text)
    return found


async def roles(town: Town, who: int) -> set[tuple[int, Role]]:
    async with town.db.session() as session:
        rows = await session.scalars(
            select(Membership).where(Membership.person_id == town.ids[who])
        )
        return {(m.building_id, m.role) for m in rows}


async def test_a_coordinator_removes_a_head_in_chat(town: Town) -> None:
    services = town.world.services
    head = await town.person(HEAD)
    held = await town.report(RESIDENT, "The gate is broken")
    waiting = await town.report(RESIDENT, "The lift is stuck")
    await services.ticket_actions.take(head, held.id)
    delivered = await town.deliver()
    old_card = [c for c in to(delivered, HEAD) if "#2" in c.text and c.buttons][-1]

    # The list, then a press asks first; "No" changes nothing.
    listing = one(await town.send(OFFICE, "/staff A1"), OFFICE)
    assert "塘中新村1栋" in listing.text and "Wang 100：楼长" in listing.text
    assert listing.buttons == ["撤销 Wang 100（楼长）", "撤销 Li 101（副楼长）"]
    confirm = one(await town.click(OFFICE, listing, "撤销 Wang 100（楼长）"), OFFICE)
    assert "确定撤销 Wang 100 在 塘中新村1栋 的楼长职务吗" in confirm.text
    kept = one(await town.click(OFFICE, confirm, "不，保留"), OFFICE, "EditMessageText")
    assert kept.text == "没有做任何改动。"
    assert (held.building_id, Role.HEAD) in await roles(town, HEAD)

    sent = await town.click(OFFICE, confirm, "确定撤销")
    done = one(sent, OFFICE, "EditMessageText").text
    assert done == "✅ Wang 100 已不再担任 塘中新村1栋 的楼长。已转交 2 张未完成工单。"
    assert await roles(town, HEAD) == set()
    # The ticket he held waits to be taken again, by the deputy now; the other too.
    found = await ticket(town.db, held.number)
    assert (found.status, found.holder_id, found.owner_id) == (S.NEW, None, town.ids[DEPUTY])
    assert (await ticket(town.db, waiting.number)).owner_id == town.ids[DEPUTY]
    for number in (held.number, waiting.number):
        assert town.ids[HEAD] not in await recipients(town, number)

    delivered = await town.deliver()
    told = [s.text for s in to(delivered, HEAD, "SendMessage")]
    assert told == [
        "You are no longer building head of 塘中新村1栋 (塘中社区). Thank you very much for "
        "everything you did for your neighbours! The tickets you were looking after have been "
        "handed over."
    ]
    stripped = to(delivered, HEAD, "EditMessageText")
    assert len(stripped) == 2 and all(s.buttons == [] for s in stripped)
    assert all("no longer have a role" in s.text and "gate" not in s.text for s in stripped)
    deputy = [s.text for s in to(delivered, DEPUTY, "SendMessage")]
    assert "Wang 100 已不再担任 塘中新村1栋 的楼长。其负责的 2 张未完成工单已转交。" in deputy
    assert "✋ 接单" in card(delivered, DEPUTY).buttons
    assert to(delivered, HEAD2) == [] and to(delivered, OFFICE) == []

    # His old card no longer works, and loses its buttons when pressed.
    before = await ticket(town.db, waiting.number)
    sent = await town.click(HEAD, old_card, "✋ Take")
    assert "not allowed" in answer(sent)
    stripped_on_press = one(sent, HEAD, "EditMessageText")
    assert "no longer have a role" in stripped_on_press.text and not stripped_on_press.buttons
    assert (await ticket(town.db, waiting.number)).status is before.status is S.NEW
    assert "for building heads" in one(await town.send(HEAD, "/tickets"), HEAD).text

    # Pressed again (a second coordinator, an old message): nothing more happens.
    sent = await town.click(OFFICE, confirm, "确定撤销")
    assert "此人已不再担任该职务" in answer(sent)


async def test_only_a_coordinator_of_the_building_removes(town: Town) -> None:
    assert "not allowed" in one(await town.send(HEAD2, "/staff A1"), HEAD2).text
    assert "没有权限" in one(await town.send(DEPUTY, "/staff A1"), DEPUTY).text
    listing = one(await town.send(OFFICE, "/staff A1"), OFFICE)
    # A head pressing a removal button (forged, or forwarded) changes nothing.
    data = listing.button_data("撤销 Li 101（副楼长）").replace("st1:a:", "st1:y:")
    sent = await town.press(HEAD2, data)
    assert "not allowed" in answer(sent)
    assert await roles(town, DEPUTY)
    assert "Send /staff CODE" in one(await town.send(HEAD, "/staff"), HEAD).text


async def test_revoke_from_the_command_line(town: Town, config: Config, tmp_path: Path) -> None:
    services = town.world.services
    found = await town.report(RESIDENT, "The gate is broken")
    await services.ticket_actions.take(await town.person(DEPUTY), found.id)
    await town.deliver()
    database = Path(config.database_url.removeprefix("sqlite+aiosqlite:///"))
    env = cli_env(database)

    code, out, err = await run_cli_async("revoke", "deputy", "100", "A1", cwd=tmp_path, env=env)
    assert code == 1 and out == ""
    assert err.strip() == (
        "error: 100 is not deputy building head of 塘中新村1栋. The deputy building head there "
        "now: Li 101 (101)."
    )
    code, out, err = await run_cli_async("revoke", "deputy", "Li", "A1", cwd=tmp_path, env=env)
    assert code == 2 and "is not a Telegram user id" in err

    code, out, err = await run_cli_async("revoke", "deputy", "101", "A1", cwd=tmp_path, env=env)
    assert code == 0, err
    assert out.strip() == (
        "Li 101 (101) is no longer deputy of 塘中新村1栋 (塘中社区); 1 open ticket(s) handed "
        "over. The running bot delivers the notices."
    )
    assert await roles(town, DEPUTY) == set()
    taken = await ticket(town.db, found.number)
    assert (taken.status, taken.holder_id, taken.owner_id) == (S.NEW, None, town.ids[HEAD])
    # The running bot delivers what the command wrote (on the real clock, not the test's).
    written = await outbox_texts(town)
    assert any("您已不再担任 塘中新村1栋（塘中社区）的副楼长" in t for t in written[DEPUTY])
    assert any("Li 101 is no longer deputy building head" in t for t in written[HEAD])
    assert "card" in written[DEPUTY]  # his card of the ticket he held, to lose its buttons

    code, out, err = await run_cli_async(
        "revoke", "coordinator", "300", "塘中社区", cwd=tmp_path, env=env
    )
    assert code == 0, err
    assert "no longer coordinator of 塘中社区" in out
    assert "给楼长和社区居委会用的" in one(await town.send(OFFICE, "/tickets"), OFFICE).text


async def test_an_admin_taken_out_of_admin_ids_keeps_nothing(
    town: Town,
    config: Config,
    translations: Translations,
    clock: FakeClock,
) -> None:
    admin = town.client.user(ADMIN_ID, "en", "Boss")
    town.users[ADMIN_ID] = admin
    await town.send(ADMIN_ID, "/start")
    # Without a coordinator, B1 (no head) reports go to the admins.
    await town.world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")
    found = await town.report(STRANGER, "The B1 door is broken")
    admin_card = card(await town.deliver(), ADMIN_ID)
    assert "✋ Take" in admin_card.buttons
    other = await town.report(STRANGER, "The B1 light is out")
    await town.world.services.ticket_actions.take(await town.person(ADMIN_ID), other.id)
    await town.deliver()

    # The next start, with ADMIN_IDS emptied.
    restarted = replace(config, admin_ids=frozenset())
    town.client.dp = create_dispatcher(restarted, town.db, translations=translations, clock=clock)
    town.world.services = Services.create(restarted, town.db, translations, clock)
    try:
        sent = await town.click(ADMIN_ID, admin_card, "✋ Take")
        assert "not allowed" in answer(sent)
        # No event told the bot: the press does, and the card says so, without buttons.
        edited = one(sent, ADMIN_ID, "EditMessageText")
        assert "no longer have a role" in edited.text and "door" not in edited.text
        assert edited.buttons == []
        assert (await ticket(town.db, found.number)).status is S.NEW
        data = TicketCb(action=Action.HISTORY, ticket_id=found.id).pack()
        assert "not allowed" in answer(await town.press(ADMIN_ID, data))
        assert "for building heads" in one(await town.send(ADMIN_ID, "/tickets"), ADMIN_ID).text
        # No reminders of it either: the scan only edits his other card to "no access".
        clock.advance(hours=3)
        await town.world.services.scheduling.reminders.run()
        delivered = await town.deliver()
        assert to(delivered, ADMIN_ID, "SendMessage") == []
        assert all(
            "no longer have a role" in s.text and s.buttons == [] for s in to(delivered, ADMIN_ID)
        )
        # What the resident says about the ticket the ex-admin took goes to whoever covers
        # B1 now, not to him.
        town.users[700] = await town.world.appoint(
            town.client.user(700, "en", "Newcomer"), Role.COORDINATOR, "B1"
        )
        await town.world.services.ticket_actions.message(
            await town.person(STRANGER), other.id, Content(text="Still dark")
        )
        delivered = await town.deliver()
        assert to(delivered, ADMIN_ID) == []
        assert any("Still dark" in s.text for s in to(delivered, 700))
    finally:
        await town.client.dp.storage.close()


async def test_a_deleted_card_of_a_removed_head_is_not_sent_again(town: Town) -> None:
    await town.report(RESIDENT, "The gate is broken")
    await town.deliver()
    # He deleted the card in his chat: the edit that would strip it finds nothing.
    town.client.session.fail("EditMessageText", 400, "Bad Request: message to edit not found")
    office, head = await town.person(OFFICE), await town.person(HEAD)
    [building] = await town.world.services.reporting.resident_buildings(await town.person(RESIDENT))
    await town.world.services.revoke.remove(office, head.id, building.building_id, Role.HEAD)
    delivered = await town.deliver()
    to_head = to(delivered, HEAD, "SendMessage")
    assert [s.text.split(".")[0] for s in to_head] == [
        "You are no longer building head of 塘中新村1栋 (塘中社区)"
    ]


async def test_an_ex_admin_s_tickets_are_handed_on_by_the_scheduler(
    town: Town,
    config: Config,
    translations: Translations,
    clock: FakeClock,
) -> None:
    """A config change makes no revoke event: the scheduler's scan notices that the admin who
    took one ticket (and was the only one sent another) has no role for them any more."""
    admin = town.client.user(ADMIN_ID, "en", "Boss")
    town.users[ADMIN_ID] = admin
    await town.send(ADMIN_ID, "/start")
    await town.world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")
    waiting = await town.report(STRANGER, "The B1 door is broken")
    taken = await town.report(STRANGER, "The B1 light is out")
    await town.world.services.ticket_actions.take(await town.person(ADMIN_ID), taken.id)
    delivered = await town.deliver()
    admin_cards = {s.text.split("\n")[0]: s for s in to(delivered, ADMIN_ID) if s.buttons}
    assert len(admin_cards) == 2

    restarted = replace(config, admin_ids=frozenset())
    town.world.services = Services.create(restarted, town.db, translations, clock)
    town.users[700] = await town.world.appoint(
        town.client.user(700, "en", "Newcomer"), Role.COORDINATOR, "B1"
    )
    town.ids[700] = (await town.person(700)).id
    await town.deliver()
    clock.advance(minutes=10)
    await town.world.services.scheduling.reminders.run()

    # Back to "new", with the coordinator B1 has now; the ex-admin holds nothing.
    for number in (waiting.number, taken.number):
        found = await ticket(town.db, number)
        assert (found.status, found.holder_id) == (S.NEW, None), number
        assert found.owner_id == town.ids[700]
        assert await recipients(town, number) == {town.ids[700]}
    delivered = await town.deliver()
    assert "✋ Take" in card(delivered, 700).buttons
    stripped = to(delivered, ADMIN_ID, "EditMessageText")
    assert len(stripped) == 2 and all(s.buttons == [] for s in stripped)
    assert all("no longer have a role" in s.text and "door" not in s.text for s in stripped)
    assert to(delivered, ADMIN_ID, "SendMessage") == []
    # And the next scan finds nothing more to do; the coordinator is reminded in time.
    clock.advance(hours=3)
    await town.world.services.scheduling.reminders.run()
    delivered = await town.deliver()
    assert to(delivered, ADMIN_ID) == []
    assert any("waiting" in s.text for s in to(delivered, 700, "SendMessage"))


async def test_a_removed_head_s_cards_of_finished_tickets_say_no_access(town: Town) -> None:
    services = town.world.services
    head, resident = await town.person(HEAD), await town.person(RESIDENT)
    closed = await town.report(RESIDENT, "The gate is broken")
    await services.ticket_actions.take(head, closed.id)
    await services.ticket_actions.resolve(head, closed.id, "Welded")
    await services.ticket_actions.confirm(resident, closed.id)
    delivered = await town.deliver()
    old_card = [c for c in to(delivered, HEAD) if f"#{closed.number}" in c.text][-1]
    assert "gate" in old_card.text
    [building] = await services.reporting.resident_buildings(resident)
    office = await town.person(OFFICE)
    await town.world.services.revoke.remove(office, head.id, building.building_id, Role.HEAD)

    delivered = await town.deliver()
    [edited] = to(delivered, HEAD, "EditMessageText")
    assert edited.method.message_id == town.message_id(old_card)  # type: ignore[attr-defined]
    assert "no longer have a role" in edited.text and "gate" not in edited.text
    assert "Auntie" not in edited.text and edited.buttons == []


async def test_what_was_queued_for_a_removed_coordinator_as_staff_does_not_reach_him(
    town: Town,
) -> None:
    """The morning digest and an escalation are written for the office while delivery is
    behind (a notice to a whole estate ahead of them); the operator removes the coordinator
    before they go. They go to no one (his card of the ticket says "no access" on delivery);
    his own notice of the removal still goes."""
    await town.report(RESIDENT, "The gate is broken")
    await town.deliver()
    town.world.clock.now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 08:00 in Foshan
    assert await town.world.services.scheduling.ladder.run() == 1  # not taken for 46 hours
    assert await town.world.services.scheduling.digest.run() == 1
    queued = await outbox_texts(town)
    assert any("每日简报" in text for text in queued[OFFICE])
    assert any("转给您了" in text for text in queued[OFFICE])
    removed_at = len(town.client.session.requests)

    # What `python -m bot revoke coordinator 300 塘中社区` does, on the test's clock.
    await town.world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")
    await town.deliver()
    got = [
        Sent(m)
        for m in town.client.session.requests[removed_at:]
        if getattr(m, "chat_id", None) == OFFICE
    ]
    assert [s.text.split("（")[0] for s in got] == ["您已不再担任 塘中社区"]
    async with town.db.session() as session:
        failed = await session.scalars(
            select(OutboxMessage.last_error).where(
                OutboxMessage.address == str(OFFICE),
                OutboxMessage.status == OutboxStatus.FAILED,
            )
        )
        assert set(failed) == {"role revoked"}


async def test_what_was_queued_for_an_admin_as_staff_does_not_go_after_he_leaves_admin_ids(
    town: Town,
    config: Config,
    translations: Translations,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A config change makes no revoke and no commit: a volunteer's offer to head B1 (no head,
    no coordinator: it goes to the admins, with the resident's name and Accept) was queued
    before the restart that took him out of ADMIN_IDS. At delivery it is failed, logged once,
    and not sent; the others' messages of the pass still go."""
    admin = town.client.user(ADMIN_ID, "en", "Boss")
    town.users[ADMIN_ID] = admin
    await town.send(ADMIN_ID, "/start")
    await town.world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")
    await town.deliver()
    town.world.clock.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Foshan
    assert await town.world.services.serving.offer_due() == 1
    offer = one(await town.deliver(), STRANGER)
    await town.click(STRANGER, offer, "🙋 Yes, I'd serve")
    await town.report(RESIDENT, "The gate is broken")  # the head's card, in the same pass

    restarted = replace(config, admin_ids=frozenset())
    town.world.services = Services.create(restarted, town.db, translations, clock)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        delivered = await town.deliver()
    assert to(delivered, ADMIN_ID) == []
    assert "The gate is broken" in card(delivered, HEAD).text
    async with town.db.session() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.address == str(ADMIN_ID))
            )
        )
    [lapsed] = [r for r in rows if r.status == OutboxStatus.FAILED]
    assert "Accept" in str(lapsed.payload) and "staff" in (lapsed.last_error or "")
    assert len([r for r in caplog.records if f"outbox {lapsed.id} " in r.getMessage()]) == 1


async def test_an_admin_who_never_wrote_still_hears_that_a_coordinator_was_removed(
    town: Town,
) -> None:
    """The admins' chats of ADMIN_IDS are written to before they have written to the bot
    (no person yet): what they get as staff is theirs by the configuration, and goes."""
    await town.world.services.revoke.revoke(Role.COORDINATOR, OFFICE, "塘中社区")
    told = [s for s in await town.deliver() if getattr(s.method, "chat_id", None) == ADMIN_ID]
    assert len(told) == 1 and "塘中社区" in told[0].text


async def test_a_removed_head_cannot_take_back_what_he_said_to_the_resident(town: Town) -> None:
    """ "Not for #1: take it back" under a head's relayed words, pressed after he was removed:
    the ticket is no longer his to act on, so the resident is not asked to ignore anything and
    the ticket's history gains nothing."""
    services = town.world.services
    found = await town.report(RESIDENT, "The gate is broken")
    await services.ticket_actions.take(await town.person(HEAD), found.id)
    await services.ticket_actions.message(
        await town.person(RESIDENT), found.id, Content(text="When will you come?")
    )
    await town.deliver()
    sent = one(await town.send(HEAD, "At five."), HEAD)
    assert sent.buttons == ["↩️ Not for #1: take it back"]
    await town.deliver()
    await services.revoke.revoke(Role.HEAD, HEAD, "A1")
    await town.deliver()

    before = await events(town.db, found.number)
    pressed = await town.click(HEAD, sent, "↩️ Not for #1: take it back")
    assert "not allowed" in answer(pressed)
    assert await events(town.db, found.number) == before
    assert to(await town.deliver(), RESIDENT) == []


async def test_staff_of_a_building_with_many_deputies_comes_a_page_at_a_time(town: Town) -> None:
    """34 deputies with Telegram's longest names (64 emoji): /staff shows ten at a time within
    a message's 4096 UTF-16 units, ‹ › reaches every one and a Remove on the last page still
    asks; a page past the end shows the last one, another building's head is refused."""
    deputies = [
        User(id=800 + n, is_bot=False, first_name="🏠" * 64, language_code="en") for n in range(34)
    ]
    for user in deputies:
        await town.world.appoint(user, Role.DEPUTY, "A1")
    people = {town.ids[HEAD], town.ids[DEPUTY]} | {
        (await town.world.person(user)).id for user in deputies
    }

    def check(sent: Sent) -> set[int]:
        assert len(sent.text.encode("utf-16-le")) // 2 <= 4096
        assert len(sent.buttons) <= STAFF_PER_PAGE + 2
        markup = getattr(sent.method, "reply_markup", None)
        assert isinstance(markup, InlineKeyboardMarkup)
        data = [b.callback_data or "" for row in markup.inline_keyboard for b in row]
        assert all(len(d.encode()) <= 64 for d in data)
        return {StaffCb.unpack(d).person_id for d in data if d.startswith("st1:")}

    listing = one(await town.send(OFFICE, "/staff A1"), OFFICE)
    seen = check(listing)
    assert "第 1/4 页（共 36 人）" in listing.text
    assert len(seen) == STAFF_PER_PAGE
    page = listing
    for _ in range(3):
        page = one(await town.click(OFFICE, page, "›"), OFFICE, "EditMessageText")
        seen |= check(page)
    assert seen == people and "第 4/4 页" in page.text and "›" not in page.buttons
    label = next(b for b in page.buttons if b.startswith("撤销"))
    asked = one(await town.click(OFFICE, page, label), OFFICE)
    assert "确定撤销" in asked.text
    # A page past the end (forged, or the list shrank): the last page.
    building = (await roles(town, HEAD)).pop()[0]
    past = await town.press(OFFICE, StaffPageCb(building_id=building, page=99).pack())
    assert "第 4/4 页" in one(past, OFFICE, "EditMessageText").text
    # Another building's head turning the page: refused, nothing shown, nobody removed.
    refused = await town.press(HEAD2, StaffPageCb(building_id=building, page=1).pack())
    assert "not allowed" in answer(refused)
    assert not to(refused, HEAD2, "SendMessage") and not to(refused, HEAD2, "EditMessageText")
    assert len(await roles(town, DEPUTY)) == 1
