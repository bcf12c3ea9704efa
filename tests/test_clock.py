"""The rehearsal clock: SCOUT_NOW moves every reader of "now", and a bad value fails once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from config import clock
from config.clock import to_system, utcnow
from config.errors import ConfigError
from scout.cli import app


def test_system_clock_without_scout_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCOUT_NOW", raising=False)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_scout_now_starts_the_clock_there_and_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_NOW", "2026-06-05T01:00:00Z")
    first = utcnow()
    assert first.tzinfo is not None
    assert abs(first - datetime(2026, 6, 5, 1, tzinfo=UTC)) < timedelta(seconds=5)
    time.sleep(0.02)
    assert utcnow() > first  # durations stay true: leases and heartbeats still expire


def test_scout_now_without_zone_is_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_NOW", "2027-01-02T03:04:05")
    assert abs(utcnow() - datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)) < timedelta(seconds=5)


def test_bad_scout_now_is_one_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_NOW", "next tuesday")
    with pytest.raises(ConfigError, match="SCOUT_NOW"):
        utcnow()
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 2
    assert "SCOUT_NOW='next tuesday' is not an ISO 8601 time" in result.output
    assert "Traceback" not in result.output


def test_to_system_undoes_the_rehearsal_shift(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCOUT_NOW", raising=False)
    real = utcnow()
    assert abs(to_system(real) - real) < timedelta(seconds=1)
    monkeypatch.setenv("SCOUT_NOW", "2026-06-05T01:00:00Z")
    assert abs(to_system(utcnow()) - datetime.now(UTC)) < timedelta(seconds=1)


def test_forgetting_rehearsals_anchors_the_same_scout_now_again(monkeypatch):
    # A second rehearsal of the same date in one process (a second season in the bench) must
    # start at that date, not at it plus the first rehearsal's wall time.
    monkeypatch.setenv("SCOUT_NOW", "2026-06-01T01:00:00Z")
    clock.utcnow()
    clock._offsets["2026-06-01T01:00:00Z"] += timedelta(minutes=7)  # as if 7 minutes passed
    assert clock.utcnow() >= datetime(2026, 6, 1, 1, 7, tzinfo=UTC)
    clock.forget_rehearsals()
    assert clock.utcnow() < datetime(2026, 6, 1, 1, 1, tzinfo=UTC)
