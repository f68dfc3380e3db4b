"""Telegram's own maximum (4096 UTF-16 units of text, 1024 of caption: 2,048 and 512 emoji) sent
through every path that carries someone's words to someone else: it arrives whole, in order,
every message within Telegram's limits (the fake session refuses anything longer, as Telegram
does), nothing fails in the outbox, and the sender's "Sent" is true."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram.types import User
from sqlalchemy import func, select

from bot.i18n import Translations
from bot.services import Services
from bot.services.cards import CARD_LIMIT, render_card
from bot.services.community import BuildingRow
from bot.services.digest_view import DigestData, render_digest
from bot.services.errors import ServiceError
from bot.services.policy import Action, Relation
from bot.services.scheduling import write
from bot.services.ticket_core import MAX_DESCRIPTION, Content, Draft
from bot.text import message_parts
from handlers.common import HelpCb
from handlers.keyboards import TicketCb
from handlers.report import BuildingPageCb
from storage.models import (
    Building,
    Community,
    OutboxMessage,
    OutboxStatus,
    Person,
    Ticket,
    TicketStatus,
    telegram_address,
)
from storage.repositories.stats import (
    BuildingLine,
    Counts,
    Coverage,
    Kpis,
    Leader,
    Overdue,
    Recurring,
    Unreachable,
)
from tests import test_ticket_handling as handling
from tests.botclient import BotClient, Sent, asked, only, texts, utf16_len
from tests.conftest import FakeClock
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    NEIGHBOUR,
    OFFICE,
    RESIDENT,
    Town,
    events,
    one,
    photo,
    ticket,
    to,
)

# The town of the ticket tests (a head, a deputy, the office, residents), and its client.
client = handling.client
town = handling.town

S = TicketStatus
EMOJI = "😀"
TEXT_MAX = EMOJI * 2048  # 4096 units: the longest text Telegram takes from anyone
CAPTION_MAX = EMOJI * 512  # 1024 units


def exactly(units: int, pieces: str) -> str:
    """``pieces`` repeated to exactly ``units`` UTF-16 units."""
    text, used = [], 0
    while used < units:
        for char in pieces:
            size = utf16_len(char)
            if used + size > units:
                char, size = "x", 1
            text.append(char)
            used += size
            if used == units:
                break
    return "".join(text)


# Words, lines and sentences too, so the splitter's break points are exercised.
PROSE = exactly(4096, f"第1段：楼道灯又坏了。Light 1 is out again! {EMOJI * 5}\n")


def arrived(sent: list[Sent], chat_id: int) -> list[Sent]:
    """Messages (not card edits) that reached ``chat_id``, in order."""
    return [
        s
        for s in to(sent, chat_id)
        if type(s.method).__name__ in ("SendMessage", "SendPhoto", "SendVoice")
    ]


def squeeze(text: str) -> str:
    return "".join(text.split())


def assert_whole(messages: list[Sent], header: str, text: str) -> None:
    """The header opens the first message, and the text follows in order, complete: nothing is
    lost but the white space at a break (Telegram trims it anyway)."""
    assert messages, "nothing arrived"
    for message in messages:
        method = message.method
        body = getattr(method, "text", None)
        if body is not None:
            assert utf16_len(body) <= 4096
        caption = getattr(method, "caption", None)
        if caption is not None:
            assert utf16_len(caption) <= 1024
    assert messages[0].text.startswith(header)
    assert squeeze("".join(m.text for m in messages)) == squeeze(header + text)


async def no_failures(town: Town) -> None:
    async with town.db.session() as session:
        failed = await session.scalars(
            select(OutboxMessage.last_error).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        assert list(failed) == []


async def press(town: Town, who: int, action: Action, ticket_id: int) -> list[Sent]:
    return await town.press(who, TicketCb(action=action, ticket_id=ticket_id).pack())


@pytest.fixture
async def taken(town: Town) -> int:
    """Ticket #1 of the resident, taken by the head; everything so far delivered."""
    found = await town.report()
    await town.world.services.ticket_actions.take(await town.person(HEAD), found.id)
    await town.deliver()
    return found.id


