"""Reading a GraphQL search answer: whole, partial, or refused (messages for the user).

A partial answer (GitHub's `errors` beside `data`, a null `search`, null nodes, a next page
without a new cursor) is never taken for a whole page: the spider asks again, and if it stays
partial keeps the window open for --resume (crawlers/github/spider.py).
"""

from __future__ import annotations

from typing import Any

NO_TOKEN = (
    "GitHub answered 401 to a request sent without a token: GraphQL search needs one. "
    "Create a personal access token (no scopes needed) at https://github.com/settings/tokens "
    "and set it, e.g. `export GITHUB_TOKEN=ghp_...`; `scout lookup github` and "
    "`scout refresh github` work without one"
)
BAD_TOKEN = (
    "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN "
    "or unset it to crawl at the anonymous limit"
)


def has_path(error: Any) -> bool:
    return isinstance(error, dict) and bool(error.get("path"))


def count_of(value: Any) -> int:
    """A count from the API; anything but a non-negative integer counts as 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


def partial_reason(payload: dict[str, Any], kind: str, after: Any = None) -> str | None:
    """Why a GraphQL answer is not whole (errors beside data, a null search, null nodes, a
    next page without a cursor of its own), or None. `after` is the cursor the page was asked
    with: an answer pointing back to it would page forever."""
    errors = payload.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message", "") if isinstance(first, dict) else first
        return f"GraphQL errors beside data: {str(message)[:120]}"
    data = payload.get("data")
    search = data.get("search") if isinstance(data, dict) else None
    if not isinstance(search, dict):
        return "search is null"
    if kind != "page":
        return None
    nodes = search.get("nodes")
    if not isinstance(nodes, list):
        return "nodes are null"
    missing = sum(1 for n in nodes if not isinstance(n, dict))
    if missing:
        return f"{missing} null node(s)"
    info = search.get("pageInfo")
    if not isinstance(info, dict):
        return "pageInfo is null"
    end = info.get("endCursor")
    if info.get("hasNextPage") and nodes and (not isinstance(end, str) or not end or end == after):
        return "a next page without a new endCursor"
    return None
