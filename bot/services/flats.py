"""Flat numbers as residents write them: 502, 3-502, 2单元502, B座1203."""

from __future__ import annotations

import re

from bot.services.errors import InputRefused

FLAT_MAX = 16
_FLAT_RE = re.compile(r"^[\w\-/#() ]{1,16}$")


def clean_flat(flat: str) -> str:
    """The flat with its spaces tidied, or InputRefused("flat-invalid")."""
    flat = " ".join(flat.split())
    if len(flat) > FLAT_MAX or not _FLAT_RE.match(flat):
        raise InputRefused("flat-invalid", max=FLAT_MAX)
    return flat
