"""Forked helper pools: none when there is nothing to fork, working children otherwise."""

from __future__ import annotations

from enrich.forking import fork_pool


def test_no_pool_without_helpers_and_a_working_pool_with_them():
    assert fork_pool(0) is None
    pool = fork_pool(2)
    assert pool is not None
    with pool:
        assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]
