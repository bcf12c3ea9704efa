"""A fault-injecting HTTP proxy on loopback, between a crawler and the sandbox.

The crawler is pointed at the proxy (`--api-url http://127.0.0.1:PORT/github`, or
`.../stackexchange/2.3`); the proxy forwards each request unchanged to the upstream sandbox and
hands the answer back, unless a rule takes it. Rules are tried in order; the first one whose
`match` accepts the request and that is still active rewrites the upstream answer (or kills the
connection). A rule lets its first `skip` matching requests through untouched, then acts on the
next `times` of them (`times=None`: for good). So `times=1` is "one bad answer, then recovery"
and `times=None` is "broken until the proxy is gone". `Rule.fired` counts what it did, so a test
can check that its fault really happened; `Rule.notes` keeps what an action touched.

Rules (factories in tests/fault_rules.py; every one takes `match`, `skip`, `times`):

    graphql_node(mutate, index)     one GitHub user node of a detail answer changed in place by
                                    `mutate(node)`; with `wrong_language` (a repository's
                                    `primaryLanguage` a number) and `long_name` (`name` a 10 KB
                                    string) as ready-made mutations
    graphql_partial(nulls)          a 200 with `errors` beside `data` and `nulls` search nodes
                                    replaced by null, as GitHub answers when a resolver fails
    graphql_null_search(errors)     `data.search` null (with or without an `errors` list)
    corrupt_gzip()                  a Stack Exchange body whose gzip header is intact but whose
                                    deflate stream is garbage (zlib.error, not OSError)
    se_field(name, value)           one wrapper field set to `value` (e.g. `quota_remaining`
                                    "many", `backoff` "soon"), body gzipped again like the API's
    deep_json(depth)                a gzipped body of JSON nested `depth` lists deep
    stuck_page()                    paging that never ends: each path's first answer again,
                                    with `has_more` true
    hold(release)                   the answer kept back until a threading.Event is set (a
                                    crawl caught mid-way, e.g. for a Ctrl-C)
    html_page(status)               an HTML error page answered with `status` (200 by default)
    die(how)                        the upstream is dead: every connection, open or new, is reset
                                    (`how="reset"`), or the listener closes so new connections are
                                    refused (`how="refuse"`); a dead proxy stays dead

Matchers (also in fault_rules.py): `graphql_pages` (search page queries, not the one-point
count probes), `graphql_details` (`nodes(ids:)` detail queries), `graphql_any`,
`se_method(pattern)` (a regular expression on the path after the API root), and
`any_request`. The proxy also counts every request it saw (`requests`) and
keeps their paths (`seen`).

Reusable beyond issue 14: a rule is plain data plus a function from (request, upstream answer)
to a new answer, so a simulated day can stack several proxies or add rules as it goes
(`proxy.rules.append(...)` is safe while serving).
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from sandbox.server import ApiRoots, LoopbackHandler, LoopbackServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


@dataclass(slots=True)
class Exchange:
    """One request as the proxy received it, and (once fetched) the upstream answer."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    def json_request(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Kill(Exception):
    """Raised by an action: the upstream is dead from now on (see `FaultProxy.kill`)."""

    def __init__(self, how: str = "reset") -> None:
        super().__init__(how)
        self.how = how


Action = Callable[[Exchange], None]
Matcher = Callable[[Exchange], bool]


@dataclass
class Rule:
    """Fault `action` on matching requests after the first `skip`, `times` times (None: always)."""

    name: str
    match: Matcher
    action: Action
    skip: int = 0
    times: int | None = 1
    upstream: bool = True  # False: act without asking the upstream first
    matched: int = 0
    fired: int = 0
    notes: list[Any] = field(default_factory=list)  # what the action touched, for asserts

    def claim(self) -> bool:
        """Does this matching request get the fault? (Called under the proxy's lock.)"""
        self.matched += 1
        if self.matched <= self.skip:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


# -- the proxy -------------------------------------------------------------------------------


class _Handler(LoopbackHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _dispatch(self) -> None:
        proxy = self.server.proxy
        exchange = Exchange(self.command, self.path, self.request_headers(), self.read_body())
        rule = proxy.rule_for(exchange)
        if proxy.dead:
            self._reset()
            return
        try:
            if rule is None or rule.upstream:
                proxy.forward(exchange)
            if rule is not None:
                rule.action(exchange)
        except Kill as kill:
            proxy.kill(rule.name if rule else "kill", kill.how)
            self._reset()
            return
        self.reply(exchange.status, exchange.response_headers, exchange.response_body, HOP_BY_HOP)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST: "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _Server(LoopbackServer):
    proxy: FaultProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connections are reset on purpose here: whatever that leaves behind is no traceback.
        return


class FaultProxy(ApiRoots):
    """Forwards to `upstream` (a base URL such as the sandbox's `base_url`), with rules."""

    def __init__(self, upstream: str, rules: list[Rule] | None = None, timeout: float = 30) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.rules: list[Rule] = list(rules or [])
        self.timeout = timeout
        self.requests = 0
        self.seen: list[str] = []
        self.dead = False
        self.killed_by: str | None = None
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.proxy = self
        self._thread: threading.Thread | None = None
        self._listening = False

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fired(self) -> dict[str, int]:
        """How many times each rule acted, by rule name."""
        with self._lock:
            return {rule.name: rule.fired for rule in self.rules}

    def rule_for(self, exchange: Exchange) -> Rule | None:
        with self._lock:
            self.requests += 1
            self.seen.append(f"{exchange.method} {exchange.path}")
            for rule in self.rules:
                if rule.match(exchange) and rule.claim():
                    return rule
        return None

    def forward(self, exchange: Exchange) -> None:
        conn = http.client.HTTPConnection(
            self.upstream_host, self.upstream_port, timeout=self.timeout
        )
        try:
            headers = {k: v for k, v in exchange.headers.items() if k not in HOP_BY_HOP}
            conn.request(
                exchange.method, exchange.path, body=exchange.body or None, headers=headers
            )
            answer = conn.getresponse()
            exchange.status = answer.status
            exchange.response_headers = dict(answer.getheaders())
            exchange.response_body = answer.read()
        finally:
            conn.close()

    def kill(self, reason: str, how: str = "reset") -> None:
        """From now on the upstream is dead: connections are reset (and refused, with
        `how="refuse"`)."""
        with self._lock:
            self.dead = True
            self.killed_by = self.killed_by or reason
        if how == "refuse":
            threading.Thread(target=self._close_listener, daemon=True).start()

    def _close_listener(self) -> None:
        if self._listening:
            self._listening = False
            self._httpd.shutdown()
        self._httpd.server_close()

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fault-proxy", daemon=True
        )
        self._listening = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self._close_listener()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
