"""bench.throughput's "Send → head's card" matching, on a made-up list of calls: the ticket's
number is the one the bot told the resident after Send (Fluent's ``report-sent``, digits
grouped), the card is the first one in the chat of that resident's building's head whose title
carries that number, and nothing served before the press counts. Not a timing: the latencies
are the made-up call times' differences."""

from __future__ import annotations

from typing import Any

import pytest

from bench import workload
from bench.throughput import Tracker, card_latencies
from bot.i18n import Translations
from tests.fakeapi import ApiCall

HEAD_1, HEAD_2 = 2_000_001, 2_000_002
A, B, C, D, E, F = range(1_000_001, 1_000_007)
HEADS = {A: HEAD_1, B: HEAD_1, C: HEAD_2, D: HEAD_2, E: HEAD_2, F: HEAD_1}
T = Translations()


def told(chat: int, number: int, at: float, language: str = "zh-hans") -> ApiCall:
    text = T.get(language, "report-sent", number=number, building="基准小区1栋", who="楼长")
    return ApiCall("sendMessage", {"chat_id": chat, "text": text}, at)


def card(chat: int, number: int, at: float, method: str = "sendMessage") -> ApiCall:
    text = f"🔧 维修 · #{number}\n🏠 基准社区 基准小区1栋，房号 3-201\n状态：新建"
    return ApiCall(method, {"chat_id": chat, "text": text, "message_id": 5}, at)


def send(actor: int, n: int) -> workload.Item:
    step = workload.Step_("callback", "report-button", workload.SEND)
    return workload.Item(actor, step, {"callback_query": {"id": f"send-{n}"}}, HEADS[actor])


def other(actor: int, n: int) -> workload.Item:
    step = workload.Step_("message", "report-message", "/report")
    return workload.Item(actor, step, {"message": {"message_id": n}}, HEADS[actor])


def run() -> tuple[list[workload.Item], list[int], dict[int, float], list[ApiCall]]:
    items = [other(A, 0), send(A, 1), send(B, 2), send(C, 3), send(D, 4), send(E, 5), send(F, 6)]
    ids = list(range(100, 100 + len(items)))
    served = {100: 9.0, 101: 10.0, 102: 10.1, 103: 10.0, 104: 10.0, 105: 10.0, 106: 10.0}
    calls = [
        ApiCall("answerCallbackQuery", {"callback_query_id": "send-1"}, 10.05),
        ApiCall("editMessageReplyMarkup", {"chat_id": A, "message_id": 3}, 10.1),
        told(A, 7, 10.2),
        # B's card comes before B is told its number: still B's card.
        card(HEAD_1, 8, 10.3),
        told(B, 8, 10.5, "en"),
        # A card for #7 in another head's chat is not A's head's card.
        card(HEAD_2, 7, 10.6),
        card(HEAD_1, 7, 10.9, "editMessageText"),
        # C: #1,234 as Fluent writes it; #12345 and #123 are other tickets.
        told(C, 1234, 10.2),
        card(HEAD_2, 12345, 10.4),
        card(HEAD_2, 123, 10.5),
        card(HEAD_2, 1234, 11.5),
        # D: a card with its number served before the press does not count.
        told(D, 10, 10.3),
        card(HEAD_2, 10, 9.5),
        card(HEAD_2, 10, 12.0),
        # E is told #11, no card ever comes; F is never told a number.
        told(E, 11, 10.4),
        ApiCall("sendMessage", {"chat_id": F, "text": "出了点问题"}, 10.4),
        card(HEAD_1, 12, 10.8),
    ]
    return items, ids, served, calls


def test_each_send_is_matched_to_its_heads_first_card_with_its_number() -> None:
    items, ids, served, calls = run()

    cards = card_latencies(items, ids, served, calls)

    assert cards.expected == 6  # the Send presses, not the /report
    assert cards.numbered == 5  # F was never told a number
    assert cards.latencies == {
        1: pytest.approx(900.0),  # A: 10.0 → 10.9 (the edit in HEAD_1's chat)
        2: pytest.approx(200.0),  # B: 10.1 → 10.3, before B's own answer
        3: pytest.approx(1500.0),  # C: #1,234 → "#1234", not #12345 or #123
        4: pytest.approx(2000.0),  # D: the card at 12.0, not the one at 9.5
    }
    assert cards.not_arrived == 2  # E (no card) and F (no number)


def test_the_run_waits_for_the_cards_the_matching_would_find() -> None:
    items, ids, served, calls = run()
    # As they would arrive during the run (it watches from the feed's start on).
    calls = sorted((c for c in calls if c.time >= 10.0), key=lambda c: c.time)
    tracker = Tracker(items)
    tracker.active = True
    seen: list[bool] = []
    for call in calls:
        tracker(call.method, call.params, call.time)
        seen.append(tracker.cards_complete())
    assert not any(seen)  # E's and F's cards never come
    assert tracker.last_card == 12.0

    # Without E and F, the run is complete exactly when D's card (the last) has come.
    tracker = Tracker(items[:5])
    tracker.active = True
    complete_at: list[Any] = []
    for call in calls:
        tracker(call.method, call.params, call.time)
        if tracker.cards_complete() and not complete_at:
            complete_at.append(call.time)
    assert complete_at == [12.0]
