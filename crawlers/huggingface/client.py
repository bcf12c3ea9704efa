"""The Hub crawl's requests, made through the huggingface_hub client's own HTTP layer.

`HfApi.list_models` (and `list_datasets`, `list_spaces`) hide the page boundary: they yield
items and follow the Hub's `Link: <...>; rel="next"` header inside a generator. The crawl
must commit each page with the cursor that follows it, so it sends the same request the
client sends (same path, same parameters, built like `list_models` builds them; a test holds
them equal) through the client's `http_backoff` (its retries of 429 with `Retry-After` and
5xx) and `hf_raise_for_status`, and keeps the `next` link itself. The overviews are the
client's `get_user_overview` / `get_organization_overview` requests the same way, so each
body is kept as received for its raw record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import HfHubHTTPError

# Public in huggingface_hub.utils (lazily exported, so mypy does not see them).
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    build_hf_headers,
    hf_raise_for_status,
    http_backoff,
    set_client_factory,
)
from huggingface_hub.utils import logging as hf_logging

from config.errors import PayloadError
from crawlers.huggingface.middlewares import RETRIED_STATUSES, BudgetStop, Meter
from crawlers.payload import array, decode

log = logging.getLogger(__name__)

PAGE = 100  # items per listing page (`limit`): one committed page, one cursor step
LISTINGS = {"model": "/api/models", "dataset": "/api/datasets", "space": "/api/spaces"}
# The properties the crawl asks per kind (`expand`, as HfApi.list_models sends it).
DISCOVERY_EXPAND = ["author", "lastModified"]
DETAIL_EXPAND = {
    "model": ["author", "downloads", "likes", "library_name", "pipeline_tag", "tags"],
    "dataset": ["author", "downloads", "likes", "tags"],
    "space": ["author", "likes", "sdk", "tags"],
}
DATES = ["createdAt", "lastModified"]
SORTS = {"downloads": "downloads", "likes": "likes", "recent": "lastModified"}


class RequestFailed(Exception):
    """A request given up after the client's retries (or an answer that is not JSON)."""


@dataclass
class Page:
    items: list[Any]
    next: str | None  # the `next` link's query string (host-free: the endpoint may move)


def listing_params(
    *,
    author: str | None = None,
    filters: list[str] | None = None,
    pipeline_tag: str | None = None,
    sort: str | None = None,
    limit: int | None = PAGE,
    expand: list[str] | None = None,
) -> dict[str, Any]:
    """The query HfApi.list_models / list_datasets / list_spaces sends for these arguments
    (same keys, same order: filter, author, pipeline_tag, sort, limit, expand)."""
    params: dict[str, Any] = {}
    if filters:
        params["filter"] = list(filters)
    if author:
        params["author"] = author
    if pipeline_tag:
        params["pipeline_tag"] = pipeline_tag
    if sort:
        params["sort"] = sort
    if limit is not None:
        params["limit"] = limit
    if expand:
        params["expand"] = list(expand)
    return params


class HubClient:
    """Requests to one Hub endpoint, metered by `meter` (installed as the client's session)."""

    def __init__(self, endpoint: str, meter: Meter, timeout: float, retries: int) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.meter = meter
        self.retries = retries
        self.failed = 0
        # Telemetry off: building the client's headers would otherwise fetch a registry from
        # huggingface.co itself (utils/_detect_agent.py), whatever the endpoint.
        hf_constants.HF_HUB_DISABLE_TELEMETRY = True
        self.headers = build_hf_headers(token=False, library_name="talent-scout")
        # The client logs whole URLs (usernames) at WARNING on every retry: we log by source.
        hf_logging.get_logger("huggingface_hub").setLevel(logging.ERROR)
        logging.getLogger("httpx2").setLevel(logging.WARNING)  # its INFO lines carry URLs
        set_client_factory(lambda: meter.client(timeout))

    def _get(self, url: str, params: Mapping[str, Any] | None) -> httpx2.Response:
        try:
            response = http_backoff(
                "GET",
                url,
                params=dict(params) if params is not None else None,
                headers=self.headers,
                max_retries=self.retries,
                base_wait_time=0.5,
                max_wait_time=8,
            )
        except BudgetStop:
            raise
        except HfHubHTTPError as exc:
            # http_backoff raises once its retries are spent: that last answer was given up.
            self.meter.retries -= 1
            raise RequestFailed(f"HTTP {exc.response.status_code}") from None
        except (httpx2.HTTPError, OSError) as exc:
            raise RequestFailed(type(exc).__name__) from None
        return response

    def _json(self, url: str, params: Mapping[str, Any] | None, what: str) -> httpx2.Response:
        """The answer to a GET whose body must be JSON; a body that is not is asked again."""
        for attempt in range(self.retries + 1):
            response = self._get(url, params)
            try:
                hf_raise_for_status(response)
            except HfHubHTTPError as exc:
                if response.status_code == 404:
                    raise
                if response.status_code in RETRIED_STATUSES:
                    self.meter.retries -= 1  # the last one was not retried: it was given up
                raise RequestFailed(f"HTTP {response.status_code}") from exc
            try:
                response.extensions["scout_json"] = decode(response.content, what)
                return response
            except PayloadError as exc:
                if attempt == self.retries:
                    raise RequestFailed(str(exc)) from None
                self.meter.retries += 1
                log.warning("huggingface: %s came back unreadable; asked again", what)
        raise AssertionError("unreachable")

    def page(self, kind: str, params: Mapping[str, Any] | None, next_query: str | None) -> Page:
        """One listing page: from its parameters, or from a stored `next` link."""
        url = self.endpoint + LISTINGS[kind]
        if next_query is not None:
            url, params = f"{url}?{next_query}", None
        response = self._json(url, params, f"{LISTINGS[kind]} page")
        items = array(response.extensions["scout_json"], LISTINGS[kind])
        link = response.links.get("next", {}).get("url")
        return Page(items, urlsplit(link).query if link else None)

    def all_of(self, kind: str, author: str) -> list[Any]:
        """Every item of `kind` an author published (the Link header followed)."""
        expand = [*DETAIL_EXPAND[kind], *DATES]
        params: dict[str, Any] | None = listing_params(author=author, limit=None, expand=expand)
        items: list[Any] = []
        next_query: str | None = None
        while True:
            page = self.page(kind, params, next_query)
            items.extend(page.items)
            if page.next is None:
                return items
            next_query, params = page.next, None

    def overview(self, name: str, org: bool = False) -> dict[str, Any] | None:
        """A user's (or an organisation's) overview; None on 404 (not that kind of account)."""
        path = f"/api/{'organizations' if org else 'users'}/{name}/overview"
        try:
            response = self._json(self.endpoint + path, None, path)
        except HfHubHTTPError:
            return None
        body = response.extensions["scout_json"]
        if not isinstance(body, dict):
            raise PayloadError(f"{path}: expected an object")
        return body
