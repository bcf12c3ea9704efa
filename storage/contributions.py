"""Writes of `contributions` (storage.models.Contribution): a GitHub profile's commits and merged
pull requests in one of the field's major repositories, per (profile, repo).

The contributors crawl walks a repository's contributor list, then its pull requests updated
since its last walk; every call here runs inside the transaction of the page it comes from:

- `set_commits`: a contributor page's commit counts (and `seen_at`) for the profiles it names;
- `end_of_list`: the list is over: profiles it no longer names keep their row with 0 commits;
- `add_merged`: a pull-request page's merged pull requests are added to each author's row
  (each is read once per walk, so nothing is counted twice; `reset_merged` starts a full walk);
- `drop_empty`: rows with neither commits nor merged pull requests are removed.
Profiles are named by external id (source github); ids with no stored profile are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from storage.models import Contribution, Profile

SOURCE = "github"


def profile_ids(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    """Stored GitHub profiles' ids by external id."""
    wanted = list(dict.fromkeys(external_ids))
    out: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Profile.external_id, Profile.id).where(
                Profile.source == SOURCE, Profile.external_id.in_(wanted[start : start + 500])
            )
        )
        out.update({str(ext): int(pid) for ext, pid in rows})
    return out


def _rows(session: Session, repo: str, ids: Iterable[int]) -> dict[int, Contribution]:
    wanted = list(ids)
    out: dict[int, Contribution] = {}
    for start in range(0, len(wanted), 500):
        found = session.scalars(
            select(Contribution).where(
                Contribution.repo == repo, Contribution.profile_id.in_(wanted[start : start + 500])
            )
        )
        out.update({row.profile_id: row for row in found})
    return out


def set_commits(session: Session, repo: str, commits: Mapping[str, int], seen_at: datetime) -> int:
    """Commits per external id, as the contributor list shows them now; rows written."""
    ids = profile_ids(session, commits)
    rows = _rows(session, repo, ids.values())
    for external_id, profile_id in ids.items():
        row = rows.get(profile_id)
        if row is None:
            row = Contribution(profile_id=profile_id, repo=repo, merged_prs=0)
            session.add(row)
        row.commits = commits[external_id]
        row.seen_at = seen_at
    session.flush()
    return len(ids)


def end_of_list(session: Session, repo: str, began: datetime) -> None:
    """The contributor list walked since `began` is over: rows it did not show have 0 commits
    (GitHub lists only the first 500 author e-mails; the rest are anonymous)."""
    session.execute(
        update(Contribution)
        .where(Contribution.repo == repo, Contribution.seen_at < began, Contribution.commits != 0)
        .values(commits=0)
    )


def add_merged(
    session: Session,
    repo: str,
    merged: Mapping[str, tuple[int, datetime | None]],
    seen_at: datetime,
) -> int:
    """Add (merged pull requests, latest merge) per external id to its row; rows written."""
    ids = profile_ids(session, merged)
    rows = _rows(session, repo, ids.values())
    for external_id, profile_id in ids.items():
        count, last = merged[external_id]
        row = rows.get(profile_id)
        if row is None:
            row = Contribution(
                profile_id=profile_id, repo=repo, commits=0, merged_prs=0, seen_at=seen_at
            )
            session.add(row)
        row.merged_prs = (row.merged_prs or 0) + count
        if last is not None and (row.last_merged_at is None or last > row.last_merged_at):
            row.last_merged_at = last
    session.flush()
    return len(ids)


def reset_merged(session: Session, repo: str) -> None:
    """A walk that reads every pull request again starts its counts from zero."""
    session.execute(
        update(Contribution)
        .where(Contribution.repo == repo)
        .values(merged_prs=0, last_merged_at=None)
    )


def drop_empty(session: Session, repo: str) -> None:
    session.execute(
        delete(Contribution).where(
            and_(Contribution.repo == repo, Contribution.commits == 0, Contribution.merged_prs == 0)
        )
    )
