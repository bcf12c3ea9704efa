"""The rules and matchers of tests/fault_proxy.py (documented there)."""

from __future__ import annotations

import copy
import gzip
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fault_proxy import Exchange, Kill, Matcher, Rule

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>We are down for maintenance</h1></body></html>"
)


# -- matchers --------------------------------------------------------------------------------


def any_request(exchange: Exchange) -> bool:
    return True


def graphql_any(exchange: Exchange) -> bool:
    return exchange.method == "POST" and exchange.path.rstrip("/").endswith("/graphql")


def graphql_pages(exchange: Exchange) -> bool:
    """GitHub search page queries (they ask for nodes); not the one-point count probes."""
    if not graphql_any(exchange):
        return False
    query = (exchange.json_request() or {}).get("query", "")
    return isinstance(query, str) and "search(" in query and "nodes" in query


def graphql_details(exchange: Exchange) -> bool:
    """GitHub detail queries (`nodes(ids:)`: users with their repositories)."""
    if not graphql_any(exchange):
        return False
    query = (exchange.json_request() or {}).get("query", "")
    return isinstance(query, str) and "nodes(ids:" in query


def se_method(pattern: str) -> Matcher:
    """Stack Exchange requests whose path after `/2.3` matches `pattern` (re.search)."""
    compiled = re.compile(pattern)

    def match(exchange: Exchange) -> bool:
        path = urlsplit(exchange.path).path
        _, _, method = path.partition("/2.3")
        return bool(method) and compiled.search(method) is not None

    return match


# -- body helpers ----------------------------------------------------------------------------


def _graphql_answer(exchange: Exchange) -> dict[str, Any]:
    data = json.loads(exchange.response_body)
    assert isinstance(data, dict), "the upstream GraphQL answer is not an object"
    return data


def _set_json(exchange: Exchange, data: Any) -> None:
    exchange.response_body = json.dumps(data).encode()


def _se_wrapper(exchange: Exchange) -> dict[str, Any]:
    data = json.loads(gzip.decompress(exchange.response_body))
    assert isinstance(data, dict), "the upstream Stack Exchange answer is not a wrapper"
    return data


def _search_nodes(data: dict[str, Any]) -> list[Any]:
    """The user nodes of a search page, or of a detail answer (`nodes(ids:)`)."""
    found = data.get("data") or {}
    search = found.get("search") or {}
    nodes = search.get("nodes") if "search" in found else found.get("nodes")
    return nodes if isinstance(nodes, list) else []


# -- rules -----------------------------------------------------------------------------------


def graphql_node(
    mutate: Callable[[dict[str, Any]], None],
    index: int = 0,
    name: str = "graphql_node",
    match: Matcher = graphql_details,
    skip: int = 0,
    times: int | None = 1,
) -> Rule:
    """One user node of a detail answer changed in place by `mutate` (the `index`-th User).

    `notes` gets the page's nodes as upstream sent them, then the node as changed."""
    rule = Rule(name, match, lambda exchange: None, skip, times)

    def action(exchange: Exchange) -> None:
        data = _graphql_answer(exchange)
        users = [n for n in _search_nodes(data) if isinstance(n, dict) and n.get("repositories")]
        if users:
            node = users[min(index, len(users) - 1)]
            rule.notes[:] = [copy.deepcopy(users)]
            mutate(node)
            rule.notes.append(node)
        _set_json(exchange, data)

    rule.action = action
    return rule


def wrong_language(node: dict[str, Any]) -> None:
    """The first repository's `primaryLanguage` becomes a number (the schema says an object)."""
    repos = node["repositories"]["nodes"]
    repos[0]["primaryLanguage"] = 42


def long_name(node: dict[str, Any]) -> None:
    """`name` becomes a 10 KB string (profiles.name is varchar(300))."""
    node["name"] = "N" * 10_240


def graphql_partial(
    nulls: int = 3, match: Matcher = graphql_pages, skip: int = 0, times: int | None = 1
) -> Rule:
    """`errors` beside `data`, and the first `nulls` search nodes null."""

    def action(exchange: Exchange) -> None:
        data = _graphql_answer(exchange)
        nodes = _search_nodes(data)
        errors = []
        for i in range(min(nulls, len(nodes))):
            nodes[i] = None
            errors.append(
                {
                    "type": "INTERNAL",
                    "message": "Something went wrong while executing your query.",
                    "path": ["search", "nodes", i],
                    "locations": [{"line": 5, "column": 5}],
                }
            )
        data["errors"] = errors
        _set_json(exchange, data)

    return Rule("graphql_partial", match, action, skip, times)


