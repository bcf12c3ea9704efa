"""Commands for the database and settings: init, status, db upgrade/downgrade, config show."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import func, select

from scout.app import app, console, get_state, make_typer
from scout.runs import runs_table
from storage import db as storage_db
from storage.heartbeat import mark_lost_runs
from storage.models import Base, Profile
from storage.state import last_runs

db_app = make_typer("Database schema migrations.")
config_app = make_typer("Inspect settings.")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


@app.command()
def init() -> None:
    """Create the database (or upgrade it) and apply every migration.

    \b
    Example:
      scout init
      scout --db postgresql+psycopg://scout@localhost/scout init
    """
    state = get_state()
    engine = state.engine(upgrade=True)
    current, _head, _ = storage_db.schema_status(engine)
    console().print(f"Database ready: {storage_db.safe_url(engine)} (schema {current})")


@app.command()
def status() -> None:
    """Show row counts per table, gone profiles, the last crawl runs (new, changed and
    unchanged profiles, quota spent, new or changed profiles per quota unit) and the schema
    revision.

    \b
    Example:
      scout status
    """
    state = get_state()
    engine = state.engine()
    current, head, _ = storage_db.schema_status(engine)
    out = console()
    counts = Table(title="Tables")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    with storage_db.session_scope(engine) as session:
        for table in Base.metadata.sorted_tables:
            n = session.scalar(select(func.count()).select_from(table)) or 0
            counts.add_row(table.name, f"{n:,}")
        gone = session.scalar(select(func.count()).where(Profile.gone_at.is_not(None))) or 0
        mark_lost_runs(session)
        runs = last_runs(session, 10)
        run_table = runs_table("Last crawl runs (times in UTC)", runs)
    out.print(f"Database: {storage_db.safe_url(engine)}")
    out.print(f"Schema revision: {current} (head {head})")
    out.print(counts)
    # Marked by `scout refresh github` (deleted or suspended), kept, left out of new shortlists.
    out.print(f"Gone profiles (accounts their source no longer has): {gone:,}")
    if runs:
        out.print(run_table)
    else:
        out.print("No crawl runs yet.")


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: newest)."),
) -> None:
    """Upgrade the database schema.

    \b
    Example:
      scout db upgrade
    """
    engine = storage_db.make_engine(get_state().settings.db_url)
    storage_db.upgrade(engine, revision)
    current, _head, _ = storage_db.schema_status(engine)
    console().print(f"Schema now at {current}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument("-1", help="Target revision: -1 (one step) or 'base'."),
) -> None:
    """Downgrade the database schema (one step by default; 'base' removes every table).

    \b
    Example:
      scout db downgrade base
    """
    engine = storage_db.make_engine(get_state().settings.db_url)
    storage_db.downgrade(engine, revision)
    current, _head, _ = storage_db.schema_status(engine)
    console().print(f"Schema now at {current or 'base (empty)'}")


@config_app.command("show")
def config_show() -> None:
    """Print the effective settings and where each value came from, secrets masked.

    \b
    Example:
      SCOUT_DB_URL=sqlite:///other.db scout config show
    """
    loaded = get_state().loaded()
    table = Table(title="Settings")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("source")
    for name, value, source in loaded.rows():
        table.add_row(name, value, source)
    out = console()
    out.print(table)
    out.print(f"Config file: {loaded.config_file or '(none)'}")
