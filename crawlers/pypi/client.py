"""How the PyPI crawl talks to PyPI: the API root, the request for a project, how politely,
and what an answer means.

PyPI's JSON API has no quota and no rate-limit headers; its operators ask API clients to be
gentle and to cache (responses carry an ETag and `X-PyPI-Last-Serial`). So the crawl paces
itself at `rate` requests a second (SCOUT_PYPI_RATE, default 2) with few in flight, sends
`If-None-Match` with the ETag it stored, and treats a project whose `last_serial` did not move
as unchanged. PyPI offers no documented search API (the XML-RPC `search` is disabled), so
discovery follows `requires_dist` of ML projects (see spider.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import PayloadError, ScoutError
from config.projects import normalise_package
from crawlers.payload import decode
from crawlers.pypi.parse import PROJECT_NAME

PYPI_URL = "https://pypi.org"
USER_AGENT = "talent-scout/0.1 (open-source ML talent search; PyPI JSON API client)"


class PypiOptions(BaseSettings):
    """PyPI crawl knobs: defaults < SCOUT_PYPI_* environment < flags."""

    model_config = SettingsConfigDict(env_prefix="SCOUT_PYPI_", extra="ignore")

    api_url: str = Field(default=PYPI_URL, description="PyPI root (the sandbox's /pypi).")
    rate: float = Field(default=2.0, gt=0, le=1000, description="Requests a second, at most.")
    concurrency: int = Field(default=2, ge=1, le=8, description="Requests in flight.")
    max_packages: int = Field(default=500, ge=1, description="Projects asked for in one walk.")
    depth: int = Field(default=2, ge=0, le=5, description="requires_dist hops from the list.")


def package_name(typed: str) -> str:
    """A project name a user typed, checked before it goes into a URL path; normalised."""
    name = typed.strip()
    if not PROJECT_NAME.fullmatch(name):
        raise ScoutError(f"--package {typed!r} is not a PyPI project name")
    return normalise_package(name)


def project_url(api_url: str, name: str) -> str:
    """`GET {root}/pypi/{project}/json`: PyPI redirects a non-canonical name (301)."""
    return f"{api_url.rstrip('/')}/pypi/{quote(name, safe='')}/json"


def conditional(etag: str | None) -> dict[str, str]:
    return {"If-None-Match": etag} if etag else {}


@dataclass(slots=True)
class Answer:
    """What one answer for a project says: kind is project, not_modified, missing or failed."""

    kind: str
    payload: Any = None
    etag: str | None = None
    reason: str | None = None


def read_answer(
    status: int,
    headers: dict[str, str],
    body: bytes,
    parsed: Any = None,
    failure: str | None = None,
) -> Answer:
    """Judge an answer after retries (crawlers.middlewares.BackoffRetryMiddleware)."""
    etag = headers.get("etag")
    if failure is not None:
        return Answer("failed", reason=failure)
    if status == 304:
        return Answer("not_modified", etag=etag)
    if status in (404, 410):
        return Answer("missing")
    if status != 200:
        return Answer("failed", reason=f"HTTP {status}")
    if parsed is None:
        try:
            parsed = decode(body, "project")
        except PayloadError as exc:
            return Answer("failed", reason=str(exc))
    return Answer("project", parsed, etag)
