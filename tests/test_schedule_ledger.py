"""The schedule's ledger: which fire time is due, given the last one a job claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scout.jobs import parse_cron
from scout.schedule_ledger import due_fire

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def test_due_fire_coalesces_and_waits_for_the_first_fire_time():
    trigger = parse_cron("*/5 * * * *")
    now = T0 + timedelta(minutes=17)
    # down since 10:00: 10:05, 10:10 and 10:15 were missed; one run, for 10:15
    assert due_fire(trigger, T0, now, T0) == T0 + timedelta(minutes=15)
    assert due_fire(trigger, T0 + timedelta(minutes=15), now, T0) is None
    # never ran: only fire times since the scheduler started (less the grace) count
    assert due_fire(trigger, None, now, T0 + timedelta(minutes=16)) is None
    assert due_fire(trigger, None, now, T0 + timedelta(minutes=12)) == T0 + timedelta(minutes=15)
