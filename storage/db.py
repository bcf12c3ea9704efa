"""Engines, sessions and schema revisions.

SQLite gets WAL mode and foreign keys on every connection; every other SQLAlchemy URL
(PostgreSQL through psycopg) runs the same code.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import DatabaseError as SQLDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from config.errors import ScoutError
from config.logging import mask_url_credentials

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(ScoutError):
    """The database cannot be used as it is."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # The wait first: switching a new file to WAL needs an exclusive lock, and without a busy
    # timeout yet a process starting beside another got "database is locked" at once.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get WAL and foreign keys."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise DatabaseError(
            f"not a database URL: {mask_url_credentials(url)!r} (try sqlite:///scout.db)"
        ) from exc
    # orjson: several times faster than json for the JSON columns, and knows datetimes.
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseError(f"cannot create {database}: folder {folder} does not exist")
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseError(f"no driver for {parsed.drivername!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach the database at {safe_url(engine)}: {_first_line(exc)}"
        ) from exc
    except SQLDatabaseError as exc:  # e.g. sqlite:///photo.png: "file is not a database"
        raise DatabaseError(
            f"{safe_url(engine)} is not a usable database: {_first_line(exc)}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def safe_url(engine: Engine) -> str:
    """The engine's URL with any password hidden."""
    return engine.url.render_as_string(hide_password=True)


def schema_status(engine: Engine) -> tuple[str | None, str, bool]:
    """(current revision, head revision, known): `known` is False for a newer database."""
    current = current_revision(engine)
    script = ScriptDirectory(str(MIGRATIONS))
    known = True
    if current is not None:
        try:
            known = script.get_revision(current) is not None
        except CommandError:  # "Can't locate revision": written by a newer talent-scout
            known = False
    return current, head_revision(), known


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    _check_not_newer(engine)
    _migrate(command.upgrade, engine, revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Revert migrations down to `revision` (default: one step)."""
    _check_not_newer(engine)
    _migrate(command.downgrade, engine, revision)


_LOCKED: set[tuple[str, int]] = set()  # (folder, thread) holding the migration lock


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process (or thread) at a time on a SQLite file.

    PostgreSQL serialises migrations with an advisory lock (migrations/env.py); SQLite has
    none, and two crawls started together on a new file both created the tables ("table
    candidates already exists"). The lock is a flock on the file's folder: never on the
    database file itself, because closing any descriptor of that file drops the POSIX locks
    SQLite holds on it in this process (and SQLite then reports "disk I/O error").
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    folder = str(Path(path).resolve().parent)
    me = (folder, threading.get_ident())
    if me in _LOCKED:  # this thread holds it already (flock would wait for itself)
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # no such folder: connecting says so in the caller's own words
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _LOCKED.add(me)
        try:
            yield
        finally:
            _LOCKED.discard(me)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _migrate(step: Any, engine: Engine, revision: str) -> None:
    """Run an Alembic command; an unknown revision is one DatabaseError listing the known ones."""
    script = ScriptDirectory(str(MIGRATIONS))
    try:
        with _migration_lock(engine):
            step(alembic_config(engine), revision)
    except CommandError as exc:
        known = ", ".join(rev.revision for rev in script.walk_revisions())
        raise DatabaseError(
            f"revision {revision!r}: {_first_line(exc)} (known: {known}, head, base, "
            "or -N / +N steps)"
        ) from exc


def _check_not_newer(engine: Engine) -> None:
    current, head, known = schema_status(engine)
    if not known:
        raise DatabaseError(
            f"the database schema (revision {current}) is newer than this talent-scout "
            f"(head {head}); upgrade talent-scout"
        )


def ensure_schema(engine: Engine, auto_upgrade: bool = True) -> str:
    """Make sure the schema is at head: upgrade it, or say it must be upgraded."""
    current, head, known = schema_status(engine)
    if not known:
        _check_not_newer(engine)
    if current == head:
        return head
    with _migration_lock(engine):  # another process may be migrating it right now
        return _ensure_schema_locked(engine, auto_upgrade)


def _ensure_schema_locked(engine: Engine, auto_upgrade: bool) -> str:
    current, head, known = schema_status(engine)
    if not known:
        _check_not_newer(engine)
    if current == head:
        return head
    if current is None and _has_foreign_tables(engine):
        # Another process may have migrated it between the two looks (workers starting together).
        current, head, known = schema_status(engine)
        if current is None:
            raise DatabaseError(
                f"{safe_url(engine)} holds tables that are not talent-scout's; use another database"
            )
        if current == head:
            return head
    if not auto_upgrade:
        raise DatabaseError(
            f"the database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `scout db upgrade`"
        )
    upgrade(engine)
    return head


def _has_foreign_tables(engine: Engine) -> bool:
    try:
        names = set(inspect(engine).get_table_names())
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach the database at {safe_url(engine)}: {_first_line(exc)}"
        ) from exc
    return bool(names - {"alembic_version"})


def session_factory(engine: Engine | Connection) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | Connection) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error (on a connection of its
    own, or on `engine` when that is a Connection outside any transaction)."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def open_database(url: str, auto_upgrade: bool = True) -> Engine:
    """An engine for `url` whose schema is at head (upgraded when allowed)."""
    engine = make_engine(url)
    ensure_schema(engine, auto_upgrade=auto_upgrade)
    return engine
