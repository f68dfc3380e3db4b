"""How a vote's figures read: the result with each threshold against its figure, and the
organiser's progress line. Figures only; never a flat's or a person's choice."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.services.vote_rules import Rule, fraction_text, rule_of
from storage.models import Building, Vote


def labels(t: Translator, vote: Vote) -> list[str]:
    """The options as this reader reads them: Yes / No in their language, else as written."""
    return [t("vote-yes"), t("vote-no")] if vote.yes_no else list(vote.options)


def need_text(share: object, strict: bool) -> str:
    """ "≥ 2/3" or "> 1/2": how every threshold reads, in either language."""
    return ("> " if strict else "≥ ") + str(share)


def rule_text(t: Translator, rule: Rule) -> str:
    """The rule line: a preset's own wording, or a community's rule by its name with each
    threshold."""
    if not rule.custom:
        return t(f"vote-rule-{rule.name}")
    return t(
        "vote-rule-custom",
        name=rule.name,
        turnout=need_text(fraction_text(rule.turnout), rule.turnout_strict),
        approve=need_text(fraction_text(rule.approve), rule.approve_strict),
    )


def rule_name(t: Translator, rule: Rule) -> str:
    """The rule's short name (a button, a table cell)."""
    return rule.name if rule.custom else t(f"vote-btn-{rule.name}")


def rule_line(t: Translator, vote: Vote) -> str:
    """The rule a vote was opened with: its kept thresholds, whatever its community's rules
    say now."""
    return rule_text(t, rule_of(vote.rule, vote.rule_spec))


def area(centi: int) -> str:
    """Centi-m² as m² with two decimals, exactly."""
    return f"{centi // 100}.{centi % 100:02d}"


def share(figure: int, total: int) -> str:
    """A percentage with one decimal, rounded half up in integers."""
    if total <= 0:
        return "0.0%"
    permille = (figure * 2000 + total) // (2 * total)
    return f"{permille // 10}.{permille % 10}%"


def _figure(key: str, value: int) -> str:
    return area(value) if key.endswith("-area") else str(value)


def threshold_lines(t: Translator, figures: dict[str, Any]) -> list[str]:
    lines = []
    for item in figures["thresholds"]:
        key = item["key"]
        lines.append(
            t(
                "vote-threshold",
                label=t(f"vote-{key}"),
                figure=_figure(key, item["figure"]),
                total=_figure(key, item["total"]),
                share=share(item["figure"], item["total"]),
                need=need_text(item["need"], item["strict"]),
                met=t("vote-met" if item["met"] else "vote-not-met"),
            )
        )
    return lines


def tally_lines(t: Translator, vote: Vote, figures: dict[str, Any]) -> list[str]:
    return [
        t("vote-tally", option=option, owners=str(tally["owners"]), area=area(tally["area"]))
        for option, tally in zip(labels(t, vote), figures["tallies"], strict=True)
    ]


def render_result(t: Translator, vote: Vote, building: Building, figures: dict[str, Any]) -> str:
    if figures["passed"]:
        winner = labels(t, vote)[figures["winner"]]
        verdict = t("vote-passed", option=winner)
    else:
        verdict = t("vote-not-passed")
    lines = [
        t("vote-result-head", building=building.name, question=vote.question),
        verdict,
        rule_line(t, vote),
        *threshold_lines(t, figures),
        *tally_lines(t, vote, figures),
    ]
    return "\n".join(lines)


def render_progress(t: Translator, vote: Vote, building: Building, figures: dict[str, Any]) -> str:
    """The organiser's view of an open vote: turnout so far (tallies only after it closed,
    so early figures do not sway the rest)."""
    turnout = [x for x in figures["thresholds"] if x["key"].startswith("turnout")]
    lines = [
        t("vote-progress-head", building=building.name, question=vote.question),
        rule_line(t, vote),
        *threshold_lines(t, {"thresholds": turnout}),
    ]
    return "\n".join(lines)
