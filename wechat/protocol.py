"""WeChat's callback format: the signature of a request and the flat XML of a message."""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ElementTree

MAX_BODY = 64 * 1024  # a text message is at most 2048 bytes; events are smaller


class BadMessage(ValueError):
    """Not a message WeChat would send."""


def signature(token: str, timestamp: str, nonce: str) -> str:
    """SHA-1 of the token, the timestamp and the nonce, sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324


def signed(token: str, timestamp: str, nonce: str, given: str) -> bool:
    return hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


def parse(body: bytes) -> dict[str, str]:
    """The fields of a message (``<xml><ToUserName>…</ToUserName>…</xml>``). A document type
    (the way to entity bombs and external entities) is refused before parsing."""
    if len(body) > MAX_BODY or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise BadMessage("not a WeChat message")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (no DTD: refused above)
    except ElementTree.ParseError as error:
        raise BadMessage("not XML") from error
    if root.tag != "xml":
        raise BadMessage("not a WeChat message")
    return {child.tag: (child.text or "").strip() for child in root}
