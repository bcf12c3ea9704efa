"""What sits on the huggingface_hub client's HTTP session (its `httpx2.Client`, installed with
`huggingface_hub.utils.set_client_factory`): the Hub crawl's counterpart of a Scrapy
downloader middleware.

`Meter` counts every request that goes on the wire (the client's own retries included), the
answers the client will retry (429 and 5xx: counted as retries) and what the Hub's `RateLimit`
header says is left; and refuses a request once the run's `--budget` is spent (BudgetStop is
raised from the request hook, so the request is never sent).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import httpx2

log = logging.getLogger(__name__)

RETRIED_STATUSES = (408, 429, 500, 502, 503, 504)  # huggingface_hub's http_backoff retries these
_REMAINING = re.compile(r";\s*r\s*=\s*(\d+)")


class BudgetStop(Exception):
    """The run's --budget of requests is spent: stop cleanly, status ok."""


@dataclass
class Meter:
    """Requests, retries and rate-limit waits of one run."""

    budget: int | None = None
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    remaining: int | None = None

    def room(self) -> int | None:
        """Requests left in the budget (None: no budget)."""
        return None if self.budget is None else max(0, self.budget - self.requests)

    def on_request(self, request: httpx2.Request) -> None:
        if self.budget is not None and self.requests >= self.budget:
            raise BudgetStop(f"the budget of {self.budget:,} requests is reached")
        self.requests += 1

    def on_response(self, response: httpx2.Response) -> None:
        if response.status_code in RETRIED_STATUSES:
            self.retries += 1
            if response.status_code == 429:
                self.rate_limited += 1
                log.warning("huggingface: rate limited; waiting as Retry-After says")
        found = _REMAINING.search(response.headers.get("ratelimit", ""))
        if found:
            self.remaining = int(found.group(1))

    def client(self, timeout: float) -> httpx2.Client:
        """The session the huggingface_hub client uses, with these hooks."""
        return httpx2.Client(
            event_hooks={"request": [self.on_request], "response": [self.on_response]},
            follow_redirects=True,
            timeout=timeout,
        )
