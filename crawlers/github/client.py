"""The direct GitHub client (PyGithub, REST): single lookups and ETag-conditional refreshes.

Fetching only: these functions return parsed items and raw records, and storage saves them
(`scout.cmd_github` wires the two). Every request asks the shared rate governor first and
reports the rate-limit numbers it got back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from github import Auth, Github, GithubException
from github.GithubRetry import GithubRetry

from config.errors import PayloadError, ScoutError
from config.settings import Settings
from crawlers.github import parse
from crawlers.github.governor import CORE, RateGovernor
from storage.items import ProfileItem, RawItem
from storage.state import EXIT_CODES

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
    now = datetime.now(UTC)
    try:
        governor.wait(CORE)
        user = github.get_user(login)
        _observe(governor, github)
        user_json = dict(user.raw_data)
        dropped = parse.classify(user_json)
        raw = [RawItem("github", "rest:/users", login.lower(), now, user_json, user.etag)]
        if dropped:
            return Lookup(None, raw, dropped)
        repos: list[dict[str, Any]] = []
        # Paged through the requester, not `user.get_repos()`: a listed Repository's
        # `.raw_data` completes itself with one more GET per repository.
        for page in range(1, 1000):
            governor.wait(CORE)
            headers, data = github.requester.requestJsonAndCheck(
                "GET",
                f"/users/{login}/repos",
                parameters={"type": "owner", "sort": "pushed", "per_page": 100, "page": page},
            )
            governor.observe_headers(headers)
            batch = [r for r in data or [] if isinstance(r, dict)]
            repos.extend(batch)
            if len(batch) < 100 or 'rel="next"' not in str(headers.get("link", "")):
                break
    except GithubException as exc:
        raise user_error(exc, login) from exc
    raw.append(RawItem("github", "rest:/users/repos", login.lower(), now, repos))
    try:
        profile = parse.parse_user(user_json, now, repos=repos, etag=user.etag)
    except PayloadError as exc:
        raise ScoutError(
            f"GitHub's answer for {login} is not what its API documents ({exc}); nothing stored",
            EXIT_CODES["failed"],
        ) from None
    return Lookup(profile, raw)


@dataclass
class Refreshed:
    """A conditional GET's outcome: unchanged (304), changed (parsed), gone or failed."""

    external_id: str
    login: str
    status: str  # unchanged, changed, first (no ETag stored yet), gone, dropped, error
    profile: ProfileItem | None = None
    raw: RawItem | None = None
    detail: str | None = None


def refresh_one(
    github: Github, governor: RateGovernor, external_id: str, login: str, etag: str | None
) -> Refreshed:
    """GET /users/{login} with If-None-Match: a 304 costs no quota and means nothing changed."""
    headers = {"If-None-Match": etag} if etag else {}
    # A 304 is free, so only an unconditional request needs budget to go.
    governor.wait(CORE, cost=0 if etag else 1)
    try:
        status, response_headers, body = github.requester.requestJson(
            "GET", f"/users/{login}", headers=headers
        )
    except GithubException as exc:
        return Refreshed(external_id, login, "error", detail=str(exc.status))
    governor.observe_headers(response_headers)
    now = datetime.now(UTC)
    if status == 304:
        return Refreshed(external_id, login, "unchanged")
    if status == 401:
        raise ScoutError("GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN")
    if status == 404:
        return Refreshed(external_id, login, "gone")
    if status != 200:
        return Refreshed(external_id, login, "error", detail=f"HTTP {status}")
    try:
        data = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Refreshed(external_id, login, "error", detail="body is not JSON")
    new_etag = response_headers.get("etag")
    raw = RawItem("github", "rest:/users", login.lower(), now, data, new_etag)
    try:
        profile = parse.parse_user(data, now, etag=new_etag)
    except PayloadError as exc:  # counted as an error: the next refresh asks again
        return Refreshed(external_id, login, "error", detail=f"bad answer: {exc}")
    if profile is None:
        return Refreshed(external_id, login, "dropped", raw=raw)
    return Refreshed(external_id, login, "changed" if etag else "first", profile=profile, raw=raw)


def refresh_many(
    settings: Settings,
    governor: RateGovernor,
    targets: Iterable[tuple[str, str, str | None]],
) -> Iterator[Refreshed]:
    """Refresh (external_id, login, etag) targets on `github_concurrency` threads, in order."""
    local = threading.local()

    def client() -> Github:
        if not hasattr(local, "github"):
            local.github = make_github(settings)
        return local.github

    def one(target: tuple[str, str, str | None]) -> Refreshed:
        return refresh_one(client(), governor, *target)

    pool = ThreadPoolExecutor(max_workers=settings.github_concurrency)
    try:
        yield from pool.map(one, targets)
    finally:
        # Ctrl-C must not wait for every queued target: only the requests already in flight.
        pool.shutdown(wait=True, cancel_futures=True)
