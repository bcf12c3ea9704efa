"""`scout crawl github --distributed`: workers sharing one crawl through Redis and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from helpers import scout_popen
from sqlalchemy import create_engine, text
from test_github_crawl import timeless
from typer.testing import CliRunner

from crawlers.github.coordination import RequestCodec, safe_url
from sandbox.model import Response, SandboxOptions
from sandbox.server import SandboxServer
from scout.cli import app
from storage.db import open_database

TOKEN = "ghp_" + "d" * 36
# Every account of a 2,500-account world: more than the 1,000 search shows, so the query is split
# into created: windows of several pages each, which the workers share.
QUERY = ["--created-until", "2026-12-31"]


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(11, 2500)


@pytest.fixture(scope="module")
def sandbox(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


@pytest.fixture
def redis_db(redis_url):
    """The test Redis on a database number nobody is using; emptied afterwards."""
    base = redis.Redis.from_url(redis_url)
    base.ping()
    base.close()
    for number in range(15, 0, -1):
        # The number goes in the URL: from_url's db= argument loses to a /0 in the URL.
        url = urlunsplit(urlsplit(redis_url)._replace(path=f"/{number}"))
        client = redis.Redis.from_url(url)
        if client.dbsize() == 0:
            yield url, client
            client.flushdb()
            client.close()
            return
        client.close()
    pytest.skip("no empty Redis database to use")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def worker(db_url, *args, sandbox, concurrency=1):
    # One request at a time per worker: whatever else is queued is there for the other worker.
    env = {"GITHUB_TOKEN": TOKEN, "SCOUT_GITHUB_CONCURRENCY": str(concurrency)}
    cmd = ("crawl", "github", *QUERY, *args, "--api-url", sandbox.github_url)
    return scout_popen(*cmd, db=db_url, env=env, text=True)


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def snapshot(db_url):
    """Profiles, repositories and window cursors: everything a crawl derives, no timestamps."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        profiles = conn.execute(
            text(
                "SELECT external_id, handle, name, location_raw, followers, content_sha "
                "FROM profiles WHERE source = 'github'"
            )
        ).all()
        repos = conn.execute(
            text(
                "SELECT p.external_id, r.name, r.stars, r.topics FROM repositories r "
                "JOIN profiles p ON p.id = r.profile_id"
            )
        ).all()
        cursors = conn.execute(
            text("SELECT partition, cursor FROM crawl_state WHERE source = 'github'")
        ).all()
    engine.dispose()
    ids = [p[0] for p in profiles]
    assert len(ids) == len(set(ids)), "a profile stored twice"
    return (
        sorted(tuple(p) for p in profiles),
        sorted((e, n, s, json.dumps(_json(t))) for e, n, s, t in repos),
        sorted((p, timeless(c)) for p, c in cursors),
    )


def assert_same(got, want, log=""):
    """Equal snapshots, or a failure naming only the rows that differ (a CI log keeps the
    tail of the output: a whole snapshot would hide which rows they were)."""
    parts = ("profiles", "repositories", "cursors")
    problems = []
    for part, g, w in zip(parts, got, want, strict=True):
        extra, missing = sorted(set(g) - set(w)), sorted(set(w) - set(g))
        if extra or missing:
            problems.append(
                f"{part}: {len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}"
            )
    assert not problems, "; ".join(problems) + "\nworker log:\n" + log[-6000:]


def runs(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, stats, args, message FROM crawl_runs ORDER BY id")
        ).all()
    engine.dispose()
    return [(s, _json(st), _json(a), m) for s, st, a, m in rows]


