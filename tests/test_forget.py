"""storage.forget: what deleting a person removes, purge by last_seen.

Every test runs on SQLite and PostgreSQL (db_url), on the people of tests/linked_people.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from linked_people import NOW, PAGE_KEY, counts, seed
from sqlalchemy import func, select, update

from storage.db import open_database, session_scope
from storage.forget import delete_people, purge
from storage.items import (
    ProfileItem,
    RawItem,
)
from storage.models import (
    Candidate,
    CrawlState,
    Location,
    Profile,
    RawRecord,
    RawRecordEntry,
    Score,
    Suppression,
)
from storage.person import resolve_person
from storage.save import save_profiles, save_raw
from storage.suppress import is_suppressed, suppressed_hashes


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def test_deleting_a_person_removes_everything_of_theirs_and_nothing_else(engine):
    seed(engine)
    before = counts(engine)
    with session_scope(engine) as session:
        person = resolve_person(session, "stackoverflow:501")
        deleted = delete_people(
            session, person.profile_ids, person.candidate_ids, suppress_reason="test"
        )
    after = counts(engine)
    assert deleted["profiles"] == 3 and deleted["candidates"] == 1
    for table in (
        "scores",
        "shortlist_entries",
        "feedback_labels",
        "link_rejections",
        "link_confirmations",
    ):
        assert deleted[table] == 1 and after[table] == before[table] - 1
    assert deleted["candidate_profiles"] == 3 and deleted["repositories"] == 1
    assert deleted["so_tag_stats"] == 1 and deleted["kaggle_achievements"] == 1
    assert deleted["skill_tags"] == 2 and deleted["profile_locations"] == 2
    # graphql:search anadev, rest:/users and repos under the old login, SO /users, Kaggle.
    assert deleted["raw_records"] == 5 and after["raw_records"] == before["raw_records"] - 5
    # Only Ana used "Anatown"; Kyiv is still Bob's.
    assert deleted["locations"] == 1
    with session_scope(engine) as session:
        assert session.scalar(select(Location.text)) == "Kyiv, Ukraine"
        left = set(session.scalars(select(Profile.external_id)))
        assert left == {"102", "502", "103"}
        raw = {(r.source, r.key, r.payload_sha) for r in session.scalars(select(RawRecord))}
        assert {k for _s, k, _p in raw} == {"ana-old", "bob", "stackoverflow:502", PAGE_KEY, "9012"}
        page = session.scalars(select(RawRecord).where(RawRecord.key == PAGE_KEY)).one()
        assert [i["user"]["user_id"] for i in page.payload["items"]] == [502]
        # Bob's entry moved up a place, and the page still says where it is.
        entries = session.execute(select(RawRecordEntry.pointer, RawRecordEntry.subject)).all()
        assert [tuple(e) for e in entries] == [("/items/0", "502")]
        cursors = {c.stream: c.cursor for c in session.scalars(select(CrawlState))}
        assert cursors["top-answerers"]["scores"] == {"502": [3, 9]}
        assert cursors["profiles"]["done_ids"] == [502]
        assert cursors["answers"]["pending"] == {"777": 12}
        assert session.get(Candidate, 2) is not None and session.get(Candidate, 1) is None
        # Every identifier a crawler checks is suppressed, hashed.
        for source, keys in (
            ("github", ("anadev", "101")),
            ("stackoverflow", ("501", "https://stackoverflow.com/users/501/ana-k")),
            ("kaggle", ("ANADEV", "901")),
        ):
            hashes = suppressed_hashes(session, source)
            assert all(is_suppressed(hashes, source, k) for k in keys), source
            assert not is_suppressed(hashes, source, "bob", "102", "502")
        rows = session.scalars(select(Suppression)).all()
        assert all(len(r.key_sha) == 64 and r.reason == "test" for r in rows)  # hashes only
    assert deleted["suppressions"] == 6


def test_one_profile_of_a_linked_person_leaves_the_rest_to_relink(engine):
    ids = seed(engine)
    with session_scope(engine) as session:
        person = resolve_person(session, "kaggle:anadev", whole_person=False)
        deleted = delete_people(session, person.profile_ids)
    assert deleted["profiles"] == 1 and deleted["candidates"] == 0
    assert deleted["profiles_to_relink"] == 2 and "suppressions" not in deleted
    with session_scope(engine) as session:
        assert session.get(Candidate, 1) is not None
        assert session.scalar(select(func.count()).where(Score.candidate_id == 1)) == 1
        enriched = dict(session.execute(select(Profile.id, Profile.enriched_sha)).all())
        assert enriched[ids["github:101"]] is None and enriched[ids["stackoverflow:501"]] is None
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


def test_purge_deletes_only_people_not_seen_since_the_cutoff(engine):
    ids = seed(engine)
    old = NOW - timedelta(days=400)
    with session_scope(engine) as session:
        stale = [ids["github:102"], ids["stackoverflow:502"], ids["github:101"]]
        session.execute(update(Profile).where(Profile.id.in_(stale)).values(last_seen=old))
        # Raw history: an old superseded version goes, the newest version stays however old.
        save_raw(
            session, [RawItem("kaggle", "Users.csv", "9012", NOW, {"row_sha": "c"}, subject="9012")]
        )
        session.execute(update(RawRecord).values(fetched_at=old))
        newest = session.scalar(select(func.max(RawRecord.id)))
        session.execute(update(RawRecord).where(RawRecord.id == newest).values(fetched_at=NOW))
    with session_scope(engine) as session:
        deleted = purge(session, NOW - timedelta(days=365))
    assert deleted["profiles"] == 3
    assert deleted["candidates"] == 1  # Bob's; Ana keeps SO and Kaggle
    assert deleted["raw_records_history"] == 1 and "suppressions" not in deleted
    with session_scope(engine) as session:
        assert set(session.scalars(select(Profile.external_id))) == {"501", "901", "103"}
        kept = session.execute(select(RawRecord.key, RawRecord.payload)).all()
        assert [p for k, p in kept if k == "9012"] == [{"row_sha": "c"}]
        assert {k for k, _p in kept} >= {"stackoverflow:501", "901", PAGE_KEY}
        assert session.get(Candidate, 1) is not None and session.get(Candidate, 2) is None
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


def test_a_user_of_another_site_is_forgotten_apart_from_stackoverflows_user_of_that_number(
    engine,
):
    ids = seed(engine)  # Stack Overflow's user 501 is Ana
    ds_page = "datascience:pytorch:all_time:page=1"
    entries = [{"user": {"user_id": 501}, "score": 4}, {"user": {"user_id": 502}, "score": 2}]
    with session_scope(engine) as session:
        dana = save_profiles(
            session,
            [
                ProfileItem(
                    "stackoverflow",
                    "datascience:501",
                    NOW,
                    handle="Dana",
                    profile_url="https://datascience.stackexchange.com/users/501/dana",
                )
            ],
        )[("stackoverflow", "datascience:501")]
        save_raw(
            session,
            [
                RawItem(
                    "stackoverflow",
                    "/users/{ids}",
                    "datascience:501",
                    NOW,
                    {"user": 501},
                    subject="datascience:501",
                ),
                RawItem(
                    "stackoverflow",
                    "/tags/{tag}/top-answerers/{period}",
                    ds_page,
                    NOW,
                    {"items": entries},
                    subject=None,
                    entries={"datascience:501": "/items/0", "datascience:502": "/items/1"},
                ),
            ],
        )
        session.add(
            CrawlState(
                source="stackoverflow",
                stream="top-answerers",
                partition="datascience:pytorch:all_time",
                cursor={"gen": 1, "scores": {"501": [1, 4], "502": [1, 2]}},
            )
        )
    with session_scope(engine) as session:
        for ref in (
            "stackoverflow:datascience:501",
            "https://datascience.stackexchange.com/users/501/dana",
        ):
            person = resolve_person(session, ref)
            assert person.profile_ids == (dana,)
            assert person.labels == ("stackoverflow:datascience:501",)
        assert resolve_person(session, "stackoverflow:501", whole_person=False).profile_ids == (
            ids["stackoverflow:501"],
        )
        delete_people(session, person.profile_ids, (), suppress_reason="test")
    with session_scope(engine) as session:
        assert session.get(Profile, ids["stackoverflow:501"]) is not None  # Ana stays
        keys = set(session.scalars(select(RawRecord.key)))
        assert "stackoverflow:501" in keys and "datascience:501" not in keys
        pages = {r.key: r.payload for r in session.scalars(select(RawRecord))}
        assert [i["user"]["user_id"] for i in pages[ds_page]["items"]] == [502]
        assert [i["user"]["user_id"] for i in pages[PAGE_KEY]["items"]] == [501, 502]
        scores = {
            c.partition: c.cursor.get("scores")
            for c in session.scalars(select(CrawlState).where(CrawlState.stream == "top-answerers"))
        }
        assert scores == {
            "datascience:pytorch:all_time": {"502": [1, 2]},
            "stackoverflow:pytorch:all_time": {"501": [12, 80], "502": [3, 9]},
        }
        hashes = suppressed_hashes(session, "stackoverflow")
        assert is_suppressed(hashes, "stackoverflow", "datascience:501")
        assert not is_suppressed(hashes, "stackoverflow", "501")


def test_forgetting_a_hub_or_pypi_account_removes_what_it_published(engine):
    # issue 19's children: Hub items, PyPI packages and contributions to major projects
    from storage.items import HubItemRow, PypiPackageRow
    from storage.models import Contribution, HubItem, PypiPackage

    with session_scope(engine) as session:
        ids = save_profiles(
            session,
            [
                ProfileItem(
                    "huggingface",
                    "ana-hf",
                    NOW,
                    handle="ana-hf",
                    hub_items=[HubItemRow("ana-hf/m", "model")],
                ),
                ProfileItem(
                    "pypi", "ana-py", NOW, handle="ana-py", pypi_packages=[PypiPackageRow("anakit")]
                ),
                ProfileItem("github", "77", NOW, handle="ana-gh"),
            ],
        )
        session.add(Contribution(profile_id=ids[("github", "77")], repo="mlflow/mlflow", commits=3))
    with session_scope(engine) as session:
        deleted = delete_people(session, list(ids.values()), [], suppress_reason="test")
        assert deleted["hub_items"] == 1 and deleted["pypi_packages"] == 1
        assert deleted["contributions"] == 1
        for model in (HubItem, PypiPackage, Contribution):
            assert session.scalar(select(func.count()).select_from(model)) == 0
