"""storage.fit: what PostgreSQL would refuse is fitted before the write, alike on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from config.errors import PayloadError
from storage import db as storage_db
from storage.fit import JSON_DEPTH, fit_json, fit_rows, plan
from storage.items import KaggleAchievementItem, ProfileItem, RawItem, RepositoryItem, SOTagItem
from storage.models import KaggleAchievement, Profile, RawRecord, Repository, SOTagStat
from storage.save import content_sha, save_profiles, save_raw

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HUGE = 10**30


def nested(depth: int):
    value: object = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def hostile_profile() -> ProfileItem:
    return ProfileItem(
        source="github",
        external_id="1",
        seen_at=T0,
        handle="h" * 5000,
        name="N\x00ame " + "é" * 10_000,
        bio="bio\x00 with NUL",
        location_raw="\u202eKyiv\u200b",
        company="c\ud800",  # a lone surrogate (stdlib json lets "\ud800" through)
        followers=HUGE,
        reputation=-(2**70),
        extra={"following": HUGE, "note\x00": "a\x00b", "deep": nested(300), "nan": float("nan")},
        repositories=[RepositoryItem(name="r" * 300, stars=2**40, topics=["t\x00"])],
    )


def test_limits_come_from_the_models():
    profile = plan(Profile.__table__)
    strings = {name: limit for name, _label, limit in profile.strings}
    assert strings["name"] == 300 and strings["website"] == 500 and strings["handle"] == 200
    assert strings["bio"] > 10**9  # Text: no length, only NUL and surrogates fitted
    assert {name: high for name, _l, _low, high in profile.integers}["followers"] == 2**31 - 1
    assert profile.json == ("extra",)
    assert {n for n, *_ in plan(RawRecord.__table__).strings} >= {"key", "endpoint", "etag"}


def test_every_value_of_a_hostile_profile_is_stored_alike(db_url):
    engine = storage_db.open_database(db_url)
    with storage_db.session_scope(engine) as session:
        save_profiles(session, [hostile_profile()])
    with storage_db.session_scope(engine) as session:
        row = session.scalars(select(Profile)).one()
        repo = session.scalars(select(Repository)).one()
    assert len(row.handle) == 200 and row.name == "Name " + "é" * 295
    assert row.bio == "bio with NUL" and row.location_raw == "\u202eKyiv\u200b"  # RTL kept
    assert row.company == "c\ufffd"
    assert (row.followers, row.reputation) == (2**31 - 1, -(2**31))
    assert row.extra["following"] == 2**63 - 1 and row.extra["note"] == "ab"
    assert row.extra["nan"] is None
    depth, value = 0, row.extra["deep"]
    while isinstance(value, list):
        depth, value = depth + 1, value[0]
    assert depth == JSON_DEPTH - 1 and value is None  # cut where the encoder would stop
    assert (len(repo.name), repo.stars, repo.topics) == (200, 2**31 - 1, ["t"])
    # The hash kept is the fitted content's, so an unchanged hostile profile stays unchanged.
    assert row.content_sha == content_sha(hostile_profile())
    engine.dispose()


def test_raw_records_with_nul_and_huge_integers_are_stored_once(db_url):
    engine = storage_db.open_database(db_url)
    payload = {"login": "x\x00y", "followers": {"totalCount": HUGE}, "list": [-(2**70)]}
    raw = RawItem("github", "graphql:search", "k" * 400, T0, payload, subject="1")
    for _ in range(2):
        with storage_db.session_scope(engine) as session:
            save_raw(session, [raw])
    with storage_db.session_scope(engine) as session:
        stored = session.scalars(select(RawRecord)).all()
    assert len(stored) == 1 and len(stored[0].key) == 300
    assert stored[0].payload == {
        "login": "xy",
        "followers": {"totalCount": 2**63 - 1},
        "list": [-(2**63)],
    }
    engine.dispose()


def test_children_of_every_kind_are_fitted(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    item = ProfileItem(
        source="stackoverflow",
        external_id="7",
        seen_at=T0,
        so_tags=[SOTagItem(tag="t" * 500, answer_count=HUGE, answer_score=-HUGE)],
        kaggle=[KaggleAchievementItem(category="Competitions\x00", points=np.int64(2**40))],
    )
    with storage_db.session_scope(engine) as session:
        save_profiles(session, [item])
    with storage_db.session_scope(engine) as session:
        tag = session.scalars(select(SOTagStat)).one()
        medal = session.scalars(select(KaggleAchievement)).one()
    assert (len(tag.tag), tag.answer_count, tag.answer_score) == (100, 2**31 - 1, -(2**31))
    assert (medal.category, medal.points) == ("Competitions", 2**31 - 1)
    engine.dispose()


def test_a_value_of_the_wrong_type_is_named_not_stored():
    rows = [{"name": ["a list"], "followers": 1}]
    with pytest.raises(PayloadError, match=r"profiles\.name: list where text belongs"):
        fit_rows(Profile, rows)
    with pytest.raises(PayloadError, match=r"profiles\.followers: str where an integer"):
        fit_rows(Profile, [{"followers": "12"}])


def test_json_that_needs_nothing_is_returned_as_is():
    value = {"a": [1, "b", None, 2.5], "c": {"d": True}}
    assert fit_json(value) is value
    assert fit_json({"k": "\x00"}) == {"k": ""}
