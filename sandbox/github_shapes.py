"""GitHub REST object shapes (public user, search item, repository), field for field as the
REST reference documents them, plus the identifiers both REST and GraphQL share.

API URLs inside bodies point at the sandbox (`api` is e.g. "http://127.0.0.1:8000/github"),
not at api.github.com: clients such as PyGithub follow an object's `url` to complete it and
must stay inside the sandbox. Web URLs (`html_url`, avatars) keep GitHub's hosts.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sandbox.model import GitHubAccount, GitHubRepo

WEB = "https://github.com"
_NODE_KIND = {"User": "04:User", "Organization": "012:Organization", "Bot": "03:Bot"}


def iso(value: datetime) -> str:
    """GitHub's timestamp format: UTC, seconds, a literal Z."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, database_id: int) -> str:
    """The (legacy-format) global node ID GitHub gives REST `node_id` and GraphQL `id`."""
    prefix = _NODE_KIND.get(kind, "010:Repository" if kind == "Repository" else "04:User")
    return base64.b64encode(f"{prefix}{database_id}".encode()).decode()


def avatar(account_id: int) -> str:
    return f"https://avatars.githubusercontent.com/u/{account_id}?v=4"


def simple_user(a: GitHubAccount, api: str) -> dict[str, Any]:
    """The `simple-user` shape: repository owners, and the start of every user object."""
    u = f"{api}/users/{a.login}"
    return {
        "login": a.login,
        "id": a.id,
        "node_id": node_id(a.type, a.id),
        "avatar_url": avatar(a.id),
        "gravatar_id": "",
        "url": u,
        "html_url": f"{WEB}/{a.login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": a.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def public_user(a: GitHubAccount, api: str) -> dict[str, Any]:
    """`GET /users/{username}`: the `public-user` shape (blog is "" when unset, as GitHub does)."""
    body = simple_user(a, api)
    body.update(
        {
            "name": a.name,
            "company": a.company,
            "blog": a.blog or "",
            "location": a.location,
            "email": a.email,
            "hireable": a.hireable,
            "bio": a.bio,
            "twitter_username": a.twitter_username,
            "public_repos": a.public_repos,
            "public_gists": 0,
            "followers": a.followers,
            "following": a.following,
            "created_at": iso(a.created_at),
            "updated_at": iso(a.updated_at),
        }
    )
    return body


def search_user(a: GitHubAccount, api: str) -> dict[str, Any]:
    """An item of `GET /search/users` (`user-search-result-item`)."""
    body = simple_user(a, api)
    body["score"] = 1.0
    return body


_REPO_LINKS = (
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
)


def repository(a: GitHubAccount, r: GitHubRepo, api: str, full: bool = False) -> dict[str, Any]:
    """A repository as `GET /users/{u}/repos` lists it, or with `full` as `GET /repos/{o}/{r}`
    returns it (`full-repository` adds network_count and subscribers_count)."""
    full_name = f"{a.login}/{r.name}"
    url = f"{api}/repos/{full_name}"
    html = f"{WEB}/{full_name}"
    body: dict[str, Any] = {
        "id": r.id,
        "node_id": node_id("Repository", r.id),
        "name": r.name,
        "full_name": full_name,
        "private": False,
        "owner": simple_user(a, api),
        "html_url": html,
        "description": r.description,
        "fork": r.fork,
        "url": url,
    }
    for key, suffix in _REPO_LINKS:
        body[key] = url + suffix
    body.update(
        {
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at),
            "pushed_at": iso(r.pushed_at),
            "git_url": f"git://github.com/{full_name}.git",
            "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": r.size,
            "stargazers_count": r.stargazers_count,
            "watchers_count": r.stargazers_count,
            "language": r.language,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": r.forks_count,
            "mirror_url": None,
            "archived": r.archived,
            "disabled": False,
            "open_issues_count": 0,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": list(r.topics),
            "visibility": "public",
            "forks": r.forks_count,
            "open_issues": 0,
            "watchers": r.stargazers_count,
            "default_branch": "main",
        }
    )
    if full:
        body["network_count"] = r.forks_count
        body["subscribers_count"] = max(1, r.stargazers_count // 10)
    return body


def rate_limit_body(windows: dict[str, tuple[int, int, int]]) -> dict[str, Any]:
    """`GET /rate_limit`: `resources` per resource, plus the deprecated top-level `rate`
    (a copy of `core`). `windows` maps resource -> (limit, used, reset)."""

    def one(limit: int, used: int, reset: int) -> dict[str, int]:
        return {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset}

    resources = {name: one(*w) for name, w in windows.items()}
    rate: dict[str, Any] = dict(resources["core"])
    rate["resource"] = "core"
    return {"resources": resources, "rate": rate}
