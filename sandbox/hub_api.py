"""Offline emulator of the Hugging Face Hub API routes the `huggingface_hub` client calls to
list repositories and read accounts (paths relative to `/huggingface`, the client's endpoint):

- GET /api/models, /api/datasets, /api/spaces (`HfApi.list_models` / `list_datasets` /
  `list_spaces`): `search` (in the repo id), `author`, `filter` (repeatable; each must be one
  of the repo's tags), `pipeline_tag` (models), `library` (models: the library name),
  `sort` (downloads, likes, lastModified, createdAt, trendingScore; always descending unless
  `direction=1`), `limit` (a page's size, at most 1000), `full`, `expand` (repeatable: only
  those properties, plus `_id` and `id`). More pages are announced, as the Hub does, in a
  `Link: <...&cursor=...>; rel="next"` header that the client follows unchanged.
- GET /api/users/{username}/overview (`HfApi.get_user_overview`): 404 for an organisation;
  GET /api/organizations/{name}/overview (`get_organization_overview`): 404 for a user.

Only fields the client's own dataclasses read (ModelInfo, DatasetInfo, SpaceInfo, User,
Organization in huggingface_hub/hf_api.py) are served. Errors are JSON `{"error": ...}` with
`X-Error-Message`, as `hf_raise_for_status` reads them. Rate limiting is the Hub's: a fixed
window of `limit` requests per `window_s`, told in `RateLimit: "api";r=R;t=T` and
`RateLimit-Policy: "fixed window";"api";q=Q;w=W`, and an exhausted window answers 429 with
`Retry-After` (the client's http_backoff waits for it).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.model import API, Request, Response, SandboxOptions, Stats, World
from sandbox.world_hub import KINDS, HubAccount, HubRepo, HubWorld, hub_world

JSON = {"Content-Type": "application/json; charset=utf-8"}
KIND_OF_PATH = {"/api/models": "model", "/api/datasets": "dataset", "/api/spaces": "space"}
SORT_KEYS: dict[str, Callable[[HubRepo], Any]] = {
    "downloads": lambda r: r.downloads,
    "likes": lambda r: r.likes,
    "lastModified": lambda r: r.last_modified,
    "createdAt": lambda r: r.created_at,
    "trendingScore": lambda r: r.likes,
}
MAX_LIMIT = 1000
_OVERVIEW = re.compile(r"^/api/(users|organizations)/([^/]+)/overview$")


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": message}).encode()
    return Response(status, body, {**JSON, "X-Error-Message": message, **(headers or {})})


def repo_json(repo: HubRepo, full: bool, expand: list[str]) -> dict[str, Any]:
    """A listing item as the Hub answers it: the default fields of the kind, all with `full`,
    or `_id`, `id` and the `expand`ed properties only."""
    every: dict[str, Any] = {
        "_id": repo.uid,
        "id": repo.repo_id,
        "author": repo.author,
        "likes": repo.likes,
        "trendingScore": 0,
        "private": False,
        "tags": list(repo.tags),
        "createdAt": _iso(repo.created_at),
        "lastModified": _iso(repo.last_modified),
        "sha": repo.sha,
        "gated": False,
        "disabled": False,
    }
    if repo.kind == "model":
        every.update(
            downloads=repo.downloads,
            pipeline_tag=repo.pipeline_tag,
            library_name=repo.library,
            modelId=repo.repo_id,
        )
        default: tuple[str, ...] = ("_id", "id", "likes", "trendingScore", "private")
        default += ("downloads", "tags")
        default += ("pipeline_tag", "library_name", "createdAt", "modelId")
    elif repo.kind == "dataset":
        every.update(downloads=repo.downloads)
        default = ("_id", "id", "author", "disabled", "gated", "lastModified", "likes")
        default += ("trendingScore", "private", "sha", "downloads", "tags", "createdAt")
    else:
        every.update(sdk=repo.sdk)
        default = ("_id", "id", "likes", "trendingScore", "private", "sdk", "tags", "createdAt")
    if expand:
        return {k: v for k, v in every.items() if k in ("_id", "id", *expand)}
    if full:
        return every
    return {k: every[k] for k in default}


def user_json(account: HubAccount) -> dict[str, Any]:
    return {
        "_id": account.uid,
        "avatarUrl": f"/avatars/{account.uid}.svg",
        "fullname": account.fullname,
        "user": account.name,
        "type": "user",
        "isPro": account.is_pro,
        "details": account.details,
        "numFollowers": account.followers,
        "numFollowing": account.following,
        "numLikes": account.likes_given,
        "numUpvotes": account.upvotes,
        "numDiscussions": 0,
        "numPapers": 0,
    }


class HubAPI(API):
    prefix = "/huggingface"

    def __init__(
        self,
        world: World,
        options: SandboxOptions,
        stats: Stats,
        clock: Callable[[], float] = time.monotonic,
        *,
        limit: int = 10_000,
        window_s: int = 300,
        page_size: int = MAX_LIMIT,
    ) -> None:
        self.options = options
        self.stats = stats
        self.clock = clock
        # The Hub's fixed window (tests shrink it to see a 429).
        self.limit = limit
        self.window_s = window_s
        self.page_size = page_size  # a page's size when the client gives no `limit`
        self._lock = threading.Lock()
        self._window_start = clock()
        self._used = 0
        self.set_world(world)

    def set_world(self, world: World) -> None:
        hub = hub_world(world)
        with self._lock:
            self.hub: HubWorld = hub
            self._counts = {name: dict.fromkeys(KINDS, 0) for name in hub.accounts}
            for kind in KINDS:
                for repo in hub.repos[kind]:
                    self._counts[repo.author][kind] += 1
            self._by_lower = {name.lower(): acc for name, acc in hub.accounts.items()}
            self._window_start = self.clock()
            self._used = 0

    # -- rate limit ------------------------------------------------------------------------

    def _admit(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            now = self.clock()
            if now - self._window_start >= self.window_s:
                self._window_start, self._used = now, 0
            reset = max(1, int(self._window_start + self.window_s - now + 0.999))
            admitted = self._used < self.limit
            if admitted:
                self._used += 1
            remaining = max(0, self.limit - self._used)
        headers = {
            "RateLimit": f'"api";r={remaining};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.limit};w={self.window_s}',
        }
        if not admitted:
            headers["Retry-After"] = str(reset)
        return admitted, headers

    # -- routes ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.stats.incr("huggingface.requests")
        admitted, limits = self._admit()
        if not admitted:
            self.stats.incr("huggingface.rate_limited")
            return _error(429, "You have exceeded our rate limit. Retry later.", limits)
        if request.method not in ("GET", "HEAD"):
            return _error(405, "Method not allowed", limits)
        response = self._route(request)
        response.headers.update(limits)
        return response

    def _route(self, request: Request) -> Response:
        kind = KIND_OF_PATH.get(request.path)
        if kind is not None:
            self.stats.incr(f"huggingface.{request.path}")
            return self._listing(kind, request)
        match = _OVERVIEW.match(request.path)
        if match is None:
            return _error(404, "Not Found")
        self.stats.incr(f"huggingface./api/{match.group(1)}/overview")
        account = self._by_lower.get(match.group(2).lower())
        wanted = "user" if match.group(1) == "users" else "org"
        if account is None or account.kind != wanted:
            return _error(404, f"{'User' if wanted == 'user' else 'Organization'} not found")
        counts = self._counts[account.name]
        numbers = {
            "numModels": counts["model"],
            "numDatasets": counts["dataset"],
            "numSpaces": counts["space"],
        }
        if wanted == "user":
            orgs = [
                {"name": o, "fullname": self.hub.accounts[o].fullname, "avatarUrl": ""}
                for o in account.orgs
            ]
            body = {**user_json(account), **numbers, "orgs": orgs}
        else:
            members = sum(1 for a in self.hub.accounts.values() if account.name in a.orgs)
            body = {
                "_id": account.uid,
                "avatarUrl": f"/avatars/{account.uid}.svg",
                "name": account.name,
                "fullname": account.fullname,
                "type": "org",
                "isVerified": False,
                "numUsers": members,
                "numFollowers": account.followers,
                **numbers,
            }
        return Response(200, json.dumps(body).encode(), dict(JSON))

    def _listing(self, kind: str, request: Request) -> Response:
        query = request.query
        try:
            limit = min(MAX_LIMIT, int(request.param("limit") or self.page_size))
            offset = _offset(request.param("cursor"))
            direction = int(request.param("direction") or -1)
            if limit < 1 or direction not in (1, -1):
                raise ValueError(limit)
        except ValueError:
            return _error(400, "Invalid limit, direction or cursor")
        sort = request.param("sort")
        if sort is not None and sort not in SORT_KEYS:
            return _error(400, f"Invalid sort: {sort}")
        expand = query.get("expand", []) + query.get("expand[]", [])
        full = (request.param("full") or "").lower() in ("1", "true")
        repos = self._select(kind, request)
        if sort is not None:
            key = SORT_KEYS[sort]
            # Ties keep a fixed order (the repo id), so pages never overlap or skip.
            repos.sort(key=lambda r: r.repo_id)
            repos.sort(key=key, reverse=direction == -1)
        page = repos[offset : offset + limit]
        body = json.dumps([repo_json(r, full, expand) for r in page]).encode()
        headers = dict(JSON)
        if offset + limit < len(repos):
            headers["Link"] = f'<{self._next_url(request, offset + limit)}>; rel="next"'
        return Response(200, body, headers)

    def _select(self, kind: str, request: Request) -> list[HubRepo]:
        query = request.query
        author = (request.param("author") or "").lower()
        search = (request.param("search") or "").lower()
        pipeline = request.param("pipeline_tag")
        library = request.param("library")
        filters = [f for value in query.get("filter", []) for f in value.split(",") if f]
        out = []
        for repo in self.hub.repos[kind]:
            if author and repo.author.lower() != author:
                continue
            if search and search not in repo.repo_id.lower():
                continue
            if pipeline and repo.pipeline_tag != pipeline:
                continue
            if library and repo.library != library:
                continue
            if any(f not in repo.tags for f in filters):
                continue
            out.append(repo)
        return out

    def _next_url(self, request: Request, offset: int) -> str:
        host = request.headers.get("host", "127.0.0.1")
        pairs = [(k, v) for k, values in request.query.items() if k != "cursor" for v in values]
        pairs.append(("cursor", _cursor(offset)))
        return f"http://{host}{self.prefix}{request.path}?{urlencode(pairs)}"


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("cursor") from exc
    if offset < 0:
        raise ValueError("cursor")
    return offset
