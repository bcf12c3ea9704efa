"""One crawl run's lifecycle, the same for every source and for single and distributed crawls.

A source's `run` module opens (or is given) the database, then:

1. `with run.starting() as session:` reads (or resets) its cursors; the crawl_runs row is added
   in the same transaction when the block ends, so a run never starts on cursors it did not see;
2. crawls;
3. `with run.finishing(status, stats, message) as session:` writes what the run leaves for the
   next one (cursors); the outcome is recorded in the same transaction when the block ends,
   or `run.finish(...)` when there is nothing else to write.

A run whose crawl raises is left `running` here; scout/runs.py closes it as interrupted or
failed (the one wrapper every crawl command runs in).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import session_scope
from storage.state import finish_run, start_run


@dataclass
class Run:
    """One crawl_runs row, from its start to its recorded outcome."""

    engine: Engine
    source: str
    # What the row records about the crawl (never a secret); may be completed inside
    # `starting()`, once the cursors read there decide it.
    args: dict[str, Any] = field(default_factory=dict)
    job_name: str | None = None
    id: int | None = None

    @property
    def run_id(self) -> int:
        if self.id is None:
            raise RuntimeError("the run has not started")
        return self.id

    @contextmanager
    def starting(self) -> Iterator[Session]:
        """A session to read the cursors in; the run row is added when the block ends."""
        with session_scope(self.engine) as session:
            yield session
            self.id = start_run(session, self.source, self.args, job_name=self.job_name).id

    def start(self) -> int:
        """Add the run row when the run reads no cursors; its id."""
        with self.starting():
            pass
        return self.run_id

    @contextmanager
    def finishing(
        self,
        status: str,
        stats: dict[str, Any],
        message: str | None = None,
        errors: int | None = None,
    ) -> Iterator[Session]:
        """A session to write the cursors in; the outcome is recorded when the block ends.

        `status` is one of storage.state.RUN_STATUSES; `errors` defaults to stats["errors"].
        """
        with session_scope(self.engine) as session:
            yield session
            count = int(stats.get("errors", 0)) if errors is None else errors
            finish_run(session, self.run_id, status, stats, errors=count, message=message)

    def finish(
        self,
        status: str,
        stats: dict[str, Any],
        message: str | None = None,
        errors: int | None = None,
    ) -> None:
        """Record the outcome when the run leaves nothing else to write."""
        with self.finishing(status, stats, message, errors):
            pass
