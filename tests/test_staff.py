"""/joinlink and /invite, driven like a user: who may get which link, and what is stored."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile, User
from sqlalchemy import select

from bot.drawing import Drawable, Picture, Renderer
from bot.i18n import Translations
from bot.poster_art import Poster, PosterWords
from bot.services import Services
from bot.services.community import BuildingRow, parse_buildings_csv
from storage.db import Database
from storage.models import Invitation, Person, Role
from storage.repositories import CommunityRepository
from tests.botclient import BotClient, Sent, only
from tests.conftest import ADMIN_ID, FakeClock
from tests.factories import telegram_id_of

EXAMPLE = Path(__file__).parent.parent / "examples" / "tangzhong.csv"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LINK_RE = re.compile(r"https://t\.me/louzhang_test_bot\?start=(i[A-Za-z0-9_-]{22})")


class FakeRenderer(Renderer):
    """Stands in for the drawing child: records the posters asked for, answers a PNG at once
    (or nothing, like a child that failed). The real child is tested in test_poster."""

    def __init__(self, english: bool = False, fails: bool = False) -> None:
        super().__init__()
        self.english, self.fails = english, fails
        self.posters: list[Poster] = []

    async def draw(
        self, items: Sequence[Drawable], *, time_limit: float | None = None
    ) -> list[Picture | None]:
        self.posters += [i for i in items if isinstance(i, Poster)]
        return [None if self.fails else Picture(POSTER_PNG, self.english) for _ in items]


POSTER_PNG = PNG_SIGNATURE + b"a poster with words"


@pytest.fixture(autouse=True)
def renderer(client: BotClient) -> FakeRenderer:
    fake = FakeRenderer()
    client.dp["services"].posters.renderer = fake
    return fake


@pytest.fixture
async def community(services: Services) -> dict[str, str]:
    """The example community (塘中社区) and a second one; returns code → join payload."""
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    rows.append(BuildingRow("东区社区", "E1", "东1栋", ""))
    report = await services.community.import_buildings(rows)
    return {b.code: b.payload for b in report.buildings}


async def appoint(
    client: BotClient, services: Services, user: User, role: Role, target: str
) -> None:
    invite = await services.community.invite(role, target)
    sent = await client.send(user, f"/start {invite.payload}")
    assert "/help" in only(sent).text


async def invitations(db: Database) -> list[tuple[str, int | None, int | None, int | None]]:
    """(role, building id, community id, created_by telegram id) of every invitation."""
    async with db.session() as session:
        rows = (await session.scalars(select(Invitation).order_by(Invitation.id))).all()
        result: list[tuple[str, int | None, int | None, int | None]] = []
        for row in rows:
            creator = await session.get(Person, row.created_by) if row.created_by else None
            result.append(
                (
                    row.role.value,
                    row.building_id,
                    row.community_id,
                    telegram_id_of(creator) if creator else None,
                )
            )
        return result


def photo(sent: list[Sent]) -> SendPhoto:
    method = only(sent, "SendPhoto").method
    assert isinstance(method, SendPhoto)
    return method


def no_photo(sent: list[Sent]) -> None:
    assert not [s for s in sent if isinstance(s.method, SendPhoto)]


# --- /joinlink ---------------------------------------------------------------------------------


async def test_a_head_gets_their_buildings_join_link_as_a_qr_poster(
    client: BotClient, services: Services, community: dict[str, str], renderer: FakeRenderer
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    link = f"https://t.me/louzhang_test_bot?start={community['TZ-A01']}"

    for command in ("/joinlink", "/joinlink TZ-A01"):
        sent = await client.send(head, command)
        method = photo(sent)
        assert method.chat_id == 11
        assert isinstance(method.photo, BufferedInputFile)
        assert method.photo.data == POSTER_PNG
        assert method.photo.filename == "join-TZ-A01.png"
        assert method.caption is not None
        assert method.caption.startswith(f"Join link of 塘中新村1栋: {link}\n")
        assert "English" not in method.caption and "write" not in method.caption
        assert only(sent, "SendChatAction")  # "sending a photo…" while it is drawn

    # The poster names the building and the community, in the head's words, with one line of
    # how to use it; the English stand-in keeps only what the default font can draw.
    poster = renderer.posters[-1]
    assert poster.link == link
    assert poster.words == PosterWords(
        "塘中新村1栋",
        "塘中社区 · TZ-A01",
        "Scan with your phone camera to join this building and report problems to your "
        "building head.",
    )
    assert (poster.fallback.heading, poster.fallback.subheading) == ("TZ-A01", "")
    assert poster.fallback.instruction == poster.words.instruction


async def test_the_poster_is_in_the_heads_language_and_says_when_it_is_not(
    client: BotClient, services: Services, community: dict[str, str], renderer: FakeRenderer
) -> None:
    head = client.user(11, language="zh-hans")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    renderer.english = True  # no Chinese font on the server
    method = photo(await client.send(head, "/joinlink"))
    assert renderer.posters[-1].words.instruction == "用手机扫一扫，加入本楼，有问题直接告诉楼长。"
    assert renderer.posters[-1].fallback.instruction.startswith("Scan with your phone")
    assert method.caption is not None and method.caption.endswith(
        "（服务器上没有中文字体，所以海报上的文字是英文。安装 fonts-noto-cjk 后即可生成中文海报。）"
    )

    # The same poster again: answered from the one drawn, not drawn again; another language's
    # is another poster.
    again = photo(await client.send(head, "/joinlink"))
    assert again.caption == method.caption and len(renderer.posters) == 1
    deputy = client.user(12, language="en")
    await appoint(client, services, deputy, Role.DEPUTY, "TZ-A01")
    await client.send(deputy, "/joinlink")
    assert len(renderer.posters) == 2


async def test_without_the_drawing_child_the_bare_qr_code_goes(
    client: BotClient, services: Services, community: dict[str, str], renderer: FakeRenderer
) -> None:
    """The QR image is then the link itself (decoded by re-encoding: segno is deterministic),
    and the caption asks for the building's name to be written on it."""
    from bot.services.poster import qr_png

    renderer.fails = True
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    method = photo(await client.send(head, "/joinlink"))
    assert isinstance(method.photo, BufferedInputFile)
    link = f"https://t.me/louzhang_test_bot?start={community['TZ-A01']}"
    assert method.photo.data == qr_png(link)
    assert method.photo.data != qr_png(link + "x")
    assert method.caption is not None and "write the building's name on it" in method.caption


