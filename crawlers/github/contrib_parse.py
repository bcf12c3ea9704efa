"""Parsers of a repository's REST lists the contributors crawl reads: pure functions, no I/O.

- `GET /repos/{owner}/{repo}/contributors` (`contributor`): login, id, node_id, type
  (User, Bot; "Anonymous" entries carry only e-mail and name) and `contributions` (commits).
- `GET /repos/{owner}/{repo}/pulls` (`pull-request-simple`): number, user, updated_at and
  merged_at (null for a pull request closed without merging).
- the Link header's `rel="next"`.

A record that is not what GitHub's REST reference documents raises PayloadError (naming the
field, never its value): the crawl quarantines it and goes on with the rest of its page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.errors import PayloadError
from crawlers import payload as P

USER, BOT, ANONYMOUS, ORG = "User", "Bot", "Anonymous", "Organization"
# The account GitHub shows in place of a deleted one ("ghost", id 10137): nobody to find.
GHOST = ("ghost", 10137)
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


@dataclass(frozen=True, slots=True)
class Account:
    """A contributor or a pull request's author, as a REST list shows them."""

    id: int
    login: str
    node_id: str
    type: str

    @property
    def bot(self) -> bool:
        return self.type == BOT or self.login.lower().endswith("[bot]")

    def as_node(self) -> dict[str, Any]:
        """The REST keys crawlers/github/parse.py reads an account's id and login from."""
        return {"login": self.login, "id": self.id, "type": self.type}


@dataclass(frozen=True, slots=True)
class Contributor:
    account: Account | None  # None: an anonymous contributor (an e-mail not linked to a user)
    commits: int


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    author: Account | None  # None: a deleted account ("ghost" shows as null)
    updated_at: datetime
    merged_at: datetime | None


def entries(payload: Any, what: str) -> list[Any]:
    """A list answer's entries; anything but a JSON array is the page's fault."""
    if not isinstance(payload, list):
        raise PayloadError(f"{what}: expected an array")
    return payload


def account(value: Any, path: str) -> Account:
    user = P.obj(value, path)
    login = P.text(user.get("login"), f"{path}.login")
    node_id = P.text(user.get("node_id"), f"{path}.node_id")
    if login is None or node_id is None:
        raise PayloadError(f"{path}: an account without a login or node_id")
    kind = P.text(user.get("type"), f"{path}.type") or USER
    return Account(P.integer(user.get("id"), f"{path}.id", 1), login, node_id, kind)


def contributor(entry: Any) -> Contributor:
    item = P.obj(entry, "contributor")
    commits = P.integer(item.get("contributions"), "contributor.contributions")
    if item.get("type") == ANONYMOUS:
        return Contributor(None, commits)
    return Contributor(account(item, "contributor"), commits)


def pull_request(entry: Any) -> PullRequest:
    item = P.obj(entry, "pull")
    user = item.get("user")
    updated = P.iso_time(item.get("updated_at"), "pull.updated_at")
    if updated is None:
        raise PayloadError("pull.updated_at: missing")
    author = None if user is None else account(user, "pull.user")
    if author is not None and (author.login.lower(), author.id) == GHOST:
        author = None
    return PullRequest(
        P.integer(item.get("number"), "pull.number", 1),
        author,
        updated,
        P.iso_time(item.get("merged_at"), "pull.merged_at"),
    )


def next_url(link: str | None) -> str | None:
    """The `rel="next"` URL of a Link header (None on the last page)."""
    found = _NEXT.search(link or "")
    return found.group(1) if found else None


def subject(entry: Mapping[str, Any], key: str) -> str | None:
    """The account id a list entry describes (its raw record's subject), best effort."""
    value = entry.get(key) if key else entry
    if isinstance(value, Mapping) and isinstance(value.get("id"), int):
        return str(value["id"])
    return None


@dataclass(slots=True)
class Merged:
    """One author's merged pull requests on a page: how many, the latest, and the account."""

    account: Account
    count: int = 0
    last: datetime | None = None


def tally(
    pulls: Iterable[PullRequest], since: datetime | None, until: datetime | None
) -> dict[int, Merged]:
    """Merged pull requests by author, for those merged after `since` and by `until` (the walk's
    window; None: open). Bots and deleted authors are not counted."""
    out: dict[int, Merged] = {}
    for pull in pulls:
        merged, author = pull.merged_at, pull.author
        if merged is None or author is None or author.bot or author.type != USER:
            continue
        if (since is not None and merged <= since) or (until is not None and merged > until):
            continue
        row = out.setdefault(author.id, Merged(author))
        row.count += 1
        row.last = merged if row.last is None else max(row.last, merged)
    return out
