"""Running `scout crawl` in its own process for tests/test_faults.py, and reading what it left.

`crawl` starts the real CLI (helpers.scout_popen; a `prelude` runs first in that process if
asked, e.g. to make SQLite's disk full) and fails the test if it does not end by itself;
`snapshot` reads what the acceptance compares (lists, so a duplicate shows); `assert_run` checks the
status, its exit code, and that nothing private reached the output.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import pg_schema
from helpers import scout_popen
from sqlalchemy import create_engine, text

from sandbox.server import SandboxServer
from storage.state import EXIT_CODES

SEED, PEOPLE = 7, 600  # GitHub: 556 people in 7 pages of one window; Stack Overflow: ~100
SE_TAGS = ("pytorch", "tensorflow", "keras", "scikit-learn", "langchain", "apache-spark")
SE_DEPTH = 2
TIMEOUT = 45  # seconds: a crawl still running then has hung (a clean one takes < 12)
GITHUB, SO = "github", "stackoverflow"
TOKEN, KEY = "ghp_" + "t" * 36, "goodkey-for-tests"
# The crawl sees none of this process's tokens or settings, only the ones a test gives it.
DROP = ("SCOUT_", "GITHUB_", "STACKEXCHANGE_", "KAGGLE_")


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'scout.db'}"
    else:
        with pg_schema() as url:
            yield url


@dataclass
class Run:
    code: int
    output: str
    status: str
    stats: dict[str, Any]
    errors: int


def launch(
    url: str, source: str, api: str, cwd: Path, *extra: str, prelude: str = "", **env: str
) -> subprocess.Popen[str]:
    """`scout crawl SOURCE` started in its own process (`prelude` runs first in it)."""
    full = {"GITHUB_TOKEN": TOKEN, "STACKEXCHANGE_KEY": KEY, "SCOUT_HTTP_RETRIES": "1", **env}
    args = ["crawl", source, *extra]
    if source == SO:
        args += [arg for tag in SE_TAGS for arg in ("--tag", tag)] + ["--depth", str(SE_DEPTH)]
    args += ["--api-url", api]
    return scout_popen(*args, db=url, env=full, drop=DROP, prelude=prelude, text=True, cwd=cwd)


def finish(proc: subprocess.Popen[str], url: str, source: str, what: str = "") -> Run:
    """Wait for a launched crawl (a run that does not end by itself fails the test)."""
    started = time.monotonic()
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"`scout crawl {source}` still running after {TIMEOUT}s: hung\n{err[-1500:]}")
    status, stats, errors = last_run(url, source)
    print(f"{source} {what}: exit {proc.returncode}, {status}, {time.monotonic() - started:.1f}s")
    return Run(proc.returncode, out + err, status, stats, errors)


def crawl(url: str, source: str, api: str, cwd: Path, *extra: str, **env: str) -> Run:
    """`scout crawl SOURCE` in its own process, to its end."""
    return finish(launch(url, source, api, cwd, *extra, **env), url, source, " ".join(extra))


def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def last_run(url: str, source: str) -> tuple[str, dict[str, Any], int]:
    rows = query(
        url,
        "SELECT status, stats, errors FROM crawl_runs WHERE source = :s ORDER BY id DESC LIMIT 1",
        s=source,
    )
    if not rows:
        return "none", {}, 0
    status, stats, errors = rows[0]
    stats = json.loads(stats) if isinstance(stats, str) else dict(stats or {})
    return str(status), stats, int(errors or 0)


def page_count(url: str) -> int:
    """The pages a SQLite database file holds (its write-ahead log folded in first)."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


@dataclass(frozen=True)
class Snapshot:
    """What the acceptance compares: lists, not sets, so a duplicate shows; each row with the
    fields a crawl derives (not when it ran)."""

    profiles: list[tuple[Any, ...]]
    repositories: list[tuple[Any, ...]]
    tags: list[tuple[Any, ...]]
    windows: list[tuple[str, bool]]  # GitHub: each search window, and whether it is done

    @property
    def ids(self) -> list[str]:
        return [row[0] for row in self.profiles]

    def diff(self, other: Snapshot) -> str:
        def delta(mine: list[Any], theirs: list[Any]) -> str:
            lost = sorted(set(theirs) - set(mine))
            extra = sorted(set(mine) - set(theirs))
            dup = len(mine) - len(set(mine))
            return f"{len(lost)} lost {lost[:3]}, {len(extra)} extra {extra[:3]}, {dup} twice"

        return (
            f"profiles: {delta(self.profiles, other.profiles)}; "
            f"repositories: {delta(self.repositories, other.repositories)}; "
            f"tags: {delta(self.tags, other.tags)}; "
            f"windows: {delta(self.windows, other.windows)}"
        )


def _plain(row: Any) -> tuple[Any, ...]:
    """A row with JSON values as text alike (SQLite hands back text, PostgreSQL objects)."""
    return tuple(v if v is None or isinstance(v, str | int) else json.dumps(v) for v in row)


def snapshot(url: str, source: str) -> Snapshot:
    profiles = query(
        url,
        "SELECT external_id, handle, name, location_raw, followers, reputation, content_sha "
        "FROM profiles WHERE source = :s",
        s=source,
    )
    repos = query(
        url,
        "SELECT p.external_id, r.name, r.language, r.stars, r.topics FROM repositories r "
        "JOIN profiles p ON p.id = r.profile_id WHERE p.source = :s",
        s=source,
    )
    tags = query(
        url,
        "SELECT p.external_id, t.tag, t.answer_count, t.answer_score, t.question_count, "
        "t.question_score FROM so_tag_stats t JOIN profiles p ON p.id = t.profile_id "
        "WHERE p.source = :s",
        s=source,
    )
    windows = query(url, "SELECT partition, cursor FROM crawl_state WHERE source = 'github'")
    done = [(p, bool((json.loads(c) if isinstance(c, str) else c).get("done"))) for p, c in windows]
    return Snapshot(
        *(sorted(map(_plain, rows)) for rows in (profiles, repos, tags)),
        sorted(done) if source == GITHUB else [],
    )


_PERSONAL: dict[int, list[str]] = {}


def personal(world: Any) -> list[str]:
    """E-mail addresses, names and bios of the world's accounts: never in a crawl's output."""
    if id(world) not in _PERSONAL:
        values = [v for a in world.github.values() for v in (a.email, a.name, a.bio)]
        _PERSONAL[id(world)] = sorted({v for v in values if v and len(v) >= 8})
    return _PERSONAL[id(world)]


def assert_private(run: Run, sandbox: SandboxServer) -> None:
    """No personal field, no secret and no record reached the output."""
    leaked = [v for v in personal(sandbox.world) if v in run.output]
    assert not leaked, f"{len(leaked)} personal fields in the output, e.g. {leaked[0][:20]!r}"
    assert TOKEN not in run.output and KEY not in run.output, "a secret in the output"
    assert "@" not in run.output and "display_name" not in run.output, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]


def assert_run(run: Run, status: str, sandbox: SandboxServer) -> None:
    """The run ended with `status` and its exit code, and logged nothing private."""
    assert (run.code, run.status) == (EXIT_CODES[status], status), run.output[-3000:]
    assert_private(run, sandbox)
