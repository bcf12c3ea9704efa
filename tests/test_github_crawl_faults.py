"""`scout crawl github` against faults, each crawl in its own process: the run ends by itself,
its status tells the truth, and `--resume` against a clean sandbox gives exactly what a clean
crawl gives (0 lost, 0 duplicated).

Faults are injected between the crawler and the sandbox by a small forwarding proxy (partial
GraphQL answers, a wrongly typed field), or in the database (a full disk).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from test_github_crawl import REGIONS, SCOUT, last_run, scout, snapshot

from crawlers.sandbox.model import SandboxOptions
from crawlers.sandbox.server import SandboxServer
from crawlers.sandbox.world import generate


@pytest.fixture(scope="module")
def sandbox() -> Any:
    """A small world: the india region is about 135 people, two pages."""
    with SandboxServer(generate(7, 1200), SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


Damage = Callable[[dict[str, Any]], None]


class FaultProxy:
    """Forwards every request to the sandbox; damages the answers to one page request.

    The victim is the first page request asking for a second page (`after` set); every
    request with the same variables (retries, the page asked again) gets the damaged answer.
    """

    def __init__(self, upstream: str, damage: Damage) -> None:
        self.upstream, self.damage = upstream, damage
        self.victim: tuple[str, str] | None = None
        self.damaged = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self, None)

            def do_POST(self) -> None:
                proxy.forward(self, self.rfile.read(int(self.headers.get("Content-Length", 0))))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/github"
        self.lock = threading.Lock()

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _is_victim(self, body: bytes | None) -> bool:
        if not body:
            return False
        variables = json.loads(body).get("variables") or {}
        if not variables.get("after"):
            return False
        key = (variables["q"], variables["after"])
        with self.lock:
            self.victim = self.victim or key
            return key == self.victim

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() in ("authorization", "content-type", "accept", "user-agent")
        }
        request = urllib.request.Request(
            self.upstream + handler.path, data=body, headers=headers, method=handler.command
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, out_headers, payload = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, out_headers, payload = error.code, error.headers, error.read()
        if status == 200 and self._is_victim(body):
            data = json.loads(payload)
            self.damage(data)
            payload = json.dumps(data).encode()
            with self.lock:
                self.damaged += 1
        handler.send_response(status)
        for key, value in out_headers.items():
            if key.lower().startswith("x-ratelimit") or key.lower() == "content-type":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def null_nodes(payload: dict[str, Any]) -> None:
    nodes = payload["data"]["search"]["nodes"]
    for i in range(0, len(nodes), 4):
        nodes[i] = None
    payload["errors"] = [{"message": "Something went wrong", "path": ["search", "nodes", 0]}]


def null_search(payload: dict[str, Any]) -> None:
    payload["data"]["search"] = None


def wrong_type(payload: dict[str, Any]) -> None:
    for node in payload["data"]["search"]["nodes"]:
        repos = (node.get("repositories") or {}).get("nodes") or []
        if repos:
            repos[0]["primaryLanguage"] = 5
            return


@pytest.fixture(scope="module")
def reference_db(sandbox, tmp_path_factory) -> Path:
    """A clean crawl of the india region."""
    tmp = tmp_path_factory.mktemp("ref")
    url = f"sqlite:///{tmp / 'ref.db'}"
    result = scout(url, "crawl", "github", "--region", "india", api=sandbox.github_url, tmp=tmp)
    assert result.returncode == 0, result.stderr
    return tmp / "ref.db"


@pytest.fixture(scope="module")
def reference(reference_db) -> Any:
    """What a clean crawl of the india region stores."""
    return contents(f"sqlite:///{reference_db}")


def page_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


def crawl(url: str, api: str, tmp: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return scout(
        url, "crawl", "github", "--region", "india", *more, api=api, tmp=tmp,
        env={"SCOUT_HTTP_RETRIES": "1"},
    )  # fmt: skip


def contents(url: str) -> Any:
    """The snapshot with JSON columns read alike from SQLite (text) and PostgreSQL."""

    def plain(row: Any) -> tuple[Any, ...]:
        return tuple(json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v for v in row)

    return tuple(sorted(map(plain, rows), key=repr) for rows in snapshot(url))


@pytest.mark.parametrize("damage", [null_nodes, null_search], ids=["null-nodes", "null-search"])
def test_a_partial_answer_ends_partial_and_resume_fetches_it_again(
    damage, sandbox, reference, tmp_path, db_url
):
    if damage is null_search and "postgresql" in db_url:
        pytest.skip("one fault on PostgreSQL is enough")
    url = db_url
    with FaultProxy(sandbox.base_url, damage) as proxy:
        result = crawl(url, proxy.url, tmp_path)
    assert proxy.damaged == 2  # the page and its one retry
    status, stats, errors = last_run(url)
    assert status == "partial" and errors == 1 and stats["retries"] >= 1
    assert "partial" in result.stdout and "Traceback" not in result.stderr
    profiles, _, cursors = contents(url)
    assert len(profiles) < len(reference[0])
    assert any(not c["done"] for _, c in cursors)  # the window stays open
    result = crawl(url, sandbox.github_url, tmp_path, "--resume")
    assert result.returncode == 0, result.stderr
    assert last_run(url)[0] == "ok"
    assert contents(url) == reference


def test_a_wrongly_typed_field_loses_one_record_not_its_page(sandbox, reference, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    with FaultProxy(sandbox.base_url, wrong_type) as proxy:
        result = crawl(url, proxy.url, tmp_path)
    assert proxy.damaged == 1
    status, stats, _ = last_run(url)
    # Its page is held for --resume: the run is partial (exit 3), not ok.
    assert stats["quarantined"] == 1 and status == "partial" and result.returncode == 3
    assert "@" not in result.stderr  # no record dumped into the log
    profiles, _, _ = contents(url)
    assert len(profiles) == len(reference[0]) - 1
    # --resume against a clean API fetches the held page again and repairs it.
    assert crawl(url, sandbox.github_url, tmp_path, "--resume").returncode == 0
    assert contents(url)[:2] == reference[:2]


FULL_DISK = """
import sqlite3, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "connect")
def full(dbapi_conn, _record):
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.execute("PRAGMA max_page_count = {pages}")

