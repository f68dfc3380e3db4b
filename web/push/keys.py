"""The deployment's VAPID key pair: made on the first start and kept in the database (like the
webhook's secret), so every process signs with the same key and the browsers' subscriptions,
which are bound to its public half, outlive a restart. The private half is never logged.

cryptography and py_vapid (~8 MB of a process that idles at start) are imported only when the
keys are first used (a push to send, a page offering notifications), not at start: a new private
key is a random scalar below the curve's order, made with the standard library."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.services.clock import Clock
from storage.db import Database
from storage.repositories.secrets import SecretRepository

if TYPE_CHECKING:
    from py_vapid import Vapid

SECRET_NAME = "vapid_private_key"
# The order of P-256 (SECP256R1): a private key is a scalar in [1, ORDER - 1].
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private_raw: str = field(repr=False)  # the 32-byte scalar, base64url
    public: str  # the uncompressed point, base64url: the page's applicationServerKey

    def signer(self) -> Vapid:
        from py_vapid import Vapid  # noqa: PLC0415 (only when a push is signed)

        return Vapid.from_raw(self.private_raw.encode())


def _from_private(private_raw: str) -> VapidKeys:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 (see above)
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    padded = private_raw + "=" * (-len(private_raw) % 4)
    scalar = int.from_bytes(base64.urlsafe_b64decode(padded), "big")
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKeys(private_raw, _b64url(point))


def _new_private() -> str:
    """A random scalar in [1, ORDER - 1], as cryptography's generate_private_key makes one."""
    while True:
        scalar = int.from_bytes(secrets.token_bytes(32), "big")
        if 0 < scalar < ORDER:
            return _b64url(scalar.to_bytes(32, "big"))


async def vapid_keys(db: Database, clock: Clock) -> VapidKeys:
    """The deployment's keys, made now if this is its first start."""
    return _from_private(await vapid_private(db, clock))


async def vapid_private(db: Database, clock: Clock) -> str:
    """The deployment's private key, made now if this is its first start. Two processes
    starting at once make one each; the second to write reads the first's."""
    async with db.session() as session:
        stored = await SecretRepository(session).get(SECRET_NAME)
    if stored is not None:
        return stored
    made = _new_private()
    try:
        async with db.session() as session:
            await SecretRepository(session).add(SECRET_NAME, made, clock())
            await session.commit()
    except IntegrityError:
        async with db.session() as session:
            stored = await SecretRepository(session).get(SECRET_NAME)
        assert stored is not None
        return stored
    return made


class KeyHolder:
    """The keys, read (or made) once per process: made at start (``ensure``), derived when
    first needed (a push, the door's page offering notifications)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._keys: VapidKeys | None = None
        self._private: str | None = None

    async def ensure(self) -> None:
        """At start: the private key is in the database (made on the first start), without
        loading the libraries that use it."""
        if self._private is None and self._keys is None:
            self._private = await vapid_private(self.db, self.clock)

    async def get(self) -> VapidKeys:
        if self._keys is None:
            private = self._private or await vapid_private(self.db, self.clock)
            self._keys = _from_private(private)
        return self._keys
