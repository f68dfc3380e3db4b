"""The numbers in the ids the doors give their choices (a ticket's, a ballot's, an activity's, a
flat's…): ASCII digits, as the bot writes them. ``str.isdigit()`` also says yes to "²" or "④",
which ``int()`` cannot read, so a forged id must be read here to parse to None, not raise."""

from __future__ import annotations

# More digits than any id the database hands out: a longer number is no id of ours.
ID_DIGITS = 12
# The largest id an INTEGER column holds (PostgreSQL's int4): a bigger number bound to a query
# fails the statement itself ("out of int32 range"), a server error instead of "no such id".
MAX_ID = 2**31 - 1


def choice_number(text: str, digits: int = ID_DIGITS) -> int | None:
    """The number ``text`` is, written in at most ``digits`` ASCII digits and at most
    ``MAX_ID``; else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > digits:
        return None
    number = int(text)
    return number if number <= MAX_ID else None
