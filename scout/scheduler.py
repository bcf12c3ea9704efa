"""The scheduler: runs each due job once per fire time, as a `scout` subprocess, on any number
of schedulers sharing one database.

How a run is claimed (storage/locks.py has the lease, scout/schedule_ledger.py the rows):
1. A job is due when its latest cron fire time is later than the fire time it last claimed.
   Claims are rows of crawl_runs with source "schedule" (args.fire_time), so the ledger of what
   ran is the history `scout runs` shows. Several missed fire times (the scheduler was down)
   give one run, for the latest. A job that never ran waits for its first fire time after the
   scheduler started (or one up to `grace` before, so `--once` from cron every minute works).
2. The scheduler takes the job's lease, re-reads the last claim under it and, only if the fire
   time is still unclaimed, inserts the "schedule" row, all in one transaction. Two schedulers
   that both see 10:00 due therefore run it once: the loser either finds the lease held or the
   10:00 claim already written.
3. The job runs as `python -m scout.cli ...` (a crash cannot take the scheduler down, and each
   crawl gets its own Twisted reactor) with SCOUT_JOB_NAME set, so the crawl's own crawl_runs
   row carries the job name too. The lease is renewed while it runs; a scheduler that loses its
   lease stops its job. At the end the "schedule" row gets the status, exit code and the counts
   of the crawl's own rows, and the lease is released in the same transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from config.clock import ENV as CLOCK_ENV
from config.clock import rehearsing, utcnow
from config.logging import Redactor
from scout.jobs import Job, next_fire
from scout.schedule_ledger import claim_fire, due_fire, fire_time_of, last_claims, record_end
from storage.db import session_scope
from storage.heartbeat import mark_lost_runs
from storage.locks import acquire_lease, current_leases, release_lease, renew_lease
from storage.state import JOB_NAME_ENV

log = logging.getLogger("scout.schedule")


@dataclass(frozen=True)
class Outcome:
    """How one job run ended."""

    job: str
    fire_time: datetime
    run_id: int
    status: str
    exit_code: int | None
    message: str | None


@dataclass(frozen=True)
class JobStatus:
    """What `scout schedule list` shows of a job."""

    job: Job
    last_fire: datetime | None
    last_status: str | None
    last_started: datetime | None
    next_fire: datetime | None
    due: datetime | None
    holder: str | None


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"


class Scheduler:
    """Claims and runs due jobs; `run_once` for one pass, `serve` to keep going."""

    def __init__(
        self,
        engine: Engine,
        jobs: Iterable[Job],
        *,
        env: dict[str, str] | None = None,
        secrets: Iterable[str] = (),
        clock: Callable[[], datetime] = utcnow,
        holder: str | None = None,
        lease: timedelta = timedelta(minutes=2),
        grace: timedelta = timedelta(minutes=5),
    ) -> None:
        self.engine = engine
        self.jobs = {job.name: job for job in jobs}
        self.env = dict(os.environ if env is None else env)
        self.redact = Redactor(list(secrets))
        self.clock = clock
        self.holder = holder or default_holder()
        self.lease = lease
        self.grace = grace
        self.started_at = clock()
        self.outcomes: list[Outcome] = []
        self._threads: dict[str, threading.Thread] = {}
        self._procs: dict[str, subprocess.Popen[str]] = {}
        self._guard = threading.Lock()
        self._stopping = threading.Event()

    # -- what is due ------------------------------------------------------------------------

    def due(self, now: datetime) -> list[tuple[Job, datetime]]:
        with session_scope(self.engine) as session:
            claims = last_claims(session, self.jobs)
        not_before = self.started_at - self.grace
        found = []
        for job in self.jobs.values():
            last = claims.get(job.name)
            last_fire = fire_time_of(last) if last else None
            fire = due_fire(job.trigger, last_fire, now, not_before)
            if fire is not None:
                found.append((job, fire))
        return found

    def status(self) -> list[JobStatus]:
        now = self.clock()
        with session_scope(self.engine) as session:
            claims = last_claims(session, self.jobs)
            leases = current_leases(session, now)
        due = dict((job.name, fire) for job, fire in self.due(now))
        out = []
        for job in self.jobs.values():
            last = claims.get(job.name)
            lease = leases.get(job.name)
            out.append(
                JobStatus(
                    job=job,
                    last_fire=fire_time_of(last) if last else None,
                    last_status=last.status if last else None,
                    last_started=last.started_at if last else None,
                    next_fire=next_fire(job.trigger, now),
                    due=due.get(job.name),
                    holder=lease.holder if lease else None,
                )
            )
        return out

    # -- claiming ---------------------------------------------------------------------------

    def claim(self, job: Job, fire: datetime, *, forced: bool = False) -> int | None:
        """Take the job's lease and record the run of `fire`; None if busy or already claimed."""
        now = self.clock()
        with session_scope(self.engine) as session:
            if not acquire_lease(session, job.name, self.holder, now, self.lease):
                log.info("job %s: another scheduler holds its lease; skipped", job.name)
                return None
            run_id = claim_fire(session, job, fire, self.holder, now, forced=forced)
            if run_id is None:
                release_lease(session, job.name, self.holder)
            return run_id

    # -- running ----------------------------------------------------------------------------

    def tick(self, *, force: bool = False, only: Iterable[str] | None = None) -> list[int]:
        """Claim and start every due job (every selected job with `force`); their run ids."""
        now = self.clock()
        names = set(self.jobs if only is None else only)
        with session_scope(self.engine) as session:
            mark_lost_runs(session)
        if force:
            candidates = [(self.jobs[name], now) for name in self.jobs if name in names]
        else:
            candidates = [(job, fire) for job, fire in self.due(now) if job.name in names]
        started = []
        for job, fire in candidates:
            if self._stopping.is_set():
                break
            with self._guard:
                running = self._threads.get(job.name)
                if running is not None and running.is_alive():
                    continue
            run_id = self.claim(job, fire, forced=force)
            if run_id is None:
                continue
            thread = threading.Thread(
                target=self._execute, args=(job, fire, run_id), name=f"job-{job.name}"
            )
            with self._guard:
                self._threads[job.name] = thread
            thread.start()
            started.append(run_id)
        return started

    def wait(self) -> None:
        """Wait for every job this scheduler started."""
        with self._guard:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join()

    def run_once(self, *, force: bool = False, only: Iterable[str] | None = None) -> list[Outcome]:
        """Run whatever is due now, wait for it, and say how each run ended."""
        run_ids = set(self.tick(force=force, only=only))
        self.wait()
        return [outcome for outcome in self.outcomes if outcome.run_id in run_ids]

    def serve(self, poll: float = 30.0) -> None:
        """Run due jobs until stop(); wake at the next fire time or every `poll` seconds."""
        log.info("scheduler %s: %d job(s)", self.holder, len(self.jobs))
        try:
            while not self._stopping.is_set():
                self.tick()
                now = self.clock()
                fires = [next_fire(job.trigger, now) for job in self.jobs.values()]
                soonest = min((f for f in fires if f is not None), default=None)
                pause = poll if soonest is None else (soonest - now).total_seconds() + 0.05
                self._stopping.wait(max(0.05, min(poll, pause)))
        finally:
            self.stop()
            self.wait()

    def stop(self) -> None:
        """Stop claiming; ask running jobs to stop (their runs end as "interrupted")."""
        self._stopping.set()
        with self._guard:
            procs = list(self._procs.values())
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    def _execute(self, job: Job, fire: datetime, run_id: int) -> None:
        env = {**self.env, JOB_NAME_ENV: job.name}
        if rehearsing():
            # A rehearsal clock runs on in the job from the scheduler's now, not from the
            # instant the scheduler itself was started at.
            env[CLOCK_ENV] = self.clock().isoformat()
        tail: deque[str] = deque(maxlen=5)
        began = time.monotonic()
        log.info("job %s: starting `%s` (fire time %s)", job.name, job.command_line, fire)
        code: int | None = None
        lease_lost = False
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "scout.cli", *job.command],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                # Its own session: a Ctrl-C meant for the scheduler reaches the job through
                # stop(), which records the run as interrupted.
                start_new_session=True,
            )
        except OSError as exc:
            self._finish(job, fire, run_id, None, str(exc), began, lease_lost)
            return
        with self._guard:
            self._procs[job.name] = proc
        reader = threading.Thread(target=self._read, args=(job, proc, tail), daemon=True)
        reader.start()
        renew_every = max(0.05, self.lease.total_seconds() / 3)
        while code is None:
            try:
                code = proc.wait(timeout=renew_every)
            except subprocess.TimeoutExpired:
                if not self._renew(job):
                    lease_lost = True
                    proc.terminate()
        reader.join(timeout=5)
        with self._guard:
            self._procs.pop(job.name, None)
        self._finish(job, fire, run_id, code, "\n".join(tail), began, lease_lost)

    def _read(self, job: Job, proc: subprocess.Popen[str], tail: deque[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = self.redact(line.rstrip())
            if line.strip():
                tail.append(line)
                log.info("[%s] %s", job.name, line)

    def _renew(self, job: Job) -> bool:
        try:
            with session_scope(self.engine) as session:
                return renew_lease(session, job.name, self.holder, self.clock(), self.lease)
        except SQLAlchemyError as exc:
            # The database may be back before the lease runs out; keep the job going.
            log.warning("job %s: could not renew its lease: %s", job.name, exc)
            return True

    def _finish(
        self,
        job: Job,
        fire: datetime,
        run_id: int,
        code: int | None,
        output: str,
        began: float,
        lease_lost: bool,
    ) -> None:
        stats: dict[str, Any] = {"exit_code": code, "seconds": round(time.monotonic() - began, 2)}
        stopped = self._stopping.is_set()
        with session_scope(self.engine) as session:
            status, message = record_end(
                session, job.name, run_id, code, output, stats, self.clock(), lease_lost, stopped
            )
            release_lease(session, job.name, self.holder)
        log.info("job %s: %s (exit code %s)", job.name, status, code)
        with self._guard:
            self.outcomes.append(Outcome(job.name, fire, run_id, status, code, message))
