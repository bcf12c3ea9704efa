"""The GitHub emulator: REST routes, shared headers, limits, and the door to GraphQL.

Served under `/github`: `GET /users/{login}`, `/users/{login}/repos`, `/repos/{owner}/{repo}`,
`/search/users`, `/rate_limit`, the major projects' contributors and pulls
(sandbox/github_projects.py), the id forms GitHub's own Link headers use (`/user/{id}`,
`/user/{id}/repos`, `/repositories/{id}`), and `POST /graphql`.

Order of checks for every request, as GitHub applies them: credentials (401), concurrency
(secondary limit, 403 + retry-after), then the route; a REST response is computed before the
primary budget is charged so that a conditional request answered 304 costs an authenticated
caller nothing, as GitHub documents. The world changes only when the sandbox moves to another
day (`set_world`), so a REST body is a pure function of (world, API base, path, query), recent
ones are kept in an LRU, and an ETag (a hash of the body) changes only with the resource.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sandbox.github_graphql import GraphQLService
from sandbox.github_limits import (
    DOCS,
    RESOURCES,
    Budgets,
    Caller,
    InFlight,
    Window,
    identify,
    primary_message,
    rate_headers,
    secondary_message,
)
from sandbox.github_paging import etag_matches as _etag_matches
from sandbox.github_paging import link as _link
from sandbox.github_paging import paging as _paging
from sandbox.github_projects import DOC_CONTRIBUTORS, DOC_PULLS, ProjectsAPI
from sandbox.github_search import SEARCH_CAP, SearchError, UserIndex
from sandbox.github_shapes import public_user, rate_limit_body, repository, search_user
from sandbox.model import (
    API,
    GitHubAccount,
    GitHubRepo,
    Request,
    Response,
    SandboxOptions,
    Stats,
    World,
)
from sandbox.world_projects import projects_layer

JSON_TYPE = "application/json; charset=utf-8"
_DOC_USER = f"{DOCS}/rest/users/users#get-a-user"
_DOC_REPOS = f"{DOCS}/rest/repos/repos#list-repositories-for-a-user"
_DOC_REPO = f"{DOCS}/rest/repos/repos#get-a-repository"
_DOC_SEARCH = f"{DOCS}/rest/search/search#search-users"


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(status: int, message: str, doc: str, **extra: Any) -> bytes:
    # GitHub's error bodies carry the status as a string since 2023.
    return dumps({"message": message, **extra, "documentation_url": doc, "status": str(status)})


@dataclass(slots=True)
class Result:
    """A REST answer before the shared headers: cached and reused across callers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None


_ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"/users/([^/]+)"), "/users/{login}", "_user"),
    (re.compile(r"/user/(\d+)"), "/user/{id}", "_user"),
    (re.compile(r"/users/([^/]+)/repos"), "/users/{login}/repos", "_user_repos"),
    (re.compile(r"/user/(\d+)/repos"), "/user/{id}/repos", "_user_repos"),
    (re.compile(r"/repos/([^/]+)/([^/]+)"), "/repos/{owner}/{repo}", "_repo"),
    (re.compile(r"/repositories/(\d+)"), "/repositories/{id}", "_repo_by_id"),
    # The major projects' lists (sandbox/github_projects.py), by name or id.
    (re.compile(r"/repos/([^/]+/[^/]+)/contributors"), "/repos/{o}/{r}/contributors", "_listing"),
    (
        re.compile(r"/repositories/(\d+)/contributors"),
        "/repositories/{id}/contributors",
        "_listing",
    ),
    (re.compile(r"/repos/([^/]+/[^/]+)/pulls"), "/repos/{o}/{r}/pulls", "_listing"),
    (re.compile(r"/repositories/(\d+)/pulls"), "/repositories/{id}/pulls", "_listing"),
    (re.compile(r"/search/users()"), "/search/users", "_search_users"),
]