@pytest.mark.parametrize("text", [TEXT_MAX, PROSE], ids=["emoji", "prose"])
async def test_a_full_message_both_ways(town: Town, taken: int, text: str) -> None:
    # Resident → head, with the card's "Message the head".
    await press(town, RESIDENT, Action.MESSAGE, taken)
    sent = await town.send(RESIDENT, text)
    assert one(sent, RESIDENT).text == "✅ Sent to the building head (ticket #1)."
    header = "💬 Resident, ticket #1 (reply to this message to answer):"
    to_head = arrived(await town.deliver(), HEAD)
    assert len(to_head) == 2
    assert_whole(to_head, header, text)
    assert ("message", {"direction": "to-staff", "text": text, "photo": None, "voice": None}) in (
        await events(town.db, 1)
    )

    # Head → resident, by a Telegram reply to the second part: every part answers.
    sent = await town.reply_to(HEAD, to_head[1], text)
    assert one(sent, HEAD).text == "✅ Sent (ticket #1)."
    to_resident = arrived(await town.deliver(), RESIDENT)
    assert_whole(
        to_resident, "💬 Building head, ticket #1 (reply to this message to answer):", text
    )

    # And back, by a reply to the head's first part.
    sent = await town.reply_to(RESIDENT, to_resident[0], text)
    assert one(sent, RESIDENT).text == "✅ Sent (ticket #1)."
    assert_whole(arrived(await town.deliver(), HEAD), header, text)
    await no_failures(town)


async def test_full_captions_both_ways(town: Town, taken: int) -> None:
    """A photo with a 1024-unit caption has no room for the header: the photo carries the
    header, the caption follows it as a message."""
    await press(town, HEAD, Action.REPLY, taken)
    sent = await town.send(HEAD, None, photo=photo("fixed"), caption=CAPTION_MAX)
    assert one(sent, HEAD).text == "✅ Sent to the resident of ticket #1."
    got = arrived(await town.deliver(), RESIDENT)
    assert [type(s.method).__name__ for s in got] == ["SendPhoto", "SendMessage"]
    assert got[0].method.photo == "fixed"  # type: ignore[attr-defined]
    assert got[0].text == "💬 Building head, ticket #1 (reply to this message to answer):"
    assert got[1].text == CAPTION_MAX

    await press(town, RESIDENT, Action.MESSAGE, taken)
    await town.send(RESIDENT, None, photo=photo("still"), caption=CAPTION_MAX)
    got = arrived(await town.deliver(), HEAD)
    assert [type(s.method).__name__ for s in got] == ["SendPhoto", "SendMessage"]
    assert_whole(got, "💬 Resident, ticket #1 (reply to this message to answer):", CAPTION_MAX)

    # A short caption still travels under its photo.
    await press(town, RESIDENT, Action.MESSAGE, taken)
    await town.send(RESIDENT, None, photo=photo("more"), caption="Look")
    [got_photo] = arrived(await town.deliver(), HEAD)
    assert got_photo.text.endswith("(reply to this message to answer):\nLook")
    await no_failures(town)


