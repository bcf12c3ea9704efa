"""The time every part of talent-scout reads: the system clock, or a rehearsal clock.

`SCOUT_NOW=2026-06-05T01:00:00Z` makes a process start at that instant; from there its clock
moves at real speed, so durations (leases, heartbeats, backoff) stay true. It is for rehearsals
against the sandbox, whose world lives on its own calendar (`scout sandbox serve --day N`): a
scheduler, crawl or refresh run with the sandbox's `now` decides what is due, stale, or still
open exactly as it would on that day. Unset (the normal case), the clock is the system's.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from config.errors import ConfigError

ENV = "SCOUT_NOW"

# The offset of each SCOUT_NOW value seen, fixed the first time it is read in this process.
_offsets: dict[str, timedelta] = {}


def parse_now(text: str) -> datetime:
    """A SCOUT_NOW value as an aware UTC datetime (ISO 8601; no zone means UTC)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{ENV}={text!r} is not an ISO 8601 time (e.g. 2026-06-05T01:00:00Z); "
            f"unset it to use the system clock"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: the system clock, shifted when SCOUT_NOW is set."""
    real = datetime.now(UTC)
    text = os.environ.get(ENV, "").strip()
    if not text:
        return real
    offset = _offsets.get(text)
    if offset is None:
        offset = _offsets[text] = parse_now(text) - real
    return real + offset


def forget_rehearsals() -> None:
    """Forget the offsets of the SCOUT_NOW values seen: the next read of each is anchored to
    the system clock again. For a process that rehearses the same dates twice (one season
    after another in `python -m bench season`): offsets kept from the first would put the
    second season's "now" ahead by the first one's wall time, and its jobs would never be due.
    """
    _offsets.clear()


def to_system(when: datetime) -> datetime:
    """A time read from this clock as the system clock's instant (the same under no
    SCOUT_NOW): to compare with what the operating system dates, such as a process's start."""
    return when - (utcnow() - datetime.now(UTC))


def rehearsing() -> bool:
    """Whether this process runs on a rehearsal clock (SCOUT_NOW set)."""
    return bool(os.environ.get(ENV, "").strip())
