"""storage/contributions.py on SQLite and PostgreSQL: commits set from a contributor list,
merged pull requests added page by page, a walk's end, and nothing for profiles not stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import contributions as store
from storage.db import open_database, session_scope
from storage.items import ProfileItem
from storage.models import Contribution, Profile
from storage.save import save_profiles

T0 = datetime(2026, 6, 1, tzinfo=UTC)
REPO = "mlflow/mlflow"


def _profiles(engine, ids):
    items = [ProfileItem(source="github", external_id=i, seen_at=T0, handle=f"u{i}") for i in ids]
    with session_scope(engine) as session:
        save_profiles(session, items)


def _rows(engine):
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                Profile.external_id,
                Contribution.repo,
                Contribution.commits,
                Contribution.merged_prs,
                Contribution.last_merged_at,
            ).join(Profile, Profile.id == Contribution.profile_id)
        ).all()
    return {(e, r): (c, m, t) for e, r, c, m, t in rows}


def test_a_walk_sets_commits_adds_merges_and_ends(db_url):
    engine = open_database(db_url)
    _profiles(engine, ["1", "2", "3"])
    with session_scope(engine) as session:
        assert store.set_commits(session, REPO, {"1": 5, "2": 1, "404": 9}, T0) == 2
        store.set_commits(session, "other/repo", {"1": 2}, T0)
    with session_scope(engine) as session:  # two pull pages, one per transaction
        store.reset_merged(session, REPO)
        store.add_merged(session, REPO, {"1": (2, T0 - timedelta(days=3))}, T0)
    with session_scope(engine) as session:
        store.add_merged(
            session, REPO, {"1": (1, T0 - timedelta(days=9)), "3": (1, T0 - timedelta(days=1))}, T0
        )
    got = _rows(engine)
    assert got[("1", REPO)][:2] == (5, 3) and got[("1", REPO)][2] == T0 - timedelta(days=3)
    assert got[("3", REPO)][:2] == (0, 1)  # a merged pull request without a listed commit
    assert ("404", REPO) not in got  # no stored profile, no row

    # The next walk: "2" is no longer listed; the pull requests are read afresh.
    later = T0 + timedelta(days=7)
    with session_scope(engine) as session:
        store.set_commits(session, REPO, {"1": 6}, later)
        store.end_of_list(session, REPO, later)
        store.reset_merged(session, REPO)
        store.add_merged(session, REPO, {"1": (4, later)}, later)
        store.drop_empty(session, REPO)
    got = _rows(engine)
    assert got == {
        ("1", REPO): (6, 4, later),
        ("1", "other/repo"): (2, 0, None),
    }
    engine.dispose()