async def test_full_notes_resolve_not_fixed_comment(town: Town, taken: int) -> None:
    # Resolve with a note of 4096 units: the resident reads all of it, then the question, and
    # the buttons are under the last part.
    await press(town, HEAD, Action.RESOLVE, taken)
    sent = await town.send(HEAD, TEXT_MAX)
    assert "Ticket #1 is resolved" in one(sent, HEAD).text
    assert ("resolved", {"note": TEXT_MAX}) in await events(town.db, 1)
    got = arrived(await town.deliver(), RESIDENT)
    header = "The building head marked ticket #1 as resolved. Their note:"
    assert_whole(got, header, TEXT_MAX + "Is it fixed?")
    assert [s.buttons for s in got] == [[]] * (len(got) - 1) + [["👍 Yes, fixed", "👎 Not fixed"]]
    assert "{???}" not in "".join(s.text for s in got)

    # Not fixed, with 4096 units of why.
    await town.click(RESIDENT, got[-1], "👎 Not fixed")
    sent = await town.send(RESIDENT, TEXT_MAX)
    assert one(sent, RESIDENT).text.startswith("🔁 Ticket #1 is open again")
    assert ("reopened", {"note": TEXT_MAX}) in await events(town.db, 1)
    got = arrived(await town.deliver(), HEAD)
    assert_whole(got, "🔁 Ticket #1 is back with you: the resident says it is not fixed.", TEXT_MAX)

    # Back with the head, still taken: resolve, confirm, rate, and a comment of 4096 units.
    await town.world.services.ticket_actions.resolve(await town.person(HEAD), taken, "")
    question = arrived(await town.deliver(), RESIDENT)[-1]
    rate = one(await town.click(RESIDENT, question, "👍 Yes, fixed"), RESIDENT)
    await town.click(RESIDENT, rate, "5⭐")
    sent = await town.send(RESIDENT, TEXT_MAX)
    assert "passed on to the building head" in one(sent, RESIDENT).text
    got = arrived(await town.deliver(), HEAD)
    assert_whole(got, "💬 Comment on ticket #1:", TEXT_MAX)
    assert (await ticket(town.db, 1)).status is S.CLOSED
    await no_failures(town)


async def test_a_full_escalation_reason(town: Town, taken: int) -> None:
    await press(town, HEAD, Action.ESCALATE, taken)
    sent = await town.send(HEAD, PROSE)
    assert one(sent, HEAD).text == "⬆️ Ticket #1 has been passed to the community office."
    got = arrived(await town.deliver(), OFFICE)  # in Chinese
    notice = [s for s in got if not s.buttons]  # the card (with buttons) comes first
    assert_whole(notice, "⬆️ 工单 #1 需要您处理。原因：", PROSE)
    await no_failures(town)


async def test_a_full_description_a_short_card_and_the_whole_text(town: Town) -> None:
    """A card is edited in place, so it shows the beginning of a long description and says
    where the rest is; the head gets the whole text once, right after the card, and History
    has it too."""
    person = await town.person(RESIDENT)
    [building] = await town.world.services.reporting.resident_buildings(person)
    draft = Draft(building.building_id, "repairs", PROSE, media=[{"type": "photo", "file_id": "p"}])
    await town.world.services.reporting.report(person, draft)
    got = arrived(await town.deliver(), HEAD)
    assert [type(s.method).__name__ for s in got] == [
        "SendMessage",  # the card
        "SendMessage",  # the full description, in two parts
        "SendMessage",
        "SendPhoto",
    ]
    head_card = got[0]
    assert "(shortened here: the full text is under 📜 History)" in head_card.text
    assert utf16_len(head_card.text) < 2000
    assert PROSE[:100] in head_card.text
    assert_whole(got[1:3], "📝 The full description of ticket #1:", PROSE)

    # Every later edit of the card stays within a message too.
    sent = await town.click(HEAD, head_card, "✋ Take")
    edited = one(sent, HEAD, "EditMessageText")
    assert "being handled by" in edited.text and utf16_len(edited.text) < 2000

    history = arrived(await town.click(HEAD, edited, "📜 History"), HEAD)
    assert history[0].text.startswith("📜 History of ticket #1:\n📝 Description:")
    assert squeeze(PROSE) in squeeze("".join(s.text for s in history))
    await no_failures(town)


# --- lists that page ---------------------------------------------------------------------------

MANY = 30
LONG_NAME = EMOJI * 98  # 196 units: a building name as long as the import allows (100 chars)


