"""Storage faults for crawl tests: make the database refuse writes mid-crawl, then heal it.

Each fault is installed from outside the crawler, on its database, as a real failure the
crawler's own connection meets (nothing in the crawler is patched):

    refuse_writes(url, table, after)   a trigger RAISEs on every INSERT into `table` once it
                                       holds `after` rows, as a full disk or a broken
                                       constraint would (SQLite and PostgreSQL)
    drop_connection(url, table, after) PostgreSQL only: the inserting backend terminates its
                                       own connection (pg_terminate_backend), as a database
                                       restart or a network cut does
    heal(url)                          drops whatever was installed, before the resume

The schema must exist first: `prepare(url)` migrates an empty database to head.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from storage.db import open_database

TRIGGER = "scout_fault"
MESSAGE = "injected storage fault: no space left on device"


def prepare(url: str) -> None:
    """Create the schema (as the crawler would on its first run)."""
    open_database(url).dispose()


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _install(url: str, table: str, after: int, pg_body: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if _is_sqlite(url):
                conn.execute(
                    text(
                        f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} "
                        f"WHEN (SELECT count(*) FROM {table}) >= {int(after)} "
                        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    )
                )
                return
            conn.execute(
                text(
                    f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF (SELECT count(*) FROM {table}) >= {int(after)} THEN "
                    f"{pg_body} END IF; RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
                )
            )
    finally:
        engine.dispose()


def refuse_writes(url: str, table: str, after: int) -> None:
    """Every INSERT into `table` fails once it holds `after` rows."""
    _install(url, table, after, f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'disk_full';")


def drop_connection(url: str, table: str, after: int) -> None:
    """PostgreSQL: the connection that inserts into `table` past `after` rows is terminated."""
    assert not _is_sqlite(url), "SQLite has no server connection to lose"
    _install(url, table, after, "PERFORM pg_terminate_backend(pg_backend_pid());")


def heal(url: str, table: str) -> None:
    """Remove the fault so the next run can write."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if _is_sqlite(url):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {TRIGGER}"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}"))
                conn.execute(text(f"DROP FUNCTION IF EXISTS {TRIGGER}()"))
    finally:
        engine.dispose()
