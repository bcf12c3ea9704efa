"""GitHub credentials, primary rate-limit windows and the secondary (concurrency) limit.

Budgets follow GitHub's documented model: a window per credential and resource (`core` for
REST, `search` for the search endpoints, `graphql` points) that opens with its first charged
request and resets `rate_window_s` later; the `x-ratelimit-*` headers and `GET /rate_limit`
report it. Anonymous callers are keyed by client address (GitHub keys them by IP).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sandbox.model import SandboxOptions

DOCS = "https://docs.github.com"
RATE_DOCS = f"{DOCS}/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = f"{RATE_DOCS}#about-secondary-rate-limits"
SEARCH_WINDOW_S = 60
RESOURCES = ("core", "search", "graphql")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the budget key never holds the token itself (secrets stay out of logs)."""

    key: str
    authenticated: bool
    user_id: int  # the token owner's (made-up, stable) user id; 0 when anonymous
    address: str

    def describe(self) -> str:
        """How GitHub names the caller in a rate-limit message."""
        return f"user ID {self.user_id}" if self.authenticated else self.address


def identify(headers: dict[str, str]) -> Caller | None:
    """The caller from `Authorization` (token, Bearer or Basic); None for bad credentials.

    Any token starting with "bad" is invalid, so tests and demos can provoke a 401.
    """
    address = (headers.get("x-forwarded-for") or "127.0.0.1").split(",")[0].strip()
    auth = headers.get("authorization", "").strip()
    if not auth:
        return Caller(key=f"ip:{address}", authenticated=False, user_id=0, address=address)
    scheme, _, credential = auth.partition(" ")
    credential = credential.strip()
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            credential = base64.b64decode(credential).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme not in ("token", "bearer"):
        return None
    if not credential or credential.startswith("bad"):
        return None
    digest = hashlib.sha256(credential.encode()).hexdigest()
    user_id = int(digest[:7], 16) % 90_000_000 + 10_000_000
    return Caller(key=f"token:{digest[:16]}", authenticated=True, user_id=user_id, address=address)


@dataclass(slots=True)
class Window:
    """A snapshot of one budget: what the headers and /rate_limit report."""

    resource: str
    limit: int
    used: int
    reset: int  # UTC epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class Budgets:
    """Primary rate limits for every caller and resource; thread-safe."""

    def __init__(self, options: SandboxOptions, clock: Callable[[], float]) -> None:
        self._options = options
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[int, float]] = {}  # -> (used, reset)

    def new_day(self) -> None:
        """A simulated day passed (sandbox.world_days): every window is over."""
        with self._lock:
            self._windows.clear()

    def limit(self, caller: Caller, resource: str) -> int:
        o = self._options
        if resource == "search":
            # GitHub: 30 searches a minute with a token, 10 without; keep that ratio.
            return o.search_per_minute if caller.authenticated else max(1, o.search_per_minute // 3)
        if resource == "graphql":
            return o.rate_limit if caller.authenticated else 0
        return o.rate_limit if caller.authenticated else o.anonymous_rate_limit

    def _span(self, resource: str) -> int:
        return SEARCH_WINDOW_S if resource == "search" else self._options.rate_window_s

    def _current(self, caller: Caller, resource: str, now: float) -> tuple[int, float]:
        used, reset = self._windows.get((caller.key, resource), (0, 0.0))
        if now >= reset:  # the old window is over; the next one opens on the next charge
            return 0, now + self._span(resource)
        return used, reset

    def peek(self, caller: Caller, resource: str) -> Window:
        with self._lock:
            used, reset = self._current(caller, resource, self._clock())
        return Window(resource, self.limit(caller, resource), used, int(reset))

    def charge(self, caller: Caller, resource: str, amount: int = 1) -> tuple[bool, Window]:
        """Take `amount` from the budget if that much remains; (charged?, window after)."""
        limit = self.limit(caller, resource)
        with self._lock:
            used, reset = self._current(caller, resource, self._clock())
            ok = used + amount <= limit
            if ok:
                used += amount
                self._windows[(caller.key, resource)] = (used, reset)
        return ok, Window(resource, limit, used, int(reset))


class InFlight:
    """Requests in flight per caller, for GitHub's concurrency secondary limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def enter(self, key: str) -> int:
        with self._lock:
            n = self._counts.get(key, 0) + 1
            self._counts[key] = n
        return n

    def exit(self, key: str) -> None:
        with self._lock:
            n = self._counts.get(key, 1) - 1
            if n > 0:
                self._counts[key] = n
            else:
                self._counts.pop(key, None)

    @contextmanager
    def hold(self, key: str) -> Iterator[int]:
        """Count one request in flight for the duration; yields how many are now in flight."""
        n = self.enter(key)
        try:
            yield n
        finally:
            self.exit(key)


def rate_headers(window: Window) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(window.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": str(window.reset),
        "X-RateLimit-Used": str(window.used),
        "X-RateLimit-Resource": window.resource,
    }


def primary_message(caller: Caller) -> dict[str, str]:
    """GitHub's body for an exhausted primary limit (REST 403)."""
    message = f"API rate limit exceeded for {caller.describe()}."
    if not caller.authenticated:
        message += (
            " (But here's the good news: Authenticated requests get a higher rate limit."
            " Check out the documentation for more details.)"
        )
    return {"message": message, "documentation_url": RATE_DOCS, "status": "403"}


def secondary_message(request_id: str) -> dict[str, str]:
    return {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before"
        " you try again. If you reach out to GitHub Support for help, please include the"
        f" request ID {request_id}.",
        "documentation_url": SECONDARY_DOCS,
        "status": "403",
    }
