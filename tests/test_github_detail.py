"""The detail pass's decisions: who needs details, the batches they cost, the budget."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from crawlers.github.detail import (
    BATCH_FLOOR,
    Budget,
    detail_nodes,
    plan_batches,
    plan_cost,
    sort_nodes,
    worst_cost,
)
from crawlers.github.query import detail_cost

T = datetime(2026, 5, 1, tzinfo=UTC)


def user(i, updated="2026-05-01T00:00:00Z"):
    return {
        "__typename": "User",
        "id": f"U_{i}",
        "databaseId": i,
        "login": f"u{i}",
        "updatedAt": updated,
    }


def test_batches_cover_every_id_at_five_users_a_point_with_few_requests():
    for n in range(1, 101):
        sizes = plan_batches(n)
        assert sum(sizes) == n and all(1 <= s <= 100 for s in sizes)
        assert len(sizes) <= math.ceil(n / BATCH_FLOOR)
        assert plan_cost(n) == sum(detail_cost(s) for s in sizes) <= detail_cost(n)
    # a page's worth of new users: at least 4.67 users a point (one batch of 84: 18 points)
    assert all(n / plan_cost(n) >= 84 / 18 for n in range(40, 101))
    assert plan_cost(100) == 20 < detail_cost(100) == 22
    assert worst_cost(100) >= max(plan_cost(n) for n in range(101))


def test_a_user_found_twice_is_detailed_once_and_orgs_need_no_details():
    claimed: set[str] = set()
    org = {"__typename": "Organization", "databaseId": 9, "login": "acme"}
    first = sort_nodes([user(1), user(2), org], {}, claimed)
    assert [i for _, i in first.detail] == ["1", "2"] and first.records == [org]
    again = sort_nodes([user(2), user(3)], {}, claimed)  # another term's window
    assert [i for _, i in again.detail] == ["3"] and again.repeats == 1


def test_unchanged_users_need_no_details_and_changed_ones_do():
    stored = {"1": T, "2": datetime(2026, 4, 1, tzinfo=UTC), "3": None}
    found = sort_nodes([user(1), user(2), user(3), user(4)], stored, set())
    assert found.unchanged == ["1"]
    assert [i for _, i in found.detail] == ["2", "3", "4"]
    assert found.changed == {"2", "3"}  # 4 is new
    unusable = sort_nodes([{**user(5), "id": None}], {}, set())
    assert unusable.unusable and not unusable.detail


def test_a_deleted_account_is_gone_not_a_partial_answer():
    payload = {
        "data": {"nodes": [None, user(2)]},
        "errors": [{"type": "NOT_FOUND", "path": ["nodes", 0], "message": "Could not resolve"}],
    }
    assert detail_nodes(payload) == ([user(2)], 1, None)
    timeout = {
        "data": {"nodes": [None, user(2)]},
        "errors": [{"message": "timeout", "path": ["nodes", 0]}],
    }
    assert detail_nodes(timeout)[2] is not None
    assert detail_nodes({"data": {"nodes": [None]}})[2] == "1 null node(s)"
    assert detail_nodes({"data": None})[2] == "nodes are null"


def test_the_budget_refuses_what_would_pass_it_counting_other_reservations():
    budget = Budget(30)
    assert budget.take("a", 21, spent=0)
    assert not budget.take("b", 10, spent=0) and budget.reached  # 21 + 10 > 30
    assert budget.take("b", 9, spent=0)
    budget.release("a")
    assert not budget.take("a", 5, spent=20)  # 20 spent + 9 reserved + 5 > 30
    assert budget.take("a", 1, spent=20)  # exactly 30: allowed
    assert Budget(None).take("x", 10**9, spent=10**9)
