"""Search queries, date windows and the rate governor."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from crawlers.github.governor import GRAPHQL, RateGovernor
from crawlers.github.query import MAX_QUERY_CHARS, SearchPlan, Window, detail_cost, page_cost


def test_base_queries_one_per_location_with_filters_and_negations():
    plan = SearchPlan(
        locations=("Bengaluru", "New Delhi"),
        exclude=("Indiana",),
        language="python",
        min_followers=10,
    )
    assert plan.base_queries() == [
        "location:Bengaluru type:user language:python followers:>=10 -location:Indiana",
        'location:"New Delhi" type:user language:python followers:>=10 -location:Indiana',
    ]


def test_long_exclude_lists_are_cut_to_the_query_limit():
    plan = SearchPlan(locations=("Kyiv",), exclude=tuple(f"Place{i:03d}" for i in range(80)))
    (base,) = plan.base_queries()
    assert len(Window(base, date(2007, 10, 1), date(2024, 12, 31)).query) <= MAX_QUERY_CHARS


def test_windows_halve_without_gaps_or_overlap():
    window = Window("location:Kyiv", date(2020, 1, 1), date(2020, 1, 10))
    left, right = window.halves()
    assert (left.start, left.end, right.start, right.end) == (
        date(2020, 1, 1),
        date(2020, 1, 5),
        date(2020, 1, 6),
        date(2020, 1, 10),
    )
    one = Window("x", date(2020, 1, 1), date(2020, 1, 1))
    assert not one.can_split()
    assert Window.from_query(window.query) == window
    assert window.partition == window.query


def test_page_cost_follows_the_documented_formula():
    assert page_cost(100) == 1  # discovery: the search is the only connection
    assert detail_cost(100) == 22  # 100 repo + 100 follower + 2,000 topic lists
    assert detail_cost(84) == 18  # 1,848 requests: 4.67 users a point
    assert detail_cost(50) == 11  # 1,100 requests
    assert detail_cost(1) == 1


def test_governor_waits_for_reset_below_the_floor_and_obeys_retry_after():
    now = [1000.0]
    gov = RateGovernor(floor=10, clock=lambda: now[0])
    assert gov.delay(GRAPHQL) == 0  # nothing known yet
    gov.observe_graphql(
        {"limit": 100, "remaining": 50, "resetAt": "1970-01-01T00:20:00Z", "cost": 21}
    )
    assert gov.delay(GRAPHQL, cost=21) == 0
    gov.spend(GRAPHQL, 21)
    gov.spend(GRAPHQL, 21)
    assert gov.delay(GRAPHQL, cost=21) == 1200 - 1000 + 1
    now[0] = 1300.0  # the window has reset: let one request learn the new numbers
    assert gov.delay(GRAPHQL) == 0
    gov.observe_secondary(30)
    assert gov.delay(GRAPHQL) == 30


def test_governor_reads_rest_headers_and_sleeps_in_blocking_mode():
    now = [0.0]
    gov = RateGovernor(floor=0, clock=lambda: now[0])
    gov.observe_headers(
        {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Reset": "100",
            "X-RateLimit-Resource": "core",
        }
    )
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    gov.wait("core", sleep=sleep)
    assert slept == [101.0]


def _leaves(window, depth):
    """The windows `depth` splits below `window`, as a crawl over the cap would ask them."""
    if depth == 0 or not window.can_split():
        return [window]
    return [leaf for half in window.halves() for leaf in _leaves(half, depth - 1)]


def test_moving_the_open_end_renames_no_window_closed_before_it():
    def windows(until):
        plan = SearchPlan(locations=("Kyiv",), created_to=until)
        (root,) = plan.roots()
        return _leaves(root, 6)

    night1, night2 = windows(date(2026, 5, 20)), windows(date(2026, 5, 21))
    closed = {w.partition: w.query for w in night1 if w.hi < date(2026, 5, 20)}
    again = {w.partition: w.query for w in night2 if w.partition in closed}
    assert len(closed) > 30 and again == closed  # same keys, same queries
    # The one window the open end cuts keeps its key and asks one day more.
    (cut,) = [w for w in night1 if w.hi == date(2026, 5, 20)]
    (moved,) = [w for w in night2 if w.partition == cut.partition]
    assert moved.hi == date(2026, 5, 21) and moved.lo == cut.lo


def test_a_cut_window_halves_into_its_days_without_gaps_or_overlap():
    plan = SearchPlan(created_from=date(2019, 3, 7), created_to=date(2026, 5, 20))
    (root,) = plan.roots()
    assert (root.lo, root.hi) == (date(2019, 3, 7), date(2026, 5, 20))
    days = [d for w in _leaves(root, 9) for d in range((w.hi - w.lo).days + 1)]
    assert len(days) == (root.hi - root.lo).days + 1
    leaves = _leaves(root, 9)
    for a, b in itertools.pairwise(leaves):
        assert a.hi + timedelta(days=1) == b.lo
    # No window repeats its parent's days (that count would be paid twice).
    assert all((h.lo, h.hi) != (root.lo, root.hi) for h in root.halves())
