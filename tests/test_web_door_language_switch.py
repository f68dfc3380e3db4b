"""The language switch (and the home-screen manifest) of a page that answers a form: it links
the page the form was on, not the form's address, which only takes a POST (a tap there was a
bare "405: Method Not Allowed"). Pages a GET opens keep their own address."""

from __future__ import annotations

import re

from tests.factories import World
from tests.test_web_door import (
    EN,
    ZH,
    Http,
    config,
    file_report,
    hidden,
    http,
    monotonic,
    open_poster,
    report,
    token_of,
    world,
)

__all__ = ["config", "http", "monotonic", "world"]  # fixtures


def switch(html: str) -> str:
    [link] = re.findall(r'<nav class="langs"><a href="([^"]+)"', html)
    return str(link).replace("&amp;", "&")


async def test_the_switch_of_a_forms_answer_opens_a_page(http: Http, world: World) -> None:
    token = token_of(world)
    ticket_id, _ = await file_report(http, token)
    page = await http.get(f"/t/{ticket_id}", headers=ZH)
    csrf = hidden(await page.text(), "csrf")[0]
    answers = [
        # A refused "not fixed" (the ticket is open), a refused message (empty).
        await http.post(f"/t/{ticket_id}/confirm", data={"csrf": csrf}, headers=ZH),
        await http.post(f"/t/{ticket_id}/message", data={"csrf": csrf, "text": " "}, headers=EN),
        # A "me too" form with no number, a "send" with no category.
        await http.post(f"/b/{token}/follow", data={"csrf": csrf}, headers=ZH),
        await http.post(f"/b/{token}/send", data={"csrf": csrf}, headers=EN),
        # A form without its security token (refused before the handler).
        await http.post(f"/b/{token}/send", data={}, headers=ZH),
    ]
    expected = [f"/t/{ticket_id}", f"/t/{ticket_id}", f"/b/{token}", f"/b/{token}", f"/b/{token}"]
    for answer, page_path in zip(answers, expected, strict=True):
        html = await answer.text()
        assert answer.status in (400, 403), html
        link = switch(html)
        assert link.split("?")[0] == page_path, link
        opened = await http.get(link)
        assert opened.status == 200, link
        assert f'start={page_path}"' in html
    # The summary (a POST to the building's page) and a GET page keep their address.
    _, csrf = await open_poster(http, token)
    summary = await report(http, token, csrf)
    assert switch(await summary.text()).split("?")[0] == f"/b/{token}"
    assert switch(await page.text()).split("?")[0] == f"/t/{ticket_id}"
