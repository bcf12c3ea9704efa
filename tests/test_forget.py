"""storage.forget: who a reference names, what deleting a person removes, purge by last_seen.

Every test runs on SQLite and PostgreSQL (db_url). `seed` builds a small database by hand
with the same savers the crawlers use, so the raw-record keys are the crawlers' own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update

from config.errors import ScoutError
from storage.db import open_database, session_scope
from storage.forget import delete_people, purge
from storage.items import (
    KaggleAchievementItem,
    ProfileItem,
    RawItem,
    RepositoryItem,
    SOTagItem,
)
from storage.models import (
    ALL_TABLES,
    Candidate,
    CandidateProfile,
    CrawlState,
    FeedbackLabel,
    LinkConfirmation,
    LinkRejection,
    Location,
    Profile,
    ProfileLocation,
    RawRecord,
    RawRecordEntry,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
    Suppression,
)
from storage.person import parse_ref, resolve_person
from storage.save import save_profiles, save_raw
from storage.suppress import is_suppressed, suppressed_hashes

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PAGE_KEY = "stackoverflow:pytorch:all_time:page=1"


def _profiles(now: datetime) -> list[ProfileItem]:
    return [
        ProfileItem(
            "github",
            "101",
            now,
            handle="AnaDev",
            name="Ana Kovalenko",
            location_raw="Kyiv, Ukraine",
            email="ana@example.org",
            profile_url="https://github.com/AnaDev",
            repositories=[RepositoryItem("torch-tricks", language="Python", stars=40)],
        ),
        ProfileItem(
            "stackoverflow",
            "501",
            now,
            handle="Ana K",
            location_raw="Anatown, Ukraine",
            profile_url="https://stackoverflow.com/users/501/ana-k",
            so_tags=[SOTagItem("pytorch", answer_count=12, answer_score=80)],
        ),
        ProfileItem(
            "kaggle",
            "901",
            now,
            handle="anadev",
            name="Ana K",
            kaggle=[KaggleAchievementItem("Competitions", tier=3, gold=2)],
        ),
        ProfileItem("github", "102", now, handle="bob", name="Bob", location_raw="Kyiv, Ukraine"),
        ProfileItem("stackoverflow", "502", now, handle="Bob", location_raw="Kyiv, Ukraine"),
        ProfileItem("github", "103", now, handle="ana-old", name="Someone Else"),
    ]


def _raw(now: datetime) -> list[RawItem]:
    page = {
        "items": [
            {"user": {"user_id": 501, "display_name": "Ana K"}, "post_count": 12, "score": 80},
            {"user": {"user_id": 502, "display_name": "Bob"}, "post_count": 3, "score": 9},
        ],
        "has_more": False,
    }
    gh, so, kaggle = "github", "stackoverflow", "kaggle"
    answerers = "/tags/{tag}/top-answerers/{period}"
    # Each record says whom it describes, as the crawlers that saved it say (subject, entries).
    return [
        RawItem(gh, "graphql:search", "anadev", now, {"databaseId": 101}, subject="101"),
        # Ana's login before a rename, and the repositories fetched under it...
        RawItem(gh, "rest:/users", "ana-old", now, {"id": 101}, subject="101"),
        RawItem(gh, "rest:/users/repos", "ana-old", now, [{"owner": {"id": 101}}], subject="101"),
        # ...which someone else took afterwards: theirs stays.
        RawItem(gh, "graphql:search", "ana-old", now, {"databaseId": 103}, subject="103"),
        RawItem(gh, "graphql:search", "bob", now, {"databaseId": 102}, subject="102"),
        RawItem(so, "/users/{ids}", "stackoverflow:501", now, {"user": {"id": 501}}, subject="501"),
        RawItem(so, "/users/{ids}", "stackoverflow:502", now, {"user": {"id": 502}}, subject="502"),
        RawItem(
            so,
            answerers,
            PAGE_KEY,
            now,
            page,
            subject=None,
            entries={"501": "/items/0", "502": "/items/1"},
        ),
        RawItem(kaggle, "Users.csv", "901", now, {"row_sha": "a"}, subject="901"),
        RawItem(kaggle, "Users.csv", "9012", now, {"row_sha": "b"}, subject="9012"),
    ]


def seed(engine, now: datetime = NOW) -> dict[str, int]:
    """Ana (GitHub, SO, Kaggle: candidate 1) and Bob (GitHub, SO: candidate 2), with everything
    enrichment and scoring would hang off them; returns profile ids by source:external_id."""
    with session_scope(engine) as session:
        keys = save_profiles(session, _profiles(now))
        save_raw(session, _raw(now))
        ids = {f"{s}:{e}": pid for (s, e), pid in keys.items()}
        session.add_all([Candidate(id=1, display_name="Ana"), Candidate(id=2, display_name="Bob")])
        session.add(Candidate(id=3, display_name="Someone Else"))
        members = {
            "github:101": 1,
            "stackoverflow:501": 1,
            "kaggle:901": 1,
            "github:102": 2,
            "stackoverflow:502": 2,
            "github:103": 3,
        }
        for ref, cid in members.items():
            session.add(
                CandidateProfile(
                    candidate_id=cid,
                    profile_id=ids[ref],
                    method="explicit",
                    confidence=0.95,
                    evidence={"text": "links to each other"},
                )
            )
        session.add_all(
            [
                Location(text="Kyiv, Ukraine", status="resolved", country="UA"),
                Location(text="Anatown, Ukraine", status="resolved", country="UA"),
            ]
        )
        for ref in ("github:101", "stackoverflow:501", "github:102"):
            session.add(
                ProfileLocation(
                    profile_id=ids[ref],
                    location_text="Kyiv, Ukraine",
                    country="UA",
                    regions=["eastern-europe"],
                    confidence=0.9,
                    evidence={"text": "Kyiv"},
                )
            )
            session.add(
                SkillTag(profile_id=ids[ref], skill="pytorch", strength=2.0, evidence={"n": 1})
            )
        session.add(Shortlist(id=1, name="kyiv-ml", params={}))
        session.flush()
        for cid, rank in ((1, 1), (2, 2)):
            session.add(
                Score(
                    candidate_id=cid,
                    model_version="h1",
                    score=90.0 - rank,
                    features={},
                    explanation={},
                )
            )
            session.add(ShortlistEntry(shortlist_id=1, candidate_id=cid, rank=rank, score=1.0))
            session.add(
                FeedbackLabel(
                    candidate_id=cid, decision="contacted", label=1.0, source_file="kyiv.csv"
                )
            )
        session.add(LinkRejection(profile_a_id=ids["github:101"], profile_b_id=ids["github:102"]))
        session.add(
            LinkConfirmation(profile_a_id=ids["github:101"], profile_b_id=ids["kaggle:901"])
        )
        session.add_all(
            [
                CrawlState(
                    source="stackoverflow",
                    stream="top-answerers",
                    partition="stackoverflow:pytorch:all_time",
                    cursor={
                        "gen": 1,
                        "page": 2,
                        "done": True,
                        "scores": {"501": [12, 80], "502": [3, 9]},
                    },
                ),
                CrawlState(
                    source="stackoverflow",
                    stream="profiles",
                    partition="stackoverflow:all_time",
                    cursor={"gen": 1, "done": True, "done_ids": [501, 502]},
                ),
                CrawlState(
                    source="stackoverflow",
                    stream="answers",
                    partition="stackoverflow:min_score=1",
                    cursor={
                        "tags": {"pytorch": {"min": 5, "page": 1, "edge": [9], "holds": 0}},
                        "pending": {"501": 40, "777": 12},
                    },
                ),
            ]
        )
    return ids


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in ALL_TABLES
        }


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def test_references_are_read_strictly():
    assert parse_ref("gh:Octo") == ("github", "Octo")
    assert parse_ref("SO:42") == ("stackoverflow", "42")
    assert parse_ref("https://stackoverflow.com/users/42/someone") == ("stackoverflow", "42")
    assert parse_ref("https://www.kaggle.com/anadev") == ("kaggle", "anadev")
    assert parse_ref("https://github.com/AnaDev/") == ("github", "AnaDev")
    assert parse_ref("candidate:7") == ("candidate", "7")
    # A display name is a reference too; resolving it refuses namesakes (tests/test_person.py).
    assert parse_ref("so:Jessica Brown") == ("stackoverflow", "Jessica Brown")
    # Another Stack Exchange site's user: its stored key, or its page.
    assert parse_ref("stackoverflow:datascience:42") == ("stackoverflow", "datascience:42")
    assert parse_ref("so:DataScience.StackExchange.com:42") == ("stackoverflow", "datascience:42")
    assert parse_ref("stackoverflow:stackoverflow:42") == ("stackoverflow", "42")
    assert parse_ref("https://datascience.stackexchange.com/users/42/x") == (
        "stackoverflow",
        "datascience:42",
    )
    for bad, message in (
        ("42", "ambiguous"),
        ("twitter:ana", "cannot read"),
        ("github:", "cannot read"),
        ("profile:ana", "by its number"),
        ("stackoverflow:data science:42", "not a Stack Exchange site"),
        ("candidate:x", "by its number"),
    ):
        with pytest.raises(ScoutError, match=message):
            parse_ref(bad)


def test_a_profile_brings_the_whole_person_unless_asked(engine):
    ids = seed(engine)
    with session_scope(engine) as session:
        person = resolve_person(session, "github:anadev")  # logins are case-insensitive
        assert person.candidate_ids == (1,)
        assert set(person.profile_ids) == {
            ids["github:101"],
            ids["stackoverflow:501"],
            ids["kaggle:901"],
        }
        assert "github:AnaDev (id 101)" in person.labels
        alone = resolve_person(session, "kaggle:ANADEV", whole_person=False)
        assert alone.profile_ids == (ids["kaggle:901"],) and alone.candidate_ids == ()
        assert resolve_person(session, "candidate:2").profile_ids == (
            ids["github:102"],
            ids["stackoverflow:502"],
        )
        for unknown in ("github:nobody", "stackoverflow:999", "candidate:99", "profile:9999"):
            with pytest.raises(ScoutError, match="nothing is held"):
                resolve_person(session, unknown)


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
