"""The sandbox HTTP server: one threaded HTTP/1.1 server, each emulated API under its prefix.

`/github` (REST, GraphQL at `/github/graphql`), `/stackexchange/2.3`, `/kaggle`,
`/huggingface` (the Hub's API: sandbox/hub_api.py), `/pypi` (sandbox/pypi_api.py), plus
`/_sandbox/stats` (counters the benchmarks read; `?reset=1` clears them),
`/_sandbox/health`, `GET /_sandbox/day` (the simulated day and its `now`) and
`POST /_sandbox/advance?days=N` or `?to=N` (move the world to another day; tests only).
Latency and faults are injected here, before any API sees the request, so a
fault never costs the client quota.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.github_rest import GitHubAPI
from sandbox.hub_api import HubAPI
from sandbox.kaggle_api import KaggleAPI
from sandbox.model import API, Request, Response, SandboxOptions, Stats, World
from sandbox.pypi_api import PypiAPI
from sandbox.stackexchange_api import StackExchangeAPI
from sandbox.world_days import Timeline, timeline

log = logging.getLogger(__name__)

FAULT_KINDS = ("http_502", "http_503", "truncated", "html")
HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The server had a hiccup.</p></body></html>"
)


def build_apis(world: World, options: SandboxOptions, stats: Stats) -> list[API]:
    """The emulated APIs, longest prefix first."""
    apis: list[API] = [
        GitHubAPI(world, options, stats),
        StackExchangeAPI(world, options, stats),
        KaggleAPI(world, options, stats),
        HubAPI(world, options, stats),
        PypiAPI(world, options, stats),
    ]
    return sorted(apis, key=lambda api: len(api.prefix), reverse=True)


class FaultInjector:
    """Decides, reproducibly for a given seed, which requests get an injected fault."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self) -> str | None:
        if self.rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(FAULT_KINDS)


def fault_response(kind: str) -> Response:
    if kind == "http_502":
        return Response(502, HTML_ERROR, {"Content-Type": "text/html; charset=utf-8"})
    if kind == "http_503":
        body = json.dumps({"message": "Service Unavailable"}).encode()
        return Response(503, body, {"Content-Type": "application/json; charset=utf-8"})
    if kind == "html":
        return Response(200, HTML_ERROR, {"Content-Type": "text/html; charset=utf-8"})
    # truncated: a 200 whose JSON stops half way, as a dropped proxy connection leaves it.
    body = b'{"data": {"search": {"userCount": 12, "nodes": [{"login": "abc", "na'
    return Response(200, body, {"Content-Type": "application/json; charset=utf-8"})


class LoopbackHandler(BaseHTTPRequestHandler, ABC):
    """HTTP/1.1 keep-alive framing shared by the sandbox and test proxies in front of it:
    every method goes to `_dispatch`, which reads with `read_body` and answers with `reply`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each keep-alive response
    # waited for the client's delayed ACK (~40 ms), capping the server at ~75 requests/s.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    @abstractmethod
    def _dispatch(self) -> None:
        """Answer the request (the sandbox routes it, a test proxy forwards it)."""

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def request_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def reply(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        drop: Collection[str] = ("content-length",),
    ) -> None:
        """Send an answer; headers named (lower-case) in `drop` are left out."""
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in drop:
                self.send_header(name, value)
        payload = b"" if self.command == "HEAD" or status == 304 else body
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class _Handler(LoopbackHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("sandbox %s", format % args)

    def _dispatch(self) -> None:
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        body = self.read_body()
        headers = self.request_headers()
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            response = sandbox.respond(self.command, parts.path, query, headers, body)
        except Exception:  # a bug in an emulator must not kill the connection thread
            log.exception("sandbox handler failed for %s", self.path)
            response = Response(
                500,
                b'{"message": "sandbox internal error"}',
                {"Content-Type": "application/json; charset=utf-8"},
            )
        self.reply(response.status, response.headers, response.body)


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server whose connection threads never keep the process alive."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a crawler stopped mid-request, as the crash tests do) is
        # normal here, not a traceback on the console.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Server(LoopbackServer):
    sandbox: SandboxServer


class ApiRoots(ABC):
    """The emulated APIs' roots under a base URL: the sandbox's, or a proxy's in front of it."""

    @property
    @abstractmethod
    def base_url(self) -> str:
        """Where the roots hang: the server's own address."""

    @property
    def github_url(self) -> str:
        return self.base_url + "/github"

    @property
    def stackexchange_url(self) -> str:
        return self.base_url + "/stackexchange/2.3"

    @property
    def kaggle_url(self) -> str:
        return self.base_url + "/kaggle"

    @property
    def huggingface_url(self) -> str:
        return self.base_url + "/huggingface"

    @property
    def pypi_url(self) -> str:
        return self.base_url + "/pypi"


