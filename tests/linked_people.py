"""Ana and Bob, two linked people (GitHub, Stack Overflow, Kaggle) with everything enrichment,
scoring, feedback and the crawl cursors hang off them, built by hand with the savers the
crawlers use (so the raw-record keys are the crawlers' own): the database the tests of
storage/forget.py and storage/person.py delete from and resolve in.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage.db import session_scope
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
    ProfileLocation,
    Score,
    Shortlist,
    ShortlistEntry,
    SkillTag,
)
from storage.save import save_profiles, save_raw

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
