"""What a Stack Exchange API answer is: the wrapper read from a body, its error, its numbers,
and when a listing has another page. Shared by the httpx client and the Scrapy crawl, so both
judge an answer alike: anything that is not a usable wrapper is BadAnswer (retried, counted),
never an exception that escapes the crawl's bookkeeping.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Pagination stops after this many pages of one listing even if `has_more` stays true.
MAX_PAGES = 100


class BadAnswer(ValueError):
    """A body that is not a usable API wrapper (corrupt gzip, not JSON, too deep, a quota or
    backoff that is not a number): retried like a 5xx, never trusted."""


def number_field(wrapper: Mapping[str, Any], name: str) -> float | None:
    """A wrapper's non-negative number field, None when absent; BadAnswer when it is not one."""
    value = wrapper.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadAnswer(f"{name} is not a number")
    if not math.isfinite(value) or value < 0:
        raise BadAnswer(f"{name} is out of range")
    return float(value)


def decode_body(content: bytes) -> dict[str, Any]:
    """JSON from a body; gzip is undone even when a proxy dropped Content-Encoding.

    BadAnswer for anything that is not a JSON object (corrupt or cut gzip, HTML, a nesting
    too deep for the parser), so no caller has to know every way a body can be broken."""
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error):
            raise BadAnswer("a corrupt or truncated gzip body") from None
    try:
        data = json.loads(content)
    except RecursionError:
        raise BadAnswer("JSON nested too deep") from None
    except ValueError:
        raise BadAnswer("a body that is not JSON") from None
    if not isinstance(data, dict):
        raise BadAnswer("the response is not a JSON object")
    return data


def read_wrapper(status: int, content: bytes) -> dict[str, Any]:
    """The API wrapper of one answer; BadAnswer for one that is not (a proxy's 5xx page, a
    body cut short, `items` that is not a list of objects): those are retried."""
    wrapper = decode_body(content)
    if "error_id" in wrapper:
        error_of(wrapper)  # a non-numeric error_id is a bad answer, not a crash later
        return wrapper
    if status != 200:
        raise BadAnswer(f"HTTP {status}")
    items = wrapper.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadAnswer("a wrapper without a list of items")
    return wrapper


def error_of(wrapper: Mapping[str, Any]) -> tuple[int, str, str] | None:
    if "error_id" not in wrapper:
        return None
    error_id = wrapper["error_id"]
    if isinstance(error_id, bool) or not isinstance(error_id, int | str):
        raise BadAnswer("error_id is not a number")
    try:
        number = int(error_id)
    except ValueError:
        raise BadAnswer("error_id is not a number") from None
    return (
        number,
        str(wrapper.get("error_name", ""))[:200],
        str(wrapper.get("error_message", ""))[:500],
    )


@dataclass
class PageGuard:
    """Whether to ask for the next page of one listing: not after `has_more: false`, an
    empty page, a page with nothing new (a server repeating itself) or MAX_PAGES pages.
    `stopped` names why a listing was cut while the server still said has_more."""

    cap: int = MAX_PAGES
    pages: int = 0
    stopped: str | None = None
    _seen: set[str] = field(default_factory=set)

    def more(self, wrapper: Mapping[str, Any]) -> bool:
        self.pages += 1
        items = wrapper.get("items") or []
        keys = {json.dumps(i, sort_keys=True, default=str) for i in items}
        new = keys - self._seen
        self._seen |= keys
        if not wrapper.get("has_more") or not items:
            return False
        if not new:
            self.stopped = "a page with nothing new"
        elif self.pages >= self.cap:
            self.stopped = f"{self.cap} pages"
        return self.stopped is None
