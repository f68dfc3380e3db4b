"""/console/votes: the building votes of the area the viewer covers now (a coordinator or admin
their area, a head their buildings): building, question, rule, deadline, status; a vote's page
with the turnout while it is open and, once closed, the result with each threshold against its
figure and the tallies per option (what /vote shows the organiser, never who voted what); and a
closed vote's sheet for the street office as CSV or XLSX (the CLI's export-vote)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from aiohttp import web

from bot.services.cards import local_time
from bot.services.errors import ServiceError
from bot.services.vote_rules import rule_of
from bot.services.vote_view import labels, rule_line, rule_name, tally_lines, threshold_lines
from web.console.exports import TYPES
from web.console.guard import CONSOLE, console_viewer, render_console
from web.console.refusal import form_int, refusal
from web.console.viewer import Viewer
from web.console.vote_rules import rules_context
from web.pages import TRANSLATIONS, visitor_language


async def page_context(request: web.Request, viewer: Viewer) -> dict[str, Any]:
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    listed = await request.app[CONSOLE].services.office_votes.listed(viewer.coverage)
    rows = [
        (
            vote,
            building,
            local_time(vote.deadline, community),
            rule_name(t, rule_of(vote.rule, vote.rule_spec)),
        )
        for vote, building, community in listed
    ]
    return {"section": "votes", "rows": rows}


async def votes_page(request: web.Request) -> web.Response:
    """The votes, then the community's own rules (``?community=`` picks one of several)."""
    viewer = await console_viewer(request)
    raw = request.query.get("community")
    try:
        community_id = form_int(raw) if raw else None
        rules = await rules_context(request, viewer, community_id)
    except ServiceError as error:
        return refusal(request, viewer, error, "votes")
    context = {**await page_context(request, viewer), **rules}
    return render_console(request, viewer, "console/votes.html", context)


async def vote_page(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    try:
        found = await request.app[CONSOLE].services.office_votes.vote(
            viewer.coverage, form_int(request.match_info["vote_id"])
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "votes")
    figures = found.figures
    verdict = None
    if found.closed:
        winner = labels(t, found.vote)[figures["winner"]] if figures["passed"] else ""
        verdict = t("vote-passed", option=winner) if figures["passed"] else t("vote-not-passed")
    context = {
        "section": "votes",
        "found": found,
        "deadline": local_time(found.vote.deadline, found.community),
        "rule": rule_line(t, found.vote),
        "verdict": verdict,
        "thresholds": threshold_lines(t, figures),
        "tallies": tally_lines(t, found.vote, figures) if found.closed else [],
    }
    return render_console(request, viewer, "console/vote.html", context)


async def vote_download(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    kind = request.match_info["kind"]
    t = request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))
    try:
        vote_id = form_int(request.match_info["vote_id"])
        rows = await request.app[CONSOLE].services.office_votes.export_rows(
            viewer.coverage, vote_id
        )
    except ServiceError as error:
        return refusal(request, viewer, error, "votes")
    from bot.documents.vote_sheet import vote_file  # openpyxl with it: only for a download

    # Written in a thread: the bot keeps answering.
    body = await asyncio.to_thread(partial(vote_file, t, *rows, kind=kind))
    response = web.Response(body=body, content_type=TYPES[kind].split(";")[0])
    response.headers["Content-Type"] = TYPES[kind]
    response.headers["Content-Disposition"] = f'attachment; filename="vote-{vote_id}.{kind}"'
    return response


def routes(app: web.Application) -> None:
    app.router.add_get("/console/votes", votes_page)
    app.router.add_get("/console/votes/{vote_id}", vote_page)
    app.router.add_get("/console/votes/{vote_id}/export.{kind:csv|xlsx}", vote_download)
