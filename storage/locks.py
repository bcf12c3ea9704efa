"""Leases in the job_locks table: one holder per scheduled job at a time, on any database.

A lease is taken with one atomic `INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at < now`
(PostgreSQL and SQLite both support it), so two schedulers racing for a job cannot both win:
PostgreSQL locks the conflicting row and re-checks the condition, SQLite serialises writers.
A holder renews its lease while its job runs; a lease nobody renews expires and may be taken
over. Times come from the caller, so tests (and schedulers) decide what "now" is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Base, JobLock
from storage.upsert import _insert_for

LOCKS = Base.metadata.tables[JobLock.__tablename__]


def acquire_lease(
    session: Session, job_name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Take the lease of `job_name` for `holder` unless someone else holds an unexpired one.

    Re-acquiring one's own lease extends it. Returns True when `holder` has the lease.
    """
    stmt = _insert_for(session, LOCKS).values(
        job_name=job_name, holder=holder, acquired_at=now, expires_at=now + ttl
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[JobLock.job_name],
        set_={
            "holder": stmt.excluded.holder,
            "acquired_at": stmt.excluded.acquired_at,
            "expires_at": stmt.excluded.expires_at,
        },
        where=or_(JobLock.expires_at < now, JobLock.holder == holder),
    ).returning(JobLock.holder)
    # RETURNING yields a row only when the insert or the update happened.
    return session.execute(stmt).first() is not None


def renew_lease(
    session: Session, job_name: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Push the expiry of `holder`'s lease to now + ttl; False if the lease is no longer theirs."""
    result = session.execute(
        update(JobLock)
        .where(JobLock.job_name == job_name, JobLock.holder == holder)
        .values(expires_at=now + ttl)
        .returning(JobLock.job_name)
    )
    return result.first() is not None


def release_lease(session: Session, job_name: str, holder: str) -> bool:
    """Give the lease back; a lease taken over by someone else is left alone."""
    result = session.execute(
        delete(JobLock)
        .where(JobLock.job_name == job_name, JobLock.holder == holder)
        .returning(JobLock.job_name)
    )
    return result.first() is not None


def current_leases(session: Session, now: datetime) -> dict[str, JobLock]:
    """Unexpired leases by job name (who is running what right now)."""
    rows = session.scalars(select(JobLock).where(JobLock.expires_at >= now))
    return {row.job_name: row for row in rows}