def graphql_null_search(
    errors: bool = False, match: Matcher = graphql_any, skip: int = 0, times: int | None = 1
) -> Rule:
    """`data.search` null (every aliased search of a count batch too); with `errors`, the
    error GitHub gives for a timed-out search, once per search."""

    def action(exchange: Exchange) -> None:
        data = _graphql_answer(exchange)
        found = data.setdefault("data", {})
        if not isinstance(found, dict):
            found = data["data"] = {}
        searches = [k for k, v in found.items() if isinstance(v, dict) and "userCount" in v]
        for key in {"search", *searches}:
            found[key] = None
        if errors:
            data["errors"] = [
                {"type": "SERVICE_UNAVAILABLE", "message": "Search timed out", "path": [key]}
                for key in sorted({"search", *searches})
                if key != "search" or not searches
            ]
        _set_json(exchange, data)

    return Rule("graphql_null_search", match, action, skip, times)


def corrupt_gzip(match: Matcher = any_request, skip: int = 0, times: int | None = 1) -> Rule:
    """A gzip body whose 10-byte header is intact and whose deflate stream is not."""

    def action(exchange: Exchange) -> None:
        body = exchange.response_body
        assert body[:2] == b"\x1f\x8b", "the upstream answer was not gzipped"
        garbage = bytes((b ^ 0x5A) for b in body[10:])
        exchange.response_body = body[:10] + garbage

    return Rule("corrupt_gzip", match, action, skip, times)


def se_field(
    name: str, value: Any, match: Matcher = any_request, skip: int = 0, times: int | None = 1
) -> Rule:
    """One Stack Exchange wrapper field set to `value` (gzipped again, as the API sends it)."""

    def action(exchange: Exchange) -> None:
        wrapper = _se_wrapper(exchange)
        wrapper[name] = value
        exchange.response_body = gzip.compress(json.dumps(wrapper).encode(), mtime=0)

    return Rule(f"se_field:{name}", match, action, skip, times)


def deep_json(
    depth: int = 200_000, match: Matcher = any_request, skip: int = 0, times: int | None = 1
) -> Rule:
    """A gzipped body that is valid JSON nested `depth` lists deep (a parser's recursion)."""

    def action(exchange: Exchange) -> None:
        exchange.response_body = gzip.compress(b"[" * depth + b"]" * depth, mtime=0)

    return Rule("deep_json", match, action, skip, times)


def stuck_page(match: Matcher = any_request, skip: int = 0, times: int | None = None) -> Rule:
    """Paging that never ends: every answer to a path (query ignored) repeats the first one
    it got, with `has_more` true."""
    first: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def action(exchange: Exchange) -> None:
        path = urlsplit(exchange.path).path
        with lock:
            wrapper = first.setdefault(path, _se_wrapper(exchange))
        exchange.response_body = gzip.compress(
            json.dumps({**wrapper, "has_more": True}).encode(), mtime=0
        )

    return Rule("stuck_page", match, action, skip, times)


def hold(
    release: threading.Event, match: Matcher = any_request, skip: int = 0, times: int | None = None
) -> Rule:
    """The upstream answer is kept back until `release` is set (at most 30 s): a crawl caught
    mid-way, for as long as a test needs it there."""

    def action(exchange: Exchange) -> None:
        release.wait(30)

    return Rule("hold", match, action, skip, times)


def html_page(
    status: int = 200, match: Matcher = any_request, skip: int = 0, times: int | None = 1
) -> Rule:
    """An HTML maintenance page (no Content-Encoding) with `status`: 200, or e.g. 503."""

    def action(exchange: Exchange) -> None:
        exchange.status = status
        exchange.response_headers = {"Content-Type": "text/html; charset=utf-8"}
        exchange.response_body = HTML_PAGE

    return Rule("html_page", match, action, skip, times, upstream=False)


def die(how: str = "reset", match: Matcher = any_request, skip: int = 0) -> Rule:
    """After `skip` matching requests the upstream dies: that request and every later one, on
    any connection, is reset (`how="reset"`); with `how="refuse"` the listener closes too, so
    new connections are refused."""
    assert how in ("reset", "refuse")

    def action(exchange: Exchange) -> None:
        raise Kill(how)

    return Rule(f"die:{how}", match, action, skip, times=None, upstream=False)
