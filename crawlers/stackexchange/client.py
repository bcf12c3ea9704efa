"""The direct Stack Exchange API 2.3 client (httpx), and the throttle bookkeeping it shares.

`Throttle` is the one place that knows the API's limits: stay under `max_rps`, wait out a
`backoff` for the method that returned it (per method path template, as the docs require), and
stop at the quota floor. The httpx client uses it for `scout lookup`; the Scrapy middleware uses
the same class for bulk crawls. The app key travels as a query parameter, so URLs are never
logged, stored or put in an error message: only method templates and key-free parameters are.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from config.errors import ScoutError
from config.settings import Settings
from crawlers.stackexchange.answers import (
    BadAnswer,
    PageGuard,
    decode_body,
    error_of,
    number_field,
    read_wrapper,
)
from crawlers.stackexchange.fields import DEFAULT_FILTER, FilterSpec

log = logging.getLogger(__name__)

# Key errors (error_id): bad key, missing/invalid/compromised tokens, access denied.
KEY_ERRORS = {401, 402, 403, 405, 406}
RETRYABLE_ERRORS = {500, 503}  # internal_error, temporarily_unavailable
THROTTLE_VIOLATION = 502
# "too many requests from this IP, more requests available in 82112 seconds"
_AVAILABLE_IN = re.compile(r"available in (\d+) seconds?")
# A throttle this long is the daily quota, not a burst: stop instead of sleeping for hours.
QUOTA_WAIT_S = 300
THROTTLE_DEFAULT_WAIT_S = 5.0
MAX_THROTTLE_WAITS = 5
# A `backoff` longer than this is not believed: the method waits this long (and says so).
MAX_BACKOFF_S = 60.0


class QuotaStop(Exception):
    """The quota floor was reached (or the quota is spent): stop cleanly and save state."""

    def __init__(self, message: str, quota_remaining: int | None, reset_in_s: int | None = None):
        super().__init__(message)
        self.quota_remaining = quota_remaining
        self.reset_in_s = reset_in_s


class BudgetStop(QuotaStop):
    """The run's `--budget` of requests is spent: stop cleanly, the next run continues."""


class NoMethod(ScoutError):
    """The API root has no such method: a wrong --api-url, or an API without /filters."""


class RequestFailed(Exception):
    """A request that still failed after every retry: the caller counts it and moves on."""


def reset_hint(reset_in_s: int | None) -> str:
    if reset_in_s:
        hours, rest = divmod(reset_in_s, 3600)
        return f"the quota is available again in {hours}h{rest // 60:02d}m"
    return "the daily quota resets within 24 hours"


