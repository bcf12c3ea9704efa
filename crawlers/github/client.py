"""The direct GitHub client (PyGithub, REST): single lookups and ETag-conditional refreshes.

Fetching only: these functions return parsed items and raw records, and storage saves them
(`scout.cmd_github_lookup` wires the two). Every request asks the shared rate governor first and
reports the rate-limit numbers it got back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from github import Auth, Github, GithubException
from github.GithubRetry import GithubRetry

from config.clock import utcnow
from config.errors import PayloadError, ScoutError
from config.handles import is_github_login
from config.settings import Settings
from crawlers.github import parse
from crawlers.github.governor import CORE, RateGovernor
from storage.items import ProfileItem, RawItem
from storage.state import EXIT_CODES

REPOS_ENDPOINT = "rest:/users/repos"
USER_AGENT = "talent-scout/0.1 (open-source ML talent search; GitHub API client)"


def make_github(settings: Settings) -> Github:
    """A PyGithub client on the configured API root, with our token (or anonymous)."""
    token = settings.github_token.get_secret_value() if settings.github_token else None
    return Github(
        base_url=settings.github_api_url,
        auth=Auth.Token(token) if token else None,
        timeout=max(1, int(settings.http_timeout)),
        user_agent=USER_AGENT,
        per_page=100,
        retry=GithubRetry(total=settings.http_retries, backoff_factor=0.5),
        # Pacing is the governor's job; PyGithub's own fixed 0.25 s gap would cap a refresh at
        # four profiles a second.
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _observe(governor: RateGovernor, github: Github) -> None:
    remaining, limit = github.requester.rate_limiting
    if remaining >= 0:
        governor.observe_headers(
            {
                "X-RateLimit-Remaining": remaining,
                "X-RateLimit-Limit": limit,
                "X-RateLimit-Reset": github.requester.rate_limiting_resettime,
            }
        )


def user_error(exc: GithubException, login: str) -> ScoutError:
    """One clear sentence for an error a user can cause."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = exc.message or data.get("message")
    if exc.status == 401:
        return ScoutError("GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN")
    if exc.status == 404:
        return ScoutError(f"no GitHub account named {login!r}")
    return ScoutError(f"GitHub answered {exc.status} for {login!r}: {message or exc}")


@dataclass
class Lookup:
    """One account as fetched: the parsed profile (None for an org or a bot) and raw records."""

    profile: ProfileItem | None
    raw: list[RawItem]
    dropped: str | None = None


def lookup_user(github: Github, governor: RateGovernor, login: str) -> Lookup:
    """A user's profile and every public repository they own, through PyGithub objects."""
    now = utcnow()
    try:
        governor.wait(CORE)
        user = github.get_user(login)
        _observe(governor, github)
        user_json = dict(user.raw_data)
        dropped = parse.classify(user_json)
        subject = parse.external_id(user_json)
        raw = [_user_raw(login, user_json, {"etag": user.etag}, now)]
        if dropped:
            return Lookup(None, raw, dropped)
        listed, repos_etag = owned_repos(github, governor, login)
        repos = listed or []  # asked without an ETag: never a 304
    except GithubException as exc:
        raise user_error(exc, login) from exc
    raw.append(
        RawItem("github", REPOS_ENDPOINT, login.lower(), now, repos, repos_etag, subject=subject)
    )
    try:
        profile = parse.parse_user(user_json, now, repos=repos, etag=user.etag)
    except PayloadError as exc:
        raise ScoutError(
            f"GitHub's answer for {login} is not what its API documents ({exc}); nothing stored",
            EXIT_CODES["failed"],
        ) from None
    return Lookup(profile, raw)


