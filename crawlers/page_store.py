"""How a failed page write is told and said.

A page is written with its cursor in one transaction (crawlers/pipelines.py says why). Every
record has been validated before that (parsed, then fitted to the schema: storage.fit), so a
database that refuses the transaction is at fault, whatever it says: the disk is full, the
database is locked past its timeout, the connection is gone, a constraint or trigger refused
a row. That is a storage failure (issue 14 names "a constraint" among them): nothing of the
page nor its cursor is committed, and the crawl stops on the last stored page. Guessing a
record's fault from which rows a sick database refuses would quarantine good records and let
the cursor move past them.

Messages never carry a row's values: SQLAlchemy's own message appends the statement's
parameters (names, e-mails), so only the driver's first line is kept.
"""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

from config.errors import StorageFailure

log = logging.getLogger(__name__)

# Errors that say the database itself is unwell (as opposed to refusing one statement).
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
