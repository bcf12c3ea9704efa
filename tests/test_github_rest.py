"""GitHub REST emulator: shapes vs the documented key sets, headers, ETag/304, Link pagination,
the 1,000-result cap, primary and secondary limits, bad credentials."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from github_world import (
    API,
    HOST,
    assert_keys,
    body,
    crowd_world,
    fixture,
    get,
    make_api,
)

from sandbox.model import Request

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_user_matches_documented_shape():
    api, stats, _ = make_api()
    r = get(api, "/users/OctoCat")  # logins are case-insensitive
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    user = body(r)
    assert_keys(user, fixture("public_user.json"))
    assert user["login"] == "octocat" and user["id"] == 1 and user["type"] == "User"
    assert user["node_id"] == "MDQ6VXNlcjE="  # base64("04:User1"), as in GitHub's own example
    assert (
        user["url"] == f"{API}/users/octocat" and user["repos_url"] == f"{API}/users/octocat/repos"
    )
    assert user["html_url"] == "https://github.com/octocat"
    assert ISO_Z.match(user["created_at"]) and user["created_at"] == "2011-01-25T18:44:36Z"
    assert (user["public_repos"], user["followers"], user["following"]) == (2, 5000, 9)
    assert (
        user["hireable"] is None and user["email"] is None and user["blog"] == "https://github.blog"
    )
    assert body(get(api, "/users/hoosier"))["blog"] == ""  # GitHub sends "" for no blog
    assert stats.snapshot()["github.rest./users/{login}"] == 2


def test_unknown_user_is_documented_404():
    api, _, _ = make_api()
    r = get(api, "/users/nobody-here")
    assert r.status == 404
    spec = fixture("errors.json")["not_found"]
    assert_keys(body(r), spec)
    assert body(r)["message"] == "Not Found"
    assert body(r)["documentation_url"].startswith("https://docs.github.com/")
    assert "ETag" not in r.headers and r.headers["X-RateLimit-Used"] == "1"
    assert get(api, "/nothing/here").status == 404


def test_repos_and_repo_shapes():
    api, _, _ = make_api()
    repos = body(get(api, "/users/olena-ml/repos"))
    spec = fixture("repository.json")
    assert [r["name"] for r in repos] == ["mlops-pipeline", "notebooks"]  # full_name asc
    for item in repos:
        assert_keys(item, spec)
        assert_keys(item["owner"], spec["owner"])
        assert ISO_Z.match(item["pushed_at"]) and isinstance(item["topics"], list)
    full = get(api, "/repos/OLENA-ML/Notebooks")
    assert full.status == 200
    repo = body(full)
    assert_keys(repo, fixture("full_repository.json"))
    assert repo["full_name"] == "olena-ml/notebooks" and repo["language"] == "Jupyter Notebook"
    assert body(get(api, f"/repositories/{repo['id']}"))["full_name"] == "olena-ml/notebooks"
    assert get(api, "/repos/olena-ml/missing").status == 404
    by_stars = body(get(api, "/users/priya/repos", sort="created", per_page=100))
    created = [r["created_at"] for r in by_stars]
    assert created == sorted(created, reverse=True)  # non-name sorts default to desc


def test_search_users_shape_and_qualifiers():
    api, stats, _ = make_api()
    r = get(api, "/search/users", q='location:"kyiv" type:user', per_page=5)
    assert r.status == 200 and r.headers["X-RateLimit-Resource"] == "search"
    result = body(r)
    spec = fixture("search_users.json")
    assert_keys(result, spec)
    assert result["total_count"] == 1 and result["incomplete_results"] is False
    assert_keys(result["items"][0], spec["item"])
    assert result["items"][0]["login"] == "olena-ml"
    assert isinstance(result["items"][0]["score"], float)
    logins = [i["login"] for i in body(get(api, "/search/users", q="language:python"))["items"]]
    assert set(logins) == {"olena-ml", "joao", "priya", "ml-org"}
    ranked = body(get(api, "/search/users", q="type:user", sort="followers", order="asc"))
    followers = [i["login"] for i in ranked["items"]]
    assert followers[:2] == ["deploy-bot", "hoosier"] and followers[-1] == "octocat"
    assert stats.snapshot()["github.rest./search/users"] == 3


def test_search_validation_errors():
    api, _, _ = make_api()
    missing = get(api, "/search/users")
    assert missing.status == 422
    assert_keys(body(missing), fixture("errors.json")["validation_failed"])
    assert body(missing)["errors"][0]["code"] == "missing"
    bad = get(api, "/search/users", q="created:yesterday")
    assert bad.status == 422 and body(bad)["errors"][0]["code"] == "invalid"


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


def test_link_pagination_for_repos():
    api, _, _ = make_api()
    first = get(api, "/users/priya/repos", per_page=10)
    assert len(body(first)) == 10
    links = _links(first.headers["Link"])
    assert set(links) == {"next", "last"}
    assert links["next"] == f"{API}/user/5/repos?per_page=10&page=2"  # GitHub links by user id
    assert parse_qs(urlsplit(links["last"]).query)["page"] == ["5"]
    middle = get(api, "/users/priya/repos", per_page=10, page=3)
    assert set(_links(middle.headers["Link"])) == {"prev", "next", "last", "first"}
    # Following the link (path relative to the /github prefix) reaches the same data.
    path = urlsplit(links["next"]).path.removeprefix("/github")
    followed = get(api, path, per_page=10, page=2)
    assert followed.status == 200 and len(body(followed)) == 10
    last = get(api, "/users/priya/repos", per_page=10, page=5)
    assert len(body(last)) == 5 and set(_links(last.headers["Link"])) == {"prev", "first"}
    assert "Link" not in get(api, "/users/olena-ml/repos").headers


def test_search_cap_of_1000_results():
    api, _, _ = make_api(crowd_world(1100), search_per_minute=1000)
    page10 = get(api, "/search/users", q="location:kyiv", per_page=100, page=10)
    assert page10.status == 200 and body(page10)["total_count"] == 1100
    assert len(body(page10)["items"]) == 100
    assert set(_links(page10.headers["Link"])) == {"prev", "first"}  # page 10 is the last one
    page11 = get(api, "/search/users", q="location:kyiv", per_page=100, page=11)
    assert page11.status == 422
    assert body(page11)["message"] == "Only the first 1000 search results are available"
    assert_keys(body(page11), fixture("errors.json")["search_cap"])
    # With 30 a page, page 34 starts at result 991: it is served, cut at result 1,000.
    page34 = get(api, "/search/users", q="location:kyiv", per_page=30, page=34)
    assert page34.status == 200 and len(body(page34)["items"]) == 10
    assert get(api, "/search/users", q="location:kyiv", per_page=30, page=35).status == 422
    first = get(api, "/search/users", q="location:kyiv", per_page=30)
    assert parse_qs(urlsplit(_links(first.headers["Link"])["last"]).query)["page"] == ["34"]


def test_etag_and_304_is_not_charged_with_a_token():
    api, stats, _ = make_api()
    r = get(api, "/users/octocat")
    etag = r.headers["ETag"]
    assert re.fullmatch(r'W/"[0-9a-f]{64}"', etag)
    assert r.headers["X-RateLimit-Remaining"] == "4999"
    again = get(api, "/users/octocat", headers={"if-none-match": etag})
    assert again.status == 304 and again.body == b""
    assert again.headers["ETag"] == etag and again.headers["X-RateLimit-Remaining"] == "4999"
    stale = get(api, "/users/octocat", headers={"if-none-match": 'W/"0000"'})
    assert stale.status == 200 and stale.headers["X-RateLimit-Remaining"] == "4998"
    assert stats.snapshot()["github.304"] == 1


def test_304_without_a_token_still_counts():
    api, _, _ = make_api()
    etag = get(api, "/users/octocat", token=None).headers["ETag"]
    again = get(api, "/users/octocat", token=None, headers={"if-none-match": etag})
    assert again.status == 304 and again.headers["X-RateLimit-Used"] == "2"


def test_headers_on_every_response():
    api, _, clock = make_api()
    r = get(api, "/users/octocat")
    for name in (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Used",
        "X-RateLimit-Reset",
        "X-RateLimit-Resource",
        "X-GitHub-Request-Id",
    ):
        assert name in r.headers
    assert int(r.headers["X-RateLimit-Reset"]) == int(clock.now) + 3600
    other = get(api, "/users/ivan")
    assert other.headers["X-GitHub-Request-Id"] != r.headers["X-GitHub-Request-Id"]


def test_primary_limit_exhaustion_and_reset():
    api, stats, clock = make_api(rate_limit=3)
    for _ in range(3):
        assert get(api, "/users/octocat").status == 200
    r = get(api, "/users/ivan")
    assert r.status == 403
    assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["X-RateLimit-Used"] == "3"
    assert_keys(body(r), fixture("errors.json")["primary_rate_limit"])
    assert body(r)["message"].startswith("API rate limit exceeded for user ID ")
    reset = int(r.headers["X-RateLimit-Reset"])
    clock.now = reset - 1
    assert get(api, "/users/ivan").status == 403
    clock.now = reset
    ok = get(api, "/users/ivan")
    assert ok.status == 200 and ok.headers["X-RateLimit-Remaining"] == "2"
    assert stats.snapshot()["github.rate_limited"] == 2


def test_anonymous_budget_is_separate_and_says_so():
    api, _, _ = make_api(anonymous_rate_limit=2)
    for _ in range(2):
        assert get(api, "/users/octocat", token=None).status == 200
    r = get(api, "/users/octocat", token=None)
    assert r.status == 403 and r.headers["X-RateLimit-Limit"] == "2"
    assert "Authenticated requests get a higher rate limit" in body(r)["message"]
    assert get(api, "/users/octocat", token="another").status == 200


def test_search_has_its_own_per_minute_budget():
    api, _, clock = make_api(search_per_minute=2)
    assert get(api, "/search/users", q="kyiv").status == 200
    assert get(api, "/search/users", q="kiev").status == 200
    blocked = get(api, "/search/users", q="india")
    assert blocked.status == 403 and blocked.headers["X-RateLimit-Resource"] == "search"
    assert get(api, "/users/octocat").status == 200  # core is untouched
    clock.now += 60
    assert get(api, "/search/users", q="india").status == 200


def test_rate_limit_endpoint_is_free_and_documented():
    api, _, _ = make_api()
    get(api, "/users/octocat")
    get(api, "/search/users", q="kyiv")
    r = get(api, "/rate_limit")
    spec = fixture("rate_limit.json")
    data = body(r)
    assert_keys(data, spec)
    assert_keys(data["resources"], spec["resources"])
    for window in [*data["resources"].values(), data["rate"]]:
        assert_keys(window, spec["resource"])
    assert data["resources"]["core"]["used"] == 1 and data["resources"]["search"]["used"] == 1
    assert data["resources"]["search"]["limit"] == 30
    assert data["rate"]["remaining"] == data["resources"]["core"]["remaining"]
    assert body(get(api, "/rate_limit"))["resources"]["core"]["used"] == 1  # still free


def test_bad_credentials():
    api, stats, _ = make_api()
    r = get(api, "/users/octocat", token="bad-token")
    assert r.status == 401
    assert_keys(body(r), fixture("errors.json")["bad_credentials"])
    assert body(r)["message"] == "Bad credentials"
    bearer = api.handle(
        Request("GET", "/users/octocat", {}, {"host": HOST, "authorization": "Bearer bad"})
    )
    assert bearer.status == 401
    assert stats.snapshot()["github.401"] == 2


def test_secondary_limit_through_the_in_flight_hook():
    api, stats, _ = make_api(secondary_concurrency=2)
    key = "token:" + __import__("hashlib").sha256(b"good-token").hexdigest()[:16]
    api.inflight.enter(key)
    api.inflight.enter(key)
    r = get(api, "/users/octocat")
    assert r.status == 403 and r.headers["Retry-After"] == "60"
    assert_keys(body(r), fixture("errors.json")["secondary_rate_limit"])
    assert body(r)["message"].startswith("You have exceeded a secondary rate limit")
    assert r.headers["X-RateLimit-Used"] == "0"  # not charged to the primary budget
    assert get(api, "/users/octocat", token="someone-else").status == 200
    api.inflight.exit(key)
    assert get(api, "/users/octocat").status == 200
    assert stats.snapshot()["github.secondary_limited"] == 1


def test_secondary_limit_under_real_concurrency(monkeypatch):
    api, _, _ = make_api(secondary_concurrency=3)
    release = threading.Event()
    entered = threading.Semaphore(0)
    original = api._user

    def slow_user(*args):
        entered.release()
        release.wait(5)
        return original(*args)

    monkeypatch.setattr(api, "_user", slow_user)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(login: str) -> None:
        r = get(api, f"/users/{login}")
        with lock:
            statuses.append(r.status)

    threads = [threading.Thread(target=call, args=(f"u{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert entered.acquire(timeout=5)
    blocked = get(api, "/users/octocat")  # the fourth concurrent request
    release.set()
    for t in threads:
        t.join(5)
    assert blocked.status == 403 and "Retry-After" in blocked.headers
    assert sorted(statuses) == [404, 404, 404]
    assert get(api, "/users/octocat").status == 200


def test_budget_is_exact_under_threads():
    api, _, _ = make_api(rate_limit=500)
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for i in range(60):
            status = get(api, f"/users/{['octocat', 'ivan', 'joao'][i % 3]}").status
            with lock:
                results.append(status)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(200) == 500 and results.count(403) == 100


@pytest.mark.parametrize("path", ["/users/octocat", "/users/priya/repos"])
def test_requests_are_cheap(path):
    api, _, _ = make_api(rate_limit=10**6)
    get(api, path)
    start = time.process_time()
    for _ in range(300):
        get(api, path)
    per_call = (time.process_time() - start) / 300
    assert per_call < 0.001, f"{per_call * 1000:.3f} ms CPU per request"
