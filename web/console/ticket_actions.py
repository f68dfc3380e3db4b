"""The ticket page's actions: each a POST form (CSRF checked by the guard) that calls the very
service method the chat's button does, with ``door=web`` so History marks it "(web)". With htmx
the ticket part of the page is swapped in place with a notice; without JavaScript a success
redirects to the page (a reload does not post twice) and a refusal shows the page with why.
A refusal (a stale page: the ticket taken or closed meanwhile; a role revoked) changes
nothing: the service decides, against the database, on this very request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.policy import Action
from bot.services.ticket_core import ONCE_LIMIT, Content
from storage.models import Channel, Person
from web.console.guard import CONSOLE, console_viewer, is_htmx
from web.console.ticket import (
    ACTION_NAMES,
    missing,
    render_ticket,
    staff_person,
    ticket_file,
    ticket_page,
    translator,
)

WEB = Channel.WEB
Form = dict[str, str]
Do = Callable[[Services, Person, int, Form], Awaitable[object]]


class BadInput(ServiceError):
    """A form field that is missing or malformed: said in the viewer's language."""


# The services' refusals whose chat words name what a web page has not (/cancel).
WEB_KEYS = {"input-too-long": "door-input-too-long"}


def _text(form: Form, name: str, *, required: bool, key: str) -> str:
    # A browser sends a textarea's line breaks as CRLF but counts them as one character for
    # its maxlength: a note the form let through was refused as too long, its \r passed on.
    value = form.get(name, "").replace("\r\n", "\n").strip()
    if required and not value:
        raise BadInput(key)
    return value


def _number(form: Form, name: str, key: str) -> int:
    raw = form.get(name, "").strip().lstrip("#")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise BadInput(key)
    return int(raw)


async def _take(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    return await s.ticket_actions.take(p, ticket_id, door=WEB)


async def _assign(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    assignee = _number(form, "person", "console-assign-choose")
    return await s.assigning.assign(p, ticket_id, assignee, door=WEB)


async def _reply(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    text = _text(form, "text", required=True, key="console-reply-empty")
    # The form's one-time key: a double click, or the browser sending it again, replies once.
    once = form.get("once", "")[:ONCE_LIMIT] or None
    return await s.ticket_actions.reply(p, ticket_id, Content(text=text, once=once), door=WEB)


async def _resolve(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    note = _text(form, "note", required=False, key="")
    return await s.ticket_actions.resolve(p, ticket_id, note, door=WEB)


async def _escalate(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    reason = _text(form, "reason", required=False, key="")
    return await s.ticket_actions.escalate(p, ticket_id, reason, door=WEB)


async def _merge(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    into = _number(form, "into", "console-merge-number")
    return await s.ticket_actions.merge(p, ticket_id, into, door=WEB)


async def _whistle(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    code = _text(form, "department", required=True, key="console-whistle-choose")
    return await s.whistle.forward(p, ticket_id, code, door=WEB)


async def _whistle_answer(s: Services, p: Person, ticket_id: int, form: Form) -> object:
    answer = _text(form, "answer", required=True, key="whistle-answer-empty")
    return await s.whistle.record_answer(p, ticket_id, answer, door=WEB)


DO: dict[Action, Do] = {
    Action.TAKE: _take,
    Action.ASSIGN: _assign,
    Action.REPLY: _reply,
    Action.RESOLVE: _resolve,
    Action.ESCALATE: _escalate,
    Action.MERGE: _merge,
    Action.WHISTLE: _whistle,
    Action.WHISTLE_ANSWER: _whistle_answer,
}


async def ticket_action(request: web.Request) -> web.StreamResponse:
    viewer = await console_viewer(request)
    action = ACTION_NAMES.get(request.match_info["action"])
    found = await staff_person(request, viewer)
    if action is None or found is None:
        return missing(request, viewer)
    ticket_id, person = found
    posted = await request.post()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    htmx = is_htmx(request)
    try:
        await DO[action](request.app[CONSOLE].services, person, ticket_id, form)
    except ServiceError as error:
        t = translator(request, viewer)
        text = t(WEB_KEYS.get(error.key, error.key), **error.args_)
        # htmx swaps only a 2xx answer: the refusal comes as the ticket part with its notice.
        status = 200 if htmx else 409
        return await render_ticket(request, viewer, ("error", text), status=status, fragment=htmx)
    if htmx:
        return await render_ticket(
            request, viewer, ("ok", "console-done-" + action.value), fragment=True
        )
    raise web.HTTPSeeOther(f"/console/tickets/{ticket_id}?done={action.value}")


def routes(app: web.Application) -> None:
    """The ticket page, its files and its actions."""
    app.router.add_get("/console/tickets/{ticket_id}", ticket_page)
    app.router.add_get("/console/tickets/{ticket_id}/files/{index}", ticket_file)
    app.router.add_post("/console/tickets/{ticket_id}/{action}", ticket_action)
