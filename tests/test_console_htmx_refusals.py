"""A click the server refuses must never seem to do nothing. htmx swaps no 4xx answer by its
defaults, so a refused htmx request (a forged or foreign building's estate, a head posting the
office's vote rules, a path that is gone) showed nothing at all. Now the console's layout lets
htmx swap a 4xx, and the server sends every such answer as a short notice in the viewer's
language, retargeted to the page's flash area (HX-Retarget, HX-Reswap), the address bar kept;
a session that lost its role still reloads the page whole (HX-Refresh)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from storage.models import Building, Role
from tests.test_console import Http, http, sign_in
from tests.test_ticket_handling import HEAD, OFFICE, Town, client, town

__all__ = ["client", "http", "town"]  # fixtures

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


async def a1(town: Town) -> Building:
    async with town.db.session() as session:
        found = await session.scalar(select(Building).where(Building.code == "A1"))
    assert found is not None
    return found


def assert_flashed(response_headers: object, body: str) -> None:
    headers = dict(response_headers)  # type: ignore[call-overload]
    assert headers["HX-Retarget"] == "#console-flash"
    assert headers["HX-Reswap"] == "innerHTML"
    assert headers["HX-Push-Url"] == "false"
    assert "HX-Refresh" not in headers
    # A notice, not a page: htmx puts it in the flash area as it is.
    assert body.startswith('<p class="notice error" role="alert">') and "<main" not in body


async def test_the_layout_lets_htmx_show_a_refusal_in_its_flash_area(
    town: Town, http: Http
) -> None:
    await sign_in(town, http, OFFICE)
    page = await (await http.get("/console/tickets")).text()
    assert '<div id="console-flash"' in page
    [raw] = re.findall(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    config = json.loads(raw)
    assert config["includeIndicatorStyles"] is False
    rules = config["responseHandling"]
    four = next(rule for rule in rules if re.fullmatch(rule["code"], "403"))
    assert four == {"code": "4..", "swap": True, "error": True}
    assert next(rule for rule in rules if re.fullmatch(rule["code"], "200"))["swap"] is True
    assert next(rule for rule in rules if re.fullmatch(rule["code"], "204"))["swap"] is False
    assert next(rule for rule in rules if re.fullmatch(rule["code"], "500"))["swap"] is False


async def test_a_refused_htmx_request_is_a_notice_in_the_viewers_language(
    town: Town, http: Http
) -> None:
    token = await sign_in(town, http, OFFICE)  # the community office, in Chinese
    # A building that is not theirs (a forged id): refused, said, nothing changed.
    refused = await http.post(
        "/console/buildings/99999/estate", data={"csrf": token, "estate": "X"}, headers=HTMX
    )
    body = await refused.text()
    assert refused.status == 403
    assert_flashed(refused.headers, body)
    assert "抱歉，您没有权限进行此操作。未做任何更改。" in body
    # Without htmx the same refusal is still the whole page.
    whole = await http.post("/console/buildings/99999/estate", data={"csrf": token, "estate": "X"})
    assert whole.status == 403 and "<main" in await whole.text()
    # A path that is not there (a stale link): a notice too, not a silent 404.
    gone = await http.get("/console/nothing-here", headers=HTMX)
    assert gone.status == 404
    body = await gone.text()
    assert_flashed(gone.headers, body)
    assert "抱歉，此操作未能完成。请刷新页面后重试。未做任何更改。" in body


async def test_a_head_posting_the_offices_form_is_told_in_english(town: Town, http: Http) -> None:
    token = await sign_in(town, http, HEAD)  # a head (English)
    building = await a1(town)
    refused = await http.post(
        "/console/votes/rules",
        data={
            "csrf": token,
            "community": str(building.community_id),
            "action": "retire",
            "rule": "1",
        },
        headers={**HTMX, **EN},
    )
    body = await refused.text()
    assert refused.status == 403
    assert_flashed(refused.headers, body)
    assert "Sorry, you are not allowed to do that. Nothing was changed." in body


async def test_a_session_that_lost_its_role_still_reloads_the_page(town: Town, http: Http) -> None:
    await sign_in(town, http, HEAD)
    await town.world.services.revoke.revoke(Role.HEAD, HEAD, "A1")
    refused = await http.get("/console/tickets?status=new", headers={**HTMX, **EN})
    assert refused.status == 403 and refused.headers["HX-Refresh"] == "true"
    assert "HX-Retarget" not in refused.headers and "No access" in await refused.text()


CLEAR = '<div id="console-flash" hx-swap-oob="innerHTML"></div>'


async def test_the_next_successful_click_takes_the_notice_away(town: Town, http: Http) -> None:
    """The refusal's notice stayed on screen until a reload, even after later clicks went
    through. Every htmx answer that succeeds now also empties the flash area (out of band);
    a refusal does not, and neither does a page loaded whole."""
    token = await sign_in(town, http, OFFICE)
    refused = await http.post(
        "/console/buildings/99999/estate", data={"csrf": token, "estate": "X"}, headers=HTMX
    )
    assert refused.status == 403 and CLEAR not in await refused.text()
    building = await a1(town)
    saved = await http.post(
        f"/console/buildings/{building.id}/estate",
        data={"csrf": token, "estate": "翠竹苑"},
        headers=HTMX,
    )
    body = await saved.text()
    assert saved.status == 200 and body.count(CLEAR) == 1 and body.rstrip().endswith(CLEAR)
    assert '<form method="post" action="/console/buildings/' in body  # the swap itself
    assert (await a1(town)).estate == "翠竹苑"
    table = await http.get("/console/tickets?status=all", headers=HTMX)
    assert table.status == 200 and (await table.text()).count(CLEAR) == 1
    whole = await (await http.get("/console/tickets")).text()
    assert CLEAR not in whole and '<div id="console-flash"' in whole
