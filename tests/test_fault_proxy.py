"""The fault proxy itself (tests/fault_proxy.py, tests/fault_rules.py): that it forwards
faithfully, and that each rule does what its documentation says, when it says."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fault_proxy import FaultProxy
from fault_rules import (
    corrupt_gzip,
    deep_json,
    die,
    graphql_details,
    graphql_node,
    graphql_null_search,
    graphql_partial,
    hold,
    html_page,
    long_name,
    se_field,
    se_method,
    stuck_page,
    wrong_language,
)

from crawlers.github.query import DETAIL_QUERY, PAGE_QUERY, count_query
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate

SE_USERS = "/stackexchange/2.3/users/{}?site=stackoverflow"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    options = SandboxOptions(rate_limit=1_000_000, quota=1_000_000)
    with SandboxServer(generate(3, 150), options) as server:
        yield server


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    headers = {"Authorization": "bearer ghp_" + "t" * 36, "Content-Type": "application/json"}
    try:
        conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def search(base: str, query: str = PAGE_QUERY) -> dict[str, Any]:
    status, body = call(
        base,
        "POST",
        "/github/graphql",
        {"query": query, "variables": {"q": "type:user", "q0": "type:user", "first": 10}},
    )
    assert status == 200
    data: dict[str, Any] = json.loads(body)
    return data


def se_user(sandbox: SandboxServer, base: str) -> tuple[int, bytes]:
    uid = next(iter(sandbox.world.stackoverflow))
    return call(base, "GET", SE_USERS.format(uid))


def test_without_rules_answers_are_forwarded_unchanged(sandbox):
    with FaultProxy(sandbox.base_url) as proxy:
        status, body = se_user(sandbox, proxy.base_url)
        direct = json.loads(gzip.decompress(se_user(sandbox, sandbox.base_url)[1]))
        proxied = json.loads(gzip.decompress(body))  # still gzipped, as the API sends it
        assert status == 200 and proxied["items"] == direct["items"]
        assert proxied["quota_remaining"] == direct["quota_remaining"] + 1
        assert (
            search(proxy.base_url)["data"]["search"] == search(sandbox.base_url)["data"]["search"]
        )
        assert proxy.requests == 2


def test_skip_and_times_choose_which_requests_are_faulted(sandbox):
    rule = graphql_null_search(skip=1, times=2)
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        searches = [search(proxy.base_url)["data"]["search"] for _ in range(4)]
    assert [s is None for s in searches] == [False, True, True, False]
    assert (rule.matched, rule.fired) == (4, 2)


def test_graphql_rules_touch_only_page_queries(sandbox):
    rules = [graphql_partial(nulls=3, times=None)]
    with FaultProxy(sandbox.base_url, rules) as proxy:
        count = search(proxy.base_url, count_query(1))
        page = search(proxy.base_url)
    assert "errors" not in count
    nodes = page["data"]["search"]["nodes"]
    assert nodes[:3] == [None, None, None] and all(nodes[3:])
    assert [e["path"] for e in page["errors"]] == [["search", "nodes", i] for i in range(3)]


@pytest.mark.parametrize("mutate", [wrong_language, long_name])
def test_graphql_node_changes_one_user_and_notes_it(sandbox, mutate):
    rule = graphql_node(mutate, index=2, match=graphql_details)
    ids = [n["id"] for n in search(sandbox.base_url)["data"]["search"]["nodes"] if "id" in n]
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        _, body = call(
            proxy.base_url,
            "POST",
            "/github/graphql",
            {"query": DETAIL_QUERY, "variables": {"ids": ids}},
        )
        nodes = json.loads(body)["data"]["nodes"]
    page, changed = rule.notes
    assert changed in nodes and len(page) >= 3
    original = next(n for n in page if n["databaseId"] == changed["databaseId"])
    assert original != changed
    assert [n for n in nodes if n != changed] == [n for n in page if n != original]


def test_corrupt_gzip_keeps_the_header_and_breaks_the_stream(sandbox):
    rule = corrupt_gzip(match=se_method(r"^/users/\d+$"))
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        status, body = se_user(sandbox, proxy.base_url)
    assert status == 200 and body[:2] == b"\x1f\x8b"
    # zlib.error is not an OSError: the trap a decoder catching (ValueError, OSError) falls in.
    with pytest.raises(zlib.error):
        gzip.decompress(body)


def test_se_field_rewrites_one_wrapper_field(sandbox):
    with FaultProxy(sandbox.base_url, [se_field("quota_remaining", "plenty")]) as proxy:
        _, body = se_user(sandbox, proxy.base_url)
    wrapper = json.loads(gzip.decompress(body))
    assert wrapper["quota_remaining"] == "plenty" and wrapper["items"]


@pytest.mark.parametrize("code", [200, 503])
def test_html_page_answers_html_with_its_status(sandbox, code):
    with FaultProxy(sandbox.base_url, [html_page(code)]) as proxy:
        status, body = se_user(sandbox, proxy.base_url)
    assert status == code and body.startswith(b"<!DOCTYPE html>")


def test_deep_json_is_valid_json_too_deep_to_parse(sandbox):
    with FaultProxy(sandbox.base_url, [deep_json(depth=50_000)]) as proxy:
        status, body = se_user(sandbox, proxy.base_url)
    assert status == 200 and gzip.decompress(body) == b"[" * 50_000 + b"]" * 50_000
    with pytest.raises(RecursionError):
        json.loads(gzip.decompress(body))


def test_stuck_page_repeats_the_first_page_with_has_more(sandbox):
    uid = next(iter(sandbox.world.stackoverflow))
    path = SE_USERS.format(uid)
    with FaultProxy(sandbox.base_url, [stuck_page()]) as proxy:
        pages = [call(proxy.base_url, "GET", f"{path}&page={n}")[1] for n in (1, 2, 3)]
    first, *later = [json.loads(gzip.decompress(page)) for page in pages]
    assert first["items"] and first["has_more"] is True
    assert all(page["items"] == first["items"] and page["has_more"] for page in later)
    assert (
        json.loads(gzip.decompress(call(sandbox.base_url, "GET", f"{path}&page=2")[1]))["items"]
        == []
    )  # the real second page is empty


def test_hold_keeps_the_answer_back_until_released(sandbox):
    release = threading.Event()
    answers: list[int] = []
    with FaultProxy(sandbox.base_url, [hold(release)]) as proxy:
        asking = threading.Thread(
            target=lambda: answers.append(se_user(sandbox, proxy.base_url)[0])
        )
        asking.start()
        asking.join(0.5)
        assert answers == [] and asking.is_alive()
        release.set()
        asking.join(5)
    assert answers == [200]


@pytest.mark.parametrize("how", ["reset", "refuse"])
def test_a_dead_upstream_stays_dead(sandbox, how):
    with FaultProxy(sandbox.base_url, [die(how, skip=1)]) as proxy:
        assert se_user(sandbox, proxy.base_url)[0] == 200
        for _ in range(2):
            with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
                se_user(sandbox, proxy.base_url)
        assert proxy.dead and proxy.killed_by == f"die:{how}"
        if how == "refuse":
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    se_user(sandbox, proxy.base_url)
                except ConnectionRefusedError:
                    break
                except ConnectionError:
                    time.sleep(0.05)
            else:
                pytest.fail("the listener never closed")
