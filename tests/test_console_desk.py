"""The console's Buildings, Numbers and Settings pages, each tried by the roles that may use it
(head, coordinator, admin: each with their scope) and by those that may not (a resident, the
head of another building, a head removed meanwhile). Changes go through the chat's and the
CLI's own services: an invitation opened in chat appoints, a removal hands tickets over, a
setting the schema refuses changes nothing."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from bot.services.scheduling import sla_of
from bot.services.sla import local
from storage.models import Building, Community, Invitation, Membership, Role
from storage.repositories.stats import Kpis, Scope
from tests.botclient import BotClient
from tests.conftest import ADMIN_ID, FakeClock
from tests.test_console import Http, http, make_http, sign_in
from tests.test_ticket_handling import (
    DEPUTY,
    HEAD,
    HEAD2,
    OFFICE,
    RESIDENT,
    STRANGER,
    Town,
    client,
    town,
)

__all__ = ["client", "http", "town"]  # fixtures

PAGES = (
    "/console/buildings",
    "/console/numbers",
    "/console/settings",
    "/console/export/tickets.xlsx",
    "/console/export/month.xlsx?community=1&month=2026-11",
    "/console/export/posters.pdf",
)
EN = {"Accept-Language": "en"}


async def building(town: Town, code: str) -> Building:
    async with town.db.session() as session:
        found = await session.scalar(select(Building).where(Building.code == code))
    assert found is not None
    return found


async def community(town: Town) -> Community:
    async with town.db.session() as session:
        found: Community | None = await session.scalar(select(Community))
    assert found is not None
    return found


async def rows(http: Http, query: str = "") -> list[str]:
    """The building codes of the Buildings page, in their order."""
    page = await http.get("/console/buildings" + query)
    assert page.status == 200
    return re.findall(r'<tr class="building[^"]*" data-code="([^"]+)"', await page.text())


async def staff_of(town: Town, code: str) -> set[tuple[int, Role]]:
    b = await building(town, code)
    async with town.db.session() as session:
        found = await session.execute(
            select(Membership.person_id, Membership.role).where(
                Membership.building_id == b.id, Membership.role.in_([Role.HEAD, Role.DEPUTY])
            )
        )
        return {(p, r) for p, r in found.all()}


async def count_invitations(town: Town) -> int:
    async with town.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Invitation)) or 0)


async def admin_signs_in(town: Town, client: BotClient, http: Http) -> str:
    town.users[ADMIN_ID] = client.user(ADMIN_ID, "en", "Boss")
    return await sign_in(town, http, ADMIN_ID)


# ------------------------------------------------------------------------------ buildings


async def test_a_coordinator_sees_every_building_the_headless_first(town: Town, http: Http) -> None:
    await town.report()
    await sign_in(town, http, OFFICE)
    assert await rows(http) == ["B1", "A1", "A2"]  # B1 has no head: the office acts there
    text = await (await http.get("/console/buildings")).text()
    assert "共 3 栋楼，其中 1 栋没有楼长" in text  # the coordinator's Chinese
    a1 = text[text.index('data-code="A1"') :].split("</tr>")[0]
    assert "Wang" in a1 and "Li" in a1  # head and deputy
    assert ">2</td>" in a1  # two residents joined
    assert ">1</a>" in a1  # one open ticket, a link to it in the list
    assert "邀请楼长" in a1 and "撤销" in a1  # the coordinator may invite and remove
    assert await rows(http, "?headless=1") == ["B1"]


async def test_a_head_sees_their_building_and_cannot_invite_or_remove(
    town: Town, http: Http
) -> None:
    await sign_in(town, http, HEAD)
    invitations = await count_invitations(town)
    assert await rows(http) == ["A1"]
    text = await (await http.get("/console/buildings")).text()
    assert "Invite a head" not in text and "/remove?" not in text
    a1, a2 = await building(town, "A1"), await building(town, "A2")
    token = re.search(r'name="csrf" value="([^"]+)"', text)
    assert token
    forged = await http.post(
        f"/console/buildings/{a1.id}/invite",
        data={"csrf": token.group(1), "role": "deputy"},
        headers=EN,
    )
    assert forged.status == 403 and "not allowed" in await forged.text()
    deputy = town.ids[DEPUTY]
    removal = await http.post(
        f"/console/buildings/{a1.id}/remove",
        data={"csrf": token.group(1), "role": "deputy", "person": str(deputy)},
    )
    assert removal.status == 403
    # Another building's head is not even named to them.
    other = await http.get(f"/console/buildings/{a2.id}/remove?person={town.ids[HEAD2]}&role=head")
    assert other.status == 403 and "Zhao" not in await other.text()
    assert await count_invitations(town) == invitations
    assert (deputy, Role.DEPUTY) in await staff_of(town, "A1")


async def test_a_coordinator_invites_a_head_and_the_link_appoints_in_chat(
    town: Town, http: Http, client: BotClient
) -> None:
    token = await sign_in(town, http, OFFICE)
    b1 = await building(town, "B1")
    page = await http.post(
        f"/console/buildings/{b1.id}/invite", data={"csrf": token, "role": "head"}
    )
    text = await page.text()
    assert page.status == 200 and "一次性链接" in text
    found = re.search(r"https://t\.me/louzhang_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert found
    newcomer = client.user(700, "en", "Sun")
    await client.send(newcomer, f"/start {found.group(1)}")
    assert any(r is Role.HEAD for _, r in await staff_of(town, "B1"))
    assert await rows(http) == ["A1", "A2", "B1"]  # covered now: no building without a head


async def test_the_invite_form_posted_twice_gives_one_link(town: Town, http: Http) -> None:
    """Clicking "Invite" twice issued two valid one-time links for the one place. The form
    carries a one-time key now: posted again (or twice at once) it answers with the link it
    already issued; another building's or another role's invite is a link of its own."""
    token = await sign_in(town, http, OFFICE)
    b1, a2 = await building(town, "B1"), await building(town, "A2")
    page = await (await http.get("/console/buildings")).text()
    [once] = set(re.findall(r'name="once" value="([^"]+)"', page))
    before = await count_invitations(town)

    async def invite(building_id: int, role: str = "head") -> str:
        answer = await http.post(
            f"/console/buildings/{building_id}/invite",
            data={"csrf": token, "role": role, "once": once},
        )
        assert answer.status == 200
        found = re.search(r"t\.me/louzhang_test_bot\?start=([A-Za-z0-9_-]+)", await answer.text())
        assert found
        return found.group(1)

    first = await invite(b1.id)
    assert await invite(b1.id) == first
    assert set(await asyncio.gather(invite(b1.id), invite(b1.id))) == {first}
    assert await count_invitations(town) == before + 1
    others = {await invite(a2.id), await invite(b1.id, "deputy")}
    assert first not in others and len(others) == 2
    assert await count_invitations(town) == before + 3
    # Without a key (an older page): each post a link of its own, as before.
    plain = await http.post(
        f"/console/buildings/{b1.id}/invite", data={"csrf": token, "role": "head"}
    )
    assert plain.status == 200 and await count_invitations(town) == before + 4


async def test_removing_a_head_asks_first_then_hands_their_tickets_over(
    town: Town, http: Http
) -> None:
    ticket = await town.report()
    await town.world.services.ticket_actions.take(await town.person(HEAD), ticket.id)
    token = await sign_in(town, http, OFFICE)
    a1 = await building(town, "A1")
    head = town.ids[HEAD]
    asked = await http.get(f"/console/buildings/{a1.id}/remove?person={head}&role=head")
    text = await asked.text()
    assert asked.status == 200 and "Wang" in text and "确认撤销" in text
    assert (head, Role.HEAD) in await staff_of(town, "A1")  # a GET changes nothing
    done = await http.post(
        f"/console/buildings/{a1.id}/remove",
        data={"csrf": token, "person": str(head), "role": "head"},
    )
    assert done.status == 200 and "1 张未完成工单已移交" in await done.text()
    assert (head, Role.HEAD) not in await staff_of(town, "A1")
    sent = await town.deliver()
    assert any(getattr(s.method, "chat_id", None) == HEAD for s in sent)  # told politely
    again = await http.post(
        f"/console/buildings/{a1.id}/remove",
        data={"csrf": token, "person": str(head), "role": "head"},
    )
    assert again.status == 400  # a double press: already gone, nothing more happens


async def test_an_admin_covers_every_building(town: Town, http: Http, client: BotClient) -> None:
    await admin_signs_in(town, client, http)
    assert await rows(http) == ["B1", "A1", "A2"]
    assert "Invite a head" in await (await http.get("/console/buildings")).text()


async def poster_codes(http: Http, query: str = "") -> list[str] | None:
    """The building codes on each page of the posters PDF; None where this machine cannot
    make PDFs (no Pango: the console says so with a 503)."""
    response = await http.get("/console/export/posters.pdf" + query, headers=EN)
    if response.status == 503:
        return None
    assert response.status == 200 and response.content_type == "application/pdf"
    pages = PdfReader(io.BytesIO(await response.read())).pages
    # Each page: the community, then the building's name with its code ("塘中新村1栋A1").
    return [page.extract_text().splitlines()[1][-2:] for page in pages]


async def test_posters_are_printed_for_the_buildings_ticked_or_all_covered(
    town: Town, http: Http
) -> None:
    await sign_in(town, http, OFFICE)
    text = await (await http.get("/console/buildings")).text()
    assert 'form="posters"' in text and 'action="/console/export/posters.pdf"' in text
    a1, a2 = await building(town, "A1"), await building(town, "A2")
    every = await poster_codes(http)
    if every is None:
        pytest.skip("PDFs cannot be made here (Debian: libpango-1.0-0)")
    assert sorted(every) == ["A1", "A2", "B1"]  # one A4 page per building
    assert await poster_codes(http, f"?b={a2.id}&b={a1.id}") == ["A2", "A1"]  # as ticked


async def test_a_head_prints_their_own_posters_only(town: Town, http: Http) -> None:
    await sign_in(town, http, HEAD)
    a2 = await building(town, "A2")
    forged = await http.get(f"/console/export/posters.pdf?b={a2.id}", headers=EN)
    assert forged.status == 403 and "application/pdf" not in forged.headers["Content-Type"]
    junk = await http.get("/console/export/posters.pdf?b=x", headers=EN)
    assert junk.status == 403
    assert await poster_codes(http) in (["A1"], None)  # their building, as /joinlink gives


# ------------------------------------------------------------------------------ wrong roles


async def test_the_pages_refuse_a_resident_and_a_removed_head(
    town: Town, http: Http, client: BotClient
) -> None:
    sent = await town.send(RESIDENT, "/web")
    assert "for building heads" in sent[0].text
    for path in PAGES:
        page = await http.get(path, headers=EN)
        assert page.status == 401 and "send /web" in await page.text()
    async with make_http(client) as other:
        await sign_in(town, other, HEAD)
        await town.world.services.revoke.revoke(Role.HEAD, HEAD, "A1")
        for path in PAGES:
            page = await other.get(path, headers=EN)
            assert page.status == 403 and "No access" in await page.text(), path


async def test_a_head_of_another_building_sees_only_theirs(town: Town, http: Http) -> None:
    await sign_in(town, http, HEAD2)
    assert await rows(http) == ["A2"]
    a1 = await building(town, "A1")
    numbers = await http.get(f"/console/numbers?area=b{a1.id}", headers=EN)
    assert numbers.status == 403 and "no access to that area" in await numbers.text()
    settings = await http.get("/console/settings")
    assert settings.status == 200 and "Only admins and the community" in await settings.text()


# ------------------------------------------------------------------------------ numbers


def chart_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="numbers-data">(.*?)</script>', text)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def as_json(k: Kpis) -> dict[str, Any]:
    return {
        "reports": k.reports,
        "due": k.due,
        "responded": k.responded,
        "resolved": k.resolved,
        "rated": k.rated,
        "satisfied": k.satisfied,
        "median_take": k.median_take,
        "median_resolve": k.median_resolve,
    }


async def some_history(town: Town, clock: FakeClock) -> None:
    """Three reports in A1 (one taken late, one resolved and rated) and one in B1."""
    tickets = town.world.services
    head = await town.person(HEAD)
    first = await town.report()
    clock.advance(hours=1)
    await tickets.ticket_actions.take(head, first.id)
    clock.advance(hours=2)
    await tickets.ticket_actions.resolve(head, first.id, "Fixed the bulb")
    await tickets.ticket_actions.confirm(await town.person(RESIDENT), first.id)
    await tickets.ticket_actions.rate(await town.person(RESIDENT), first.id, 5)
    second = await town.report(text="The lift is stuck again")
    clock.advance(hours=30)
    await tickets.ticket_actions.take(head, second.id)
    await town.report(text="Water leaks in the corridor")
    await town.report(STRANGER, "Door bell broken at the gate")
    clock.advance(days=1)


async def test_the_numbers_are_the_digests_for_the_same_period(
    town: Town, http: Http, clock: FakeClock
) -> None:
    await some_history(town, clock)
    await sign_in(town, http, OFFICE)
    page = await http.get("/console/numbers")
    text = await page.text()
    assert page.status == 200 and "响应率" in text and "解决率" in text and "满意率" in text
    data = chart_data(text)
    c = await community(town)
    digest = town.world.services.scheduling.digest
    yesterday = local(clock(), sla_of(c)).date() - timedelta(days=1)
    whole = await digest.gather(c, Scope(c.id), yesterday)
    assert {k: data["total"][k] for k in as_json(whole.kpis)} == as_json(whole.kpis)
    assert whole.kpis.reports == 4 and whole.kpis.resolved == 1 and whole.kpis.satisfied == 1
    a1 = await building(town, "A1")
    one = await digest.gather(c, Scope(c.id, (a1.id,)), yesterday)
    line = next(b for b in data["buildings"] if b["name"].startswith("A1 "))
    assert {k: line[k] for k in as_json(one.kpis)} == as_json(one.kpis)
    assert [h["name"] for h in data["heads"]] == [leader.name for leader in whole.leaders]
    # The table says it without JavaScript: the digest's rate words, 1 of 4 resolved.
    assert '25% <span class="muted">1/4</span>' in text
    assert '<script src="/static/numbers.js' in text or "numbers.js" in text


async def test_any_period_and_a_head_gets_their_buildings_only(
    town: Town, http: Http, clock: FakeClock
) -> None:
    await some_history(town, clock)
    await sign_in(town, http, HEAD)
    c = await community(town)
    today = local(clock(), sla_of(c)).date()
    page = await http.get(
        f"/console/numbers?area=c{c.id}&from={today - timedelta(days=3)}&to={today}"
    )
    data = chart_data(await page.text())
    assert page.status == 200 and data["total"]["reports"] == 3  # A1's three, not B1's
    assert [b["name"][:2] for b in data["buildings"]] == ["A1"]
    bad = await http.get(
        f"/console/numbers?from={today}&to={today - timedelta(days=1)}", headers=EN
    )
    assert bad.status == 400 and "must start before it ends" in await bad.text()
    typo = await http.get("/console/numbers?from=yesterday", headers=EN)
    assert typo.status == 400 and "is not a date" in await typo.text()


# ------------------------------------------------------------------------------ settings


async def test_a_coordinator_changes_a_setting_and_a_bad_value_changes_nothing(
    town: Town, http: Http
) -> None:
    token = await sign_in(town, http, OFFICE)
    c = await community(town)
    page = await http.get("/console/settings")
    text = await page.text()
    assert page.status == 200 and "quiet_hours" in text
    # Explained in the coordinator's language (Chinese), not the schema's English.
    assert "这段时间内不发提醒" in text and "no reminders then" not in text
    assert "小区所在时区" in text and "转办单超过这么多天没有答复" in text
    saved = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "quiet_hours", "value": "23:00-07:00"},
        allow_redirects=False,
    )
    assert saved.status == 303
    assert "已保存 quiet_hours" in await (await http.get(saved.headers["Location"])).text()
    assert (await community(town)).settings["quiet_hours"] == "23:00-07:00"
    refused = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "autoclose_days", "value": "-2"},
    )
    text = await refused.text()
    assert refused.status == 400
    assert "autoclose_days：应为 a number of days, more than 0" in text  # the schema's words
    stored = (await community(town)).settings
    assert "autoclose_days" not in stored and stored["quiet_hours"] == "23:00-07:00"
    unknown = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "colour", "value": "red"},
    )
    assert unknown.status == 400 and (await community(town)).settings == stored
    # The time zone is the community's own column, checked by the same service.
    zone = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "timezone", "value": "Mars/Base"},
    )
    assert zone.status == 400 and "timezone：应为 an IANA time zone" in await zone.text()
    # "localtime" opens a file of the zone database, but names the server's zone, not one.
    server = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "timezone", "value": "localtime"},
    )
    assert server.status == 400
    assert (await community(town)).timezone == "Asia/Shanghai"


async def test_a_forged_setting_name_is_cut_and_escaped_in_the_answer(
    town: Town, http: Http
) -> None:
    """A forged form named a setting of thousands of characters with markup: the answer
    repeated all of it. It repeats a short beginning now, as text, and changes nothing."""
    token = await sign_in(town, http, OFFICE)
    c = await community(town)
    forged = "<b>x</b>" + "y" * 5000
    refused = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": forged, "value": "1"},
    )
    text = await refused.text()
    assert refused.status == 400 and "没有这个设置项：&lt;b&gt;x&lt;/b&gt;yyy" in text
    assert "<b>x</b>" not in text and "y" * 200 not in text and "…" in text
    assert (await community(town)).settings == {}
    shown = await http.get("/console/settings?saved=" + "z" * 5000)
    assert shown.status == 200 and "z" * 200 not in await shown.text()


async def test_a_value_json_cannot_read_is_refused_by_the_schema_not_a_server_error(
    town: Town, http: Http
) -> None:
    """A number pasted with thousands of digits, or brackets pasted many times over: json
    refused them with a ValueError / RecursionError that is no JSONDecodeError, and the page
    answered 500. They are text then, which the schema refuses like any bad value."""
    token = await sign_in(town, http, OFFICE)
    c = await community(town)
    for key, value in (("recurring_reports", "9" * 5000), ("autoclose_days", "[" * 5000)):
        refused = await http.post(
            "/console/settings",
            data={"csrf": token, "community": str(c.id), "key": key, "value": value},
        )
        assert refused.status == 400, key
        assert f"{key}：应为" in await refused.text()
    assert (await community(town)).settings == {}


async def test_a_head_reads_the_settings_but_cannot_change_them(
    town: Town, http: Http, client: BotClient
) -> None:
    token = await sign_in(town, http, HEAD)
    c = await community(town)
    text = await (await http.get("/console/settings")).text()
    assert "Only admins and the community" in text and 'name="value"' not in text
    forged = await http.post(
        "/console/settings",
        data={"csrf": token, "community": str(c.id), "key": "autoclose_days", "value": "5"},
    )
    assert forged.status == 403 and (await community(town)).settings == {}
    async with make_http(client) as desk:
        admin = await admin_signs_in(town, client, desk)
        done = await desk.post(
            "/console/settings",
            data={"csrf": admin, "community": str(c.id), "key": "autoclose_days", "value": "5"},
            allow_redirects=False,
        )
        assert done.status == 303 and (await community(town)).settings == {"autoclose_days": 5}


async def test_settings_are_explained_in_an_english_admins_language(
    town: Town, client: BotClient, http: Http
) -> None:
    await admin_signs_in(town, client, http)
    text = await (await http.get("/console/settings")).text()
    assert "No reminders during these hours" in text and "这段时间内不发提醒" not in text
    assert "time zone (an IANA name such as Asia/Shanghai)" in text
