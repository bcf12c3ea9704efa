"""The only GitHub parser: API JSON (REST, GraphQL, PyGithub `.raw_data`) to typed items.

Pure functions, no I/O: the Scrapy spider and the PyGithub client both feed them dicts, and
`scout rebuild` can re-derive profiles from raw_records with them. Organisations and bots are
never candidates, so the parser answers None for them and says why (`classify`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from storage.items import ProfileItem, RepositoryItem

SOURCE = "github"
# Why an account is not a candidate: the keys of the crawl's dropped_* stats.
DROP_ORG = "org"
DROP_BOT = "bot"
DROP_INVALID = "invalid"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as GitHub writes it ("2020-01-02T03:04:05Z") to aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))  # 3.11+ reads the trailing "Z" itself
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: Any) -> int | None:
    """REST gives a number, GraphQL a connection {totalCount}."""
    if isinstance(value, Mapping):
        value = value.get("totalCount")
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def classify(node: Mapping[str, Any]) -> str | None:
    """Why an account (REST user or GraphQL search node) is not a candidate, or None."""
    login = node.get("login")
    if not isinstance(login, str) or not login:
        return DROP_INVALID
    kind = node.get("__typename") or node.get("type") or "User"
    if kind == "Bot" or login.lower().endswith("[bot]"):
        return DROP_BOT
    if kind != "User":
        return DROP_ORG
    if node.get("databaseId") is None and node.get("id") is None:
        return DROP_INVALID
    return None


def external_id(node: Mapping[str, Any]) -> str | None:
    """The stable numeric id: GraphQL `databaseId`, REST `id` (GraphQL `id` is a node id)."""
    if "databaseId" in node or "__typename" in node:
        value = node.get("databaseId")
    else:
        value = node.get("id")
    return None if value is None else str(value)


def parse_repository(repo: Mapping[str, Any]) -> RepositoryItem | None:
    """A REST repository dict or a GraphQL Repository node."""
    name = repo.get("name")
    if not isinstance(name, str) or not name:
        return None
    if "primaryLanguage" in repo or "stargazerCount" in repo:  # GraphQL
        language = (repo.get("primaryLanguage") or {}).get("name")
        topic_nodes = (repo.get("repositoryTopics") or {}).get("nodes") or []
        topics = [
            t["topic"]["name"] for t in topic_nodes if t and (t.get("topic") or {}).get("name")
        ]
        return RepositoryItem(
            name=name,
            description=_text(repo.get("description")),
            language=language,
            topics=topics,
            stars=_count(repo.get("stargazerCount")) or 0,
            forks=_count(repo.get("forkCount")) or 0,
            is_fork=bool(repo.get("isFork")),
            created_at=parse_time(repo.get("createdAt")),
            pushed_at=parse_time(repo.get("pushedAt")),
        )
    return RepositoryItem(
        name=name,
        description=_text(repo.get("description")),
        language=repo.get("language"),
        topics=[str(t) for t in repo.get("topics") or []],
        stars=_count(repo.get("stargazers_count")) or 0,
        forks=_count(repo.get("forks_count")) or 0,
        is_fork=bool(repo.get("fork")),
        created_at=parse_time(repo.get("created_at")),
        pushed_at=parse_time(repo.get("pushed_at")),
    )


def parse_repositories(repos: Iterable[Mapping[str, Any]]) -> list[RepositoryItem]:
    """Repositories, one per name (the key storage merges on)."""
    out: dict[str, RepositoryItem] = {}
    for repo in repos:
        item = parse_repository(repo) if repo else None
        if item is not None and item.name not in out:
            out[item.name] = item
    return list(out.values())


def parse_user(
    node: Mapping[str, Any],
    seen_at: datetime,
    repos: Iterable[Mapping[str, Any]] | None = None,
    etag: str | None = None,
) -> ProfileItem | None:
    """A GraphQL User node or a REST user dict as a ProfileItem; None for orgs and bots.

    GraphQL nodes carry their top repositories inside; for REST pass the repository dicts
    (`repos`) or leave None to keep the stored repositories.
    """
    if classify(node) is not None:
        return None
    ident = external_id(node)
    if ident is None:
        return None
    login = str(node["login"])
    graphql = "__typename" in node or "databaseId" in node
    if graphql:
        repo_conn = node.get("repositories")
        repo_list = None if repo_conn is None else parse_repositories(repo_conn.get("nodes") or [])
        extra = {
            "following": _count(node.get("following")),
            "public_repos": _count(repo_conn) if repo_conn is not None else None,
            "hireable": node.get("isHireable"),
            "twitter": node.get("twitterUsername"),
            "node_id": node.get("id"),
        }
        website = node.get("websiteUrl")
        profile_url = node.get("url")
    else:
        repo_list = None if repos is None else parse_repositories(repos)
        extra = {
            "following": _count(node.get("following")),
            "public_repos": _count(node.get("public_repos")),
            "hireable": node.get("hireable"),
            "twitter": node.get("twitter_username"),
            "node_id": node.get("node_id"),
        }
        website = node.get("blog")
        profile_url = node.get("html_url")
    return ProfileItem(
        source=SOURCE,
        external_id=ident,
        seen_at=seen_at,
        handle=login,
        name=_text(node.get("name")),
        location_raw=_text(node.get("location")),
        bio=_text(node.get("bio")),
        company=_text(node.get("company")),
        website=_text(website),
        email=_text(node.get("email")),
        profile_url=_text(profile_url) or f"https://github.com/{login}",
        followers=_count(node.get("followers")),
        extra={k: v for k, v in extra.items() if v is not None},
        created_at=parse_time(node.get("createdAt") or node.get("created_at")),
        updated_at=parse_time(node.get("updatedAt") or node.get("updated_at")),
        etag=etag,
        repositories=repo_list,
    )


def search_nodes(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The user nodes of a GraphQL search response (empty when there are none)."""
    search = (payload.get("data") or {}).get("search") or {}
    return [n for n in search.get("nodes") or [] if isinstance(n, dict)]


def _words(text: str) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(w for w in re.split(r"[^\w]+|_", plain) if w)


def location_matches(location: str | None, term: str) -> bool:
    """Do the words of `term` appear, contiguous and in order, in the location?

    Search indexes tokenise: "india" matches "Pune, India" but not "Indiana", and "sao paulo"
    matches "São Paulo - SP". Exclusions use the same rule as `location:` so they agree.
    """
    if not location:
        return False
    have, want = _words(location), _words(term)
    if not want:
        return False
    return any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1))


def location_excluded(location: str | None, exclude: Iterable[str]) -> bool:
    """Does a location name any of the exclude terms?"""
    return any(location_matches(location, term) for term in exclude)
