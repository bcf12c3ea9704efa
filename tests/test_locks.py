"""Job leases: one holder at a time, expired leases taken over, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from storage.db import open_database, session_scope
from storage.locks import acquire_lease, current_leases, release_lease, renew_lease

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def acquire(engine, holder, now, job="nightly"):
    with session_scope(engine) as session:
        return acquire_lease(session, job, holder, now, TTL)


def test_a_live_lease_blocks_others_until_it_expires(engine):
    assert acquire(engine, "a", T0)
    assert not acquire(engine, "b", T0 + timedelta(seconds=30))
    assert not acquire(engine, "b", T0 + TTL)  # expiry instant still belongs to a
    assert acquire(engine, "b", T0 + TTL + timedelta(seconds=1))
    with session_scope(engine) as session:
        leases = current_leases(session, T0 + TTL + timedelta(seconds=2))
        # a lost it: renewing and releasing no longer touch b's lease
        assert not renew_lease(session, "nightly", "a", T0 + TTL, TTL)
        assert not release_lease(session, "nightly", "a")
    assert leases["nightly"].holder == "b"


def test_renewal_keeps_the_lease_and_release_frees_it(engine):
    assert acquire(engine, "a", T0)
    with session_scope(engine) as session:
        assert renew_lease(session, "nightly", "a", T0 + timedelta(seconds=50), TTL)
    # without the renewal b would win at T0 + 70 s
    assert not acquire(engine, "b", T0 + timedelta(seconds=70))
    with session_scope(engine) as session:
        assert release_lease(session, "nightly", "a")
    assert acquire(engine, "b", T0 + timedelta(seconds=71))


def test_leases_of_different_jobs_are_independent(engine):
    assert acquire(engine, "a", T0, job="github")
    assert acquire(engine, "b", T0, job="kaggle")
    with session_scope(engine) as session:
        held = {name: lease.holder for name, lease in current_leases(session, T0).items()}
    assert held == {"github": "a", "kaggle": "b"}


def test_racing_holders_get_one_lease(db_url):
    engines = [open_database(db_url) for _ in range(4)]
    winners: list[str] = []
    barrier = threading.Barrier(len(engines))

    def race(index: int) -> None:
        for round_ in range(10):
            now = T0 + round_ * 2 * TTL  # every round starts after the last lease expired
            barrier.wait()
            if acquire(engines[index], f"h{index}", now):
                winners.append(f"{round_}")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(winners) == sorted(str(r) for r in range(10))
