"""RedisQuotaStore: two governors (two workers) sharing one credential see one budget."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from crawlers.github.governor import GRAPHQL, Quota
from crawlers.github.governor_redis import (
    QuotaStoreUnavailable,
    RedisQuotaStore,
    SharedRateGovernor,
    credential_id,
)


@pytest.fixture
def client(redis_url):
    conn = redis.Redis.from_url(redis_url)
    prefix = f"test:quota:{uuid.uuid4().hex}"
    yield conn, prefix
    for key in conn.scan_iter(f"{prefix}*"):
        conn.delete(key)
    conn.close()


def pair(client, floor=15):
    conn, prefix = client
    cred = credential_id("https://api.github.com", "ghp_" + "x" * 36)
    a = SharedRateGovernor(RedisQuotaStore(conn, cred, prefix=prefix), floor=floor)
    b = SharedRateGovernor(RedisQuotaStore(conn, cred, prefix=prefix), floor=floor)
    return a, b


def test_what_one_worker_learns_and_spends_the_other_sees(client):
    a, b = pair(client)
    reset = time.time() + 600
    a.observe_headers(
        {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "100",
            "X-RateLimit-Reset": str(int(reset)),
            "X-RateLimit-Resource": GRAPHQL,
        }
    )
    assert b.snapshot(GRAPHQL).remaining == 100
    assert b.delay(GRAPHQL, 18) == 0
    for _ in range(4):
        a.spend(GRAPHQL, 18)  # 100 - 72 = 28 left
    # b has sent nothing, but the shared budget is too low for another 18 above a floor of 15.
    assert b.snapshot(GRAPHQL).remaining == 28
    assert b.delay(GRAPHQL, 18) > 500
    # A late answer saying more is left does not undo what was spent in this window...
    b.observe_headers(
        {"X-RateLimit-Remaining": "90", "X-RateLimit-Reset": str(int(reset))}, GRAPHQL
    )
    assert a.snapshot(GRAPHQL).remaining == 28
    # ...but a new window does.
    b.observe_headers(
        {"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(reset + 3600))}, GRAPHQL
    )
    assert a.snapshot(GRAPHQL).remaining == 4999 and a.delay(GRAPHQL, 18) == 0


def test_a_secondary_limit_pauses_every_worker(client):
    a, b = pair(client)
    assert b.delay(GRAPHQL) == 0
    a.observe_secondary(30)
    assert 28 < b.delay(GRAPHQL) <= 30
    a.store.set_pause_until(time.time() + 5)  # an earlier pause never shortens a later one
    assert b.delay(GRAPHQL) > 28


def test_concurrent_spends_are_never_lost(client):
    a, b = pair(client, floor=0)
    a.store.put(GRAPHQL, Quota(limit=5000, remaining=5000, reset=time.time() + 600))

    def spend(gov):
        for _ in range(300):
            gov.spend(GRAPHQL, 1)

    threads = [threading.Thread(target=spend, args=(g,)) for g in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert a.snapshot(GRAPHQL).remaining == 5000 - 1200


def test_unknown_budget_stays_unknown_and_credentials_are_apart(client):
    conn, prefix = client
    a, _ = pair(client)
    a.spend(GRAPHQL, 5)
    assert a.snapshot(GRAPHQL) == Quota()
    other = RedisQuotaStore(
        conn, credential_id("https://api.github.com", "ghp_other"), prefix=prefix
    )
    a.store.put(GRAPHQL, Quota(5000, 10, time.time() + 60, 4990))
    assert other.get(GRAPHQL) == Quota()
    # The token itself is never written to Redis.
    for key in conn.scan_iter(f"{prefix}*"):
        assert b"x" * 36 not in key
        assert (
            b"x" * 36 not in repr(conn.hgetall(key) if conn.type(key) == b"hash" else b"").encode()
        )


def test_an_unreachable_redis_is_one_clear_exception():
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    store = RedisQuotaStore(dead, "x")
    with pytest.raises(QuotaStoreUnavailable):
        store.get(GRAPHQL)
    with pytest.raises(QuotaStoreUnavailable):
        store.set_pause_until(time.time() + 5)
