"""The one length rule (bot/text.py): UTF-16 units as Telegram counts them, a visible cut that
never breaks a character or a grapheme, and a lossless splitter that prefers good break points."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Translations
from bot.text import (
    FLUENT_LIMIT,
    clip,
    cut,
    fits,
    is_boundary,
    message_parts,
    pack,
    split,
    utf16_len,
)

EMOJI = "😀"  # outside the BMP: 2 units
THUMB = "👍🏽"  # an emoji and its skin tone: one grapheme, 4 units
FAMILY = "👨\u200d👩\u200d👧"  # a ZWJ sequence: one grapheme, 8 units
FLAG = "🇨🇳"  # two regional indicators: one grapheme, 4 units
ACCENT = "e\u0301"  # e + combining acute: one grapheme


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("abc", 3), ("楼长", 2), (EMOJI, 2), (THUMB, 4), (FAMILY, 8), (FLAG, 4)],
)
def test_utf16_len_counts_what_telegram_counts(text: str, expected: int) -> None:
    assert utf16_len(text) == expected == units(text)


@settings(max_examples=300, deadline=None, database=None)
@given(text=st.text(st.characters(codec=None, exclude_categories=()), max_size=200))
def test_utf16_len_is_one_unit_a_code_point_two_beyond_the_bmp(text: str) -> None:
    # Any string Python holds, lone surrogates too (counted by encoding, not by a loop).
    assert utf16_len(text) == len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
    assert utf16_len("a\ud800" + text) == 2 + utf16_len(text)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),  # fits: unchanged, no mark
        ("hello world", 11, "hello world"),
        ("hello world", 8, "hello w…"),
        ("hello world", 7, "hello…"),  # the space before the mark goes
        (EMOJI * 5, 6, EMOJI * 2 + "…"),  # never half an emoji: 5 units, not 6
        ("ab" + THUMB + "cd", 5, "ab…"),  # the skin tone stays with its hand
        ("a" + FAMILY + "b", 8, "a…"),  # a family is not cut into people
        (FLAG * 3, 10, FLAG * 2 + "…"),  # flags stay pairs
        ("caf" + ACCENT + "s", 5, "caf…"),  # the accent stays on its letter
        ("楼长制度", 3, "楼长…"),
    ],
)
def test_cut_marks_and_keeps_graphemes(text: str, limit: int, expected: str) -> None:
    result = cut(text, limit)
    assert result == expected
    assert utf16_len(result) <= limit


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Wang", 4, "Wang"),  # fits: unchanged
        ("Wang Wei", 4, "Wang"),  # no mark: a name is kept as it is
        ("ab" + THUMB, 3, "ab"),  # 3 code points would keep the hand without its tone
        ("a" + FAMILY, 4, "a"),  # nor half a family
        ("a" + FAMILY, 6, "a" + FAMILY),
        ("a" + FLAG * 2, 4, "a" + FLAG),  # flags stay pairs
        ("caf" + ACCENT, 4, "caf"),  # the accent stays on its letter
    ],
)
def test_clip_counts_code_points_and_keeps_graphemes(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, ["short"]),
        ("", 10, [""]),
        # A paragraph first, then a line, then a sentence, then a space, else a hard cut.
        ("aaaa bbb\n\ncc dd ee", 14, ["aaaa bbb\n\n", "cc dd ee"]),
        ("aaaa. bbb\ncc dd", 12, ["aaaa. bbb\n", "cc dd"]),
        ("Hello there. General Kenobi", 16, ["Hello there. ", "General Kenobi"]),
        ("这是第一句。这是第二句", 8, ["这是第一句。", "这是第二句"]),
        ("one two three four", 10, ["one two ", "three four"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        (EMOJI * 3, 4, [EMOJI * 2, EMOJI]),
        ("ab" + THUMB + THUMB, 7, ["ab" + THUMB, THUMB]),
        # A break point in the first half of the room is not taken: no needlessly short part.
        ("a\n" + "b" * 20, 10, ["a\nbbbbbbbb", "b" * 10, "bb"]),
    ],
)
def test_split_prefers_good_break_points(text: str, limit: int, expected: list[str]) -> None:
    assert split(text, limit) == expected


def test_split_telegrams_maximum() -> None:
    text = EMOJI * 2048  # 4096 units: one message, as it came
    assert split(text) == [text]
    header = "💬 Resident, ticket #1 (reply to this message to answer):\n"
    parts = split(header + text)
    assert "".join(parts) == header + text
    assert [utf16_len(p) for p in parts] == [4096, utf16_len(header)]
    assert parts[0].startswith(header)


def test_message_parts_drop_what_telegram_trims() -> None:
    assert message_parts("a" * 6 + "\n\n\n\n" + "b" * 3, 8) == ["aaaaaa", "bbb"]
    assert message_parts("   \n  ", 8) == []


def test_pack_joins_lines_into_few_messages() -> None:
    assert pack(["aa", "bb", "cc"], 5) == ["aa\nbb", "cc"]
    assert pack(["a" * 12], 5) == ["aaaaa", "aaaaa", "aa"]
    assert pack([]) == []
    lines = [f"{i:03d} " + EMOJI * 50 for i in range(200)]  # 104 units each
    chunks = pack(lines)
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == "\n".join(lines)  # in order, nothing lost
    assert len(chunks) == 6  # 39 lines a message


def test_split_refuses_a_limit_smaller_than_a_character() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        split(EMOJI, 1)


# --- properties --------------------------------------------------------------------------------

# Text with what breaks naive cutting: emoji, skin tones, joiners, flags, accents, CJK, line
# breaks and spaces, in runs.
PIECES = st.sampled_from(
    [EMOJI, THUMB, FAMILY, FLAG, ACCENT, "楼", "。", ". ", " ", "\n", "\n\n", "a", "é", "\r\n"]
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(PIECES, max_size=400).map("".join),
)


@settings(max_examples=300, deadline=None, database=None)
@given(text=TEXTS, limit=st.integers(min_value=2, max_value=120))
def test_split_is_lossless_and_within_the_limit(text: str, limit: int) -> None:
    parts = split(text, limit)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= limit for p in parts)
    assert all(p for p in parts) or parts == [""]
    for part in parts:
        part.encode("utf-16-le")  # no lone surrogate: raises if there is one
    # Cuts fall between graphemes, unless one grapheme is longer than a whole part.
    at = 0
    for part in parts[:-1]:
        at += len(part)
        assert is_boundary(text, at) or not fits(_grapheme_at(text, at), limit)


def _grapheme_at(text: str, index: int) -> str:
    start = index
    while start > 0 and not is_boundary(text, start):
        start -= 1
    end = index
    while end < len(text) and not is_boundary(text, end):
        end += 1
    return text[start:end]


@settings(max_examples=300, deadline=None, database=None)
@given(text=TEXTS, limit=st.integers(min_value=2, max_value=120))
def test_cut_is_a_marked_prefix_within_the_limit(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert utf16_len(result) <= limit
    if fits(text, limit):
        assert result == text
    else:
        assert result.endswith("…")
        assert text.startswith(result[:-1])
        at = len(result) - 1
        assert is_boundary(text, at) or not fits(_grapheme_at(text, at), limit - 1)


@settings(max_examples=100, deadline=None, database=None)
@given(lines=st.lists(TEXTS, max_size=30), limit=st.integers(min_value=2, max_value=200))
def test_pack_keeps_every_line_in_order(lines: list[str], limit: int) -> None:
    chunks = pack(lines, limit)
    assert all(utf16_len(c) <= limit for c in chunks)
    squeeze = "".join("".join(lines).split())
    assert "".join("".join(chunks).split()) == squeeze  # nothing lost but white space


# --- Fluent -------------------------------------------------------------------------------------


def test_a_long_fluent_argument_is_cut_visibly_never_question_marks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """fluent.runtime prints "{???}" for a placeable over 2,500 characters; the bot composes
    user text outside Fluent, and a call site that forgets gets a marked beginning and an
    error in the log, not "{???}"."""
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    text = Translations().get("en", "card-reporter", name="x" * 3000)
    assert "{???}" not in text
    assert text.endswith("…") and utf16_len(text) <= FLUENT_LIMIT + 10
    assert any("too long for Fluent" in r.getMessage() for r in caplog.records)