async def test_a_head_gets_no_link_for_a_building_they_do_not_head(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    sent = await client.send(head, "/joinlink TZ-B01")
    no_photo(sent)
    assert only(sent).text == "Sorry, you are not allowed to do that."
    assert community["TZ-B01"] not in only(sent).text


async def test_a_deputy_gets_their_buildings_link(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    deputy = client.user(12, language="en")
    await appoint(client, services, deputy, Role.DEPUTY, "TZ-B02")
    method = photo(await client.send(deputy, "/joinlink"))
    assert method.caption is not None and community["TZ-B02"] in method.caption


async def test_a_coordinator_gets_any_building_of_their_community(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    coordinator = client.user(20, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "塘中社区")
    for code in ("TZ-A01", "TZ-C03", "TZ-F01"):
        method = photo(await client.send(coordinator, f"/joinlink {code}"))
        assert method.caption is not None and community[code] in method.caption
    # Without a code there is no obvious building: the usage.
    sent = await client.send(coordinator, "/joinlink")
    no_photo(sent)
    assert "/joinlink CODE" in only(sent).text
    # Another community's building is not theirs.
    sent = await client.send(coordinator, "/joinlink E1")
    no_photo(sent)
    assert community["E1"] not in only(sent).text


async def test_a_building_coordinator_gets_only_their_building(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    coordinator = client.user(21, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "TZ-D01")
    method = photo(await client.send(coordinator, "/joinlink"))
    assert method.caption is not None and community["TZ-D01"] in method.caption
    sent = await client.send(coordinator, "/joinlink TZ-D02")
    no_photo(sent)
    assert only(sent).text == "Sorry, you are not allowed to do that."


async def test_a_resident_gets_no_link(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(30, language="en")
    await client.send(resident, f"/start {community['TZ-A01']}")
    await client.send(resident, "3-502")  # the flat step
    sent = await client.send(resident, "/joinlink TZ-A01")
    no_photo(sent)
    assert only(sent).text == "Sorry, you are not allowed to do that."
    sent = await client.send(resident, "/joinlink")
    no_photo(sent)
    assert "/joinlink CODE" in only(sent).text


async def test_joinlink_for_an_unknown_building(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    coordinator = client.user(20, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "塘中社区")
    sent = await client.send(coordinator, "/joinlink NOPE-1")
    no_photo(sent)
    assert only(sent).text == "There is no building with the code NOPE-1."


async def test_joinlink_speaks_the_callers_language(
    client: BotClient,
    services: Services,
    community: dict[str, str],
    translations: Translations,
) -> None:
    head = client.user(11, language="zh-hans")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    sent = await client.send(head, "/joinlink TZ-B01")
    assert only(sent).text == translations.get("zh-hans", "not-allowed")
    method = photo(await client.send(head, "/joinlink"))
    assert method.caption == translations.get(
        "zh-hans",
        "joinlink-poster",
        building="塘中新村1栋",
        link=f"https://t.me/louzhang_test_bot?start={community['TZ-A01']}",
    )  # (a server with a Chinese font: nothing to add)


# --- /invite -----------------------------------------------------------------------------------


async def test_a_coordinator_invites_a_head(
    client: BotClient,
    services: Services,
    community: dict[str, str],
    db: Database,
    clock: FakeClock,
) -> None:
    coordinator = client.user(20, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "塘中社区")
    before = await invitations(db)

    reply = only(await client.send(coordinator, "/invite head TZ-C03")).text
    match = LINK_RE.search(reply)
    assert match, reply
    assert "building head of 丽水花园3栋" in reply
    assert "(valid until 2026-12-03)" in reply  # the clock's today + 7 days
    created = (await invitations(db))[len(before) :]
    async with db.session() as session:
        building = (await CommunityRepository(session).buildings_by_code("TZ-C03"))[0]
    assert created == [("head", building.id, building.community_id, 20)]

    # The link works: whoever opens it becomes the head.
    sent = await client.send(client.user(40, language="en"), f"/start {match.group(1)}")
    assert "building head of 丽水花园3栋" in only(sent).text

    # Case does not matter for the role.
    assert LINK_RE.search(only(await client.send(coordinator, "/invite Deputy TZ-C03")).text)


async def test_a_head_invites_a_deputy_for_their_building_only(
    client: BotClient, services: Services, community: dict[str, str], db: Database
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    before = await invitations(db)

    reply = only(await client.send(head, "/invite deputy TZ-A01")).text
    assert LINK_RE.search(reply) and "deputy building head of 塘中新村1栋" in reply
    assert [(r[0], r[3]) for r in (await invitations(db))[len(before) :]] == [("deputy", 11)]

    for command in (
        "/invite head TZ-A01",  # a head does not appoint heads
        "/invite coordinator TZ-A01",
        "/invite deputy TZ-B01",  # nor deputies elsewhere
    ):
        reply = only(await client.send(head, command)).text
        assert reply == "Sorry, you are not allowed to do that.", command
        assert not LINK_RE.search(reply)
    assert len(await invitations(db)) == len(before) + 1


async def test_a_resident_can_invite_nobody(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(30, language="en")
    await client.send(resident, f"/start {community['TZ-A01']}")
    await client.send(resident, "3-502")  # the flat step
    for command in ("/invite deputy TZ-A01", "/invite head TZ-A01", "/invite coordinator 塘中社区"):
        reply = only(await client.send(resident, command)).text
        assert not LINK_RE.search(reply), command
        assert reply in (
            "Sorry, you are not allowed to do that.",
            "There is no building with the code 塘中社区.",
        )
    assert await invitations(db) == []


async def test_a_staff_command_during_the_flat_step_is_not_swallowed(
    client: BotClient, services: Services, community: dict[str, str]
) -> None:
    head = client.user(11, language="en")
    await appoint(client, services, head, Role.HEAD, "TZ-A01")
    await client.send(head, f"/start {community['TZ-A01']}")  # joins as a resident too
    sent = await client.send(head, "/joinlink")  # still at "what is your flat number?"
    photo(sent)


@pytest.mark.parametrize(
    "command",
    ["/invite", "/invite head", "/invite boss TZ-A01", "/invite resident TZ-A01", "/invite  "],
)
async def test_bad_invite_usage_answers_the_usage(
    client: BotClient, services: Services, community: dict[str, str], db: Database, command: str
) -> None:
    coordinator = client.user(20, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "塘中社区")
    before = await invitations(db)
    reply = only(await client.send(coordinator, command)).text
    assert reply.startswith("Send /invite ROLE CODE")
    assert await invitations(db) == before


async def test_an_admin_invites_a_community_coordinator_by_name(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    admin = client.user(ADMIN_ID, language="en", name="Admin")
    reply = only(await client.send(admin, "/invite coordinator 东区社区")).text
    match = LINK_RE.search(reply)
    assert match, reply
    assert "coordinator of 东区社区" in reply
    async with db.session() as session:
        east = await CommunityRepository(session).by_name("东区社区")
    assert east is not None
    assert await invitations(db) == [("coordinator", None, east.id, ADMIN_ID)]

    # Opening it makes a whole-community coordinator, who may then hand out its links.
    newcomer = client.user(50, language="en")
    sent = await client.send(newcomer, f"/start {match.group(1)}")
    assert "coordinator of 东区社区" in only(sent).text
    method = photo(await client.send(newcomer, "/joinlink E1"))
    assert method.caption is not None and community["E1"] in method.caption


async def test_a_non_admin_coordinator_cannot_appoint_a_community_coordinator(
    client: BotClient, services: Services, community: dict[str, str], db: Database
) -> None:
    coordinator = client.user(20, language="en")
    await appoint(client, services, coordinator, Role.COORDINATOR, "塘中社区")
    before = await invitations(db)
    reply = only(await client.send(coordinator, "/invite coordinator 东区社区")).text
    assert not LINK_RE.search(reply)
    assert await invitations(db) == before
