"""The Stack Exchange 2.3 emulator over a hand-made world of 150 users (user 7 deleted, user 8
with HTML in the name), called as a client would, and its answers checked against the key-set
fixtures written from the public docs (tests/fixtures/stackexchange/): shared by the tests of
the sandbox's Stack Exchange modules (api, filters, params, sites).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.model import (
    Request,
    SandboxOptions,
    SOTagActivity,
    SOUser,
    Stats,
    World,
)
from sandbox.stackexchange_api import StackExchangeAPI

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
