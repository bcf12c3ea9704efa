"""The rate governor every GitHub request goes through (Scrapy and PyGithub alike).

It keeps the credential's budget from hitting zero: it reads X-RateLimit-* headers and the
GraphQL `rateLimit` object, keeps `floor` points in reserve, says how long to sleep until the
window resets instead of letting a request fail, and obeys secondary-limit `retry-after`.
One credential per crawl: the governor never rotates tokens.

The numbers live behind `QuotaStore` so a Redis-backed store can later share one budget
between crawl workers (they share a credential's quota; they never pool tokens).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# GitHub's buckets: REST "core", "search", and "graphql" points.
CORE = "core"
SEARCH = "search"
GRAPHQL = "graphql"


@dataclass(slots=True)
class Quota:
    """What GitHub last said about one bucket; reset is a Unix timestamp."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    used: int | None = None


class QuotaStore(Protocol):
    """Where the governor keeps its numbers (in memory now; Redis for distributed crawls)."""

    def get(self, resource: str) -> Quota: ...

    def put(self, resource: str, quota: Quota) -> None: ...

    def pause_until(self) -> float: ...

    def set_pause_until(self, when: float) -> None: ...


class MemoryQuotaStore:
    """The single-process store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._quotas: dict[str, Quota] = {}
        self._pause = 0.0

    def get(self, resource: str) -> Quota:
        with self._lock:
            q = self._quotas.get(resource)
            return Quota(q.limit, q.remaining, q.reset, q.used) if q else Quota()

    def put(self, resource: str, quota: Quota) -> None:
        with self._lock:
            self._quotas[resource] = quota

    def pause_until(self) -> float:
        with self._lock:
            return self._pause

    def set_pause_until(self, when: float) -> None:
        with self._lock:
            self._pause = max(self._pause, when)


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _header(headers: Mapping[Any, Any], name: str) -> str | None:
    """A header value from a plain dict (any case) or Scrapy's Headers (bytes)."""
    for key in (name, name.lower(), name.title()):
        value = headers.get(key)
        if value is None:
            value = headers.get(key.encode()) if hasattr(headers, "getlist") else None
        if value is not None:
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, bytes):
                return value.decode("latin-1")
            return None if value is None else str(value)
    return None


class RateGovernor:
    """Decides when the next request may go; call `observe_*` with every response."""

    def __init__(
        self,
        floor: int = 50,
        concurrency: int = 4,
        store: QuotaStore | None = None,
        clock: Callable[[], float] = time.time,
        max_wait: float = 3700.0,
    ) -> None:
        self.floor = floor
        self.concurrency = concurrency
        self.store: QuotaStore = store or MemoryQuotaStore()
        self.clock = clock
        self.max_wait = max_wait
        self.waits = 0
        self.waited_s = 0.0
        self._slots = threading.BoundedSemaphore(concurrency)

    # -- what GitHub tells us -------------------------------------------------------------
    def observe_headers(self, headers: Mapping[Any, Any], default: str = CORE) -> Quota | None:
        """Read X-RateLimit-Limit/Remaining/Reset/Used/Resource from a response."""
        remaining = _int(_header(headers, "X-RateLimit-Remaining"))
        if remaining is None:
            return None
        resource = _header(headers, "X-RateLimit-Resource") or default
        quota = Quota(
            limit=_int(_header(headers, "X-RateLimit-Limit")),
            remaining=remaining,
            reset=_int(_header(headers, "X-RateLimit-Reset")),
            used=_int(_header(headers, "X-RateLimit-Used")),
        )
        self._merge(resource, quota)
        return quota

    def observe_graphql(self, rate_limit: Mapping[str, Any] | None) -> Quota | None:
        """Read a GraphQL `rateLimit { cost remaining resetAt limit }` object."""
        if not rate_limit or _int(rate_limit.get("remaining")) is None:
            return None
        reset = None
        reset_at = rate_limit.get("resetAt")
        if isinstance(reset_at, str):
            try:
                reset = datetime.fromisoformat(reset_at.replace("Z", "+00:00")).timestamp()
            except ValueError:
                reset = None
        quota = Quota(
            limit=_int(rate_limit.get("limit")),
            remaining=_int(rate_limit.get("remaining")),
            reset=reset,
            used=_int(rate_limit.get("used")),
        )
        self._merge(GRAPHQL, quota)
        return quota

    def _merge(self, resource: str, quota: Quota) -> None:
        # Concurrent responses arrive out of order: within one window keep the lowest remaining.
        old = self.store.get(resource)
        if (
            old.remaining is not None
            and quota.remaining is not None
            and old.reset is not None
            and quota.reset is not None
            and abs(old.reset - quota.reset) < 2
        ):
            quota.remaining = min(old.remaining, quota.remaining)
        self.store.put(resource, quota)

    def observe_secondary(self, retry_after: float | None) -> float:
        """A secondary limit (403/429 with retry-after): every request waits that long."""
        wait = 60.0 if retry_after is None else max(1.0, float(retry_after))
        self.store.set_pause_until(self.clock() + wait)
        return wait

    def observe_exhausted(self, resource: str, reset: float | None) -> float:
        """A primary limit hit (remaining 0): wait for the reset GitHub gave."""
        quota = self.store.get(resource)
        quota.remaining = 0
        if reset is not None:
            quota.reset = reset
        self.store.put(resource, quota)
        return self.delay(resource)

    # -- what we may do ---------------------------------------------------------------------
    def delay(self, resource: str, cost: int = 1) -> float:
        """Seconds to wait before a request costing `cost` on `resource` (0: go now)."""
        now = self.clock()
        wait = max(0.0, self.store.pause_until() - now)
        quota = self.store.get(resource)
        if quota.remaining is None or quota.reset is None:
            return min(wait, self.max_wait)
        if quota.reset <= now:
            # The window has rolled over: the numbers we hold are stale, so let one request
            # through to learn the new ones.
            return min(wait, self.max_wait)
        floor = min(self.floor, max(0, (quota.limit or self.floor) - 1))
        if quota.remaining - cost < floor:
            wait = max(wait, quota.reset - now + 1.0)
        return min(wait, self.max_wait)

    def spend(self, resource: str, cost: int) -> None:
        """Count a request as sent before its answer says so (keeps concurrent senders honest)."""
        quota = self.store.get(resource)
        if quota.remaining is not None:
            quota.remaining -= cost
            self.store.put(resource, quota)

    def wait(
        self, resource: str, cost: int = 1, sleep: Callable[[float], None] = time.sleep
    ) -> float:
        """Blocking form for synchronous clients (PyGithub): sleep until the request may go."""
        total = 0.0
        while True:
            delay = self.delay(resource, cost)
            if delay <= 0:
                self.spend(resource, cost)
                return total
            self.waits += 1
            self.waited_s += delay
            total += delay
            sleep(delay)

    def slot(self) -> threading.BoundedSemaphore:
        """Caps concurrent synchronous requests (Scrapy caps its own with CONCURRENT_REQUESTS)."""
        return self._slots

    def snapshot(self, resource: str) -> Quota:
        return self.store.get(resource)