@pytest.fixture
async def everywhere(client: BotClient, services: Services, clock: FakeClock) -> User:
    """A resident of 30 buildings whose names are 98 emoji each (think of a coordinator who
    joined every building of an estate)."""
    rows = [BuildingRow("塘中社区", f"Z{i:02d}", f"{i:02d}{LONG_NAME}", "") for i in range(MANY)]
    report = await services.community.import_buildings(rows)
    user = client.user(700, "en", "Everywhere")
    for building in report.buildings:
        await client.send(user, f"/start {building.payload}")
        await client.send(user, "/cancel")  # no flat number
        clock.advance(seconds=5)  # within the flood limit
    return user


async def test_help_lists_many_roles_in_pages(client: BotClient, everywhere: User) -> None:
    first = only(await client.send(everywhere, "/help"))
    assert utf16_len(first.text) <= 4096
    assert first.text.startswith("Your roles:")
    assert "Page 1 of 4 (30 roles)" in first.text
    assert first.text.count("• resident of") == 8
    assert "/report" in first.text  # the commands are on every page
    assert first.buttons == ["›"]

    second = only(await client.click(everywhere, first, "›"), "EditMessageText")
    assert "Page 2 of 4" in second.text and "• resident of 08" in second.text
    assert second.buttons == ["‹", "›"]
    last = only(await client.press(everywhere, second, HelpCb(page=99).pack()), "EditMessageText")
    assert "Page 4 of 4" in last.text and last.text.count("• resident of") == 6
    assert last.buttons == ["‹"]


async def test_the_report_building_picker_pages(
    client: BotClient, services: Services, everywhere: User
) -> None:
    first = only(await client.send(everywhere, "/report"))
    assert first.text == "Which building is it about? (page 1 of 4)"
    assert len(first.buttons) == 9 and first.buttons[-1] == "›"
    assert first.buttons[0].startswith("00")
    second = only(await client.click(everywhere, first, "›"), "EditMessageText")
    assert second.text == "Which building is it about? (page 2 of 4)"
    assert second.buttons[0].startswith("08") and second.buttons[-2:] == ["‹", "›"]
    for markup_data in (second.button_data(b) for b in second.buttons):
        assert len(markup_data.encode()) <= 64

    # A building of page 2 is taken like one of page 1.
    chosen = second.buttons[1]
    sent = await client.click(everywhere, second, chosen)
    assert "What kind of problem is it?" in texts(sent)[-1]

    # Paging is only for the picker in progress: a stale page button changes nothing.
    await client.send(everywhere, "/cancel")
    stale = await client.press(everywhere, first, BuildingPageCb(page=1).pack())
    assert [type(s.method).__name__ for s in stale] == ["AnswerCallbackQuery"]
    assert "no longer valid" in stale[0].text
    person = await services.onboarding.touch(
        telegram_address(everywhere.id), everywhere.full_name, "en"
    )
    assert len(await services.reporting.resident_buildings(person)) == MANY


# --- texts the scheduler and the digest compose ------------------------------------------------


def test_a_digest_with_long_names_is_split_not_cut(translations: Translations) -> None:
    """Long building and people names: the digest is longer than a message. It used to be cut
    at 4,000 characters (8,000 units of emoji, refused by Telegram); now every line is there
    and the outbox writer sends it in parts, the buttons under the last."""
    now = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    names = [f"{i:02d}{LONG_NAME}" for i in range(15)]
    data = DigestData(
        community="塘中社区",
        settings={},
        buildings=None,
        day=date(2026, 11, 26),
        now=now,
        counts=Counts(1, 1, 1, 1),
        open=10,
        overdue_total=10,
        overdue=[Overdue(i, i, "repairs", names[i], now) for i in range(10)],
        active_buildings=15,
        building_lines=[BuildingLine(name, 1, 1, 1, 1) for name in names],
        kpi_days=30,
        sla_hours=24,
        kpis=Kpis(1, 1, 1, 1, 1, 1, 60.0, 60.0),
        coverage=Coverage(20, 8, names[:12]),
        recurring_days=30,
        recurring_threshold=3,
        recurring=[Recurring(name, "repairs", 3) for name in names[:10]],
        unreachable=[Unreachable(EMOJI * 64, "head") for _ in range(10)],
        leaders=[Leader(EMOJI * 64, 3, 60.0, 4.5, 2) for _ in range(5)],
    )
    text, buttons = render_digest(translations.bind("en"), data)
    assert utf16_len(text) > 4096
    assert all(name in text for name in names)
    assert text.count(names[0]) == 4  # overdue, its building's line, coverage, recurring
    parts = message_parts(text)
    assert len(parts) >= 3 and all(utf16_len(p) <= 4096 for p in parts)
    assert squeeze("".join(parts)) == squeeze(text)
    assert len(buttons) == 5  # "Open #n" for the ten overdue, two a row


