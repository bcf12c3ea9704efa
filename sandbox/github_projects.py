"""The GitHub emulator's project endpoints: the major ML/MLOps repositories (organisation-owned)
of sandbox/world_projects.py, their contributors and their closed pull requests.

Served through the REST routing of sandbox/github_rest.py (charged like every REST call):

- `GET /repos/{owner}/{repo}` (and `/repositories/{id}`): the `full-repository` shape.
- `GET /repos/{owner}/{repo}/contributors?anon=&per_page=&page=`: contributors sorted by
  commits, descending (`contributor`: the simple-user fields plus `contributions`; bots have
  `type` "Bot"). As documented, only the first 500 author e-mail addresses link to GitHub users:
  the rest are anonymous contributors (`type` "Anonymous", `email`, `name`), listed only with
  `anon=1` or `anon=true`. An empty repository answers 204 with no body.
- `GET /repos/{owner}/{repo}/pulls?state=&sort=&direction=&per_page=&page=`: pull requests
  (`pull-request-simple`: `number`, `state`, `user`, `created_at`, `updated_at`, `closed_at`,
  `merged_at`...). Every sandbox pull request is closed: `state=open` lists none. `sort` is
  created (default), updated, popularity or long-running; `direction` defaults to desc for
  created and asc otherwise, as documented.
Pages carry GitHub's Link header (prev, next, last, first), pointing at the id form
`/repositories/{id}/...` as GitHub's own Link headers do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sandbox.github_paging import link, paging
from sandbox.github_shapes import WEB, iso, node_id, repository, simple_user
from sandbox.model import GitHubAccount, GitHubRepo, Request
from sandbox.world_projects import BOT_ID, BOT_LOGIN, Project, ProjectsLayer, Pull

DOCS = "https://docs.github.com"
DOC_CONTRIBUTORS = f"{DOCS}/rest/repos/repos#list-repository-contributors"
DOC_PULLS = f"{DOCS}/rest/pulls/pulls#list-pull-requests"
# Only the first 500 author e-mail addresses of a repository link to GitHub users.
LINKED_EMAILS = 500
_SORTS = ("created", "updated", "popularity", "long-running")

# (status, body, extra headers): what github_rest.Result is made of.
Answer = tuple[int, Any, dict[str, str]]


def _account(account_id: int, login: str, kind: str, name: str | None) -> GitHubAccount:
    when = datetime(2015, 1, 1, tzinfo=UTC)
    return GitHubAccount(
        account_id, login, kind, name, None, None, None, None, None, None, None, 0, 0, when, when
    )


_BOT = _account(BOT_ID, BOT_LOGIN, "Bot", None)
# What GitHub shows as the author of a deleted account's pull requests.
_GHOST = _account(10137, "ghost", "User", None)


def _org(project: Project) -> GitHubAccount:
    return _account(project.org_id, project.owner, "Organization", project.owner)


def _repo(project: Project) -> GitHubRepo:
    stars = int(project.popularity * 20_000)
    created = project.created
    return GitHubRepo(
        project.repo_id,
        project.name,
        f"{project.name}: the sandbox's {project.tech} project",
        "Python",
        [project.tech] if project.tech else [],
        stars,
        stars // 5,
        False,
        created,
        created,
        created,
    )


def _wants_anon(request: Request) -> bool:
    return (request.param("anon") or "").lower() in ("1", "true")


class ProjectsAPI:
    """The project routes over one world's ProjectsLayer (rebuilt with each world)."""

    def __init__(self, layer: ProjectsLayer, accounts: dict[int, GitHubAccount]) -> None:
        self.layer = layer
        self.accounts = accounts

    def find(self, *key: str) -> Project | None:
        """The project named (owner, name) or numbered (repository id,)."""
        if len(key) == 1:
            return self.layer.by_repo_id(int(key[0])) if key[0].isdigit() else None
        return self.layer.project(*key)

    def answer(
        self,
        what: str,
        api: str,
        request: Request,
        key: tuple[str, ...],
    ) -> Answer | None:
        """`what` (contributors, pulls) of the project `key` names; None when no project."""
        project = self.find(*key)
        if project is None:
            return None
        method = self.contributors if what == "contributors" else self.pulls
        return method(project, api, request, *paging(request))

    def repository(self, project: Project, api: str) -> dict[str, Any]:
        return repository(_org(project), _repo(project), api, full=True)

    def _user(self, account_id: int) -> GitHubAccount | None:
        return _BOT if account_id == BOT_ID else self.accounts.get(account_id)

    def contributors(
        self, project: Project, api: str, request: Request, page: int, per: int
    ) -> Answer:
        rows = self.layer.contributors(project)
        if not rows:
            return 204, None, {}
        listed: list[dict[str, Any]] = []
        anonymous = []
        for rank, (account_id, commits) in enumerate(rows):
            account = self._user(account_id)
            if account is None:
                continue
            if rank < LINKED_EMAILS:
                listed.append({**simple_user(account, api), "contributions": commits})
            else:
                anonymous.append(
                    {
                        "email": f"{account_id}+{account.login.lower()}@users.noreply.github.com",
                        "name": account.name or account.login,
                        "type": "Anonymous",
                        "contributions": commits,
                    }
                )
        if _wants_anon(request):
            listed = sorted(listed + anonymous, key=lambda c: -int(c["contributions"]))
        chunk = listed[(page - 1) * per : page * per]
        last = math.ceil(len(listed) / per)
        header = link(f"{api}/repositories/{project.repo_id}/contributors", request, page, last)
        return 200, chunk, {"Link": header} if header else {}

    def pulls(self, project: Project, api: str, request: Request, page: int, per: int) -> Answer:
        state = request.param("state") or "open"
        sort = request.param("sort") or "created"
        if state not in ("open", "closed", "all") or sort not in _SORTS:
            return 422, None, {}
        now = self.layer.now
        pulls = [] if state == "open" else list(self.layer.pulls(project))
        direction = request.param("direction") or ("desc" if sort == "created" else "asc")
        keys: dict[str, Callable[[Pull], Any]] = {
            "created": lambda p: (p.created_at, p.number),
            "updated": lambda p: (p.updated_at(now), p.number),
            "popularity": lambda p: (p.number % 7, p.number),
            "long-running": lambda p: (p.closed_at - p.created_at, p.number),
        }
        pulls.sort(key=keys[sort], reverse=direction == "desc")
        chunk = [self.pull(project, p, api) for p in pulls[(page - 1) * per : page * per]]
        last = math.ceil(len(pulls) / per)
        header = link(f"{api}/repositories/{project.repo_id}/pulls", request, page, last)
        return 200, chunk, {"Link": header} if header else {}

    def pull(self, project: Project, p: Pull, api: str) -> dict[str, Any]:
        """A `pull-request-simple` with the fields a list shows."""
        url = f"{api}/repos/{project.full_name}/pulls/{p.number}"
        author = self._user(p.author_id) or _GHOST  # a deleted or suspended account
        pr_id = project.repo_id * 100_000 + p.number
        return {
            "url": url,
            "id": pr_id,
            "node_id": node_id("PullRequest", pr_id),
            "html_url": f"{WEB}/{project.full_name}/pull/{p.number}",
            "diff_url": f"{WEB}/{project.full_name}/pull/{p.number}.diff",
            "patch_url": f"{WEB}/{project.full_name}/pull/{p.number}.patch",
            "issue_url": f"{api}/repos/{project.full_name}/issues/{p.number}",
            "number": p.number,
            "state": "closed",
            "locked": False,
            "title": f"Change #{p.number}",
            "user": simple_user(author, api),
            "body": None,
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(p.created_at),
            "updated_at": iso(p.updated_at(self.layer.now)),
            "closed_at": iso(p.closed_at),
            "merged_at": iso(p.closed_at) if p.merged else None,
            "merge_commit_sha": f"{pr_id:040x}" if p.merged else None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "draft": False,
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "base": {"label": f"{project.owner}:main", "ref": "main"},
        }
