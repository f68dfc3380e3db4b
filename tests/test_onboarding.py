"""Joining through links, invitations and the picker, driven like a user."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services import Services
from bot.services.community import BuildingRow, parse_buildings_csv
from storage.db import Database
from storage.models import Contact, CoordinatorScope, Invitation, Membership, OutboxMessage, Role
from tests.botclient import BotClient, only, texts
from tests.conftest import ADMIN_ID, FakeClock

EXAMPLE = Path(__file__).parent.parent / "examples" / "tangzhong.csv"


@pytest.fixture
async def community(services: Services) -> dict[str, str]:
    """The example community, where the picker joins at once (join_policy "open"; joining
    with approval is tests/test_joins.py's); returns code → join payload."""
    rows = parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    report = await services.community.import_buildings(rows)
    await services.community.settings("塘中社区", {"join_policy": "open"})
    return {b.code: b.payload for b in report.buildings}


async def memberships(db: Database, user_id: int) -> list[tuple[str, str, str | None]]:
    from storage.models import Building

    async with db.session() as session:
        rows = await session.execute(
            select(Building.code, Membership.role, Membership.flat)
            .join(Membership, Membership.building_id == Building.id)
            .join(Contact, Contact.person_id == Membership.person_id)
            .where(Contact.channel == "telegram", Contact.address == str(user_id))
            .order_by(Building.code, Membership.role)
        )
        return [(code, role.value, flat) for code, role, flat in rows.all()]


async def test_join_link_makes_a_resident_and_asks_for_the_flat(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(1, language="zh-hans")
    sent = await client.send(resident, f"/start {community['TZ-A01']}")
    reply = only(sent)
    assert "塘中新村1栋" in reply.text and "房号" in reply.text
    assert reply.buttons == ["跳过"]
    assert await memberships(db, 1) == [("TZ-A01", "resident", None)]

    sent = await client.send(resident, "3-502")
    assert "3-502" in only(sent).text
    assert await memberships(db, 1) == [("TZ-A01", "resident", "3-502")]


async def test_flat_step_refuses_bad_input_and_changes_nothing(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(2, language="en")
    await client.send(resident, f"/start {community['TZ-B02']}")
    sent = await client.send(resident, "x" * 5000)
    assert "does not look like a flat number" in only(sent).text
    sent = await client.send(
        resident,
        None,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert "as a short text message" in only(sent).text
    assert await memberships(db, 2) == [("TZ-B02", "resident", None)]
    sent = await client.click(resident, only(sent), "Skip")
    assert "no flat number" in texts(sent)[-1]
    assert "report this as a problem" in texts(await client.send(resident, "hello"))[0]


async def test_opening_the_same_link_twice_is_harmless(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(3, language="en")
    await client.send(resident, f"/start {community['TZ-A01']}")
    sent = await client.send(resident, f"/start {community['TZ-A01']}")
    assert "already a resident" in only(sent).text
    assert await memberships(db, 3) == [("TZ-A01", "resident", None)]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("jAAAAAAAAAAAAAAAAAAAAAA", "unknown or no longer valid"),
        ("iAAAAAAAAAAAAAAAAAAAAAA", "unknown or no longer valid"),
        ("x" * 65, "not valid"),
        ("j<script>", "not valid"),
        ("zAbc", "not valid"),
    ],
)
async def test_bad_start_payloads_change_nothing(
    client: BotClient, community: dict[str, str], db: Database, payload: str, expected: str
) -> None:
    sent = await client.send(client.user(4, language="en"), f"/start {payload}")
    assert expected in only(sent).text
    assert await memberships(db, 4) == []


async def test_head_invitation_is_one_time_and_tells_coordinators(
    client: BotClient,
    community: dict[str, str],
    services: Services,
    db: Database,
    clock: FakeClock,
) -> None:
    coordinator_invite = await services.community.invite(Role.COORDINATOR, "塘中社区")
    coordinator = client.user(10, language="en", name="Office")
    sent = await client.send(coordinator, f"/start {coordinator_invite.payload}")
    assert "coordinator of 塘中社区" in only(sent).text
    assert any(type(s.method).__name__ == "SetMyCommands" for s in sent)

    invite = await services.community.invite(Role.HEAD, "TZ-A01")
    head = client.user(11, language="zh-hans", name="Wang")
    sent = await client.send(head, f"/start {invite.payload}")
    reply = only(sent)
    assert "楼长" in reply.text and "/joinlink" in reply.text
    assert await memberships(db, 11) == [("TZ-A01", "head", None)]

    # The coordinator hears of it through the outbox, in English.
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(int(r.address), r.payload["text"]) for r in rows][-1] == (
        10,
        "Wang 11 is now building head of 塘中新村1栋 (塘中社区).",
    )
    assert (int(rows[0].address),) == (ADMIN_ID,)  # the new coordinator was announced to the admin

    # Someone else opening the same link gets a clear refusal and nothing.
    sent = await client.send(client.user(12, language="en"), f"/start {invite.payload}")
    assert "already been used" in only(sent).text
    assert await memberships(db, 12) == []


async def test_expired_invitation_is_refused(
    client: BotClient,
    community: dict[str, str],
    services: Services,
    db: Database,
    clock: FakeClock,
) -> None:
    invite = await services.community.invite(Role.DEPUTY, "TZ-A02")
    clock.advance(days=7, seconds=1)
    sent = await client.send(client.user(13, language="en"), f"/start {invite.payload}")
    assert "expired" in only(sent).text
    assert await memberships(db, 13) == []
    async with db.session() as session:
        assert (
            await session.scalar(select(func.count()).where(Invitation.used_at.is_not(None))) == 0
        )


async def test_picker_pages_through_buildings_and_joins(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(20, language="en")
    first = only(await client.send(resident, "/start"))
    assert "Which building of 塘中社区" in first.text
    assert len(first.buttons) == 8 + 1  # a page of buildings and "next"
    second = only(await client.click(resident, first, "›"), "EditMessageText")
    assert "塘中新村1栋 (TZ-A01)" not in second.buttons
    assert "‹" in second.buttons
    sent = await client.click(resident, second, second.buttons[0])
    assert "You have joined" in texts(sent)[-1]
    assert len(await memberships(db, 20)) == 1


async def test_picker_with_several_communities_starts_with_the_community(
    client: BotClient, services: Services, db: Database
) -> None:
    await services.community.import_buildings(
        [BuildingRow("东区社区", "E1", "东1栋", ""), BuildingRow("西区社区", "W1", "西1栋", "")]
    )
    await services.community.settings("西区社区", {"join_policy": "open"})
    resident = client.user(21, language="en")
    first = only(await client.send(resident, "/join"))
    assert first.buttons == ["东区社区", "西区社区"]
    buildings = only(await client.click(resident, first, "西区社区"), "EditMessageText")
    assert buildings.buttons == ["西1栋 (W1)", "« Communities"]
    await client.click(resident, buildings, "西1栋 (W1)")
    assert await memberships(db, 21) == [("W1", "resident", None)]


async def test_forged_picker_button_changes_nothing(
    client: BotClient, community: dict[str, str], db: Database
) -> None:
    resident = client.user(22, language="en")
    first = only(await client.send(resident, "/start"))
    sent = await client.press(resident, first, "pk1:b:999999:0")
    assert "no longer exists" in sent[0].method.text  # type: ignore[attr-defined]
    sent = await client.press(resident, first, "garbage")
    assert "no longer valid" in sent[0].method.text  # type: ignore[attr-defined]
    assert await memberships(db, 22) == []


async def test_a_person_may_hold_several_roles(
    client: BotClient, community: dict[str, str], services: Services, db: Database
) -> None:
    user = client.user(30, language="en")
    await client.send(user, f"/start {community['TZ-A01']}")
    await client.send(user, f"/start {community['TZ-C03']}")
    invite = await services.community.invite(Role.HEAD, "TZ-A01")
    await client.send(user, f"/start {invite.payload}")
    assert await memberships(db, 30) == [
        ("TZ-A01", "head", None),
        ("TZ-A01", "resident", None),
        ("TZ-C03", "resident", None),
    ]
    help_text = only(await client.send(user, "/help")).text
    assert "building head of 塘中新村1栋" in help_text
    assert "resident of 丽水花园3栋" in help_text
    assert "/joinlink" in help_text


async def test_coordinator_scope_is_recorded(
    client: BotClient, community: dict[str, str], services: Services, db: Database
) -> None:
    invite = await services.community.invite(Role.COORDINATOR, "TZ-B01")
    await client.send(client.user(40, language="en"), f"/start {invite.payload}")
    async with db.session() as session:
        scopes = (await session.scalars(select(CoordinatorScope))).all()
    assert [(s.building_id is not None) for s in scopes] == [True]