class SandboxServer(ApiRoots):
    """A running sandbox. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        world: World,
        options: SandboxOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timeline: Timeline | None = None,
    ) -> None:
        self.world = world
        self._timeline = timeline  # the world's days; made on the first advance if not given
        self._day_lock = threading.Lock()
        self.options = options or SandboxOptions()
        self.stats = Stats()
        self.apis = build_apis(world, self.options, self.stats)
        self.faults = FaultInjector(self.options.fault_rate, self.options.fault_seed)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> Response:
        """Answer one request (the HTTP layer is a thin shell around this)."""
        if path.startswith("/_sandbox/"):
            return self._control(method, path, query)
        for api in self.apis:
            if path == api.prefix or path.startswith(api.prefix + "/"):
                break
        else:
            self.stats.incr("sandbox.not_found")
            return Response(
                404,
                b'{"message": "Not Found"}',
                {"Content-Type": "application/json; charset=utf-8"},
            )
        if self.options.latency_ms:
            time.sleep(self.options.latency_ms / 1000)
        kind = self.faults.pick()
        if kind is not None:
            self.stats.incr(f"faults.{kind}")
            self.stats.incr("faults.total")
            return fault_response(kind)
        relative = path[len(api.prefix) :] or "/"
        return api.handle(Request(method, relative, query, headers, body))

    @property
    def timeline(self) -> Timeline:
        """The days of the served world (built from day 0 of the same seed and size when the
        server was handed a world and no timeline)."""
        if self._timeline is None:
            if self.world.day == 0:
                self._timeline = Timeline(self.world)
            else:
                self._timeline = timeline(self.world.seed, self.world.people)
        return self._timeline

    def set_day(self, day: int) -> World:
        """Serve the world of `day` (earlier days too). Counters carry over; a day change
        opens fresh rate-limit windows and daily quotas, as a day passing would."""
        with self._day_lock:
            world = self.timeline.at(day)
            if world is not self.world:
                for api in self.apis:
                    api.set_world(world)
                self.world = world
                self.stats.incr("sandbox.day_changes")
            return world

    def _day_info(self) -> dict[str, Any]:
        return {"day": self.world.day, "now": self.world.now.isoformat(), "seed": self.world.seed}

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> Response:
        json_type = {"Content-Type": "application/json"}
        if path == "/_sandbox/day":
            return Response(200, json.dumps(self._day_info()).encode(), json_type)
        if path == "/_sandbox/advance":
            if method != "POST":
                return Response(405, b'{"message": "POST to advance the clock"}', json_type)
            days, to = query.get("days", [""])[0], query.get("to", [""])[0]
            try:
                day = int(to) if to else self.world.day + int(days or "1")
                if day < 0:
                    raise ValueError(day)
            except ValueError:
                body = b'{"message": "days and to are whole numbers; the day cannot go below 0"}'
                return Response(400, body, json_type)
            self.set_day(day)
            return Response(200, json.dumps(self._day_info()).encode(), json_type)
        if path == "/_sandbox/stats":
            snapshot = self.stats.snapshot()
            if query.get("reset", ["0"])[0] in ("1", "true"):
                self.stats.reset()
            body = json.dumps(snapshot, sort_keys=True).encode()
            return Response(200, body, {"Content-Type": "application/json"})
        if path == "/_sandbox/health":
            users = [a.login for a in self.world.github.values() if a.type == "User"]
            info = {
                "status": "ok",
                "people": self.world.people,
                "seed": self.world.seed,
                "day": self.world.day,
                "sample": {
                    "github_login": users[0] if users else None,
                    "stackoverflow_user_id": next(iter(self.world.stackoverflow), None),
                    "kaggle_user_id": next(iter(self.world.kaggle), None),
                },
            }
            return Response(200, json.dumps(info).encode(), {"Content-Type": "application/json"})
        return Response(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})

    def start(self) -> str:
        """Serve in a background thread; returns the base URL."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="sandbox", daemon=True
        )
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
