"""Per-device and per-address limits on the door's POSTs (token buckets of bot/ratelimit.py,
taken without waiting): a script posting reports, or guessing poster tokens, is refused long
before the services' own rules (the day's cap) are asked. In memory, per process."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from bot.ratelimit import Bucket, Monotonic

REMEMBERED = 10_000  # callers kept; the least recently seen idle ones are forgotten first


@dataclass(frozen=True, slots=True)
class Rule:
    burst: int  # requests at once
    per_minute: float  # then this many a minute


# A family behind one address (a home router, a phone operator's NAT) shares it: generous.
PER_ADDRESS = Rule(burst=60, per_minute=20)
# One phone: a report takes two or three POSTs, a conversation a few more.
PER_DEVICE = Rule(burst=20, per_minute=6)


class Buckets:
    def __init__(self, rule: Rule, clock: Monotonic = time.monotonic) -> None:
        self.rule = rule
        self.clock = clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def allow(self, key: str) -> bool:
        bucket = self._buckets.pop(key, None) or Bucket(
            self.rule.burst, self.rule.per_minute / 60, clock=self.clock
        )
        self._buckets[key] = bucket
        allowed = bucket.try_acquire()
        if len(self._buckets) > REMEMBERED:
            excess = len(self._buckets) - REMEMBERED
            idle = [k for k, b in self._buckets.items() if b.idle][:excess]
            for forgotten in idle:
                del self._buckets[forgotten]
        return allowed


class DoorLimits:
    def __init__(
        self,
        address: Rule = PER_ADDRESS,
        device: Rule = PER_DEVICE,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self.address = Buckets(address, clock)
        self.device = Buckets(device, clock)

    def allow(self, address: str, device: str | None) -> bool:
        if not self.address.allow(address):
            return False
        return device is None or self.device.allow(device)
