"""The report row of `scout doctor` and its checks of scout's own database and config files.

These checks read what this installation owns (the database and its schema revision, scout.toml,
the data files, the jobs file) and call no outside service; `scout.doctor` adds the credential
and Redis checks and runs them all. This module imports nothing from `scout.doctor`, so the two
never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import click

from config.errors import ScoutError
from config.settings import LoadedSettings, Settings

Status = Literal["OK", "WARN", "FAIL"]
ORDER: dict[Status, int] = {"OK": 0, "WARN": 1, "FAIL": 2}


@dataclass(frozen=True)
class Check:
    """One row of the report: what was checked, how it went, and where it looked."""

    name: str
    status: Status
    detail: str
    target: str = ""  # a URL (never with a secret) or a file path

    def as_dict(self) -> dict[str, str]:
        """The row for `--json`: check, status, detail, target."""
        row = asdict(self)
        return {"check": row.pop("name"), **row}


def worst(checks: list[Check]) -> Status:
    """The most serious status among `checks` (OK for none)."""
    return max((c.status for c in checks), key=ORDER.__getitem__, default="OK")


def error_text(exc: BaseException) -> str:
    """The first line of what `exc` says (its driver error's, for SQLAlchemy), or its type."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- database ---------------------------------------------------------------------------------


def check_database(settings: Settings, timeout: float = 5.0) -> list[Check]:
    """Reachable, and the schema revision against this code's head; changes nothing."""
    from sqlalchemy import func, inspect, select
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage import db as storage_db
    from storage.models import Profile

    try:
        parsed = make_url(settings.db_url)
    except ArgumentError:
        return [Check("database", "FAIL", "not a database URL (try sqlite:///scout.db)")]
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database)).expanduser()
        if not path.exists():
            # Connecting would create the file; a check must not.
            return [
                Check("database", "WARN", "no database file yet: run `scout init`", where),
                Check("schema", "WARN", "no schema yet: `scout init` creates it", where),
            ]
    url = settings.db_url
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # libpq waits for the TCP timeout (minutes) on a host that drops packets.
        timed = parsed.update_query_dict({"connect_timeout": str(max(1, round(timeout)))})
        url = timed.render_as_string(hide_password=False)
    try:
        engine = storage_db.make_engine(url)
    except ScoutError as exc:
        return [Check("database", "FAIL", exc.message, where)]
    try:
        current, head, known = storage_db.schema_status(engine)
        tables = set(inspect(engine).get_table_names())
        profiles = None
        runs: list[Check] = []
        if current == head:
            with engine.connect() as conn:
                profiles = conn.scalar(select(func.count()).select_from(Profile))
            runs = [check_runs(engine, where)]
        version = engine.dialect.server_version_info
    except ScoutError as exc:  # its cause says why without repeating the URL
        reason = error_text(exc.__cause__) if exc.__cause__ else exc.message
        return [Check("database", "FAIL", f"unreachable: {reason}", where)]
    except SQLAlchemyError as exc:
        return [Check("database", "FAIL", f"unreachable: {error_text(exc)}", where)]
    finally:
        engine.dispose()
    dialect = engine.dialect.name + (" " + ".".join(map(str, version)) if version else "")
    reached = f"reachable ({dialect})"
    if profiles is not None:
        reached += f"; {profiles:,} profiles"
    schema = _schema(settings, current, head, known, tables)
    return [Check("database", "OK", reached, where), schema, *runs]


def _named(run: Any) -> str:
    job = f" (job {run.job_name})" if run.job_name else ""
    return f"run #{run.id} {run.source}{job} started {run.started_at:%Y-%m-%d %H:%M} UTC"


def check_runs(engine: Any, where: str, days: int = 7) -> Check:
    """Runs whose process died (marked lost now or in the last `days`) and running rows
    whose heartbeat stopped: each named by id, source, job and start time."""
    from datetime import timedelta

    from sqlalchemy import select

    from config.clock import utcnow
    from storage.db import session_scope
    from storage.heartbeat import mark_lost_runs, stale_runs
    from storage.models import CrawlRun

    with session_scope(engine) as session:
        mark_lost_runs(session)
        since = utcnow() - timedelta(days=days)
        lost = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.status == "lost", CrawlRun.finished_at >= since)
            .order_by(CrawlRun.id.desc())
        ).all()
        stuck = stale_runs(session)
        parts = [
            f"{_named(run)}: running, no heartbeat since "
            f"{(run.heartbeat_at or run.started_at):%Y-%m-%d %H:%M} UTC (process {run.pid} "
            f"on {run.host} still exists: hung?)"
            for run in stuck
        ]
        parts += [f"{_named(run)}: lost ({run.message})" for run in lost[:5]]
        if len(lost) > 5:
            parts.append(f"{len(lost) - 5} more lost run(s): see `scout runs`")
    if not parts:
        return Check("crawl runs", "OK", f"no lost or stuck runs in the last {days} days", where)
    return Check("crawl runs", "WARN", "; ".join(parts), where)