async def test_the_outbox_writers_split_and_put_buttons_last(
    town: Town, services: Services
) -> None:
    head = await town.person(HEAD)
    now = town.world.clock()
    text = "\n".join(f"{i:03d} {EMOJI * 40}" for i in range(120))  # 120 lines of 84 units
    async with town.db.session() as session:
        mark = await session.scalar(select(func.max(OutboxMessage.id))) or 0
        await write(session, head, now, text, buttons=[[("Open #1", "open", 1)]])
        await services.onboarding.notifier.tell(session, head, "cancelled", now)
        await session.commit()
    async with town.db.session() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id > mark).order_by(OutboxMessage.id)
            )
        )
    written = [r.payload for r in rows]
    assert len(written) == 4  # three parts, then the notifier's message
    assert all(utf16_len(p["text"]) <= 4096 for p in written)
    assert "\n".join(p["text"] for p in written[:3]) == text  # split at line ends
    assert [bool(p.get("buttons")) for p in written] == [False, False, True, False]
    got = arrived(await town.deliver(), HEAD)
    assert [s.text for s in got[:3]] == [p["text"] for p in written[:3]]


# --- more than Telegram takes: refused, never cut ------------------------------------------------


async def test_more_than_telegram_takes_is_refused_whole(town: Town, taken: int) -> None:
    """Only a forged update can carry more than 4096 units (or a caption of more than 1024):
    it is answered "too long", in units, and nothing changes; the services refuse it as well,
    for any other caller, instead of cutting it as they used to (by characters)."""
    over = TEXT_MAX + EMOJI  # 2,049 emoji: 4,098 units, though only 2,049 characters
    await press(town, HEAD, Action.RESOLVE, taken)
    refused = one(await town.send(HEAD, over), HEAD).text
    assert refused.startswith("That is too long (4,098 characters)") and "4,096" in refused
    await press(town, RESIDENT, Action.MESSAGE, taken)
    refusal = one(
        await town.send(RESIDENT, None, photo=photo("p"), caption=CAPTION_MAX + "x"), RESIDENT
    )
    assert "too long (1,025 characters)" in refusal.text
    assert [kind for kind, _ in await events(town.db, 1)] == ["created", "routed", "taken"]

    tickets = town.world.services
    head, resident = await town.person(HEAD), await town.person(RESIDENT)
    for attempt in (
        tickets.ticket_actions.resolve(head, taken, over),
        tickets.ticket_actions.escalate(head, taken, over),
        tickets.ticket_actions.reply(head, taken, Content(text=over)),
        tickets.ticket_actions.message(resident, taken, Content(text=CAPTION_MAX + "x", photo="p")),
    ):
        with pytest.raises(ServiceError) as error:
            await attempt
        assert error.value.key == "input-too-long"
    [building] = await tickets.reporting.resident_buildings(resident)
    with pytest.raises(ServiceError, match="input-too-long"):
        # Beyond all one report can collect (captions, a text, a place), by one emoji.
        too_much = EMOJI * (MAX_DESCRIPTION // 2 + 1)
        await tickets.reporting.report(resident, Draft(building.building_id, "repairs", too_much))
    found = await ticket(town.db, 1)
    assert (found.status, found.escalated) == (S.TAKEN, False)
    assert [kind for kind, _ in await events(town.db, 1)] == ["created", "routed", "taken"]


def test_a_card_fits_a_message_whatever_it_holds(translations: Translations) -> None:
    """Every field of a card at its longest (names of 100 and 130 emoji, a flat of 32, a phone,
    a description of 8,192 units, a rating, urgent, escalated): the card, and the card with the
    withdraw question under it, stay one message."""
    now = datetime(2026, 11, 27, tzinfo=UTC)
    community = Community(name=EMOJI * 100, timezone="Asia/Shanghai", settings={})
    building = Building(name=EMOJI * 100, code="A1")
    author = Person(display_name=EMOJI * 130, phone="+" + "1" * 31)
    holder = Person(display_name=EMOJI * 130)
    long_ticket = Ticket(
        number=999_999_999,
        category="repairs",
        urgent=True,
        status=S.TAKEN,
        description=EMOJI * 4096,
        media=[{"type": "photo"}] * 5,
        latitude=1.0,
        flat="9" * 32,
        show_name=True,
        show_phone=True,
        created_at=now,
        escalated=True,
        rating=5,
    )
    for language in ("en", "zh-hans"):
        t = translations.bind(language)
        view = render_card(
            t,
            long_ticket,
            community=community,
            building=building,
            category=None,
            author=author,
            holder=holder,
            followers=10_000,
            relations=frozenset({Relation.HEAD}),
            now=now,
        )
        assert utf16_len(view.text) <= CARD_LIMIT
        assert EMOJI * 100 in view.text and view.text.endswith("★★★★★")  # not cut: it fits
        assert t("card-description-cut") in view.text
        asked = view.text + "\n\n" + t("my-withdraw-ask", number=long_ticket.number)
        assert utf16_len(asked) <= 4096


# --- more paths that carry someone's words -----------------------------------------------------


async def test_a_full_answer_without_reply_and_a_full_caption_reach_the_head(
    town: Town, taken: int
) -> None:
    """The resident answers the head's question by simply typing (no Telegram Reply): 4096
    units of text, then a photo with a 1024-unit caption; the head gets every unit."""
    await press(town, HEAD, Action.REPLY, taken)
    await town.send(HEAD, "Which floor?")
    await town.deliver()
    header = "💬 Resident, ticket #1 (reply to this message to answer):"

    sent = await town.send(RESIDENT, TEXT_MAX)
    assert one(sent, RESIDENT).text == "✅ Sent to your building head (ticket #1)."
    assert_whole(arrived(await town.deliver(), HEAD), header, TEXT_MAX)

    sent = await town.send(RESIDENT, None, photo=photo("floor"), caption=CAPTION_MAX)
    assert one(sent, RESIDENT).text == "✅ Sent to your building head (ticket #1)."
    got = arrived(await town.deliver(), HEAD)
    assert [type(s.method).__name__ for s in got] == ["SendPhoto", "SendMessage"]
    assert_whole(got, header, CAPTION_MAX)
    await no_failures(town)


async def test_full_captions_and_a_full_text_of_one_report_all_reach_the_head(
    town: Town,
) -> None:
    """A report begun with an album of five photos, each with a 1024-unit caption, then a
    typed description of 4096 units: nothing replaces anything; the head reads all six."""
    sent = await town.send(RESIDENT, "/report")
    await town.click(RESIDENT, one(sent, RESIDENT), "🔧 Repairs")
    captions = [exactly(1024, f"{n}{EMOJI}") for n in range(5)]
    for n, caption in enumerate(captions):
        await town.send(RESIDENT, None, photo=photo(f"p{n}"), caption=caption, media_group_id="a")
    sent = await town.send(RESIDENT, PROSE)
    assert "Where is it?" in one(sent, RESIDENT).text
    place = exactly(4096, f"3楼电梯旁 by the lift {EMOJI}\n")
    sent = await town.send(RESIDENT, place)
    privacy = [s for s in to(sent, RESIDENT) if s.buttons][-1]
    summary = asked(to(await town.click(RESIDENT, privacy, "Continue ›"), RESIDENT))
    sent = await town.click(RESIDENT, summary, "✅ Send")
    assert "Your ticket number is #1" in one(sent, RESIDENT).text

    found = await ticket(town.db, 1)
    assert found.description == "\n".join([*captions, PROSE.strip(), "📍 " + place.strip()])
    assert [m["file_id"] for m in found.media] == [f"p{n}" for n in range(5)]
    got = arrived(await town.deliver(), HEAD)
    full = [s for s in got if type(s.method).__name__ == "SendMessage"][1:]  # after the card
    assert_whole(full, "📝 The full description of ticket #1:", found.description)
    assert [type(s.method).__name__ for s in got[-5:]] == ["SendPhoto"] * 5
    await no_failures(town)


async def test_a_full_still_a_problem_note_reaches_the_head(town: Town, taken: int) -> None:
    """A follower's "still a problem for me" with 4096 units of why: their own linked ticket,
    whose description the head reads whole after its card."""
    tickets = town.world.services
    await tickets.neighbours.follow(await town.person(NEIGHBOUR), taken)
    await tickets.ticket_actions.resolve(await town.person(HEAD), taken, "done")
    notice = one(await town.deliver(), NEIGHBOUR)
    ask = one(await town.click(NEIGHBOUR, notice, "🙋 Still a problem for me"), NEIGHBOUR)
    assert ask.buttons == ["Skip"]
    sent = await town.send(NEIGHBOUR, TEXT_MAX)
    assert "Your own ticket #2 has gone to the building head" in one(sent, NEIGHBOUR).text
    linked = await ticket(town.db, 2)
    assert linked.description.endswith(TEXT_MAX)
    got = [s for s in arrived(await town.deliver(), HEAD) if "#2" in s.text or not s.buttons]
    full = [s for s in got if not s.buttons]
    assert_whole(full, "📝 The full description of ticket #2:", linked.description)
    await no_failures(town)


async def test_a_full_not_fixed_reason_reaches_whoever_takes_it_over(
    town: Town, taken: int
) -> None:
    """ "Not fixed" while the head who held it is away: the ticket is handed over (open for
    anyone who covers the building), and each of them reads the resident's 4096 units whole."""
    tickets = town.world.services
    head = await town.person(HEAD)
    await tickets.ticket_actions.resolve(head, taken, "done")
    question = arrived(await town.deliver(), RESIDENT)[-1]
    await tickets.availability.set_away(head, town.world.clock() + timedelta(days=3))
    await town.deliver()
    await town.click(RESIDENT, question, "👎 Not fixed")
    sent = await town.send(RESIDENT, TEXT_MAX)
    assert one(sent, RESIDENT).text.startswith("🔁 Ticket #1 is open again")
    assert (await ticket(town.db, 1)).status is S.REOPENED
    delivered = await town.deliver()
    assert arrived(delivered, HEAD) == []
    notice = [s for s in arrived(delivered, DEPUTY) if not s.buttons]
    header = "🔁 住户说工单 #1 还没修好，工单已重新打开。哪位能处理，请在工单卡片上点“接单”。"
    assert_whole(notice, header, TEXT_MAX)
    await no_failures(town)


async def test_a_forged_building_that_is_no_number_is_refused_not_a_crash(
    client: BotClient, translations: Translations, everywhere: User
) -> None:
    """Found: the building step read its button's value with isdigit() then int(), and "²"
    passes the one and not the other: the resident read the generic apology."""
    first = only(await client.send(everywhere, "/report"))
    for value in ("²", "9" * 30, "abc"):
        sent = await client.press(everywhere, first, f"r1:b:{value}")
        assert texts(sent) == [translations.get("en", "not-allowed")], value
        first = only(await client.send(everywhere, "/report"))
