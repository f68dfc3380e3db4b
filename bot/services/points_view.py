"""The points bank in words: a ledger entry's reason ("confirmed fix, ticket #12") and the
statement /points shows."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.points import Statement
from storage.models import PointsEntry, PointsReason, RewardItem

MAX_OFFERED = 20  # catalogue items with a button


def _number(reference: str, prefix: str) -> str | None:
    head, _, tail = reference.partition(":")
    return tail.split(":")[0] if head == prefix and tail else None


def reason_words(t: Translator, entry: PointsEntry) -> str:
    reference = entry.reference
    if entry.reason is PointsReason.FIX and (number := _number(reference, "ticket")):
        return t("points-reason-fix", number=number)
    if entry.reason is PointsReason.REDEMPTION and (number := _number(reference, "redemption")):
        return t("points-reason-redemption", number=number)
    if entry.reason is PointsReason.SERVICE_HOURS:
        hours = f"{entry.quantity:g}" if entry.quantity is not None else "—"
        return t("points-reason-hours", hours=hours)
    if entry.reason is PointsReason.VOTE:
        return t("points-reason-vote")
    return t("points-reason-other", reason=entry.reason.value, reference=reference or "—")


def entry_line(t: Translator, entry: PointsEntry, zone: ZoneInfo) -> str:
    points = f"+{entry.points}" if entry.points > 0 else str(entry.points)
    day = entry.created_at.astimezone(zone).strftime("%Y-%m-%d")
    return t("points-entry-line", points=points, date=day, reason=reason_words(t, entry))


def item_line(t: Translator, item: RewardItem) -> str:
    return t("points-item-line", name=item.name, price=item.price, stock=item.stock)


def statement_text(t: Translator, statement: Statement, zone: ZoneInfo) -> str:
    lines = [t("points-balance", balance=statement.balance), ""]
    if statement.entries:
        lines.append(t("points-last-title", count=len(statement.entries)))
        lines += [entry_line(t, e, zone) for e in statement.entries]
    else:
        lines.append(t("points-no-entries"))
    lines.append("")
    if statement.catalogue:
        lines.append(t("points-catalogue-title"))
        lines += [item_line(t, i) for i in statement.catalogue]
    else:
        lines.append(t("points-catalogue-empty"))
    return "\n".join(lines)
