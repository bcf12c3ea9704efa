"""Raw records back to profiles: the saves the crawls made, replayed from what they stored.

Pure functions over one key's raw records (ordered by fetch time), with the same parsers the
crawlers use; `scout rebuild` saves what they return. Which records make one profile, newest
response winning:
- GitHub: the newest user record (a `graphql:search` node, or `rest:/users` with the
  `rest:/users/repos` of the same lookup). A REST refresh kept the stored repositories and
  hashed no children, so the response that described them is replayed first, then the refresh.
- Stack Overflow: the newest `/users/{ids}` record (the user with its tag answers, tags and
  top-answer-tags as the crawl joined them), of the site its key "{site}:{user_id}" names.
  Discovery pages are context already folded in.
- Hugging Face Hub: the newest author record (overview with the author's models, datasets and
  Spaces, as the crawl joined them).
Kaggle raw records hold only row hashes: nothing to replay (see crawlers.kaggle.run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.errors import PayloadError
from config.sites import DEFAULT_SITE, user_key
from config.sites import SOURCE as SE_SOURCE
from crawlers import payload as P
from crawlers.github import parse as gh
from crawlers.huggingface import parse as hf
from crawlers.stackexchange import parse as so
from storage.items import ProfileItem, RepositoryItem
from storage.suppress import is_suppressed

GH_USER = ("graphql:search", "rest:/users")
GH_REPOS = "rest:/users/repos"
# A repository's contributor and pull-request entries (crawlers/github/contributors.py): what
# the contributions rows came from, never a profile of their own.
GH_CONTEXT = ("rest:/repos/contributors", "rest:/repos/pulls")
SO_USERS = "/users/{ids}"
SO_CONTEXT = ("/tags/{tag}/top-answerers/{period}",)


@dataclass(slots=True)
class Raw:
    """One raw record as read back from raw_records."""

    endpoint: str
    key: str
    fetched_at: datetime
    etag: str | None
    payload: Any


class Unparseable(PayloadError):
    """Raw records no parser can read: counted with the reason, never fatal."""


class Skipped(Exception):
    """Raw records that are not a profile by design (an org, a bot, a suppressed person)."""

    def __init__(self, reason: str, records: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.records = records


# One key's raw records (oldest first) and the suppression hashes -> the saves, oldest first.
Replay = Callable[[Sequence[Raw], set[str]], list[ProfileItem]]


def _latest(records: Sequence[Raw], keep: Callable[[Raw], bool]) -> Raw | None:
    found = [r for r in records if keep(r)]
    return found[-1] if found else None


def _object(record: Raw) -> dict[str, Any]:
    if not isinstance(record.payload, dict):
        raise Unparseable(f"{record.endpoint} payload is not a JSON object")
    return record.payload


def _repositories(record: Raw) -> list[RepositoryItem]:
    listed = record.payload
    if isinstance(listed, dict):
        connection = P.opt_obj(listed.get("repositories"), "repositories") or {}
        listed = P.array(connection.get("nodes"), "repositories.nodes")
    if not isinstance(listed, list):
        raise Unparseable(f"{record.endpoint} payload is not a list of repositories")
    return gh.parse_repositories(listed)


def _gh_item(user: Raw, repos: Raw | None) -> ProfileItem:
    rest = user.endpoint.startswith("rest:")
    item = gh.parse_user(_object(user), user.fetched_at, etag=user.etag if rest else None)
    if item is None:
        raise Unparseable("the GitHub parser returned nothing")
    if repos is not None:
        item.repositories = _repositories(repos)
    return item


def _describes_repos(record: Raw) -> bool:
    if record.endpoint == GH_REPOS:
        return True
    payload = record.payload
    graphql = record.endpoint == "graphql:search" and isinstance(payload, dict)
    return graphql and payload.get("repositories") is not None


def github_saves(records: Sequence[Raw], hashes: set[str]) -> list[ProfileItem]:
    """The saves the crawls made for one login (at most two: see the module docstring)."""
    user = _latest(records, lambda r: r.endpoint in GH_USER)
    if user is None and all(r.endpoint in GH_CONTEXT for r in records):
        raise Skipped("list_entries", len(records))
    if user is None:
        known = {r.endpoint for r in records} <= {GH_REPOS}
        raise Unparseable(
            "repositories without a user record" if known else "unknown GitHub endpoint"
        )
    node = _object(user)
    why = gh.classify(node)
    if why == gh.DROP_INVALID:
        raise Unparseable("user record without a login or an id")
    if why is not None:
        raise Skipped(why)
    if hashes and is_suppressed(hashes, gh.SOURCE, node.get("login"), gh.external_id(node)):
        raise Skipped("suppressed")
    if _describes_repos(user):
        return [_gh_item(user, None)]
    # A lookup stores the user and their repositories with one fetch time.
    paired = _latest(records, lambda r: r.endpoint == GH_REPOS and r.fetched_at == user.fetched_at)
    if paired is not None:
        return [_gh_item(user, paired)]
    final = _gh_item(user, None)
    older = _latest(records, _describes_repos)
    if older is None:
        return [final]
    if older.endpoint == GH_REPOS:
        base = _latest(
            records, lambda r: r.endpoint == "rest:/users" and r.fetched_at == older.fetched_at
        )
        first = _gh_item(base or user, older)
    else:
        first = _gh_item(older, None)
    return [first, final] if first.external_id == final.external_id else [final]


def stackoverflow_saves(records: Sequence[Raw], hashes: set[str]) -> list[ProfileItem]:
    """The newest /users/{ids} record: the user with every tag signal the crawl joined."""
    newest = _latest(records, lambda r: r.endpoint == SO_USERS)
    if newest is None:
        if all(r.endpoint in SO_CONTEXT for r in records):
            raise Skipped("discovery_pages", len(records))
        raise Unparseable("unknown Stack Exchange endpoint")
    record = _object(newest)
    user = record.get("user")
    if not isinstance(user, dict):
        raise Unparseable("record without a user object")
    if so.is_gone(user):
        raise Skipped("deleted")
    link = user.get("link")
    site = newest.key.rpartition(":")[0] or DEFAULT_SITE  # the key is "{site}:{user_id}"
    keys = (user_key(site, so.user_id(user)), link if isinstance(link, str) else None)
    if hashes and is_suppressed(hashes, SE_SOURCE, *keys):
        raise Skipped("suppressed")
    item = so.parse_record(record, newest.fetched_at, site)
    if item is None:
        raise Unparseable("the Stack Exchange parser returned nothing")
    return [item]


def huggingface_saves(records: Sequence[Raw], hashes: set[str]) -> list[ProfileItem]:
    """The newest author record: the overview with every item the crawl listed."""
    newest = records[-1] if records else None
    if newest is None:
        raise Unparseable("no Hub record")
    record = _object(newest)
    username = hf.username_of(record)
    if hashes and is_suppressed(hashes, hf.SOURCE, username, hf.profile_url(username)):
        raise Skipped("suppressed")
    return [hf.parse_record(record, newest.fetched_at)]


REPLAYS: dict[str, Replay] = {
    gh.SOURCE: github_saves,
    SE_SOURCE: stackoverflow_saves,
    hf.SOURCE: huggingface_saves,
}


def replay(source: str, records: Sequence[Raw], hashes: set[str]) -> list[ProfileItem]:
    """One key's saves; a record the parsers refuse (PayloadError) becomes Unparseable with
    the parser's reason. Any other exception is a bug, and not hidden."""
    try:
        return REPLAYS[source](records, hashes)
    except (Unparseable, Skipped):
        raise
    except PayloadError as exc:
        raise Unparseable(str(exc)) from exc
