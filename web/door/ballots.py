"""A building vote's ballot page in the web door: ``/door/ballot/<vote>/<person>/<key>`` is an
owner's own link (the WeChat template opens it when the 48-hour window has closed; see
bot/services/door_ballots.py). It shows the vote and, for each flat the person owns in the
building, the options with their current choice; a POST casts or changes that flat's ballot
through VoteService (owner only, one ballot per flat, until the deadline) and shows the
receipt. A wrong key opens nothing; a non-owner, a closed vote or a forged option is refused
with a page and changes nothing. Every POST passes web/door/guard.py (Origin, CSRF)."""

from __future__ import annotations

from aiohttp import web

from bot.services.choice_numbers import choice_number
from bot.services.door_ballots import BallotPage
from bot.services.errors import ServiceError
from bot.services.vote_view import labels
from web.door.guard import DOOR, door_page, path_number, refusal
from web.pages import TRANSLATIONS, visitor_language


def _link(request: web.Request) -> tuple[int, int, str]:
    key = request.match_info["key"]
    if len(key) > 64:
        raise web.HTTPNotFound()
    return path_number(request, "vote"), path_number(request, "person"), key


async def _page(request: web.Request) -> BallotPage:
    found = await request.app[DOOR].services.door_ballots.read(*_link(request))
    if found is None:
        raise refusal(request, "vote-door-gone", status=404)
    if not found.items:
        raise refusal(request, "vote-door-not-owner", status=403, building=found.building.name)
    return found


def _show(request: web.Request, page: BallotPage, receipt: str = "") -> web.Response:
    t = request.app[TRANSLATIONS].bind(visitor_language(request))
    context = {"page": page, "options": labels(t, page.vote), "receipt": receipt}
    return door_page(request, "door/ballot.html", context)


async def ballot_page(request: web.Request) -> web.Response:
    return _show(request, await _page(request))


async def cast(request: web.Request) -> web.Response:
    await _page(request)  # a wrong key or a non-owner is refused before the form is read
    form = await request.post()
    flat, choice = form.get("flat"), form.get("choice")  # a forged form: refused below
    flat_id = choice_number(flat) if isinstance(flat, str) else None
    chosen = choice_number(choice, digits=3) if isinstance(choice, str) else None
    if flat_id is None or chosen is None:
        raise refusal(request, "vote-door-bad-choice", status=400)
    try:
        _, done = await request.app[DOOR].services.door_ballots.cast(
            *_link(request), flat_id, chosen
        )
    except ServiceError as error:
        raise refusal(request, error.key, status=409, **error.args_) from None
    t = request.app[TRANSLATIONS].bind(visitor_language(request))
    key = "vote-receipt-changed" if done.changed else "vote-receipt"
    option = labels(t, done.vote)[chosen]
    receipt = t(key, flat=done.flat.code, receipt=done.receipt, option=option)
    return _show(request, await _page(request), receipt)


def routes(app: web.Application) -> None:
    app.router.add_get("/door/ballot/{vote}/{person}/{key}", ballot_page)
    app.router.add_post("/door/ballot/{vote}/{person}/{key}", cast)
