"""The Stack Exchange 2.3 emulator (sandbox/stackexchange_api.py): the shapes of its answers
against key-set fixtures written from the public docs, keys, quota, backoff, throttles, its
stats, gzip on every response.
"""

from __future__ import annotations

import gzip
import json
import threading
from datetime import timedelta

import pytest
from se_api_calls import NOW, call, check_error, check_keys, make_api

from sandbox.model import Request

# -- shapes ---------------------------------------------------------------------------------


def test_users_default_shape_and_types() -> None:
    api, _, _ = make_api()
    status, body = call(api, "/users/1;2;3")
    assert status == 200
    check_keys(body, "wrapper")
    assert body["has_more"] is False and body["quota_max"] == 300
    assert [u["user_id"] for u in body["items"]] == [3, 2, 1]  # sort=reputation, desc
    for user in body["items"]:
        check_keys(user, "user")
        check_keys(user["badge_counts"], "badge_count")
        assert "about_me" not in user  # not in the default filter
        for date in ("creation_date", "last_access_date", "last_modified_date"):
            assert isinstance(user[date], int)
        assert isinstance(user["is_employee"], bool)
    assert body["items"][2]["creation_date"] == int((NOW - timedelta(days=1001)).timestamp())


def test_tags_top_tags_and_top_answerers_shapes() -> None:
    api, _, _ = make_api()
    _, tags = call(api, "/users/1;2/tags")
    assert {(t["user_id"], t["name"]) for t in tags["items"]} == {
        (1, "python"),
        (1, "pytorch"),
        (2, "python"),
        (2, "pytorch"),
    }
    for tag in tags["items"]:
        check_keys(tag, "tag")
    _, top = call(api, "/users/3/top-answer-tags")
    assert [t["tag_name"] for t in top["items"]] == ["python", "pytorch"]
    assert top["items"][0] == {
        "user_id": 3,
        "answer_count": 13,
        "answer_score": 53,
        "question_count": 2,
        "question_score": 5,
        "tag_name": "python",
    }
    for item in top["items"]:
        check_keys(item, "top_tag")
    _, best = call(api, "/tags/python/top-answerers/all_time", pagesize=100)
    assert len(best["items"]) == 30 and best["has_more"] is False  # the top 30 only
    scores = [i["score"] for i in best["items"]]
    assert scores == sorted(scores, reverse=True) and best["items"][0]["user"]["user_id"] == 150
    for item in best["items"]:
        check_keys(item, "tag_score")
        check_keys(item["user"], "shallow_user")
    _, month = call(api, "/tags/python/top-answerers/month")
    assert month["items"] and all(i["post_count"] > 0 for i in month["items"])
    status, err = call(api, "/tags/python/top-answerers/week")
    check_error(status, err, 400, "bad_parameter")


def test_deleted_and_unknown_users_are_absent() -> None:
    api, _, _ = make_api()
    _, body = call(api, "/users/6;7;99999")
    assert [u["user_id"] for u in body["items"]] == [6]
    _, tags = call(api, "/users/7/tags")
    assert tags["items"] == []


# -- key, quota, backoff, throttles -----------------------------------------------------------


def test_bad_key_is_bad_parameter_and_unknown_path_is_no_method() -> None:
    api, _, stats = make_api()
    status, err = call(api, "/users/1", key="bad-key")
    check_error(status, err, 400, "bad_parameter")
    assert err["error_message"] == "key"
    status, err = call(api, "/questions/unanswered")
    check_error(status, err, 404, "no_method")
    status, err = call(api, "/errors/503")
    check_error(status, err, 503, "temporarily_unavailable")
    snap = stats.snapshot()
    assert snap["stackexchange.errors.no_method"] == 1
    assert snap["stackexchange.requests"] == 3


def test_quota_decrements_and_exhaustion_is_throttle_violation() -> None:
    api, clock, stats = make_api(quota=5, burst_limit=0)
    remaining = [call(api, "/users/1", key="k1")[1]["quota_remaining"] for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    status, err = call(api, "/users/1", key="k1")
    check_error(status, err, 502, "throttle_violation")
    assert "more requests available in" in err["error_message"]
    # Keys on one IP share its quota (/docs/throttle): a second key does not buy more.
    check_error(*call(api, "/users/1", key="k2"), 502, "throttle_violation")
    # Without a key the IP has its own 300 a day; another IP is untouched.
    _, anon = call(api, "/users/1")
    assert (anon["quota_max"], anon["quota_remaining"]) == (300, 299)
    assert call(api, "/users/1", ip="10.0.0.2", key="k1")[1]["quota_remaining"] == 4
    clock.t += 86400  # the next UTC day resets every quota
    assert call(api, "/users/1", key="k1")[1]["quota_remaining"] == 4
    assert stats.snapshot()["stackexchange.quota_used"] == 8


def test_backoff_per_method_and_early_call_is_throttled() -> None:
    api, clock, _ = make_api(backoff_every=3, backoff_seconds=5)
    bodies = [call(api, "/users/1")[1] for _ in range(3)]
    assert ["backoff" in b for b in bodies] == [False, False, True]
    assert bodies[2]["backoff"] == 5
    check_keys(bodies[2], "wrapper")
    # Another method is not held back...
    assert call(api, "/users/1/tags")[0] == 200
    # ...but calling the same method before the backoff elapsed is a violation.
    clock.t += 4
    status, err = call(api, "/users/2")
    check_error(status, err, 502, "throttle_violation")
    clock.t += 1.5
    status, body = call(api, "/users/2")
    assert status == 200 and "backoff" not in body


def test_more_than_thirty_requests_a_second_is_throttled() -> None:
    api, clock, _ = make_api()
    statuses = [call(api, "/users/1")[0] for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 400
    check_error(*call(api, "/users/1"), 502, "throttle_violation")
    assert call(api, "/users/1", ip="10.9.9.9")[0] == 200  # per IP
    clock.t += 1.01
    assert call(api, "/users/1")[0] == 200


def test_stats_and_thread_safety() -> None:
    api, _, stats = make_api(quota=10_000, burst_limit=0)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(50):
                assert call(api, "/users/1;2;3", key="k")[0] == 200
        except BaseException as exc:  # surface failures from the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    snap = stats.snapshot()
    assert snap["stackexchange./users/{ids}"] == 400
    assert snap["stackexchange.quota_used"] == 400
    assert call(api, "/users/1", key="k")[1]["quota_remaining"] == 10_000 - 401


@pytest.mark.parametrize("path", ["/users/1", "/nope", "/users/1/tags"])
def test_every_response_is_gzip(path: str) -> None:
    api, _, _ = make_api()
    resp = api.handle(Request("GET", path, {}, {}))
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.body[:2] == b"\x1f\x8b"
    json.loads(gzip.decompress(resp.body))
