"""Faults between the Stack Overflow crawler and the sandbox: a small loopback proxy, and
the helpers the crawl tests share (a sandbox of 300 people, a crawl in its own process, what
a database holds).

`FaultProxy(upstream, rule)` forwards every request to the sandbox's Stack Exchange API and
hands the answer to `rule(method_path, status, body)`, which returns None (pass it on) or the
(status, headers, body) to send instead. Rules see the API path without the root, e.g.
`/users/12;40/top-answer-tags`, and count what they like themselves.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import create_engine, select

import crawlers.sandbox.server as sandbox_server
from crawlers.sandbox.model import SandboxOptions
from crawlers.sandbox.stackexchange_api import StackExchangeAPI
from crawlers.sandbox.world import generate
from storage.models import CrawlRun, CrawlState, Profile, SOTagStat
from storage.state import exit_code

TAGS = ("pytorch", "tensorflow", "keras")
KEY = "goodkey-for-tests"
BOUND_S = 60  # a crawl of this small world takes a few seconds; a hang takes forever

Answer = tuple[int, dict[str, str], bytes]
Rule = Callable[[str, int, bytes], Answer | None]
JSON = {"Content-Type": "application/json; charset=utf-8"}
HTML = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"


class FaultProxy:
    def __init__(self, upstream: str, rule: Rule) -> None:
        self.upstream = upstream.rstrip("/")
        self.rule = rule
        self.lock = threading.Lock()
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with proxy.lock:
                    proxy.seen.append(path)
                try:
                    with urllib.request.urlopen(proxy.upstream + self.path, timeout=30) as up:
                        status, body = up.status, up.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                if body[:2] == b"\x1f\x8b":  # the API always gzips; rules see plain JSON
                    body = gzip.decompress(body)
                answer = proxy.rule(path, status, body) or (status, dict(JSON), body)
                code, headers, payload = answer
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self, pattern: str) -> int:
        with self.lock:
            return sum(1 for p in self.seen if re.search(pattern, p))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def on(pattern: str, fault: Callable[[int, bytes], Answer], times: int | None = None) -> Rule:
    """A rule: answers whose path matches `pattern` get `fault` (the first `times` only)."""
    hits = [0]
    lock = threading.Lock()

    def rule(path: str, status: int, body: bytes) -> Answer | None:
        if not re.search(pattern, path):
            return None
        with lock:
            hits[0] += 1
            if times is not None and hits[0] > times:
                return None
        return fault(status, body)

    return rule


def corrupt_gzip(status: int, body: bytes) -> Answer:
    packed = gzip.compress(body)
    broken = packed[:10] + bytes(b ^ 0x5A for b in packed[10:40]) + packed[40:]
    return 200, {**JSON, "Content-Encoding": "gzip"}, broken


def html_page(status: int, body: bytes) -> Answer:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, HTML


def deep_json(status: int, body: bytes) -> Answer:
    return 200, dict(JSON), b"[" * 200_000 + b"]" * 200_000


def with_fields(**fields: Any) -> Callable[[int, bytes], Answer]:
    """The real answer with some wrapper fields replaced (e.g. quota_remaining="lots")."""

    def fault(status: int, body: bytes) -> Answer:
        wrapper = json.loads(body)
        wrapper.update(fields)
        return status, dict(JSON), json.dumps(wrapper).encode()

    return fault


def dead(status: int, body: bytes) -> Answer:
    return 503, {"Content-Type": "text/html"}, HTML


@contextmanager
def se_sandbox() -> Iterator[sandbox_server.SandboxServer]:
    """Only the Stack Exchange emulator, on a world of 300 people."""
    world = generate(11, 300)
    saved = sandbox_server.build_apis
    sandbox_server.build_apis = lambda w, o, s: [StackExchangeAPI(w, o, s)]
    server = sandbox_server.SandboxServer(world, SandboxOptions())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        sandbox_server.build_apis = saved


def crawl(db: str, api: str, wait: bool = True, **env: Any) -> Any:
    """`scout crawl stackoverflow` of TAGS in its own process (the reactor cannot restart)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SCOUT_", "STACKEXCHANGE"))}
    full.update({"STACKEXCHANGE_KEY": KEY, **{k: str(v) for k, v in env.items()}})
    tags = [arg for tag in TAGS for arg in ("--tag", tag)]
    cmd = [sys.executable, "-m", "scout.cli", "--db", db, "crawl", "stackoverflow", *tags]
    cmd += ["--api-url", api]
    if not wait:
        return subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=BOUND_S)


def ended(result: Any, status: str) -> None:
    """The crawl said `status` in its run summary and left with that status's exit code."""
    assert f"stackoverflow {status}:" in result.stdout, result.stdout + result.stderr
    assert result.returncode == exit_code(status), result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def stored(db: str) -> tuple[list[Any], list[Any]]:
    """Every Stack Overflow profile and tag row, sorted (what "the same data" compares)."""
    engine = create_engine(db)
    with engine.connect() as conn:
        profiles = conn.execute(
            select(Profile.external_id, Profile.reputation, Profile.location_raw)
        ).all()
        tags = conn.execute(
            select(
                Profile.external_id,
                SOTagStat.tag,
                SOTagStat.answer_count,
                SOTagStat.answer_score,
                SOTagStat.question_count,
            ).join(SOTagStat, SOTagStat.profile_id == Profile.id)
        ).all()
    engine.dispose()
    return sorted(profiles), sorted(tags)


def last_run(db: str) -> Any:
    engine = create_engine(db)
    with engine.connect() as conn:
        run = conn.execute(
            select(CrawlRun.status, CrawlRun.stats, CrawlRun.errors).order_by(CrawlRun.id.desc())
        ).first()
    engine.dispose()
    return run


def profiles_cursor(db: str) -> Any:
    engine = create_engine(db)
    with engine.connect() as conn:
        cursor = conn.scalar(
            select(CrawlState.cursor).where(
                CrawlState.source == "stackoverflow", CrawlState.stream == "profiles"
            )
        )
    engine.dispose()
    return cursor
