"""WeChat's callback format: the signature of a request, the flat XML of a message, and the
safe mode's encryption (AES-256-CBC with the account's EncodingAESKey; the plaintext is 16
random bytes, the message's length in 4 bytes, the message, and the app id)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAX_BODY = 64 * 1024  # a text message is at most 2048 bytes; events are smaller


class BadMessage(ValueError):
    """Not a message WeChat would send."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str = "") -> str:
    """SHA-1 of the token, the timestamp, the nonce (and in safe mode the encrypted message),
    sorted and joined."""
    parts = [token, timestamp, nonce, *([encrypted] if encrypted else [])]
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324


def signed(token: str, timestamp: str, nonce: str, given: str, encrypted: str = "") -> bool:
    expected = signature(token, timestamp, nonce, encrypted)
    return hmac.compare_digest(expected.encode(), given.lower().encode())


BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 with a 32-byte block)


class SafeMode:
    """The account's EncodingAESKey: decrypts what WeChat posts in safe mode (and encrypts, for
    the tests' driver). A message for another app id is refused."""

    def __init__(self, aes_key: str, app_id: str) -> None:
        self.key = base64.b64decode(aes_key + "=")
        self.app_id = app_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypted: str) -> bytes:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as error:
            raise BadMessage("not base64") from error
        if not data or len(data) % 16:
            raise BadMessage("not a whole number of blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
            raise BadMessage("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        message, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length or not hmac.compare_digest(app_id, self.app_id):
            raise BadMessage("not for this account")
        return message

    def encrypt(self, message: bytes) -> str:
        plain = os.urandom(16) + struct.pack(">I", len(message)) + message + self.app_id
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def parse(body: bytes) -> dict[str, str]:
    """The fields of a message (``<xml><ToUserName>…</ToUserName>…</xml>``). A document type
    (the way to entity bombs and external entities) is refused before parsing."""
    if len(body) > MAX_BODY or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise BadMessage("not a WeChat message")
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (no DTD: refused above)
    except (ElementTree.ParseError, ValueError, LookupError) as error:
        # ValueError, LookupError: a declared encoding expat cannot read ("gbk", unknown).
        raise BadMessage("not XML") from error
    if root.tag != "xml":
        raise BadMessage("not a WeChat message")
    return {child.tag: (child.text or "").strip() for child in root}
