"""What a search window's cursor says about its days (crawlers/github/windows.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crawlers.github.query import Window
from crawlers.github.windows import asked_on, beyond, covered_until, walk_done, walk_is_stale

TODAY = date(2026, 6, 5)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("SCOUT_NOW", f"{TODAY.isoformat()}T12:00:00Z")


def test_a_walk_is_walked_again_after_rewalk_days_and_never_without_them():
    assert not walk_is_stale(walk_done(), 1)  # walked just now
    assert walk_is_stale({"walked": "2026-06-02T23:00:00+00:00"}, 3)
    assert not walk_is_stale({"walked": "2026-06-03T00:00:00+00:00"}, 3)
    assert walk_is_stale({}, 30)  # a cursor saved before walks were dated
    assert walk_is_stale({"walked": "not a date"}, 30)
    assert not walk_is_stale({}, None)


def test_a_day_still_going_on_when_asked_is_asked_again_once_over():
    window = Window("language:python", date(2026, 5, 1), TODAY)
    asked_today = {"done": True, **asked_on(window)}
    assert asked_today["open"] is True
    assert covered_until(window, asked_today) == TODAY  # never again on the same day
    yesterday = {"done": True, "to": (TODAY - timedelta(days=1)).isoformat(), "open": True}
    assert covered_until(window, yesterday) == TODAY - timedelta(days=2)
    closed = {"done": True, "to": "2026-05-20", "open": False}
    assert covered_until(window, closed) == date(2026, 5, 20)


def test_a_windows_own_cursor_decides_only_for_days_beyond_its_parents_walk():
    window = Window("language:python", date(2026, 5, 1), date(2026, 5, 31))
    covered = date(2026, 5, 20)
    assert not beyond(window, covered, None)
    assert beyond(window, covered, {"split": True})
    assert beyond(window, covered, {"done": False, "to": "2026-05-25"})
    assert not beyond(window, covered, {"done": False, "to": "2026-05-10"})
    assert not beyond(window, covered, {"done": True, "to": "2026-05-20", "open": False})
