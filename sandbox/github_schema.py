"""The subset of GitHub's public GraphQL schema the crawlers use, with its resolvers.

Types, fields, arguments and nullability follow GitHub's schema reference (so a query valid
here is valid on GitHub); fields GitHub has and the sandbox does not are simply absent, and a
query naming them fails validation the way an unknown field does on GitHub.
Bot accounts resolve as `User` (the SearchResultItem union has no Bot member).
`node(id:)` / `nodes(ids:)` resolve account node ids (users, organisations); an id that names
nothing (unknown, or an account deleted or suspended since) is null in `data` with a
NOT_FOUND error at its path (["nodes", i]), as GitHub answers. Repository ids are not looked
up (the crawlers never ask).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema, build_schema

from sandbox.github_search import SEARCH_CAP, SearchError, UserIndex
from sandbox.github_shapes import WEB, avatar, iso, node_id
from sandbox.model import GitHubAccount, GitHubRepo

SDL = """
scalar DateTime
scalar URI

enum SearchType { ISSUE ISSUE_ADVANCED REPOSITORY USER DISCUSSION }
enum OrderDirection { ASC DESC }
enum RepositoryOrderField { CREATED_AT UPDATED_AT PUSHED_AT NAME STARGAZERS }
enum RepositoryAffiliation { OWNER COLLABORATOR ORGANIZATION_MEMBER }
enum RepositoryPrivacy { PUBLIC PRIVATE }
input RepositoryOrder { field: RepositoryOrderField!, direction: OrderDirection! }

type Query {
  search(query: String!, type: SearchType!, first: Int, after: String, last: Int,
         before: String): SearchResultItemConnection!
  user(login: String!): User
  organization(login: String!): Organization
  repositoryOwner(login: String!): RepositoryOwner
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
  viewer: User!
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
}

type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime!
                 used: Int! }
type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean!
                startCursor: String }
interface Node { id: ID! }
interface Actor { avatarUrl(size: Int): URI! login: String! resourcePath: URI! url: URI! }
interface RepositoryOwner {
  avatarUrl(size: Int): URI! id: ID! login: String! resourcePath: URI! url: URI!
  repositories(first: Int, after: String, last: Int, before: String, orderBy: RepositoryOrder,
    isFork: Boolean, isArchived: Boolean, privacy: RepositoryPrivacy,
    ownerAffiliations: [RepositoryAffiliation] = [OWNER, COLLABORATOR],
    affiliations: [RepositoryAffiliation]): RepositoryConnection!
}

union SearchResultItem = Organization | Repository | User
type SearchResultItemConnection {
  codeCount: Int! discussionCount: Int! issueCount: Int! repositoryCount: Int! userCount: Int!
  wikiCount: Int! edges: [SearchResultItemEdge] nodes: [SearchResultItem] pageInfo: PageInfo!
}
type SearchResultItemEdge { cursor: String! node: SearchResultItem }

type User implements Node & Actor & RepositoryOwner {
  id: ID! databaseId: Int login: String! name: String location: String company: String
  bio: String websiteUrl: URI email: String! twitterUsername: String createdAt: DateTime!
  updatedAt: DateTime! isHireable: Boolean! isSiteAdmin: Boolean! url: URI!
  resourcePath: URI! avatarUrl(size: Int): URI!
  followers(first: Int, after: String, last: Int, before: String): FollowerConnection!
  following(first: Int, after: String, last: Int, before: String): FollowingConnection!
  repositories(first: Int, after: String, last: Int, before: String, orderBy: RepositoryOrder,
    isFork: Boolean, isArchived: Boolean, privacy: RepositoryPrivacy,
    ownerAffiliations: [RepositoryAffiliation] = [OWNER, COLLABORATOR],
    affiliations: [RepositoryAffiliation]): RepositoryConnection!
}
type Organization implements Node & Actor & RepositoryOwner {
  id: ID! databaseId: Int login: String! name: String location: String description: String
  email: String websiteUrl: URI twitterUsername: String createdAt: DateTime!
  updatedAt: DateTime! isVerified: Boolean! url: URI! resourcePath: URI!
  avatarUrl(size: Int): URI!
  repositories(first: Int, after: String, last: Int, before: String, orderBy: RepositoryOrder,
    isFork: Boolean, isArchived: Boolean, privacy: RepositoryPrivacy,
    ownerAffiliations: [RepositoryAffiliation] = [OWNER, COLLABORATOR],
    affiliations: [RepositoryAffiliation]): RepositoryConnection!
}
type UserEdge { cursor: String! node: User }
type FollowerConnection { totalCount: Int! pageInfo: PageInfo! nodes: [User] edges: [UserEdge] }
type FollowingConnection { totalCount: Int! pageInfo: PageInfo! nodes: [User] edges: [UserEdge] }

