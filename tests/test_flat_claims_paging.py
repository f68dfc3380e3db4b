"""/flats for a whole stairwell at once: 23 residents with names of 64 emoji claim their flats
in A1; the head's /flats shows them five at a time, each message within Telegram's limits, and
"Show more ›" reaches every claim, none skipped though claims on an earlier page are decided
meanwhile. A stale, forged, too old or someone else's Show more is answered politely and changes
nothing."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, User
from sqlalchemy import func, select

from bot.services.flat_claims import FlatRow
from handlers.votes import CLAIMS_PER_PAGE, FlatPageCb
from storage.models import ClaimStatus, FlatClaim
from tests.botclient import Sent
from tests.test_ticket_handling import HEAD, RESIDENT, Town, answer, one, to
from tests.test_ticket_handling import client as client_fixture
from tests.test_ticket_handling import town as town_fixture

client, town = client_fixture, town_fixture

CLAIMANTS = 23
FIRST = 700  # Telegram ids of the claimants
CODES = [f"{1001 + n}" for n in range(CLAIMANTS)]
MORE = "Show more ›"
BURST = 10  # messages one command may send back to back in one chat


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def within_limits(sent: list[Sent]) -> None:
    for s in sent:
        assert 1 <= units(s.text) <= 4096, units(s.text)
        assert len(s.buttons) <= 100
        markup = getattr(s.method, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", []):
            for button in row:
                assert len((button.callback_data or "x").encode()) <= 64


async def waiting(town: Town) -> int:
    async with town.db.session() as session:
        query = select(func.count()).where(FlatClaim.status == ClaimStatus.PENDING)
        return int(await session.scalar(query) or 0)


async def stairwell(town: Town) -> None:
    rows = [FlatRow("A1", code, "50") for code in CODES]
    assert await town.world.services.flats.import_flats(rows) == CLAIMANTS
    for n, code in enumerate(CODES):
        tg = FIRST + n
        # Telegram's longest first name, every character two UTF-16 units.
        user = User(id=tg, is_bot=False, first_name="🏠" * 64, language_code="en")
        town.users[tg] = await town.world.join(user, "A1")
        await town.send(tg, "/flat")
        assert code in one(await town.send(tg, code), tg).text
    await town.deliver()


def shown(cards: list[Sent]) -> list[str]:
    """The flat of each claim card."""
    return [c.text.split("own flat ")[1].split(" ")[0] for c in cards if MORE not in c.buttons]


async def test_flats_pages_a_stairwell_of_claims_and_reaches_every_one(town: Town) -> None:
    await stairwell(town)
    sent = to(await town.send(HEAD, "/flats"), HEAD)
    within_limits(sent)
    assert len(sent) <= BURST
    assert len(sent) == CLAIMS_PER_PAGE + 1
    assert shown(sent) == CODES[:CLAIMS_PER_PAGE]
    more: Sent | None = sent[-1]
    assert more is not None
    assert more.buttons == [MORE] and "More claims are waiting" in more.text
    # The first page's claims decided before turning the page: nothing after them is skipped.
    for card in sent[:-1]:
        answer(await town.click(HEAD, card, "✅ Confirm owner"))
    seen = shown(sent)
    pages = 1
    while more is not None:
        pressed = await town.click(HEAD, more, MORE)
        assert answer(pressed) == ""
        # The pressed button goes: the same page is not asked for twice by accident.
        [gone] = [s for s in pressed if type(s.method).__name__ == "EditMessageReplyMarkup"]
        assert gone.buttons == []
        page = [s for s in to(pressed, HEAD) if type(s.method).__name__ == "SendMessage"]
        within_limits(page)
        assert 1 <= len(page) <= min(BURST, CLAIMS_PER_PAGE + 1)
        seen += shown(page)
        more = page[-1] if MORE in page[-1].buttons else None
        pages += 1
    assert seen == CODES
    assert pages == -(-CLAIMANTS // CLAIMS_PER_PAGE)
    assert await waiting(town) == CLAIMANTS - CLAIMS_PER_PAGE


async def test_a_stale_forged_or_resident_s_show_more_changes_nothing(town: Town) -> None:
    await stairwell(town)
    more = to(await town.send(HEAD, "/flats"), HEAD)[-1]
    # A resident pressing the head's button (forged): refused, no claim shown.
    refused = await town.press(RESIDENT, more.button_data(MORE))
    assert "for building heads" in "\n".join(s.text for s in refused)
    assert not [s for s in refused if "own flat" in s.text]
    # A key past every claim (forged): nothing more, said on the button.
    forged = await town.press(HEAD, FlatPageCb(after=2**31 - 1).pack())
    assert answer(forged) == "No more claims are waiting."
    assert not to(forged, HEAD, "SendMessage")
    # Every claim decided in the console meanwhile: the old button is stale.
    async with town.db.session() as session:
        for claim in await session.scalars(select(FlatClaim)):
            claim.status = ClaimStatus.DECLINED
        await session.commit()
    stale = await town.click(HEAD, more, MORE)
    assert answer(stale) == "No more claims are waiting."
    assert not to(stale, HEAD, "SendMessage")
    # Show more on a message too old for the bot to reach: answered, nothing sent or edited.
    old = CallbackQuery(
        id="cb-old",
        from_user=town.users[HEAD],
        chat_instance="ci",
        message=InaccessibleMessage(chat=Chat(id=HEAD, type="private"), message_id=1),
        data=FlatPageCb(after=0).pack(),
    )
    gone = await town.client.feed(callback_query=old)
    assert "no longer valid" in answer(gone)
    assert [type(s.method).__name__ for s in gone] == ["AnswerCallbackQuery"]
    # A word where the key goes: answered, nothing sent.
    word = await town.press(HEAD, "fp1:lots")
    assert len([s for s in word if type(s.method).__name__ == "AnswerCallbackQuery"]) == 1
    assert not to(word, HEAD, "SendMessage")
    assert await waiting(town) == 0