class GitHubAPI(API):
    """GitHub REST + GraphQL over a World; thread-safe."""

    prefix = "/github"
    secondary_retry_after_s = 60  # GitHub asks for at least a minute after a secondary limit
    cache_size = 4096

    def __init__(
        self,
        world: World,
        options: SandboxOptions,
        stats: Stats,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.stats = stats
        self.clock = clock
        self.budgets = Budgets(options, clock)
        self.inflight = InFlight()
        self._cache: OrderedDict[tuple[str, str, str], Result] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._seq = itertools.count(1)
        self.world = world
        self.set_world(world)

    def set_world(self, world: World) -> None:
        """Serve another day's world. A day passed on the sandbox clock, so every rate-limit
        window starts afresh; concurrency and counters carry over.

        Call between requests: one in flight may still answer from the world before.
        """
        if self.world.day != world.day:
            self.budgets.new_day()
        self.world = world
        self.accounts = world.github_by_lower()
        self.by_id = {a.id: a for a in world.github.values()}
        self._repo_ids: dict[int, tuple[GitHubAccount, GitHubRepo]] | None = None  # on demand
        self._projects: ProjectsAPI | None = None  # on demand: most crawls never ask
        self.index = UserIndex(world.github.values())
        self.graphql = GraphQLService(self.accounts, self.index, self.budgets, self.stats)
        with self._cache_lock:
            self._cache.clear()

    # -- entry point -----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.stats.incr("github.requests")
        request_id = self._request_id()
        caller = identify(request.headers)
        if caller is None:
            self.stats.incr("github.401")
            anon = identify({k: v for k, v in request.headers.items() if k != "authorization"})
            assert anon is not None
            _, window = self.budgets.charge(anon, "core")  # GitHub counts failed logins too
            body = error_body(401, "Bad credentials", f"{DOCS}/rest")
            return self._respond(401, body, anon, window, request_id)
        with self.inflight.hold(caller.key) as in_flight:
            if in_flight > self.options.secondary_concurrency:
                return self._secondary(caller, request, request_id)
            if request.path.rstrip("/") == "/graphql":
                return self._graphql(request, caller, request_id)
            return self._rest(request, caller, request_id)

    # -- shared response plumbing ------------------------------------------------------------

    def _request_id(self) -> str:
        n = next(self._seq)  # itertools.count is atomic under the GIL
        stamp = int(self.clock())
        return f"{n >> 16 & 0xFFFF:04X}:{n & 0xFFFF:04X}:{n * 7919:X}:{n * 104729:X}:{stamp:08X}"

    def _respond(
        self,
        status: int,
        body: bytes,
        caller: Caller,
        window: Window,
        request_id: str,
        extra: dict[str, str] | None = None,
    ) -> Response:
        headers = {
            "Content-Type": JSON_TYPE,
            "Cache-Control": ("private" if caller.authenticated else "public")
            + ", max-age=60, s-maxage=60",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            **rate_headers(window),
            "X-GitHub-Request-Id": request_id,
        }
        if extra:
            headers.update(extra)
        return Response(status, body, headers)

    def _secondary(self, caller: Caller, request: Request, request_id: str) -> Response:
        self.stats.incr("github.secondary_limited")
        resource = "graphql" if request.path.rstrip("/") == "/graphql" else "core"
        window = self.budgets.peek(caller, resource)
        body = dumps(secondary_message(request_id))
        retry = {"Retry-After": str(self.secondary_retry_after_s)}
        return self._respond(403, body, caller, window, request_id, retry)

    def _graphql(self, request: Request, caller: Caller, request_id: str) -> Response:
        self.stats.incr("github.graphql")
        if request.method != "POST":
            window = self.budgets.peek(caller, "core")
            return self._respond(
                404, error_body(404, "Not Found", f"{DOCS}/graphql"), caller, window, request_id
            )
        if not caller.authenticated:
            self.stats.incr("github.401")
            body = error_body(
                401,
                "This endpoint requires you to be authenticated.",
                f"{DOCS}/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            )
            return self._respond(401, body, caller, self.budgets.peek(caller, "core"), request_id)
        status, payload, window = self.graphql.execute(request.body, caller, self._api(request))
        return self._respond(status, dumps(payload), caller, window, request_id)

    @staticmethod
    def _api(request: Request) -> str:
        host = request.headers.get("host") or "localhost"
        scheme = request.headers.get("x-forwarded-proto") or "http"
        return f"{scheme}://{host}{GitHubAPI.prefix}"

    # -- REST --------------------------------------------------------------------------------

    def _rest(self, request: Request, caller: Caller, request_id: str) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == "/rate_limit" and request.method in ("GET", "HEAD"):
            self.stats.incr("github.rest./rate_limit")
            return self._rate_limit(caller, request_id)  # free, as GitHub documents
        route = self._match(path) if request.method in ("GET", "HEAD") else None
        if route is None:
            self.stats.incr("github.404")
            _, window = self.budgets.charge(caller, "core")
            body = error_body(404, "Not Found", f"{DOCS}/rest")
            return self._respond(404, body, caller, window, request_id)
        template, method, args = route
        self.stats.incr(f"github.rest.{template}")
        resource = "search" if template.startswith("/search/") else "core"
        api = self._api(request)
        result = self._cached(
            api, path, request, lambda: getattr(self, method)(api, request, *args)
        )
        if result.etag is not None and _etag_matches(
            request.headers.get("if-none-match"), result.etag
        ):
            window = self.budgets.peek(caller, resource)
            if not caller.authenticated:  # only authorised conditional requests are free
                ok, window = self.budgets.charge(caller, resource)
                if not ok:
                    return self._primary(caller, window, request_id)
            self.stats.incr("github.304")
            return self._respond(304, b"", caller, window, request_id, {"ETag": result.etag})
        ok, window = self.budgets.charge(caller, resource)
        if not ok:
            return self._primary(caller, window, request_id)
        if result.status != 200:
            self.stats.incr(f"github.{result.status}")
        extra = dict(result.headers)
        if result.etag is not None:
            extra["ETag"] = result.etag
        return self._respond(result.status, result.body, caller, window, request_id, extra)

    def _primary(self, caller: Caller, window: Window, request_id: str) -> Response:
        self.stats.incr("github.rate_limited")
        return self._respond(403, dumps(primary_message(caller)), caller, window, request_id)

    @staticmethod
    def _match(path: str) -> tuple[str, str, tuple[str, ...]] | None:
        for pattern, template, method in _ROUTES:
            m = pattern.fullmatch(path)
            if m:
                return template, method, tuple(g for g in m.groups() if g)
        return None

    def _cached(self, api: str, path: str, request: Request, build: Callable[[], Result]) -> Result:
        items = sorted((k, v) for k, vs in request.query.items() for v in vs)
        key = (api, path.lower(), urlencode(items))
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = build()
        if result.status == 200:
            result.etag = 'W/"' + hashlib.sha256(result.body).hexdigest() + '"'
        with self._cache_lock:
            self._cache[key] = result
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def _rate_limit(self, caller: Caller, request_id: str) -> Response:
        windows = {r: self.budgets.peek(caller, r) for r in RESOURCES}
        table = {r: (w.limit, w.used, w.reset) for r, w in windows.items()}
        body = dumps(rate_limit_body(table))
        return self._respond(200, body, caller, windows["core"], request_id)

    def _account(self, key: str) -> GitHubAccount | None:
        return self.by_id.get(int(key)) if key.isdigit() else self.accounts.get(key.lower())

    def _user(self, api: str, request: Request, key: str) -> Result:
        account = self._account(key)
        if account is None:
            return Result(404, error_body(404, "Not Found", _DOC_USER))
        return Result(200, dumps(public_user(account, api)))

    def _user_repos(self, api: str, request: Request, key: str) -> Result:
        account = self._account(key)
        if account is None:
            return Result(404, error_body(404, "Not Found", _DOC_REPOS))
        sort = request.param("sort") or "full_name"
        keys: dict[str, Callable[[GitHubRepo], Any]] = {
            "created": lambda r: r.created_at,
            "updated": lambda r: r.updated_at,
            "pushed": lambda r: r.pushed_at,
        }
        key_fn = keys.get(sort, lambda r: r.name.lower())
        default_dir = "asc" if sort not in keys else "desc"
        descending = (request.param("direction") or default_dir) == "desc"
        repos = sorted(account.repos, key=key_fn, reverse=descending)
        page, per_page = _paging(request)
        chunk = repos[(page - 1) * per_page : page * per_page]
        body = dumps([repository(account, r, api) for r in chunk])
        last = math.ceil(len(repos) / per_page)
        link = _link(f"{api}/user/{account.id}/repos", request, page, last)
        return Result(200, body, {"Link": link} if link else {})

    @property
    def projects(self) -> ProjectsAPI:
        if self._projects is None:
            self._projects = ProjectsAPI(projects_layer(self.world), self.by_id)
        return self._projects

    def _listing(self, api: str, request: Request, key: str) -> Result:
        """A project's contributors or pulls (sandbox/github_projects.py)."""
        what = request.path.rstrip("/").rsplit("/", 1)[-1]
        doc = DOC_CONTRIBUTORS if what == "contributors" else DOC_PULLS
        found = self.projects.answer(what, api, request, tuple(key.split("/")))
        if found is None:
            return Result(404, error_body(404, "Not Found", doc))
        status, body, headers = found
        if status != 200:  # 204: an empty repository; 422: a parameter out of its enum
            return Result(
                status, error_body(status, "Validation Failed", doc) if status == 422 else b""
            )
        return Result(200, dumps(body), headers)

    def _repo(self, api: str, request: Request, owner: str, name: str) -> Result:
        project = self.projects.find(owner, name)
        if project is not None:
            return Result(200, dumps(self.projects.repository(project, api)))
        account = self.accounts.get(owner.lower())
        wanted = name.lower()
        repo = (
            next((r for r in account.repos if r.name.lower() == wanted), None) if account else None
        )
        if account is None or repo is None:
            return Result(404, error_body(404, "Not Found", _DOC_REPO))
        return Result(200, dumps(repository(account, repo, api, full=True)))

    def _repo_by_id(self, api: str, request: Request, key: str) -> Result:
        if self._repo_ids is None:  # rarely used: not worth building at start-up
            self._repo_ids = {r.id: (a, r) for a in self.world.github.values() for r in a.repos}
        found = self._repo_ids.get(int(key))
        project = self.projects.find(key)
        if project is not None:
            return Result(200, dumps(self.projects.repository(project, api)))
        if found is None:
            return Result(404, error_body(404, "Not Found", _DOC_REPO))
        return Result(200, dumps(repository(found[0], found[1], api, full=True)))

    def _search_users(self, api: str, request: Request) -> Result:
        q = request.param("q")
        if not q or not q.strip():
            missing = [{"resource": "Search", "field": "q", "code": "missing"}]
            return Result(422, error_body(422, "Validation Failed", _DOC_SEARCH, errors=missing))
        try:
            matches = self.index.search(q, request.param("sort"), request.param("order") or "desc")
        except SearchError as exc:
            invalid = [{"message": str(exc), "resource": "Search", "field": "q", "code": "invalid"}]
            return Result(422, error_body(422, "Validation Failed", _DOC_SEARCH, errors=invalid))
        page, per_page = _paging(request)
        start = (page - 1) * per_page
        if start >= SEARCH_CAP:  # the page would start past the first 1,000 results
            message = "Only the first 1000 search results are available"
            return Result(422, error_body(422, message, f"{DOCS}/v3/search/"))
        reachable = min(len(matches), SEARCH_CAP)
        items = [search_user(a, api) for a in matches[start : min(start + per_page, reachable)]]
        body = dumps({"total_count": len(matches), "incomplete_results": False, "items": items})
        link = _link(f"{api}/search/users", request, page, math.ceil(reachable / per_page))
        return Result(200, body, {"Link": link} if link else {})