def _schema(
    settings: Settings, current: str | None, head: str, known: bool, tables: set[str]
) -> Check:
    where = f"revision {current or 'none'}, head {head}"
    if current == head:
        return Check("schema", "OK", f"at head ({head})", where)
    if not known:
        return Check(
            "schema",
            "FAIL",
            f"revision {current} is newer than this talent-scout (head {head}): "
            "upgrade talent-scout; commands refuse this database",
            where,
        )
    if current is None and tables - {"alembic_version"}:
        return Check(
            "schema", "FAIL", "holds tables that are not talent-scout's: use another database"
        )
    behind = "empty (no tables yet)" if current is None else f"behind: at {current}, head {head}"
    if settings.auto_upgrade:
        return Check(
            "schema",
            "WARN",
            f"{behind}; the next command upgrades it (or run `scout db upgrade` now)",
            where,
        )
    return Check(
        "schema",
        "FAIL",
        f"{behind} and auto_upgrade is off: commands refuse it until you run `scout db upgrade`",
        where,
    )


# -- config files -------------------------------------------------------------------------------


def _data_file(name: str, override: Path | None, load: Callable[[], str]) -> Check:
    from config.data import default_path

    where = str(override or default_path(name))
    try:
        return Check(name, "OK", load(), where)
    except ScoutError as exc:
        return Check(name, "FAIL", exc.message, where)
    except (ValueError, OSError) as exc:
        return Check(name, "FAIL", error_text(exc), where)


def check_config_files(loaded: LoadedSettings, commands: click.Group) -> list[Check]:
    """scout.toml (already read), regions.toml, skills.toml, ranking.toml and the jobs file
    (its jobs' arguments parsed by `commands`, the whole command line)."""
    settings = loaded.settings
    if loaded.config_file is None:
        rows = [Check("scout.toml", "OK", "none: defaults and SCOUT_* environment variables")]
    else:
        n = sum(1 for source in loaded.sources.values() if source == "scout.toml")
        detail = f"valid; {n} setting(s) from it"
        rows = [Check("scout.toml", "OK", detail, str(loaded.config_file))]

    def regions() -> str:
        from enrich.location.regions import load_regions

        found = load_regions(settings.regions_file)
        return f"valid; {len(found)} regions: {', '.join(found.names())}"

    def skills() -> str:
        from config.skills import GROUPS, load_skills

        found = load_skills(settings.skills_file)
        groups = "; ".join(f"{g}: {', '.join(found.categories_of(g))}" for g in GROUPS)
        return f"valid; {len(found.skills)} skills ({groups})"

    def ranking() -> str:
        from scoring.ranking import load_ranking

        config = load_ranking(settings.ranking_file, settings.skills_file)
        return f"valid; {len(config.features)} features (heuristic {config.fingerprint()})"

    rows.append(_data_file("regions.toml", settings.regions_file, regions))
    rows.append(_data_file("skills.toml", settings.skills_file, skills))
    rows.append(_data_file("ranking.toml", settings.ranking_file, ranking))
    rows.append(check_jobs_file(settings.jobs_file, commands))
    return rows


def check_jobs_file(path: Path | None, commands: click.Group) -> Check:
    """The scheduled jobs file, when one is set: it loads as `scout schedule` loads it, every
    job's arguments checked by the real command line (`commands`)."""
    if path is None:
        return Check("jobs file", "OK", "not set: only `scout schedule` needs one")
    from scout.jobs import check_arguments, load_jobs

    try:
        jobs = load_jobs(path, include_disabled=True)
        check_arguments(jobs, commands, path)
    except ScoutError as exc:
        return Check("jobs file", "FAIL", exc.message, str(path))
    if not jobs:
        return Check("jobs file", "WARN", "valid, but no jobs in it", str(path))
    names = ", ".join(job.name for job in jobs)
    return Check("jobs file", "OK", f"valid; {len(jobs)} job(s): {names}", str(path))
