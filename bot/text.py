"""One length rule for everything the bot composes: Telegram counts UTF-16 code units (an emoji
outside the BMP is 2), a text may have 4096 of them and a caption 1024. Text is measured here, cut
here (visibly, with "…", never inside a surrogate pair or a grapheme) and split here into several
messages, so no part of the bot counts Python characters against Telegram's limits. WeChat counts
a customer-service text in UTF-8 bytes (``utf8=True``: a Chinese character is 3, an emoji 4). No
aiogram import: services and the outbox writers use it."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# A WeChat customer-service text: UTF-8 bytes (WeChat refuses a longer one with 45002).
WECHAT_TEXT_LIMIT = 2048
# fluent.runtime replaces a placeable longer than this many (Python) characters with "{???}"
# (MAX_PART_LENGTH in fluent/runtime/resolver.py, the "billion laughs" guard).
FLUENT_LIMIT = 2500
ELLIPSIS = "…"

ZWJ = "\u200d"
# Where a part should end, best first: after a paragraph, a line, a sentence, a clause, a space.
# A break is looked for in the second half of the room only, so no part is needlessly short.
SENTENCE_ENDS = frozenset(".!?。！？…")
CLAUSE_ENDS = frozenset(",;:，；：、")
CLOSERS = frozenset("\"')]}”’）】」』")


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units. Counted by encoding (in C, ~20 × faster
    than a loop over the characters: a card measures its text several times): two bytes a
    unit; "surrogatepass" counts a lone surrogate, which a Python string may hold, as one."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf8_len(text: str) -> int:
    """The length WeChat counts: UTF-8 bytes (a Chinese character is 3, an emoji 4)."""
    return len(text.encode("utf-8", "surrogatepass"))


def fits(text: str, limit: int, *, utf8: bool = False) -> bool:
    """Whether ``text`` is at most ``limit`` UTF-16 units (Telegram's measure), or with
    ``utf8`` at most ``limit`` UTF-8 bytes (WeChat's)."""
    return (utf8_len(text) if utf8 else utf16_len(text)) <= limit


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _bytes(char: str) -> int:
    return len(char.encode("utf-8", "surrogatepass"))


def _prefix(text: str, limit: int, *, utf8: bool = False) -> int:
    """The longest prefix (in characters) of at most ``limit`` UTF-16 units (or UTF-8 bytes):
    never half of a surrogate pair, since a Python character is a whole code point."""
    size = _bytes if utf8 else _units
    used = 0
    for index, char in enumerate(text):
        used += size(char)
        if used > limit:
            return index
    return len(text)


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    """A character that belongs to the grapheme before it: combining marks, variation
    selectors, emoji skin tones and tags, a joiner, Hangul vowel and final jamo."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0x1160 <= code <= 0x11FF
        or 0xD7B0 <= code <= 0xD7FF
    )


def is_boundary(text: str, index: int) -> bool:
    """Whether ``text`` may be cut before ``text[index]`` without breaking a grapheme (an
    approximation of UAX #29 good enough for what people type: accents, emoji sequences, flags,
    CR LF)."""
    if index <= 0 or index >= len(text):
        return True
    before, char = text[index - 1], text[index]
    if before == "\r" and char == "\n":
        return False
    if _extends(char) or before == ZWJ:
        return False
    if _regional(before) and _regional(char):
        # Flags are pairs: a boundary only after an even number of regional indicators.
        run = 0
        while index - run - 1 >= 0 and _regional(text[index - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _back_to_boundary(text: str, index: int) -> int:
    start = index
    while index > 0 and not is_boundary(text, index):
        index -= 1
    # One "grapheme" longer than the whole room (thousands of combining marks): cut anyway,
    # still between code points.
    return index or start


def blank(text: str) -> bool:
    """Nothing a reader would see: white space, control characters and invisible format
    characters (zero-width spaces and joiners, a byte-order mark) only."""
    return all(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in text)


def one_line(text: str) -> str:
    """A name as the office types it, as stored: spaces folded, and the control characters a
    form can carry (a NUL, a bell) left out, so a name of nothing but those is empty."""
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    return " ".join(kept.split())


def clip(text: str, limit: int) -> str:
    """The longest beginning of ``text`` of at most ``limit`` characters (code points) that
    ends at a grapheme boundary, with no mark: for a name or a short field kept or shown as
    it is (a family emoji, a skin tone, a flag or an accent is kept whole or left out)."""
    if len(text) <= limit:
        return text
    return text[: _back_to_boundary(text, max(limit, 0))]


def cut(text: str, limit: int, mark: str = ELLIPSIS, *, utf8: bool = False) -> str:
    """``text`` if it fits in ``limit`` units (``utf8``: bytes), else its beginning ending with
    ``mark`` (a cut is never silent), within ``limit``, at a grapheme boundary."""
    if fits(text, limit, utf8=utf8):
        return text
    room = limit - (utf8_len(mark) if utf8 else utf16_len(mark))
    if room <= 0:
        mark, room = "", limit
    end = _back_to_boundary(text, _prefix(text, room, utf8=utf8))
    return text[:end].rstrip() + mark


def _last_break(text: str, floor: int, end: int) -> int | None:
    """The best place at or before ``end`` (and after ``floor``) to end a part."""
    window = text[:end]
    for separator in ("\n\n", "\n"):
        found = window.rfind(separator, floor)
        if found >= 0 and found + len(separator) > floor:
            return found + len(separator)
    for ends in (SENTENCE_ENDS, CLAUSE_ENDS):
        for index in range(end, floor, -1):
            before = text[index - 1]
            after = text[index] if index < len(text) else " "
            if before in CLOSERS and index - 2 >= 0 and text[index - 2] in ends:
                before = text[index - 2]
            if before in ends and (after.isspace() or ord(before) > 0x2000 or after in CLOSERS):
                while index < end and text[index].isspace():
                    index += 1
                return index
    for index in range(end, floor, -1):
        if text[index - 1].isspace():
            return index
    return None


def split(text: str, limit: int = TEXT_LIMIT, *, utf8: bool = False) -> list[str]:
    """``text`` in consecutive parts of at most ``limit`` units (``utf8``: bytes) each;
    ``"".join(parts) == text``. Parts end after a paragraph, a line, a sentence, a clause or a
    space where one is found in the second half of the room, else at a grapheme boundary.
    ``limit`` is at least the size of any one character (2 units, 4 bytes)."""
    if limit < (4 if utf8 else 2):
        raise ValueError(f"a part of {limit} units cannot hold every character")
    parts: list[str] = []
    rest = text
    while not fits(rest, limit, utf8=utf8):
        end = _prefix(rest, limit, utf8=utf8)
        at = _last_break(rest, end // 2, end)
        if at is None or not is_boundary(rest, at):
            at = _back_to_boundary(rest, end)
        parts.append(rest[:at])
        rest = rest[at:]
    if rest or not parts:
        parts.append(rest)
    return parts


def message_parts(text: str, limit: int = TEXT_LIMIT, *, utf8: bool = False) -> list[str]:
    """The messages that carry ``text``: its parts without the white space Telegram would trim
    anyway, blank parts left out."""
    return [part for part in (p.strip() for p in split(text, limit, utf8=utf8)) if part]


def pack(lines: Iterable[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Lines joined with newlines into as few messages of at most ``limit`` units as they go
    in, in order; a line longer than a message is split like any text."""
    chunks: list[str] = []
    current: list[str] = []
    used = -1  # the units of "\n".join(current)
    for line in lines:
        for piece in split(line, limit):
            size = utf16_len(piece)
            if current and used + 1 + size > limit:
                chunks.append("\n".join(current))
                current, used = [], -1
            current.append(piece)
            used += 1 + size
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in (c.strip() for c in chunks) if chunk]