from scout.cli import main
sys.argv = ["scout", *{argv!r}]
main()
"""


def test_a_full_disk_fails_the_run_and_resume_loses_nothing(
    sandbox, reference, reference_db, tmp_path, db_url
):
    regions = tmp_path / "regions.toml"
    regions.write_text(REGIONS)
    env = {**os.environ, "SCOUT_REGIONS_FILE": str(regions), "GITHUB_TOKEN": "ghp_" + "t" * 36}
    url = db_url
    subprocess.run([SCOUT, "--db", url, "db", "upgrade"], env=env, check=True, capture_output=True)
    argv = ["--db", url, "crawl", "github", "--region", "india", "--api-url", sandbox.github_url]
    if url.startswith("sqlite"):
        # The disk fills half way through: SQLite's own "database or disk is full".
        half = (page_count(Path(url.removeprefix("sqlite:///"))) + page_count(reference_db)) // 2
        command = [sys.executable, "-c", FULL_DISK.format(pages=half, argv=argv)]
        expected = "disk is full"
    else:
        # PostgreSQL's own disk_full error once half the profiles are in.
        fill_pg_disk(url, after=len(reference[0]) // 2)
        command, expected = [SCOUT, *argv], "DiskFull"
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    status, _, _ = last_run(url)
    assert status == "failed", result.stderr
    assert expected in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "@" not in result.stderr
    assert 0 < len(contents(url)[0]) < len(reference[0])
    if not url.startswith("sqlite"):
        free_pg_disk(url)
    result = scout(url, "crawl", "github", "--region", "india", "--resume",
                   api=sandbox.github_url, tmp=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert contents(url) == reference


def fill_pg_disk(url: str, after: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
                f"IF (SELECT count(*) FROM profiles) >= {after} THEN "
                "RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER disk_full BEFORE INSERT ON profiles "
                "FOR EACH ROW EXECUTE FUNCTION disk_full()"
            )
        )
    engine.dispose()


def free_pg_disk(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER disk_full ON profiles"))
    engine.dispose()


def test_a_crawl_without_a_token_says_search_needs_one(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    result = scout(url, "crawl", "github", "--location", "Kyiv",
                   api=sandbox.github_url, env={"GITHUB_TOKEN": ""}, tmp=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "needs" in result.stderr and "GITHUB_TOKEN" in result.stderr
    assert "rejected the token" not in result.stderr and "Traceback" not in result.stderr
    assert last_run(url)[0] == "failed"


def test_ctrl_c_is_interrupted_and_resume_completes(sandbox, reference, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    regions = tmp_path / "regions.toml"
    regions.write_text(REGIONS)
    env = {
        **os.environ,
        "SCOUT_REGIONS_FILE": str(regions),
        "GITHUB_TOKEN": "ghp_" + "t" * 36,
        "SCOUT_GITHUB_CONCURRENCY": "1",
    }
    argv = [SCOUT, "--db", url, "crawl", "github", "--region", "india"]
    proc = subprocess.Popen(
        [*argv, "--api-url", sandbox.github_url], env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not _has_pages(url) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    status, _, _ = last_run(url)
    assert status == "interrupted"
    result = scout(url, "crawl", "github", "--region", "india", "--resume",
                   api=sandbox.github_url, tmp=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert contents(url) == reference


def test_a_clean_run_is_ok_and_counts_requests_and_quota(reference_db):
    status, stats, _ = last_run(f"sqlite:///{reference_db}")
    assert status == "ok"
    assert stats["requests"] >= stats["pages"] > 0
    assert stats["quota_spent"] >= stats["pages"]
    assert stats["retries"] == 0 and stats["quarantined"] == 0 and stats["errors"] == 0


def _has_pages(url: str) -> bool:
    path = url.removeprefix("sqlite:///")
    if not Path(path).exists():
        return False
    try:
        with sqlite3.connect(path) as conn:
            return bool(conn.execute("SELECT count(*) FROM profiles").fetchone()[0])
    except sqlite3.Error:
        return False