def owned_repos(
    github: Github, governor: RateGovernor, login: str, etag: str | None = None
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Every public repository `login` owns (REST, 100 a page, last pushed first) and the
    first page's ETag; (None, etag) when `etag` still matches it (a 304: free, unchanged).

    Paged through the requester, not `user.get_repos()`: a listed Repository's `.raw_data`
    completes itself with one more GET per repository. The ETag covers the first page only:
    a push moves a repository there, but a star on one pushed long ago (past the 100th) is
    seen at the next lookup or crawl, not by a refresh.
    """
    repos: list[dict[str, Any]] = []
    first_etag: str | None = None
    for page in range(1, 1000):
        headers = {"If-None-Match": etag} if etag and page == 1 else {}
        governor.wait(CORE, cost=0 if headers else 1)
        status, response_headers, body = github.requester.requestJson(
            "GET",
            f"/users/{login}/repos",
            parameters={"type": "owner", "sort": "pushed", "per_page": 100, "page": page},
            headers=headers,
        )
        governor.observe_headers(response_headers)
        if status == 304:
            return None, etag
        try:
            data = json.loads(body) if status == 200 else None
        except ValueError:
            data = None
        if not isinstance(data, list):
            raise GithubException(status, body, response_headers)
        if page == 1:
            first_etag = response_headers.get("etag")
        batch = [r for r in data if isinstance(r, dict)]
        repos.extend(batch)
        if len(batch) < 100 or 'rel="next"' not in str(response_headers.get("link", "")):
            break
    return repos, first_etag


@dataclass
class Refreshed:
    """A conditional GET's outcome: unchanged (304), changed (parsed), gone or failed."""

    external_id: str
    login: str
    status: str  # unchanged, changed, first (no ETag stored yet), gone, dropped, error
    profile: ProfileItem | None = None
    raw: list[RawItem] = field(default_factory=list)
    detail: str | None = None
    cost: int = 0  # requests answered other than 304 (each a point of the core budget)


def _get_user(
    github: Github, governor: RateGovernor, path: str, etag: str | None
) -> tuple[int, dict[str, Any], Any]:
    headers = {"If-None-Match": etag} if etag else {}
    # A 304 is free, so only an unconditional request needs budget to go.
    governor.wait(CORE, cost=0 if etag else 1)
    status, response_headers, body = github.requester.requestJson("GET", path, headers=headers)
    governor.observe_headers(response_headers)
    if status == 401:
        raise ScoutError("GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN")
    try:
        data = json.loads(body) if status == 200 and isinstance(body, str | bytes) else None
    except ValueError:
        data = None
    return status, response_headers, data


def refresh_one(
    github: Github,
    governor: RateGovernor,
    external_id: str,
    login: str,
    etag: str | None,
    repos_etag: str | None = None,
) -> Refreshed:
    """GET the user and its repositories with If-None-Match: a 304 costs no quota and means
    nothing changed. Repositories changed under an unchanged profile are stored with the
    profile fetched again (the 304 carried no profile to store them with).

    The user is asked for by account id (`/user/{id}`, the form GitHub's own Link headers
    use), so a renamed login is followed, not taken for a deleted account.
    """
    path = f"/user/{external_id}" if external_id.isdigit() else f"/users/{login}"
    try:
        status, headers, data = _get_user(github, governor, path, etag)
        cost = int(status != 304)
        if status == 404:
            return Refreshed(external_id, login, "gone", cost=cost)
        if status not in (200, 304):
            return Refreshed(external_id, login, "error", detail=f"HTTP {status}", cost=cost)
        if status == 200 and not isinstance(data, dict):
            return Refreshed(external_id, login, "error", detail="body is not JSON", cost=cost)
        if isinstance(data, dict) and parse.classify(data) is not None:
            return Refreshed(
                external_id, login, "dropped", raw=[_user_raw(login, data, headers)], cost=cost
            )
        renamed = data.get("login") if isinstance(data, dict) else None
        if isinstance(renamed, str) and is_github_login(renamed):
            login = renamed  # renamed since stored: the new login from here on
        repos, new_repos_etag = owned_repos(github, governor, login, repos_etag)
        if repos is None and status == 304:
            return Refreshed(external_id, login, "unchanged")
        cost += 0 if repos is None else max(1, -(-len(repos) // 100))
        if status == 304:
            status, headers, data = _get_user(github, governor, path, None)
            cost += 1
            if not isinstance(data, dict):
                return Refreshed(external_id, login, "error", detail=f"HTTP {status}", cost=cost)
    except GithubException as exc:
        return Refreshed(external_id, login, "error", detail=str(exc.status))
    now = utcnow()
    new_etag = headers.get("etag")
    raw = [_user_raw(login, data, headers, now)]
    if repos is not None:
        subject = parse.external_id(data)
        raw.append(
            RawItem(
                "github", REPOS_ENDPOINT, login.lower(), now, repos, new_repos_etag, subject=subject
            )
        )
    try:
        profile = parse.parse_user(data, now, repos=repos, etag=new_etag)
    except PayloadError as exc:  # counted as an error: the next refresh asks again
        return Refreshed(external_id, login, "error", detail=f"bad answer: {exc}", cost=cost)
    if profile is None:
        return Refreshed(external_id, login, "dropped", raw=raw, cost=cost)
    status_name = "changed" if etag else "first"
    return Refreshed(external_id, login, status_name, profile=profile, raw=raw, cost=cost)


def _user_raw(
    login: str, data: dict[str, Any], headers: dict[str, Any], now: datetime | None = None
) -> RawItem:
    """A user record, about the account its id names (parse.external_id)."""
    when = now or utcnow()
    etag = headers.get("etag")
    subject = parse.external_id(data)
    return RawItem("github", "rest:/users", login.lower(), when, data, etag, subject=subject)


def refresh_many(
    settings: Settings,
    governor: RateGovernor,
    targets: Iterable[tuple[str, str, str | None, str | None]],
) -> Iterator[Refreshed]:
    """Refresh (external_id, login, etag, repositories' etag) targets on
    `github_concurrency` threads, in order."""
    local = threading.local()

    def client() -> Github:
        if not hasattr(local, "github"):
            local.github = make_github(settings)
        return local.github

    def one(target: tuple[str, str, str | None, str | None]) -> Refreshed:
        return refresh_one(client(), governor, *target)

    pool = ThreadPoolExecutor(max_workers=settings.github_concurrency)
    try:
        yield from pool.map(one, targets)
    finally:
        # Ctrl-C must not wait for every queued target: only the requests already in flight.
        pool.shutdown(wait=True, cancel_futures=True)
