"""The only GitHub parser: API JSON (REST, GraphQL, PyGithub `.raw_data`) to typed items.

Pure functions, no I/O: the Scrapy spider and the PyGithub client both feed them dicts, and
`scout rebuild` can re-derive profiles from raw_records with them. Organisations and bots are
never candidates, so the parser answers None for them and says why (`classify`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from config.searchtext import phrase_in, search_words
from crawlers import payload as P
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


def _count(value: Any, path: str, graphql: bool) -> int | None:
    """REST gives a number (64-bit), GraphQL a connection {totalCount: Int!} (32-bit)."""
    if graphql:
        conn = P.opt_obj(value, path)
        if conn is None:
            return None
        return P.opt_integer(conn.get("totalCount"), f"{path}.totalCount", 0, P.INT32_MAX)
    return P.opt_integer(value, path)


def classify(node: Mapping[str, Any]) -> str | None:
    """Why an account (REST user or GraphQL search node) is not a candidate, or None."""
    login = P.obj(node, "user").get("login")
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


def _graphql(node: Mapping[str, Any]) -> bool:
    return "__typename" in node or "databaseId" in node


def external_id(node: Mapping[str, Any]) -> str | None:
    """The stable numeric id: GraphQL `databaseId`, REST `id` (GraphQL `id` is a node id)."""
    value = node.get("databaseId") if _graphql(node) else node.get("id")
    return None if value is None else str(value)


def _graphql_repository(repo: Mapping[str, Any], name: str) -> RepositoryItem:
    language = P.opt_obj(repo.get("primaryLanguage"), "primaryLanguage")
    topics_conn = P.opt_obj(repo.get("repositoryTopics"), "repositoryTopics") or {}
    topics = []
    for t in P.array(topics_conn.get("nodes"), "repositoryTopics.nodes"):
        topic = P.opt_obj(P.obj(t, "repositoryTopics.nodes[]").get("topic"), "topic") if t else None
        topic_name = None if topic is None else P.text(topic.get("name"), "topic.name")
        if topic_name:
            topics.append(topic_name)
    return RepositoryItem(
        name=name,
        description=P.text(repo.get("description"), "repository.description"),
        language=None if language is None else P.text(language.get("name"), "language.name"),
        topics=topics,
        stars=P.integer(repo.get("stargazerCount") or 0, "stargazerCount", 0, P.INT32_MAX),
        forks=P.integer(repo.get("forkCount") or 0, "forkCount", 0, P.INT32_MAX),
        is_fork=bool(P.flag(repo.get("isFork"), "isFork")),
        created_at=P.iso_time(repo.get("createdAt"), "repository.createdAt"),
        pushed_at=P.iso_time(repo.get("pushedAt"), "repository.pushedAt"),
    )


def parse_repository(repo: Mapping[str, Any]) -> RepositoryItem | None:
    """A REST repository dict or a GraphQL Repository node; None when it has no name."""
    name = P.text(P.obj(repo, "repository").get("name"), "repository.name")
    if name is None:
        return None
    if "primaryLanguage" in repo or "stargazerCount" in repo:  # GraphQL
        return _graphql_repository(repo, name)
    return RepositoryItem(
        name=name,
        description=P.text(repo.get("description"), "repository.description"),
        language=P.text(repo.get("language"), "repository.language"),
        topics=[
            t for t in (P.text(x, "topics[]") for x in P.array(repo.get("topics"), "topics")) if t
        ],
        stars=P.opt_integer(repo.get("stargazers_count"), "stargazers_count") or 0,
        forks=P.opt_integer(repo.get("forks_count"), "forks_count") or 0,
        is_fork=bool(P.flag(repo.get("fork"), "fork")),
        created_at=P.iso_time(repo.get("created_at"), "repository.created_at"),
        pushed_at=P.iso_time(repo.get("pushed_at"), "repository.pushed_at"),
    )


def parse_repositories(repos: Iterable[Mapping[str, Any]]) -> list[RepositoryItem]:
    """Repositories, one per name (the key storage merges on); null entries are skipped."""
    out: dict[str, RepositoryItem] = {}
    for repo in repos:
        item = parse_repository(repo) if repo is not None else None
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
    (`repos`) or leave None to keep the stored repositories. A field that is not what GitHub
    documents (a number for a name, a count beyond GraphQL's 32-bit Int) raises PayloadError.
    """
    if classify(node) is not None:
        return None
    login = str(node["login"])
    graphql = _graphql(node)
    if graphql:
        ident = P.opt_integer(node.get("databaseId"), "databaseId", 1, P.INT32_MAX)
        repo_conn = P.opt_obj(node.get("repositories"), "repositories")
        repo_list = (
            None
            if repo_conn is None
            else parse_repositories(P.array(repo_conn.get("nodes"), "repositories.nodes"))
        )
        extra = {
            "following": _count(node.get("following"), "following", True),
            "public_repos": _count(repo_conn, "repositories", True),
            "hireable": P.flag(node.get("isHireable"), "isHireable"),
            "twitter": P.text(node.get("twitterUsername"), "twitterUsername"),
            "node_id": P.text(node.get("id"), "id"),
        }
        website = P.text(node.get("websiteUrl"), "websiteUrl")
        profile_url = P.text(node.get("url"), "url")
        created, updated = node.get("createdAt"), node.get("updatedAt")
    else:
        ident = P.opt_integer(node.get("id"), "id", 1)
        repo_list = None if repos is None else parse_repositories(repos)
        extra = {
            "following": _count(node.get("following"), "following", False),
            "public_repos": _count(node.get("public_repos"), "public_repos", False),
            "hireable": P.flag(node.get("hireable"), "hireable"),
            "twitter": P.text(node.get("twitter_username"), "twitter_username"),
            "node_id": P.text(node.get("node_id"), "node_id"),
        }
        website = P.text(node.get("blog"), "blog")
        profile_url = P.text(node.get("html_url"), "html_url")
        created, updated = node.get("created_at"), node.get("updated_at")
    if ident is None:
        return None
    return ProfileItem(
        source=SOURCE,
        external_id=str(ident),
        seen_at=seen_at,
        handle=login,
        name=P.text(node.get("name"), "name"),
        location_raw=P.text(node.get("location"), "location"),
        bio=P.text(node.get("bio"), "bio"),
        company=P.text(node.get("company"), "company"),
        website=website,
        email=P.text(node.get("email"), "email"),
        profile_url=profile_url or f"https://github.com/{login}",
        followers=_count(node.get("followers"), "followers", graphql),
        extra={k: v for k, v in extra.items() if v is not None},
        created_at=P.iso_time(created, "createdAt"),
        updated_at=P.iso_time(updated, "updatedAt"),
        etag=etag,
        repositories=repo_list,
    )


def search_nodes(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The user nodes of a GraphQL search response (empty when there are none).

    Null nodes (a partial answer) are left out; a `data`, `search` or `nodes` of another type
    than documented raises PayloadError.
    """
    data = P.opt_obj(P.obj(payload, "response").get("data"), "data") or {}
    search = P.opt_obj(data.get("search"), "data.search") or {}
    return [n for n in P.array(search.get("nodes"), "search.nodes") if isinstance(n, dict)]


def location_matches(location: str | None, term: str) -> bool:
    """Do the words of `term` appear, contiguous and in order, in the location?

    Search indexes tokenise: "india" matches "Pune, India" but not "Indiana", and "sao paulo"
    matches "São Paulo - SP". Exclusions use the same rule as `location:` so they agree.
    """
    if not location:
        return False
    return phrase_in(search_words(location), search_words(term))


def location_excluded(location: str | None, exclude: Iterable[str]) -> bool:
    """Does a location name any of the exclude terms?"""
    return any(location_matches(location, term) for term in exclude)
