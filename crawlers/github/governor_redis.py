"""A Redis-backed QuotaStore: every crawl worker sharing one credential sees one budget.

Workers on several machines share a credential's quota; they never pool or rotate tokens. So the
numbers GitHub last reported (remaining, reset) and the pause a secondary limit imposed live in
Redis under a key derived from the credential (a hash of the API URL and token, never the token
itself), and every worker's governor reads and writes the same ones.

Writes are atomic (Lua): two workers merging what GitHub told them keep the lowest `remaining`
within one rate-limit window, exactly as one governor does for its own concurrent responses,
and spending points before an answer is an atomic decrement, so no concurrent spend is lost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from crawlers.github.governor import Quota, RateGovernor

_FIELDS = ("limit", "remaining", "reset", "used")

# Within one window (resets less than 2 s apart) keep the lowest remaining; a new window
# replaces the numbers. Mirrors RateGovernor._merge, but atomically across workers.
_PUT = """
local old_remaining = redis.call('HGET', KEYS[1], 'remaining')
local old_reset = redis.call('HGET', KEYS[1], 'reset')
local remaining = ARGV[2]
if old_remaining and old_reset and ARGV[2] ~= '' and ARGV[3] ~= ''
   and math.abs(tonumber(old_reset) - tonumber(ARGV[3])) < 2 then
  remaining = tostring(math.min(tonumber(old_remaining), tonumber(ARGV[2])))
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'remaining', remaining, 'reset', ARGV[3],
           'used', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

# Count a request as sent: only when a remaining is known (unknown stays unknown).
_SPEND = """
local remaining = redis.call('HGET', KEYS[1], 'remaining')
if not remaining or remaining == '' then return nil end
return redis.call('HINCRBY', KEYS[1], 'remaining', -tonumber(ARGV[1]))
"""

# A pause only ever moves later.
_PAUSE = """
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > old then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


class QuotaStoreUnavailable(Exception):
    """Redis could not be reached while reading or writing the shared budget."""


T = TypeVar("T")


def credential_id(api_url: str, token: str | None) -> str:
    """A stable, non-reversible name for one credential on one API (the token never leaves)."""
    if not token:
        return "anonymous-" + hashlib.sha256(api_url.encode()).hexdigest()[:12]
    return hashlib.sha256(f"{api_url}\0{token}".encode()).hexdigest()[:24]


def _num(value: Any) -> int | float | None:
    if value in (None, b"", ""):
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    number = float(text)
    return int(number) if number.is_integer() else number


class RedisQuotaStore:
    """QuotaStore on Redis: one budget and one pause-until for every worker of a credential."""

    def __init__(
        self,
        client: redis.Redis,
        credential: str,
        *,
        prefix: str = "scout:github:quota",
        on_unavailable: Callable[[Exception], None] | None = None,
    ) -> None:
        """`on_unavailable`: called instead of raising when Redis fails (then reads say
        "unknown" and writes are dropped), for a caller that stops its crawl on it."""
        self.client = client
        self.on_unavailable = on_unavailable
        self.key = f"{prefix}:{credential}"
        # Numbers older than GitHub's hour window plus slack are worthless; let them expire.
        self.ttl_s = 2 * 3600
        self._put = client.register_script(_PUT)
        self._spend = client.register_script(_SPEND)
        self._pause = client.register_script(_PAUSE)

    def _bucket(self, resource: str) -> str:
        return f"{self.key}:{resource}"

    def _call(self, default: T, call: Callable[[], T]) -> T:
        try:
            return call()
        except redis.RedisError as exc:
            if self.on_unavailable is None:
                raise QuotaStoreUnavailable(str(exc)) from exc
            self.on_unavailable(exc)
            return default

    def get(self, resource: str) -> Quota:
        fields = list(_FIELDS)
        nothing: Any = [None] * 4
        raw: Any = self._call(nothing, lambda: self.client.hmget(self._bucket(resource), fields))
        limit, remaining, reset, used = (_num(v) for v in raw)
        return Quota(
            limit=None if limit is None else int(limit),
            remaining=None if remaining is None else int(remaining),
            reset=None if reset is None else float(reset),
            used=None if used is None else int(used),
        )

    def put(self, resource: str, quota: Quota) -> None:
        args = ["" if v is None else str(v) for v in (quota.limit, quota.remaining, quota.reset)]
        args += ["" if quota.used is None else str(quota.used), str(self.ttl_s)]
        self._call(None, lambda: self._put(keys=[self._bucket(resource)], args=args))

    def spend(self, resource: str, cost: int) -> None:
        """Atomically take `cost` points off the shared remaining (if one is known)."""
        self._call(None, lambda: self._spend(keys=[self._bucket(resource)], args=[str(cost)]))

    def pause_until(self) -> float:
        value = self._call(None, lambda: self.client.get(f"{self.key}:pause"))
        return float(_num(value) or 0.0)

    def set_pause_until(self, when: float) -> None:
        ttl = str(max(1, int(when - time.time()) + 60))
        self._call(None, lambda: self._pause(keys=[f"{self.key}:pause"], args=[repr(when), ttl]))


class SharedRateGovernor(RateGovernor):
    """A RateGovernor whose spends are atomic decrements in a RedisQuotaStore."""

    store: RedisQuotaStore

    def __init__(self, store: RedisQuotaStore, floor: int = 50, concurrency: int = 4) -> None:
        super().__init__(floor, concurrency, store=store)

    def spend(self, resource: str, cost: int) -> None:
        self.store.spend(resource, cost)
