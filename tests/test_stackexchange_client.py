"""The Stack Exchange client against httpx.MockTransport: wrapper, gzip, backoff, quota, errors."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from pydantic import SecretStr

from config.errors import ScoutError
from config.settings import Settings
from crawlers.stackexchange.answers import MAX_PAGES
from crawlers.stackexchange.client import (
    MAX_BACKOFF_S,
    QuotaStop,
    RequestFailed,
    Throttle,
    make_client,
)

API = "https://se.test/2.3"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def wrapper(items=(), quota=9000, **extra):
    body = {
        "items": list(items),
        "has_more": False,
        "quota_max": 10000,
        "quota_remaining": quota,
        **extra,
    }
    return httpx.Response(
        200, content=gzip.compress(json.dumps(body).encode()), headers={"Content-Encoding": "gzip"}
    )


def error(error_id, name, message):
    body = {"error_id": error_id, "error_name": name, "error_message": message}
    return httpx.Response(400, json=body)


def client_for(handler, fake=None, **settings):
    fake = fake or FakeTime()
    s = Settings(stackexchange_api_url=API, http_retries=2, **settings)
    throttle = Throttle(s.stackexchange_max_rps, s.stackexchange_quota_floor, clock=fake.clock)
    return make_client(s, httpx.MockTransport(handler), sleep=fake.sleep, throttle=throttle), fake


def test_gzip_wrapper_and_key_sent_but_never_kept():
    seen = []

    def handler(request):
        seen.append(request.url)
        return wrapper([{"user_id": 1}])

    client, _ = client_for(handler, stackexchange_key=SecretStr("sekrit-key"))
    page = client.get("/users/{ids}", "/users/1")
    assert page.items == [{"user_id": 1}]
    assert seen[0].params["key"] == "sekrit-key" and seen[0].params["site"] == "stackoverflow"
    assert "sekrit" not in repr(page) and client.throttle.quota_remaining == 9000


def test_backoff_blocks_only_that_method():
    calls = []

    def handler(request):
        calls.append(request.url.path)
        if request.url.path.endswith("/users/1") and len(calls) == 1:
            return wrapper(backoff=10)
        return wrapper()

    client, fake = client_for(handler, stackexchange_max_rps=30)
    client.get("/users/{ids}", "/users/1")
    t0 = fake.now
    client.get("/users/{ids}/tags", "/users/1/tags")  # another method: no wait for backoff
    assert fake.now - t0 < 1
    client.get("/users/{ids}", "/users/2")  # same method: waits out the 10 s
    assert fake.now - t0 >= 10


def test_rate_stays_under_max_rps():
    client, fake = client_for(lambda r: wrapper(), stackexchange_max_rps=10)
    start = fake.now
    for _ in range(21):
        client.get("/users/{ids}", "/users/1")
    assert fake.now - start >= 2.0 - 1e-9


def test_quota_floor_stops_before_digging_in():
    client, _ = client_for(lambda r: wrapper(quota=100), stackexchange_quota_floor=100)
    client.get("/users/{ids}", "/users/1")
    with pytest.raises(QuotaStop) as stop:
        client.get("/users/{ids}", "/users/2")
    assert stop.value.quota_remaining == 100
    assert client.requests == 1


def test_throttle_violation_waits_and_retries():
    answers = iter(
        [
            error(
                502,
                "throttle_violation",
                "too many requests from this IP, more requests available in 3 seconds",
            ),
            wrapper([{"user_id": 5}]),
        ]
    )
    client, fake = client_for(lambda r: next(answers))
    assert client.get("/users/{ids}", "/users/5").items == [{"user_id": 5}]
    assert fake.now - 1000.0 >= 3


def test_spent_quota_stops_with_reset_time():
    client, _ = client_for(
        lambda r: error(
            502,
            "throttle_violation",
            "too many requests from this IP, more requests available in 7200 seconds",
        )
    )
    with pytest.raises(QuotaStop) as stop:
        client.get("/users/{ids}", "/users/5")
    assert stop.value.reset_in_s == 7200 and "2h00m" in str(stop.value)


@pytest.mark.parametrize(
    "bad",
    [
        httpx.Response(503, text="<html>Service Unavailable</html>"),
        httpx.Response(200, content=b'{"items": [{"user_id": 1}, {"us'),
        httpx.Response(200, text="<!DOCTYPE html><html>oops</html>"),
        httpx.Response(
            400, json={"error_id": 500, "error_name": "internal_error", "error_message": "x"}
        ),
        # A gzip body whose deflate data is corrupt (zlib.error, not OSError).
        httpx.Response(200, content=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage!!"),
        httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
        wrapper(quota="lots"),
        wrapper(backoff="soon"),
        wrapper(backoff=float("nan")),
        httpx.Response(200, json={"items": "not a list", "quota_remaining": 10}),
        httpx.Response(400, json={"error_id": "x", "error_name": "?", "error_message": "?"}),
    ],
    ids=[
        "http-503-html",
        "truncated",
        "html",
        "internal-error",
        "corrupt-gzip",
        "deep-json",
        "quota-not-a-number",
        "backoff-not-a-number",
        "backoff-nan",
        "items-not-a-list",
        "error-id-not-a-number",
    ],
)
def test_faults_are_retried_then_counted(bad):
    answers = iter([bad, wrapper([{"user_id": 1}])])
    client, _ = client_for(lambda r: next(answers))
    assert client.get("/users/{ids}", "/users/1").items == [{"user_id": 1}]
    assert client.retries == 1

    client, _ = client_for(lambda r: bad)
    with pytest.raises(RequestFailed):
        client.get("/users/{ids}", "/users/1")
    assert client.failed == 1 and client.requests == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {"error_id": 400, "error_name": "bad_parameter", "error_message": "key"},
            "STACKEXCHANGE_KEY",
        ),
        (
            {"error_id": 403, "error_name": "access_denied", "error_message": "no"},
            "STACKEXCHANGE_KEY",
        ),
        ({"error_id": 400, "error_name": "bad_parameter", "error_message": "sort"}, "sort"),
    ],
)
def test_user_errors_are_one_clear_message(body, words):
    client, _ = client_for(
        lambda r: httpx.Response(400, json=body), stackexchange_key=SecretStr("bad-key-123")
    )
    with pytest.raises(ScoutError) as err:
        client.get("/users/{ids}", "/users/1")
    assert words in err.value.message and "bad-key-123" not in err.value.message
    assert err.value.exit_code == 2


def test_pages_follow_has_more_and_filter_is_created_once():
    def handler(request):
        if request.url.path.endswith("/filters/create"):
            assert "user.location" in request.url.params["include"]
            return wrapper([{"filter": "!abc"}])
        page = int(request.url.params["page"])
        assert request.url.params["filter"] == "!abc"
        return httpx.Response(
            200, json={"items": [{"n": page}], "has_more": page < 3, "quota_remaining": 5000}
        )

    client, _ = client_for(handler)
    assert client.use_filter() == "!abc" and client.use_filter() == "!abc"
    pages = list(
        client.pages("/tags/{tag}/top-answerers/{period}", "/tags/x/top-answerers/all_time")
    )
    assert [p.items[0]["n"] for p in pages] == [1, 2, 3]


def test_a_huge_backoff_is_capped_and_logged(caplog):
    client, fake = client_for(lambda r: wrapper([{"user_id": 1}], backoff=10**9))
    client.get("/users/{ids}", "/users/1")
    started = fake.now
    client.get("/users/{ids}", "/users/1")
    assert fake.now - started == pytest.approx(MAX_BACKOFF_S, abs=1)
    assert "backoff" in caplog.text


@pytest.mark.parametrize("repeat", [True, False], ids=["same-page-again", "endless-new-pages"])
def test_pages_stop_when_has_more_never_ends(repeat):
    def handler(request):
        n = 1 if repeat else int(request.url.params["page"])
        return httpx.Response(
            200, json={"items": [{"n": n}], "has_more": True, "quota_remaining": 5000}
        )

    client, _ = client_for(handler)
    pages = list(client.pages("/users/{ids}/tags", "/users/1/tags"))
    assert len(pages) == (2 if repeat else MAX_PAGES)
    assert client.failed == 1  # the listing was cut short: counted, never "complete"