type Repository implements Node {
  id: ID! databaseId: Int name: String! nameWithOwner: String! description: String url: URI!
  homepageUrl: URI isFork: Boolean! isArchived: Boolean! isPrivate: Boolean!
  stargazerCount: Int! forkCount: Int! diskUsage: Int pushedAt: DateTime createdAt: DateTime!
  updatedAt: DateTime! primaryLanguage: Language owner: RepositoryOwner!
  repositoryTopics(first: Int, after: String, last: Int, before: String):
    RepositoryTopicConnection!
}
type RepositoryEdge { cursor: String! node: Repository }
type RepositoryConnection { totalCount: Int! totalDiskUsage: Int! pageInfo: PageInfo!
                            nodes: [Repository] edges: [RepositoryEdge] }
type Language implements Node { id: ID! name: String! color: String }
type Topic implements Node { id: ID! name: String! }
type RepositoryTopic implements Node { id: ID! topic: Topic! url: URI! resourcePath: URI! }
type RepositoryTopicEdge { cursor: String! node: RepositoryTopic }
type RepositoryTopicConnection { totalCount: Int! pageInfo: PageInfo!
                                 nodes: [RepositoryTopic] edges: [RepositoryTopicEdge] }
"""


class GitHubError(Exception):
    """A resolver error GitHub reports with a top-level `type` (NOT_FOUND, ...)."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


@dataclass(slots=True)
class RepoNode:
    owner: GitHubAccount
    repo: GitHubRepo


@dataclass
class Context:
    """What one execution needs: the world's accounts, the API base and the caller's budget."""

    accounts: dict[str, GitHubAccount]
    index: UserIndex
    viewer: GitHubAccount
    rate: dict[str, Any] = field(default_factory=dict)
    # Accounts by global node id (`node`, `nodes`): built on demand, once per world.
    by_node: Callable[[], dict[str, GitHubAccount]] = dict


def nodes_by_id(accounts: Iterable[GitHubAccount]) -> dict[str, GitHubAccount]:
    return {node_id(a.type, a.id): a for a in accounts}


def _node(ctx: Context, ident: str) -> GitHubAccount | GitHubError:
    account = ctx.by_node().get(ident)
    if account is None:
        return GitHubError(
            "NOT_FOUND", f"Could not resolve to a node with the global id of '{ident}'."
        )
    return account


def _one_node(_: Any, info: GraphQLResolveInfo[Context], id: str) -> GitHubAccount:
    found = _node(info.context, id)
    if isinstance(found, GitHubError):
        raise found
    return found


def _nodes(
    _: Any, info: GraphQLResolveInfo[Context], ids: list[str]
) -> list[GitHubAccount | GitHubError]:
    # An error in place of an item: graphql-core raises it at that item's path (null + error).
    return [_node(info.context, ident) for ident in ids]


def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        kind, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if kind == "cursor" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise GitHubError(
        "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
    )