@pytest.fixture(scope="module")
def reference(sandbox, tmp_path_factory):
    """The same query crawled by one ordinary (not distributed) process."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}"
    code, _, err = finish(worker(url, sandbox=sandbox, concurrency=4))
    assert code == 0, err
    expected = snapshot(url)
    assert len(expected[0]) > 1000 and len(expected[2]) >= 3  # split into several windows
    return expected


def fresh_schema(db_url):
    """Create the schema first, as `scout db upgrade` would: two first-time migrations race."""
    open_database(db_url).dispose()


def test_two_workers_equal_one_crawl_and_share_the_work(pg_url, redis_db, sandbox, reference):
    url, client = redis_db
    fresh_schema(pg_url)
    started = time.monotonic()
    first = worker(pg_url, "--distributed", url, sandbox=sandbox)
    second = worker(pg_url, "--distributed", url, sandbox=sandbox)
    results = [finish(first), finish(second)]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err, err
    assert_same(snapshot(pg_url), reference)
    rows = runs(pg_url)
    assert len(rows) == 2 and all(status == "ok" for status, *_ in rows)
    # One seeded the crawl, both took pages from the shared queue.
    assert sorted(args["seeder"] for _, _, args, _ in rows) == [False, True]
    assert all(stats["pages"] > 0 for _, stats, _, _ in rows), [r[1] for r in rows]
    assert {args["distributed"] for _, _, args, _ in rows} == {url}
    # The last worker out leaves nothing behind but the shared quota numbers.
    assert all(b":quota:" in key for key in client.keys("*"))
    assert time.monotonic() - started < 90


class GatedSandbox(SandboxServer):
    """The sandbox, whose GraphQL answers can be held back: a worker then holds its request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open = threading.Event()
        self.open.set()
        self.held = 0
        self._count = threading.Lock()
        # The killed worker's connections break by design; no traceback for each.
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def respond(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Response:
        if path.endswith("/graphql") and not self.open.is_set():
            with self._count:
                self.held += 1
            self.open.wait(60)
        return super().respond(method, path, query, headers, body)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_worker_killed_mid_crawl_loses_nothing(pg_url, redis_db, world, reference):
    """kill -9 on a worker holding a request: the other re-queues it and the crawl is whole."""
    url, client = redis_db
    fresh_schema(pg_url)
    engine = create_engine(pg_url)

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM profiles")).scalar_one()

    sandbox = GatedSandbox(world, SandboxOptions(rate_limit=1_000_000))
    with sandbox:
        procs = [worker(pg_url, "--distributed", url, sandbox=sandbox) for _ in range(2)]
        try:
            wait_for(lambda: stored() > 300, what="the first pages")
            # Hold every answer until each worker (one request at a time) waits for one.
            sandbox.open.clear()
            wait_for(lambda: sandbox.held >= 2, what="both workers to hold a request")
            (seed_key,) = client.keys("*:seed")
            seeder = client.get(seed_key).decode()
            busy = {k.decode(): int(v) for k, v in client.hgetall(seed_key[:-4] + b"busy").items()}
            assert busy[seeder] > 0, busy  # it holds a request nobody else has
            pid = int(seeder.rsplit("-", 2)[1])
            victim = next(p for p in procs if p.pid == pid)
            survivor = next(p for p in procs if p.pid != pid)
            victim.send_signal(signal.SIGKILL)
            assert victim.wait() == -signal.SIGKILL, "the worker ended before the kill"
            before = stored()
            sandbox.open.set()
            code, out, err = finish(survivor)
        finally:
            sandbox.open.set()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
    engine.dispose()
    assert code == 0, err
    assert "Traceback" not in err and TOKEN not in out + err, err
    assert 300 < before < len(reference[0])
    # The request the killed worker held came back from the database cursors.
    assert "re-queued" in err, err
    assert_same(snapshot(pg_url), reference, err)
    by_worker = {args["worker"]: status for status, _, args, _ in runs(pg_url)}
    assert by_worker.pop(seeder) == "lost"  # closed for it by the worker that re-queued its work
    assert list(by_worker.values()) == ["ok"]
    assert all(b":quota:" in key for key in client.keys("*"))


def test_redis_lost_mid_crawl_stops_cleanly_and_a_restart_completes(
    pg_url, sandbox, reference, tmp_path
):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(port)
    fresh_schema(pg_url)
    try:
        proc = worker(pg_url, "--distributed", url, sandbox=sandbox)
        engine = create_engine(pg_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM profiles")).scalar_one() > 200:
                    break
            time.sleep(0.05)
        engine.dispose()
        server.send_signal(signal.SIGKILL)
        assert server.wait() == -signal.SIGKILL
        code, out, err = finish(proc)
        assert code == 2, (out, err)
        assert "Traceback" not in err, err
        assert err.count("Error:") == 1 and "unreachable" in err and "--resume" in err
        assert TOKEN not in err + out
        status, _, _, message = runs(pg_url)[-1]
        assert status == "interrupted" and "unreachable" in message
        stored_before = len(snapshot(pg_url)[0])
        assert 0 < stored_before < len(reference[0])
        # Redis comes back empty (no persistence): --resume re-seeds from the stored cursors.
        server = start_redis(port)
        code, out, err = finish(worker(pg_url, "--distributed", url, "--resume", sandbox=sandbox))
        assert code == 0, err
        assert_same(snapshot(pg_url), reference)
        # It continued from the stored cursors rather than starting over.
        resumed = runs(pg_url)[-1]
        assert resumed[0] == "ok"
        assert resumed[1]["profiles_stored"] <= len(reference[0]) - stored_before
    finally:
        server.kill()
        server.wait()


def test_unreachable_or_bad_redis_is_one_message(sqlite_url):
    port = free_port()  # nothing listens there
    for args, words in (
        (["--distributed", f"redis://:s3cret@127.0.0.1:{port}/0"], "cannot reach Redis"),
        (["--distributed", "http://127.0.0.1:6379"], "Redis URL like redis://"),
        (["--distributed", f"redis://127.0.0.1:{port}/0", "--max-users", "5"], "--max-users"),
    ):
        result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "github", *args])
        assert result.exit_code == 2, result.output
        assert words in result.output and "Traceback" not in result.output
        assert result.output.count("Error:") == 1 and "s3cret" not in result.output


def test_the_token_never_rests_in_redis():
    request = {
        "url": "https://api.github.com/graphql",
        "headers": {b"Authorization": [TOKEN.encode()], b"Accept": [b"application/json"]},
    }
    data = RequestCodec.dumps(request)
    assert TOKEN.encode() not in data
    assert RequestCodec.loads(data)["headers"] == {b"Accept": [b"application/json"]}
    assert safe_url("redis://user:pw@h:6379/1") == "redis://user:***@h:6379/1"
