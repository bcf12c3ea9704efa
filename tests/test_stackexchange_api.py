"""The Stack Exchange 2.3 emulator against key-set fixtures written from the public docs."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox import stackexchange_filters as filters
from sandbox.model import (
    Request,
    SandboxOptions,
    SOTagActivity,
    SOUser,
    Stats,
    World,
)
from sandbox.stackexchange_api import StackExchangeAPI
from sandbox.stackexchange_sites import site_users
from sandbox.world import generate

FIXTURES = Path(__file__).parent / "fixtures" / "stackexchange"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T0 = NOW.timestamp()


def fixture(type_name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{type_name}.json").read_text())


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def so_user(uid: int, **kw: Any) -> SOUser:
    base: dict[str, Any] = {
        "user_id": uid,
        "account_id": 10_000 + uid,
        "display_name": f"User {uid}",
        "reputation": 100 * uid,
        "location": "Kraków, Poland",
        "website_url": f"https://example.org/{uid}",
        "about_me": "<p>I build ML pipelines</p>",
        "user_type": "registered",
        "badge_counts": {"bronze": 3, "silver": 2, "gold": 1},
        "creation_date": NOW - timedelta(days=1000 + uid),
        "last_access_date": NOW - timedelta(days=uid % 60),
        "last_modified_date": NOW - timedelta(days=uid % 90),
        "tags": [
            SOTagActivity("python", 10 + uid, 50 + uid, 2, 5),
            SOTagActivity("pytorch", uid % 7, 3 * (uid % 7), 1, 1),
        ],
    }
    base.update(kw)
    return SOUser(**base)


def make_world(n: int = 150) -> World:
    world = World(seed=1, people=n, now=NOW)
    for uid in range(1, n + 1):
        world.stackoverflow[uid] = so_user(uid)
    world.stackoverflow[7] = so_user(7, user_type="does_not_exist")
    world.stackoverflow[8] = so_user(8, display_name="O'Brien <Dev>", location=None)
    return world


WORLD = make_world()


def make_api(**opts: Any) -> tuple[StackExchangeAPI, Clock, Stats]:
    burst = opts.pop("burst_limit", 30)
    clock, stats = Clock(), Stats()
    api = StackExchangeAPI(WORLD, SandboxOptions(**opts), stats, clock, burst_limit=burst)
    return api, clock, stats


def call(
    api: StackExchangeAPI, path: str, ip: str = "10.0.0.1", method: str = "GET", **params: Any
) -> tuple[int, dict[str, Any]]:
    params.setdefault("site", "stackoverflow")
    query = {k: [str(v)] for k, v in params.items() if v is not None}
    resp = api.handle(Request(method, path, query, {"x-forwarded-for": ip}))
    # Every response, success or error, is gzip-compressed JSON, as on the real API.
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    return resp.status, json.loads(gzip.decompress(resp.body))


def ids(a: int, b: int) -> str:
    return ";".join(str(i) for i in range(a, b + 1))


def check_keys(obj: dict[str, Any], type_name: str) -> None:
    fx = fixture(type_name)
    keys = set(obj)
    required = set(fx["default_filter"]) - set(fx["may_be_absent"])
    assert required <= keys, (type_name, required - keys)
    assert keys <= set(fx["default_filter"]), (type_name, keys - set(fx["default_filter"]))


def check_error(status: int, body: dict[str, Any], error_id: int, name: str) -> None:
    assert status == 400  # /docs/error-handling: HTTP 400 for every error
    assert set(body) == set(fixture("error")["fields"])
    assert (body["error_id"], body["error_name"]) == (error_id, name)
    assert isinstance(body["error_message"], str)


# -- shapes ---------------------------------------------------------------------------------


def test_catalogue_matches_doc_fixtures() -> None:
    types = ("user", "shallow_user", "tag", "top_tag", "tag_score", "filter", "question", "answer")
    for type_name in types:
        fx = fixture(type_name)
        catalogue = {f.split(".", 1)[1] for f in filters.FIELDS if f.startswith(type_name + ".")}
        default = {
            f.split(".", 1)[1] for f in filters.DEFAULT_FIELDS if f.startswith(type_name + ".")
        }
        assert catalogue == set(fx["fields"]), type_name
        assert default == set(fx["default_filter"]), type_name
    wrapper = fixture("wrapper")
    assert {f[1:] for f in filters.FIELDS if f.startswith(".")} == set(wrapper["fields"])
    assert {f[1:] for f in filters.DEFAULT_FIELDS if f.startswith(".")} == set(
        wrapper["default_filter"]
    )


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


def test_safe_filter_html_encodes_and_unsafe_does_not() -> None:
    api, _, _ = make_api()
    _, safe = call(api, "/users/8")
    assert safe["items"][0]["display_name"] == "O&#39;Brien &lt;Dev&gt;"
    assert "location" not in safe["items"][0]  # may be absent: the user has none
    _, created = call(api, "/filters/create", unsafe="true", site=None)
    _, raw = call(api, "/users/8", filter=created["items"][0]["filter"])
    assert raw["items"][0]["display_name"] == "O'Brien <Dev>"


# -- batching and paging ----------------------------------------------------------------------


def test_hundred_ids_batch_and_more_is_bad_parameter() -> None:
    api, _, _ = make_api()
    status, body = call(api, f"/users/{ids(1, 100)}", pagesize=100)
    assert status == 200 and len(body["items"]) == 99 and body["has_more"] is False  # 7 deleted
    status, err = call(api, f"/users/{ids(1, 101)}", pagesize=100)
    check_error(status, err, 400, "bad_parameter")
    status, err = call(api, "/users/1;abc")
    check_error(status, err, 404, "no_method")


def test_has_more_paging_and_pagesize_limit() -> None:
    api, _, _ = make_api()
    seen: list[int] = []
    page = 1
    while True:
        _, body = call(api, f"/users/{ids(1, 100)}", page=page, pagesize=40, sort="creation")
        seen += [u["user_id"] for u in body["items"]]
        if not body["has_more"]:
            break
        page += 1
    assert page == 3 and len(seen) == 99 and len(set(seen)) == 99
    assert seen[0] == 1  # creation desc: user 1 is the newest
    _, default_size = call(api, f"/users/{ids(1, 100)}")
    assert len(default_size["items"]) == 30 and default_size["has_more"] is True
    for bad_size in (101, -1):
        status, err = call(api, "/users/1", pagesize=bad_size)
        check_error(status, err, 400, "bad_parameter")
        assert err["error_message"] == "pagesize"


def test_sort_min_max_and_dates() -> None:
    api, _, _ = make_api()
    t20 = int((NOW - timedelta(days=20)).timestamp())
    _, body = call(api, f"/users/{ids(1, 100)}", sort="modified", min=t20, pagesize=100)
    got = [u["last_modified_date"] for u in body["items"]]
    assert got and min(got) >= t20 and got == sorted(got, reverse=True)
    _, names = call(api, "/users/10;2;33", sort="name", order="asc")
    assert [u["display_name"] for u in names["items"]] == ["User 10", "User 2", "User 33"]
    _, rep = call(api, f"/users/{ids(1, 50)}", sort="reputation", min=1000, max=1200)
    assert sorted(u["reputation"] for u in rep["items"]) == [1000, 1100, 1200]
    status, err = call(api, "/users/1", sort="votes")
    check_error(status, err, 400, "bad_parameter")


# -- filters ----------------------------------------------------------------------------------


def test_filter_include_exclude_changes_the_field_set() -> None:
    api, _, _ = make_api()
    status, created = call(
        api,
        "/filters/create",
        site=None,
        include="user.about_me;.total;.page_size",
        exclude="user.badge_counts;user.website_url;.quota_max",
        base="default",
        unsafe="false",
    )
    assert status == 200
    flt = created["items"][0]
    assert set(flt) == set(fixture("filter")["fields"])
    assert flt["filter"].startswith("!") and flt["filter_type"] == "safe"
    assert "user.about_me" in flt["included_fields"]
    _, body = call(api, "/users/1;2", filter=flt["filter"])
    assert set(body) == {"items", "has_more", "quota_remaining", "total", "page_size"}
    assert body["total"] == 2 and body["page_size"] == 30
    user = body["items"][0]
    assert user["about_me"] == "<p>I build ML pipelines</p>"
    assert "badge_counts" not in user and "website_url" not in user
    # Filters are immutable codes: a fresh emulator understands the same string.
    fresh, _, _ = make_api()
    _, again = call(fresh, "/users/1", filter=flt["filter"])
    assert "about_me" in again["items"][0]
    _, read = call(fresh, f"/filters/{flt['filter']}", site=None)
    assert read["items"][0]["included_fields"] == flt["included_fields"]


def test_builtin_filters_and_bad_filters() -> None:
    api, _, _ = make_api()
    _, total = call(api, "/users/1;2;3", filter="total")
    assert total == {"total": 3}
    _, none = call(api, "/users/1", filter="none")
    assert none == {}
    _, withbody = call(api, "/users/1", filter="withbody")
    check_keys(withbody["items"][0], "user")
    _, shallow = call(api, "/filters/create", site=None, base="none", include=".items;user.user_id")
    _, only_ids = call(api, "/users/1;2", filter=shallow["items"][0]["filter"])
    assert only_ids == {"items": [{"user_id": 2}, {"user_id": 1}]}
    for params in ({"filter": "nonsense"}, {"filter": "!@@@"}):
        status, err = call(api, "/users/1", **params)
        check_error(status, err, 400, "bad_parameter")
    status, err = call(api, "/filters/create", site=None, include="user.shoe_size")
    check_error(status, err, 400, "bad_parameter")


# -- site, key, quota, backoff, throttles ---------------------------------------------------------


def test_site_is_required_and_must_exist() -> None:
    api, _, _ = make_api()
    status, err = call(api, "/users/1", site=None)
    check_error(status, err, 400, "bad_parameter")
    assert err["error_message"] == "site is required"
    status, err = call(api, "/users/1", site="nosuchsite")
    check_error(status, err, 400, "bad_parameter")
    assert err["error_message"] == "No site found for name `nosuchsite`"  # as the API says it
    assert call(api, "/users/1", site="stackoverflow.com")[0] == 200


def test_datascience_serves_other_people_under_stackoverflows_numbers() -> None:
    world = generate(11, 300)
    api = StackExchangeAPI(world, SandboxOptions(), Stats(), Clock(), burst_limit=0)
    people = site_users(world, "datascience")
    shared = sorted(set(people) & set(world.stackoverflow))
    assert len(shared) == len(people) > 20  # every datascience number is taken on stackoverflow
    batch = ";".join(str(uid) for uid in shared[:100])
    _, so = call(api, f"/users/{batch}", site="stackoverflow", pagesize=100)
    _, ds = call(api, f"/users/{batch}", site="datascience", pagesize=100)
    _, by_domain = call(api, f"/users/{batch}", site="Datascience.StackExchange.com", pagesize=100)
    assert by_domain["items"] == ds["items"]
    so_by_id = {u["user_id"]: u for u in so["items"]}
    for user in ds["items"]:
        uid = user["user_id"]
        assert user["link"].startswith(f"https://datascience.stackexchange.com/users/{uid}/")
        assert so_by_id[uid]["link"].startswith(f"https://stackoverflow.com/users/{uid}/")
        assert people[uid].person_id != world.stackoverflow[uid].person_id  # someone else
        assert user["reputation"] == people[uid].reputation
    # A site's listings name its own users only; its posts link to its own domain.
    _, top = call(api, "/tags/pytorch/top-answerers/all_time", site="datascience")
    assert top["items"] and {i["user"]["user_id"] for i in top["items"]} <= set(people)
    _, questions = call(api, "/questions", site="datascience", tagged="pytorch")
    assert questions["items"][0]["link"].startswith("https://datascience.stackexchange.com/q")
    answered = [q for q in questions["items"] if q["answer_count"]]
    _, answers = call(api, f"/questions/{answered[0]['question_id']}/answers", site="datascience")
    assert {a["owner"]["user_id"] for a in answers["items"] if "owner" in a} <= set(people)


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
