"""storage.export: one person's whole record as JSON, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from test_forget import PAGE_KEY, seed

from storage.db import open_database, session_scope
from storage.export import export_person, to_json
from storage.person import resolve_person


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def exported(engine, ref: str, whole_person: bool = True) -> dict:
    with session_scope(engine) as session:
        document = export_person(session, resolve_person(session, ref, whole_person=whole_person))
    return json.loads(to_json(document))  # valid JSON, whatever the types stored


def test_export_has_every_section_of_the_whole_person(engine):
    seed(engine)
    doc = exported(engine, "kaggle:anadev")
    assert doc["request"] == "kaggle:anadev" and doc["exported_at"].endswith("+00:00")
    by_source = {p["source"]: p for p in doc["profiles"]}
    assert set(by_source) == {"github", "stackoverflow", "kaggle"}
    github, so, kaggle = by_source["github"], by_source["stackoverflow"], by_source["kaggle"]
    assert (so["site"], github["site"]) == ("stackoverflow", None)  # which Stack Exchange site
    # All stored fields, contact fields included: it is the person's own data.
    assert github["handle"] == "AnaDev" and github["email"] == "ana@example.org"
    assert github["first_seen"].startswith("2026-06-01")
    assert [r["name"] for r in github["repositories"]] == ["torch-tricks"]
    assert so["so_tag_stats"] == [
        {
            "tag": "pytorch",
            "answer_count": 12,
            "answer_score": 80,
            "question_count": 0,
            "question_score": 0,
        }
    ]
    assert kaggle["kaggle_achievements"][0]["category"] == "Competitions"
    assert kaggle["kaggle_achievements"][0]["gold"] == 2
    location = github["location"]
    assert location["regions"] == ["eastern-europe"] and location["evidence"] == {"text": "Kyiv"}
    assert location["resolution"]["country"] == "UA"
    assert kaggle["location"] is None
    assert [(t["skill"], t["evidence"]) for t in github["skill_tags"]] == [("pytorch", {"n": 1})]
    assert github["identity_link"]["method"] == "explicit"
    assert github["identity_link"]["evidence"] == {"text": "links to each other"}
    assert len(github["link_rejections"]) == 1
    assert [c["profile_b_id"] for c in github["link_confirmations"]] == [kaggle["id"]]
    [candidate] = doc["candidates"]
    assert candidate["id"] == 1 and candidate["display_name"] == "Ana"
    assert [s["score"] for s in candidate["scores"]] == [89.0]
    assert candidate["shortlist_entries"][0]["shortlist"] == "kyiv-ml"
    assert candidate["feedback_labels"][0]["decision"] == "contacted"
    raw = {(r["source"], r["endpoint"], r["key"]) for r in doc["raw_records"]}
    assert ("github", "rest:/users/repos", "ana-old") in raw  # under the login she had before
    assert ("github", "graphql:search", "bob") not in raw
    assert ("kaggle", "Users.csv", "901") in raw and ("kaggle", "Users.csv", "9012") not in raw
    [page] = [r for r in doc["raw_records"] if r.get("shared_page")]
    assert page["key"] == PAGE_KEY
    assert [e["user"]["user_id"] for e in page["entries"]] == [501]  # not Bob's entry
    assert "payload" not in page
    streams = {c["stream"]: c["entries"] for c in doc["crawl_state"]}
    assert streams["top-answerers"] == [{"user_id": "501", "score": [12, 80]}]
    assert streams["profiles"] == [{"done_id": 501}]


def test_export_of_one_account_leaves_out_the_linked_ones(engine):
    seed(engine)
    doc = exported(engine, "github:bob", whole_person=False)
    assert [p["handle"] for p in doc["profiles"]] == ["bob"]
    # The candidate the account belongs to is part of what is held on it.
    assert [c["id"] for c in doc["candidates"]] == [2]
    assert doc["crawl_state"] == [] and all(r["key"] == "bob" for r in doc["raw_records"])
