"""The deployment's VAPID key pair: made on the first start and kept in the database (like the
webhook's secret), so every process signs with the same key and the browsers' subscriptions,
which are bound to its public half, outlive a restart. The private half is never logged."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.secrets import SecretRepository

SECRET_NAME = "vapid_private_key"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private_raw: str = field(repr=False)  # the 32-byte scalar, base64url
    public: str  # the uncompressed point, base64url: the page's applicationServerKey

    def signer(self) -> Vapid:
        return Vapid.from_raw(self.private_raw.encode())


def _from_private(private_raw: str) -> VapidKeys:
    padded = private_raw + "=" * (-len(private_raw) % 4)
    scalar = int.from_bytes(base64.urlsafe_b64decode(padded), "big")
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKeys(private_raw, _b64url(point))


def _new_private() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


async def vapid_keys(db: Database, clock: Clock) -> VapidKeys:
    """The deployment's keys, made now if this is its first start. Two processes starting at
    once make one each; the second to write reads the first's."""
    async with db.session() as session:
        stored = await SecretRepository(session).get(SECRET_NAME)
    if stored is not None:
        return _from_private(stored)
    made = _new_private()
    try:
        async with db.session() as session:
            await SecretRepository(session).add(SECRET_NAME, made, clock())
            await session.commit()
    except IntegrityError:
        async with db.session() as session:
            stored = await SecretRepository(session).get(SECRET_NAME)
        assert stored is not None
        return _from_private(stored)
    return _from_private(made)


class KeyHolder:
    """The keys, read (or made) once per process when first needed: by the delivery worker
    at start, by the door's page when it offers notifications."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._keys: VapidKeys | None = None

    async def get(self) -> VapidKeys:
        if self._keys is None:
            self._keys = await vapid_keys(self.db, self.clock)
        return self._keys