def paginate(items: list[Any], args: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    """A Relay connection over `items` (cursors are 1-based positions, opaque base64)."""
    start, end = 0, len(items)
    if args.get("after"):
        start = min(end, _position(args["after"]))
    if args.get("before"):
        end = max(start, min(end, _position(args["before"]) - 1))
    first, last = args.get("first"), args.get("last")
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    page = items[start:end]
    edges = [{"cursor": _cursor(start + i + 1), "node": node} for i, node in enumerate(page)]
    return {
        "totalCount": len(items) if total is None else total,
        "nodes": page,
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
        },
    }


_REPO_ORDER = {
    "CREATED_AT": lambda r: r.created_at,
    "UPDATED_AT": lambda r: r.updated_at,
    "PUSHED_AT": lambda r: r.pushed_at,
    "NAME": lambda r: r.name.lower(),
    "STARGAZERS": lambda r: r.stargazers_count,
}


def _repositories(
    a: GitHubAccount, info: GraphQLResolveInfo[Context], **args: Any
) -> dict[str, Any]:
    repos = a.repos
    if args.get("isFork") is not None:
        repos = [r for r in repos if r.fork == args["isFork"]]
    if args.get("isArchived") is not None:
        repos = [r for r in repos if r.archived == args["isArchived"]]
    if args.get("privacy") == "PRIVATE":
        repos = []
    order = args.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
    repos = sorted(repos, key=_REPO_ORDER[order["field"]], reverse=order["direction"] == "DESC")
    conn = paginate([RepoNode(a, r) for r in repos], args)
    conn["totalDiskUsage"] = sum(r.size for r in repos)
    return conn


def _count_only(total: int) -> dict[str, Any]:
    # The world knows follower counts, not follower lists: a connection with no nodes.
    conn = paginate([], {})
    conn["totalCount"] = total
    return conn