@dataclass
class Throttle:
    """Request pacing, per-method backoff and quota bookkeeping (thread-safe)."""

    max_rps: float
    quota_floor: int
    clock: Callable[[], float] = time.monotonic
    quota_remaining: int | None = None
    quota_max: int | None = None
    backoffs_seen: int = 0
    _next_slot: float = 0.0
    _method_free_at: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_quota(self) -> None:
        """Raise QuotaStop when the next request would dig below the floor."""
        remaining = self.quota_remaining
        if remaining is not None and remaining <= self.quota_floor:
            raise QuotaStop(
                f"Stack Exchange quota floor reached ({remaining} left, floor "
                f"{self.quota_floor}); {reset_hint(None)}",
                remaining,
            )

    def reserve(self, method: str) -> float:
        """Seconds to wait before calling `method`; the slot is taken when this returns."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next_slot, self._method_free_at.get(method, 0.0))
            self._next_slot = start + 1.0 / self.max_rps
            return start - now

    def observe(self, method: str, wrapper: Mapping[str, Any]) -> None:
        """Learn quota and backoff from a response wrapper; BadAnswer (nothing learnt) when
        one of them is not a number."""
        remaining = number_field(wrapper, "quota_remaining")
        quota_max = number_field(wrapper, "quota_max")
        backoff = number_field(wrapper, "backoff")
        if backoff is not None and backoff > MAX_BACKOFF_S:
            log.warning(
                "%s asked for a backoff of %.0fs; waiting %.0fs", method, backoff, MAX_BACKOFF_S
            )
            backoff = MAX_BACKOFF_S
        with self._lock:
            if remaining is not None:
                self.quota_remaining = int(remaining)
            if quota_max is not None:
                self.quota_max = int(quota_max)
            if backoff:
                self.backoffs_seen += 1
                self.block(method, backoff)

    def block(self, method: str, seconds: float) -> None:
        free_at = self.clock() + seconds
        self._method_free_at[method] = max(self._method_free_at.get(method, 0.0), free_at)

    def method_free_at(self, method: str) -> float:
        return self._method_free_at.get(method, 0.0)


def retry_delay(attempt: int) -> float:
    """Seconds before retry number `attempt` (exponential, at most 5 s)."""
    return min(0.2 * 2**attempt, 5.0)


def throttle_wait(throttle: Throttle, method: str, message: str, count: int) -> None:
    """After throttle_violation: block the method for the time the API names, or stop when
    that time is the rest of the day (the quota is spent)."""
    match = _AVAILABLE_IN.search(message)
    seconds = float(match.group(1)) if match else THROTTLE_DEFAULT_WAIT_S
    if seconds > QUOTA_WAIT_S or count > MAX_THROTTLE_WAITS:
        raise QuotaStop(
            f"Stack Exchange throttled {method}: {message}; "
            f"{reset_hint(int(seconds) if match else None)}",
            throttle.quota_remaining,
            int(seconds) if match else None,
        )
    log.warning("throttle_violation on %s: waiting %.0fs", method, seconds)
    throttle.block(method, seconds)


@dataclass(slots=True)
class Page:
    """One decoded response: the wrapper and where it came from (no key anywhere)."""

    method: str
    path: str
    params: dict[str, str]
    wrapper: dict[str, Any]

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.wrapper.get("items") or [])

    @property
    def has_more(self) -> bool:
        return bool(self.wrapper.get("has_more"))


def fatal_error(error_id: int, name: str, message: str, method: str) -> ScoutError | None:
    """A ScoutError for errors the user must fix (bad key, bad parameter); else None."""
    if error_id in KEY_ERRORS or (error_id == 400 and message.strip().lower() == "key"):
        return ScoutError(
            f"Stack Exchange rejected the request ({name}): {message}. Check STACKEXCHANGE_KEY "
            "(an app key from stackapps.com) or unset it to use the anonymous quota."
        )
    if error_id == 400:
        return ScoutError(f"Stack Exchange rejected a parameter of {method} ({name}): {message}")
    if error_id == 404:
        return NoMethod(
            f"Stack Exchange has no method {method} ({name}): check --api-url / "
            "SCOUT_STACKEXCHANGE_API_URL"
        )
    return None


class StackExchangeClient:
    """Synchronous client: one method call per `get`, paging with `pages`."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.Client,
        throttle: Throttle | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.http = http
        self.throttle = throttle or Throttle(
            settings.stackexchange_max_rps, settings.stackexchange_quota_floor
        )
        self.sleep = sleep
        self.requests = 0
        self.retries = 0
        self.failed = 0
        self._filter: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> StackExchangeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def base_params(self) -> dict[str, str]:
        """site and filter; the key is added at send time only, never kept with a page."""
        params = {"site": self.settings.stackexchange_site}
        if self._filter:
            params["filter"] = self._filter
        return params

    def get(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Page:
        """One call of `method` (a path template such as /users/{ids}) at `path`."""
        query = {**self.base_params(), **{k: str(v) for k, v in (params or {}).items()}}
        attempts = 0
        throttled = 0
        while True:
            self.throttle.check_quota()
            wait = self.throttle.reserve(method)
            if wait > 0:
                self.sleep(wait)
            self.requests += 1
            try:
                wrapper = self._send(path, query)
                self.throttle.observe(method, wrapper)
                error = error_of(wrapper)
            except (httpx.TransportError, httpx.DecodingError, BadAnswer) as exc:
                problem = str(exc) if isinstance(exc, BadAnswer) else type(exc).__name__
            else:
                if error is None:
                    return Page(method, path, query, wrapper)
                error_id, name, message = error
                fatal = fatal_error(error_id, name, message, method)
                if fatal is not None:
                    raise fatal
                if error_id == THROTTLE_VIOLATION:
                    throttled += 1
                    self._wait_throttle(method, message, throttled)
                    continue
                if error_id not in RETRYABLE_ERRORS:
                    self.failed += 1
                    raise RequestFailed(f"{method}: {name}: {message}")
                problem = name
            attempts += 1
            if attempts > self.settings.http_retries:
                self.failed += 1
                log.warning("giving up on %s after %d attempts (%s)", method, attempts, problem)
                raise RequestFailed(f"{method}: {problem} after {attempts} attempts")
            self.retries += 1
            log.info("retrying %s after %s (attempt %d)", method, problem, attempts)
            self.sleep(retry_delay(attempts))

    def _send(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        """Send once; the decoded wrapper, or BadAnswer for an answer that is not one."""
        send = dict(query)
        key = self.settings.stackexchange_key
        if key is not None and key.get_secret_value():
            send["key"] = key.get_secret_value()
        response = self.http.get(self.settings.stackexchange_api_url + path, params=send)
        return read_wrapper(response.status_code, response.content)

    def _wait_throttle(self, method: str, message: str, count: int) -> None:
        throttle_wait(self.throttle, method, message, count)

    def pages(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, start: int = 1
    ) -> Iterator[Page]:
        """Every page from `start` while has_more says there is another (see PageGuard); a
        listing cut short is counted in `failed` and logged."""
        page = start
        guard = PageGuard()
        while True:
            result = self.get(method, path, {**(params or {}), "page": page, "pagesize": 100})
            yield result
            if not guard.more(result.wrapper):
                if guard.stopped is not None:
                    self.failed += 1
                    log.warning("stopped paging %s after %s", method, guard.stopped)
                return
            page += 1

    def use_filter(self, spec: FilterSpec | None = None) -> str:
        """Create our filter once (filters are immutable, so once per process is plenty)."""
        if self._filter is None:
            spec = spec or DEFAULT_FILTER
            self._filter = ""
            try:
                items = self.get("/filters/create", "/filters/create", spec.params()).items
            except (NoMethod, RequestFailed):
                # Without a custom filter the built-in one still carries every stored field
                # except about_me; a crawl is worth more than that one field.
                log.warning("could not create a filter; using the default filter")
                items = []
            self._filter = str(items[0]["filter"]) if items else "default"
        return self._filter


def ids_path(ids: list[int]) -> str:
    return ";".join(str(i) for i in ids)


def tag_path(tag: str) -> str:
    # Tags such as c# or .net must survive the path; the API accepts them URL-encoded.
    return quote(tag, safe="")


def make_client(
    settings: Settings,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    throttle: Throttle | None = None,
) -> StackExchangeClient:
    """A client on the configured API root; tests pass httpx.MockTransport."""
    http = httpx.Client(
        transport=transport,
        timeout=settings.http_timeout,
        headers={"Accept-Encoding": "gzip", "User-Agent": "talent-scout (+stackexchange)"},
        follow_redirects=True,
    )
    return StackExchangeClient(settings, http, throttle=throttle, sleep=sleep)


__all__ = [  # decode_body and error_of are also read by `scout doctor`
    "KEY_ERRORS",
    "MAX_BACKOFF_S",
    "BadAnswer",
    "BudgetStop",
    "QuotaStop",
    "RequestFailed",
    "StackExchangeClient",
    "Throttle",
    "decode_body",
    "error_of",
    "make_client",
]
