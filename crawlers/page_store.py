"""Writing one page: in one transaction, or record by record when the database refuses it.

A page is written with its cursor in one transaction (crawlers/pipelines.py says why). When
that transaction fails, the error decides what happens:

- a storage failure (the disk is full, the database is locked past its timeout, the
  connection is gone) is nobody's record's fault: `StorageFailure` is raised, nothing of the
  page nor its cursor is committed, and the crawl stops on the last stored page;
- anything else (a value the column refuses, a constraint, a bind processor's error) may be
  one record's fault: the page is written again one record per transaction, so that the
  records the database refuses alone are found and quarantined (their raw record kept when
  the database takes it) and the rest land. Upserts make a page written twice (a crash half
  way, then --resume) the same as a page written once. If every record of a page is refused
  alone, the fault is the database's, not the records': a storage failure again.

Messages never carry a row's values: SQLAlchemy's own message appends the statement's
parameters (names, e-mails), so only the driver's first line is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from config.errors import StorageFailure
from storage.db import session_scope
from storage.items import ProfileItem, RawItem
from storage.save import save_profiles, save_raw

log = logging.getLogger(__name__)

# Errors that say the database, not a record, is at fault.
STORAGE_ERRORS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.InternalError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    sa_exc.ResourceClosedError,
    MemoryError,
    OSError,
)
REASON_CHARS = 160


def is_storage_fault(exc: BaseException) -> bool:
    """Is `exc` the database's fault (disk, lock, connection) rather than a record's?"""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, STORAGE_ERRORS)


def one_line(exc: BaseException) -> str:
    """The error's type and the first line of the driver's message, without any row values."""
    inner: BaseException = exc
    if isinstance(exc, sa_exc.StatementError) and exc.orig is not None:
        inner = exc.orig
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    if len(text) > REASON_CHARS:
        text = text[: REASON_CHARS - 1] + "…"
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def storage_failure(exc: BaseException, what: str) -> StorageFailure:
    return StorageFailure(f"storage failed while {what}: {one_line(exc)}")


@dataclass(slots=True)
class Refused:
    """A record the database refused on its own, and whether its raw record was kept."""

    label: str
    reason: str
    raw_kept: bool


@dataclass(slots=True)
class PageWrite:
    """What writing a page record by record stored and refused."""

    stored: list[ProfileItem] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def _raw_key(profile: ProfileItem) -> str | None:
    return profile.handle.lower() if profile.handle else None


def _writer(raw: Sequence[RawItem], profiles: Sequence[ProfileItem]) -> Callable[[Session], None]:
    def write(session: Session) -> None:
        save_raw(session, raw)
        save_profiles(session, profiles)

    return write


def _try(engine: Engine, write: Callable[[Session], None], what: str) -> BaseException | None:
    """Run `write` in its own transaction; the record's error, or None; raises storage faults."""
    try:
        with session_scope(engine) as session:
            write(session)
    except Exception as exc:
        if is_storage_fault(exc):
            raise storage_failure(exc, what) from exc
        return exc
    return None


def write_one_by_one(
    engine: Engine,
    source: str,
    raw: Sequence[RawItem],
    profiles: Sequence[ProfileItem],
    first_error: BaseException,
) -> PageWrite:
    """Write each profile with its raw record in its own transaction; see the module doc."""
    out = PageWrite()
    raw_of: dict[str | None, list[RawItem]] = {}
    for record in raw:
        raw_of.setdefault(record.key, []).append(record)
    failures: list[tuple[ProfileItem, list[RawItem], BaseException]] = []
    for profile in profiles:
        mine = raw_of.pop(_raw_key(profile), [])
        error = _try(engine, _writer(mine, [profile]), "writing a record")
        if error is None:
            out.stored.append(profile)
        else:
            failures.append((profile, mine, error))
    if failures and not out.stored and len(profiles) > 1:
        # Every record refused alone: the database is at fault, not the records.
        raise storage_failure(failures[0][2], "writing a page (every record was refused)")
    for profile, mine, error in failures:
        kept = _try(engine, _writer(mine, []), "writing a raw record") is None
        out.refused.append(Refused(f"{source}:{profile.external_id}", one_line(error), kept))
    for key, rest in raw_of.items():  # raw records of records quarantined before this step
        error = _try(engine, _writer(rest, []), "writing a raw record")
        if error is not None:
            log.warning("%s:%s raw record refused: %s", source, key, one_line(error))
    log.info("%s: a page was written record by record after %s", source, one_line(first_error))
    return out
