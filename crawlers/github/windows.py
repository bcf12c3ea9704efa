"""Search windows' cursors: which days a cursor asked for, holds, and when to walk it again.

A window of the plan (crawlers/github/query.py) keeps one cursor per crawl_state partition of
the stream STREAM; these pure functions read and write what a cursor says about its days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from config.clock import utcnow
from crawlers.github.query import Window

STREAM = "search"


def asked_on(window: Window) -> dict[str, Any]:
    """What a new cursor of `window` records about its days: the last one asked for, and
    whether that day was still going on (accounts may yet be created on it)."""
    return {"to": window.hi.isoformat(), "open": window.hi >= utcnow().date()}


def asked_until(window: Window, cursor: dict[str, Any]) -> date:
    """The last day the cursor's query asks for (the window's own for older cursors)."""
    to = cursor.get("to")
    return date.fromisoformat(to) if isinstance(to, str) else window.hi


def carried(previous: dict[str, Any]) -> dict[str, Any]:
    """What every page's cursor keeps from the one before: the window's count and days."""
    return {k: previous[k] for k in ("count", "to", "open", "began", "recheck") if k in previous}


def held(previous: dict[str, Any]) -> dict[str, Any]:
    """The cursor of a page that must be asked again: where the page started, not done."""
    return {
        **carried(previous),
        "after": previous.get("after"),
        "fetched": int(previous.get("fetched", 0)),
        "done": False,
    }


def walk_done() -> dict[str, Any]:
    """What a cursor records when its window's walk reached the last page: when (SCOUT_NOW
    rehearsals included), so `--rewalk-days` can tell when to walk it again."""
    return {"walked": utcnow().isoformat()}


def walk_began() -> dict[str, Any]:
    """What the first cursor of a walk records: when it began."""
    return {"began": utcnow().isoformat()}


def began_before(cursor: dict[str, Any], moment: datetime) -> bool:
    """Whether the walk this cursor belongs to began before `moment` (a cursor saved before
    walks recorded their start counts as older). Search pages are positions in a result list
    that changes between runs (accounts move in and out, results are re-ordered), so a walk
    resumed in a later run can have stepped over an account that moved to a page it had
    already asked for."""
    began = cursor.get("began")
    try:
        when = datetime.fromisoformat(began) if isinstance(began, str) else None
    except ValueError:
        when = None
    return when is None or when < moment


def walk_is_stale(cursor: dict[str, Any], rewalk_days: int | None) -> bool:
    """A done window to walk again from its first page: its last complete walk was
    `rewalk_days` or more calendar days (UTC) ago, or is not recorded (a cursor saved before
    walks were dated). Never with `rewalk_days` None."""
    if rewalk_days is None:
        return False
    walked = cursor.get("walked")
    try:
        when = datetime.fromisoformat(walked) if isinstance(walked, str) else None
    except ValueError:
        when = None
    return when is None or (utcnow().date() - when.date()).days >= rewalk_days


def covered_until(window: Window, cursor: dict[str, Any]) -> date:
    """The last day a done cursor holds every account of: its last day is asked again once
    over if it was still going on when asked (never on the same day: no crawl loops on it)."""
    until = asked_until(window, cursor)
    if cursor.get("open") and until < utcnow().date():
        return until - timedelta(days=1)
    return until


def beyond(window: Window, covered: date, cursor: Any) -> bool:
    """Whether `window`'s own cursor asks for days after `covered` (then it decides).

    Only a re-walk of an enclosing window makes a cursor of days within `covered` (the
    cursors of later days start after it): those days were walked again, so the window's
    own cursor, done or not, is not followed. A split cursor always decides.
    """
    if not isinstance(cursor, dict):
        return False
    if cursor.get("split"):
        return True
    if cursor.get("done"):
        return covered_until(window, cursor) > covered
    return asked_until(window, cursor) > covered
