"""How a vote's figures read: the result with each threshold against its figure, and the
organiser's progress line. Figures only; never a flat's or a person's choice."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from storage.models import Building, Vote


def labels(t: Translator, vote: Vote) -> list[str]:
    """The options as this reader reads them: Yes / No in their language, else as written."""
    return [t("vote-yes"), t("vote-no")] if vote.yes_no else list(vote.options)


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
                need=("> " if item["strict"] else "≥ ") + item["need"],
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
        t(f"vote-rule-{vote.rule}"),
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
        t(f"vote-rule-{vote.rule}"),
        *threshold_lines(t, {"thresholds": turnout}),
    ]
    return "\n".join(lines)
