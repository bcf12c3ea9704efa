"""`scout crawl github --resume` on consecutive nights: --created-until moves a day each night;
a done window is walked again after --rewalk-days to find who came into the region since."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, datetime

import pytest
from fault_proxy import FaultProxy, Rule
from test_github_crawl import last_run, people, scout, stored

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world_days import DayRates, Timeline

INDIA = (["India", "Bengaluru", "Bangalore"], ["Indiana"])
NIGHTS = ["2026-05-20", "2026-05-21", "2026-05-22", "2026-05-23", "2026-05-24"]


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 2000)


@pytest.fixture(scope="module")
def upstream(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


@pytest.fixture
def sandbox(upstream):
    """The sandbox behind a proxy that notes every search page asked for (`proxy.pages`)."""
    pages: list[tuple[str, str | None]] = []

    def note(exchange):
        variables = (exchange.json_request() or {}).get("variables") or {}
        if "first" in variables:
            pages.append((variables["q"], variables.get("after")))
        return False

    with FaultProxy(upstream.base_url, [Rule("note", note, lambda e: None)]) as proxy:
        proxy.pages = pages
        yield proxy


def crawl(url, sandbox, tmp_path, until, *extra):
    result = scout(
        url,
        "crawl",
        "github",
        "--region",
        "india",
        "--created-until",
        until,
        *extra,
        api=sandbox.github_url,
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return last_run(url)[1]


def created_by(world, until):
    """The region's people created up to the end of `until`."""
    ids = people(world, *INDIA)
    end = datetime.fromisoformat(until).date()
    return {
        str(a.id) for a in world.github.values() if str(a.id) in ids and a.created_at.date() <= end
    }


def asked_twice(pages):
    """Search pages asked for more than a walk and its one recheck need: the same page of a
    query a third time (a walk that spans nights is walked once more from its first page when
    it ends, since search pages are positions in a list that changed meanwhile), or a query
    over days an earlier query of the same location term asked for (a window refetched)."""
    twice = [p for i, p in enumerate(pages) if pages[:i].count(p) >= 2]
    days: dict[str, list[tuple[date, date, str]]] = {}
    for query, _ in pages:
        base, _, created = query.rpartition(" created:")
        lo, hi = (date.fromisoformat(d) for d in created.split(".."))
        for a, b, other in days.setdefault(base, []):
            if other != query and lo <= b and a <= hi:
                twice.append((query, other))
        days[base].append((lo, hi, query))
    return twice


def test_nightly_max_users_resume_grows_every_night_and_never_refetches(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    n = 20
    sizes = []
    for night in NIGHTS:
        crawl(url, sandbox, tmp_path, night, "--max-users", str(n), "--resume")
        sizes.append(len(stored(url)))
    assert len(created_by(world, NIGHTS[-1])) > sizes[-1]  # the region outlasts the nights
    # Every night adds people, n while no location term re-finds one stored under another
    # (such a person counts against --max-users again: issue 15 item 3).
    growth = [b - a for a, b in zip([0, *sizes], sizes, strict=False)]
    assert growth[:2] == [n, n] and all(0 < g <= n for g in growth), growth
    # Then the rest of the region, and nothing more to ask for.
    crawl(url, sandbox, tmp_path, NIGHTS[-1], "--resume")
    assert {e for e, _ in stored(url)} == created_by(world, NIGHTS[-1])
    assert sandbox.pages and asked_twice(sandbox.pages) == []
    stats = crawl(url, sandbox, tmp_path, NIGHTS[-1], "--resume")
    assert stats["requests"] == 0


def test_a_crawl_stopped_one_night_continues_the_next(world, sandbox, tmp_path):
    ref = f"sqlite:///{tmp_path / 'ref.db'}"
    crawl(ref, sandbox, tmp_path, NIGHTS[1])
    len_whole = len(sandbox.pages)
    url = f"sqlite:///{tmp_path / 's.db'}"
    # Stopped mid-window (the cursor stays on a page, as after Ctrl-C or kill -9).
    first = crawl(url, sandbox, tmp_path, NIGHTS[0], "--max-users", "30")
    second = crawl(url, sandbox, tmp_path, NIGHTS[1], "--resume")
    assert (
        {e for e, _ in stored(url)} == {e for e, _ in stored(ref)} == created_by(world, NIGHTS[1])
    )
    # Continued, not started over: the windows the stop left open are walked once more
    # from their first page when they end (their pages may have moved overnight); every
    # other window's pages are asked once.
    resumed = sandbox.pages[len_whole:]
    assert first["profiles_stored"] == 30 and second["profiles_stored"] > 0
    assert asked_twice(resumed) == [] and second["windows_rechecked"] > 0
    rechecked = {q for q, after in resumed if resumed.count((q, after)) == 2}
    assert len(resumed) <= len_whole + 1 + sum(1 for q, _ in resumed if q in rechecked)


def test_a_done_window_is_walked_again_after_rewalk_days_and_finds_who_moved_in(world, tmp_path):
    """An account created long ago that moves to India lands in a window already done, which
    later nights ask only for its later days: only a re-walk finds it, on the first night at
    least --rewalk-days after the window's walk, not before."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    rates = DayRates(profile_edits=0.05)  # ~2% of users move a day: a few into India
    options = SandboxOptions(rate_limit=1_000_000)
    with SandboxServer(world, options, timeline=Timeline(world, rates)) as server:

        def night(*extra):
            day = json.load(urllib.request.urlopen(server.base_url + "/_sandbox/day"))
            result = scout(
                url,
                "crawl",
                "github",
                "--region",
                "india",
                "--resume",
                "--rewalk-days",
                "3",
                *extra,
                api=server.github_url,
                tmp=tmp_path,
                env={"SCOUT_NOW": day["now"]},
            )
            assert result.returncode == 0, result.stderr
            return last_run(url)[1], server.world

        def advance(days):
            post = urllib.request.Request(f"{server.base_url}/_sandbox/advance?days={days}", b"")
            urllib.request.urlopen(post).close()

        _, day0 = night()
        assert {e for e, _ in stored(url)} == people(day0, *INDIA)
        old = {str(a.id) for a in day0.github.values()}

        advance(2)
        second, day2 = night()
        moved_in = (people(day2, *INDIA) & old) - people(day0, *INDIA)
        assert moved_in, "the world moved nobody into India: raise profile_edits"
        found = {e for e, _ in stored(url)}
        assert second["windows_rewalked"] == 0 and moved_in.isdisjoint(found)
        assert people(day2, *INDIA) - old <= found  # newcomers: the later days were asked

        advance(1)  # three days after the first walk
        third, day3 = night()
        assert third["windows_rewalked"] > 0
        assert people(day3, *INDIA) <= {e for e, _ in stored(url)}
        # The re-walk paid details only for the accounts new or changed since stored.
        assert third["new"] >= len(moved_in - people(day0, *INDIA))
        assert third["unchanged"] > third["new"] + third["changed"]

        fourth, _ = night()  # the same day: every window was just walked
        assert fourth["windows_rewalked"] == 0