def _search(_: Any, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    ctx: Context = info.context
    counts = dict.fromkeys(
        ("userCount", "repositoryCount", "issueCount", "codeCount", "wikiCount", "discussionCount"),
        0,
    )
    matches: list[GitHubAccount] = []
    if args["type"] == "USER":
        try:
            matches = ctx.index.search(args["query"])
        except SearchError as exc:
            raise GitHubError("INVALID_SEARCH_QUERY", str(exc)) from None
        counts["userCount"] = len(matches)
    conn = paginate(matches[:SEARCH_CAP], args)  # nothing past the first 1,000 is reachable
    conn.pop("totalCount")
    conn.update(counts)
    return conn


def _lookup(kind: str, login: str, ctx: Context) -> GitHubAccount:
    account = ctx.accounts.get(login.lower())
    is_org = account is not None and account.type == "Organization"
    if account is None or (kind == "User" and is_org) or (kind == "Organization" and not is_org):
        article = "an" if kind == "Organization" else "a"
        raise GitHubError(
            "NOT_FOUND", f"Could not resolve to {article} {kind} with the login of '{login}'."
        )
    return account


def _repository(
    _: Any, info: GraphQLResolveInfo[Context], owner: str, name: str, **__: Any
) -> RepoNode:
    account = info.context.accounts.get(owner.lower())
    if account is not None:
        for r in account.repos:
            if r.name.lower() == name.lower():
                return RepoNode(account, r)
    raise GitHubError(
        "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
    )


def _avatar(a: GitHubAccount, info: GraphQLResolveInfo[Context], size: int | None = None) -> str:
    return avatar(a.id) + (f"&s={size}" if size else "")


_ACCOUNT: dict[str, Any] = {
    "id": lambda a, i: node_id(a.type, a.id),
    "databaseId": lambda a, i: a.id,
    "websiteUrl": lambda a, i: a.blog or None,
    "twitterUsername": lambda a, i: a.twitter_username,
    "createdAt": lambda a, i: iso(a.created_at),
    "updatedAt": lambda a, i: iso(a.updated_at),
    "url": lambda a, i: f"{WEB}/{a.login}",
    "resourcePath": lambda a, i: f"/{a.login}",
    "avatarUrl": _avatar,
    "repositories": _repositories,
}
RESOLVERS: dict[str, dict[str, Any]] = {
    "Query": {
        "search": _search,
        "user": lambda _, i, login: _lookup("User", login, i.context),
        "organization": lambda _, i, login: _lookup("Organization", login, i.context),
        "repositoryOwner": lambda _, i, login: _lookup("RepositoryOwner", login, i.context),
        "repository": _repository,
        "rateLimit": lambda _, i, **__: i.context.rate,
        "viewer": lambda _, i: i.context.viewer,
        "node": _one_node,
        "nodes": _nodes,
    },
    "User": {
        **_ACCOUNT,
        "email": lambda a, i: a.email or "",
        "isHireable": lambda a, i: bool(a.hireable),
        "isSiteAdmin": lambda a, i: False,
        "followers": lambda a, i, **_: _count_only(a.followers),
        "following": lambda a, i, **_: _count_only(a.following),
    },
    "Organization": {
        **_ACCOUNT,
        "description": lambda a, i: a.bio,
        "isVerified": lambda a, i: False,
    },
    "Repository": {
        "id": lambda n, i: node_id("Repository", n.repo.id),
        "databaseId": lambda n, i: n.repo.id,
        "name": lambda n, i: n.repo.name,
        "nameWithOwner": lambda n, i: f"{n.owner.login}/{n.repo.name}",
        "description": lambda n, i: n.repo.description,
        "url": lambda n, i: f"{WEB}/{n.owner.login}/{n.repo.name}",
        "homepageUrl": lambda n, i: None,
        "isFork": lambda n, i: n.repo.fork,
        "isArchived": lambda n, i: n.repo.archived,
        "isPrivate": lambda n, i: False,
        "stargazerCount": lambda n, i: n.repo.stargazers_count,
        "forkCount": lambda n, i: n.repo.forks_count,
        "diskUsage": lambda n, i: n.repo.size,
        "pushedAt": lambda n, i: iso(n.repo.pushed_at),
        "createdAt": lambda n, i: iso(n.repo.created_at),
        "updatedAt": lambda n, i: iso(n.repo.updated_at),
        "owner": lambda n, i: n.owner,
        "primaryLanguage": lambda n, i: _language(n.repo.language),
        "repositoryTopics": lambda n, i, **args: paginate(
            [_topic(n, t) for t in n.repo.topics], args
        ),
    },
}


def _language(name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    return {
        "id": base64.b64encode(f"08:Language{name}".encode()).decode(),
        "name": name,
        "color": None,
    }


def _topic(n: RepoNode, name: str) -> dict[str, Any]:
    return {
        "id": base64.b64encode(f"021:RepositoryTopic{n.repo.id}:{name}".encode()).decode(),
        "topic": {"id": base64.b64encode(f"05:Topic{name}".encode()).decode(), "name": name},
        "url": f"{WEB}/topics/{name}",
        "resourcePath": f"/topics/{name}",
    }


def _type_of(value: Any, *_: Any) -> str:
    if isinstance(value, RepoNode):
        return "Repository"
    return "Organization" if value.type == "Organization" else "User"


def build() -> GraphQLSchema:
    """The executable schema: SDL plus resolvers bound onto its fields."""
    schema = build_schema(SDL)
    for type_name, fields in RESOLVERS.items():
        gql_type: Any = schema.get_type(type_name)
        for field_name, resolver in fields.items():
            gql_type.fields[field_name].resolve = resolver
    for abstract in ("SearchResultItem", "Node", "Actor", "RepositoryOwner"):
        abstract_type: Any = schema.get_type(abstract)
        abstract_type.resolve_type = _type_of
    return schema


def error_type(error: GraphQLError) -> str | None:
    original = error.original_error
    return original.type if isinstance(original, GitHubError) else None
