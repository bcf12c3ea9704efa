"""Every documented failure mode of the sandbox, triggered through real HTTP requests."""

from __future__ import annotations

from functools import cache

import httpx

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate

TOKEN = {"Authorization": "token sandbox-token"}
SITE = {"site": "stackoverflow"}


@cache
def world():
    return generate(4, 400)


def login():
    return next(a.login for a in world().github.values() if a.type == "User")


def serve(**options):
    return SandboxServer(world(), SandboxOptions(**options))


def test_github_etag_304_costs_nothing():
    with serve() as s, httpx.Client(headers=TOKEN) as c:
        first = c.get(f"{s.github_url}/users/{login()}")
        remaining = int(first.headers["x-ratelimit-remaining"])
        again = c.get(
            f"{s.github_url}/users/{login()}", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        assert int(again.headers["x-ratelimit-remaining"]) == remaining


def test_github_primary_limit_403_with_reset_headers():
    with serve(rate_limit=2) as s, httpx.Client(headers=TOKEN) as c:
        codes = [c.get(f"{s.github_url}/users/{login()}").status_code for _ in range(3)]
        last = c.get(f"{s.github_url}/users/{login()}")
    assert codes[:2] == [200, 200] and last.status_code in (403, 429)
    assert last.headers["x-ratelimit-remaining"] == "0" and int(last.headers["x-ratelimit-reset"])
    assert "rate limit exceeded" in last.json()["message"]


def test_github_anonymous_limit_and_bad_token():
    with serve(anonymous_rate_limit=1) as s, httpx.Client() as c:
        assert c.get(f"{s.github_url}/users/{login()}").status_code == 200
        assert c.get(f"{s.github_url}/users/{login()}").status_code in (403, 429)
        bad = c.get(f"{s.github_url}/users/{login()}", headers={"Authorization": "token bad-x"})
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"


def test_github_secondary_limit_403_with_retry_after():
    with serve(secondary_concurrency=0) as s, httpx.Client(headers=TOKEN) as c:
        r = c.get(f"{s.github_url}/users/{login()}")
    assert r.status_code == 403 and int(r.headers["retry-after"]) > 0
    assert "secondary rate limit" in r.json()["message"]


def test_github_search_cap_and_link_pagination():
    with serve() as s, httpx.Client(headers=TOKEN) as c:
        page = c.get(f"{s.github_url}/search/users", params={"q": "type:user", "per_page": 5})
        assert page.status_code == 200 and 'rel="next"' in page.headers["link"]
        capped = c.get(
            f"{s.github_url}/search/users", params={"q": "type:user", "per_page": 100, "page": 11}
        )
    assert capped.status_code == 422
    assert "first 1000 search results" in capped.json()["message"]


def test_github_graphql_rate_limited_and_error_shape():
    query = {"query": '{ search(query: "type:user", type: USER, first: 100) { userCount } }'}
    with serve(rate_limit=1) as s, httpx.Client(headers=TOKEN) as c:
        c.post(f"{s.github_url}/graphql", json=query)
        limited = c.post(f"{s.github_url}/graphql", json=query).json()
        broken = c.post(f"{s.github_url}/graphql", json={"query": "{ nope }"}).json()
    assert limited["errors"][0]["type"] == "RATE_LIMITED"
    assert "message" in broken["errors"][0] and "locations" in broken["errors"][0]


def test_stackexchange_errors_backoff_and_quota():
    url_of = lambda s, path: s.stackexchange_url + path  # noqa: E731
    with serve(backoff_every=1, backoff_seconds=30, quota=3) as s, httpx.Client() as c:
        missing_site = c.get(url_of(s, "/users/1")).json()
        assert missing_site["error_name"] == "bad_parameter"
        too_many = c.get(url_of(s, "/users/" + ";".join(map(str, range(1, 102)))), params=SITE)
        assert too_many.status_code == 400 and too_many.json()["error_id"] == 400
        keyed = {**SITE, "key": "sandbox-key"}
        first = c.get(url_of(s, "/users/1"), params=keyed).json()
        assert first["backoff"] == 30 and first["quota_remaining"] == 2
        early = c.get(url_of(s, "/users/1"), params=keyed)
        assert early.status_code == 400 and early.json()["error_name"] == "throttle_violation"
        # Other methods are not held back by /users' backoff; the quota runs out.
        c.get(url_of(s, "/users/1/tags"), params=keyed)
        c.get(url_of(s, "/users/1/top-answer-tags"), params=keyed)
        spent = c.get(url_of(s, "/tags/pytorch/top-answerers/all_time"), params=keyed).json()
    assert spent["error_id"] == 502 and "more requests available" in spent["error_message"]


def test_stackexchange_responses_are_gzip():
    with serve() as s, httpx.Client() as c:
        r = c.get(s.stackexchange_url + "/users/1", params=SITE)
    assert r.headers["content-encoding"] == "gzip" and "quota_remaining" in r.json()
