"""The stairwell poster: a QR code of a building's join link."""

from __future__ import annotations

import io

import segno


def qr_png(link: str, *, scale: int = 12) -> bytes:
    # Error correction "M" survives a scuffed printout; a 4-module quiet zone is what phone
    # cameras expect.
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
