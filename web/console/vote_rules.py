"""The Votes page's section of a community's own vote rules: every rule with its thresholds,
whether it is retired and how many votes used it; the office (an admin, a coordinator of the
whole community) adds one or retires one. A rule is never edited: a vote keeps the thresholds
it was opened with. htmx posts swap the section in place (a refusal comes as the section with
its notice, since htmx swaps only a 2xx answer); without htmx, post/redirect/get."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.i18n import Translator
from bot.services.errors import InputRefused, ServiceError
from bot.services.vote_view import rule_text
from web.console.guard import CONSOLE, console_viewer, is_htmx, render_console
from web.console.refusal import form_int, refusal
from web.console.viewer import Viewer
from web.pages import TRANSLATIONS, visitor_language

SECTION = "console/vote_rules.html"


def translator(request: web.Request, viewer: Viewer) -> Translator:
    return request.app[TRANSLATIONS].bind(viewer.language or visitor_language(request))


async def rules_context(
    request: web.Request,
    viewer: Viewer,
    community_id: int | None,
    *,
    notice: tuple[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The section's context: the community chosen (else the first covered), its rules."""
    services = request.app[CONSOLE].services
    communities = await services.desk.communities(viewer.coverage)
    if not communities:
        return {"rule_community": None}
    community = next((c for c in communities if c.id == community_id), communities[0])
    t = translator(request, viewer)
    lines = await services.vote_rules.listed(viewer.coverage, community.id)
    return {
        "rule_communities": communities,
        "rule_community": community,
        "rule_lines": [(line, rule_text(t, line.rule)) for line in lines],
        "rules_editable": services.vote_rules.may_change(viewer.coverage, community.id),
        "rule_notice": notice,
        "rule_typed": typed or {},
    }


async def rule_change(request: web.Request) -> web.Response:
    viewer = await console_viewer(request)
    book = request.app[CONSOLE].services.vote_rules
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    action = form.get("action", "")
    htmx = is_htmx(request)
    t = translator(request, viewer)
    typed: dict[str, str] = {}
    community_id: int | None = None
    try:
        community_id = form_int(form.get("community"))
        if action == "add":
            typed = {k: form.get(k, "") for k in ("name", "turnout", "approve")}
            row = await book.define(
                viewer.coverage,
                viewer.person_id,
                community_id,
                typed["name"],
                typed["turnout"],
                typed["approve"],
                approve_strict=form.get("approve_strict") == "1",
                turnout_strict=form.get("turnout_strict") == "1",
            )
            notice = ("ok", t("vote-rule-added", name=row.name))
        elif action == "retire":
            row = await book.retire(viewer.coverage, form_int(form.get("rule")), community_id)
            notice = ("ok", t("vote-rule-retired-done", name=row.name))
        else:
            raise ServiceError("not-allowed")
    except ServiceError as error:
        if not isinstance(error, InputRefused) and error.key != "vote-rule-retired":
            return refusal(request, viewer, error, "votes")
        text = t(error.key, **error.args_)
        context = await rules_context(
            request, viewer, community_id, notice=("error", text), typed=typed
        )
        if htmx:  # htmx swaps only a 2xx answer: the refusal comes as the section
            return render_console(request, viewer, SECTION, context)
        return await _whole_page(request, viewer, context, status=400)
    if htmx:
        context = await rules_context(request, viewer, community_id, notice=notice)
        return render_console(request, viewer, SECTION, context)
    raise web.HTTPSeeOther(f"/console/votes?community={community_id}#vote-rules")


async def _whole_page(
    request: web.Request, viewer: Viewer, context: dict[str, Any], *, status: int
) -> web.Response:
    from web.console.votes import page_context

    return render_console(
        request,
        viewer,
        "console/votes.html",
        {**await page_context(request, viewer), **context},
        status=status,
    )


def routes(app: web.Application) -> None:
    app.router.add_post("/console/votes/rules", rule_change)
