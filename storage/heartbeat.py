"""Is a `running` crawl run still alive? Its owner's pid and host, and a heartbeat.

`start_run` records the pid and host name of the process and a first heartbeat; `keep_alive`
renews the heartbeat of every running row of this process from a daemon thread, in its own
short transactions, for as long as a command runs. The next command that reads crawl_runs
calls `mark_lost_runs`: a row whose process is gone (same host: its pid no longer exists, or is
another program now) or whose heartbeat is older than `STALE_AFTER` (another host, where the pid
cannot be checked) becomes `lost`, with the time and the reason.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.clock import to_system, utcnow
from storage.db import session_scope
from storage.models import CrawlRun

log = logging.getLogger("scout.heartbeat")

HEARTBEAT_INTERVAL = 20.0  # seconds between two heartbeats of a running crawl
# A heartbeat older than this (three missed beats) means the process is gone or hung.
STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_INTERVAL)
# A process that began this long after the run's last heartbeat is not the run's process.
_PID_SLACK = 2.0


def this_host() -> str:
    return socket.gethostname()[:255]


def owner() -> dict[str, object]:
    """The columns that tie a new crawl_runs row to this process."""
    return {"pid": os.getpid(), "host": this_host(), "heartbeat_at": utcnow()}


def process_alive(pid: int, beat_at: datetime) -> bool:
    """Whether process `pid` of this host exists and is the one that wrote a heartbeat at
    `beat_at` (a process created after that is another program that got the pid). `beat_at`
    is on scout's clock, the process start on the system's: under SCOUT_NOW they differ."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= to_system(beat_at).timestamp() + _PID_SLACK
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


@dataclass(frozen=True)
class Verdict:
    """What the heartbeat says of one running row: lost (and why), or alive but stale."""

    lost: str | None
    stale: bool


def judge(run: CrawlRun, now: datetime, host: str, stale_after: timedelta) -> Verdict:
    """Lost if its process is gone: by pid on this host, by heartbeat age anywhere else."""
    last = run.heartbeat_at or run.started_at
    stale = now - last > stale_after
    since = last.strftime("%Y-%m-%d %H:%M:%S UTC")
    if run.host == host and run.pid is not None:
        if not process_alive(run.pid, last):
            return Verdict(f"process {run.pid} on {host} is gone (killed or crashed)", stale)
        # Alive on this host: a stale heartbeat means it hangs (scout doctor names it).
        return Verdict(None, stale)
    if stale:
        who = f"process {run.pid} on {run.host}" if run.pid is not None else "its process"
        return Verdict(f"no heartbeat from {who} since {since}", True)
    return Verdict(None, False)


def running_runs(session: Session) -> list[CrawlRun]:
    return list(
        session.scalars(select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id))
    )


def mark_lost_runs(
    session: Session, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[CrawlRun]:
    """Mark `lost` every running row whose process is gone; the rows it marked."""
    now = now or utcnow()
    host = this_host()
    lost = []
    for run in running_runs(session):
        reason = judge(run, now, host, stale_after).lost
        if reason is None:
            continue
        run.status = "lost"
        run.finished_at = now
        run.message = f"{reason}; --resume or the next run continues"
        lost.append(run)
        log.warning("run %s (%s) marked lost: %s", run.id, run.source, reason)
    session.flush()
    return lost


def stale_runs(
    session: Session, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[CrawlRun]:
    """Running rows whose process lives but whose heartbeat is stale (hung, or not beating)."""
    now = now or utcnow()
    host = this_host()
    return [run for run in running_runs(session) if judge(run, now, host, stale_after).stale]


def beat(session: Session, pid: int | None = None, host: str | None = None) -> int:
    """Renew the heartbeat of every running row of a process; how many rows it renewed."""
    result = session.execute(
        update(CrawlRun)
        .where(
            CrawlRun.status == "running",
            CrawlRun.pid == (os.getpid() if pid is None else pid),
            CrawlRun.host == (host or this_host()),
        )
        .values(heartbeat_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


@contextmanager
def keep_alive(engine: Engine, interval: float = HEARTBEAT_INTERVAL) -> Iterator[None]:
    """Renew this process's running rows every `interval` seconds until the block ends."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                with session_scope(engine) as session:
                    beat(session)
            except SQLAlchemyError as exc:
                # A missed beat is not fatal: STALE_AFTER allows for a few.
                log.debug("heartbeat not written: %s", type(exc).__name__)

    thread = threading.Thread(target=loop, name="scout-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
