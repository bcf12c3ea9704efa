"""The Stack Exchange parser: documented API objects to typed items."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.stackexchange.parse import (
    TagScore,
    about_me_links,
    merge_tag_strength,
    parse_top_answerers,
    parse_top_tags,
    parse_user_tags,
    parse_users,
)
from storage.items import SOTagItem

SEEN = datetime(2026, 3, 1, tzinfo=UTC)

# Shapes from https://api.stackexchange.com/docs/types/user (safe filter: HTML-encoded strings).
USER = {
    "badge_counts": {"bronze": 40, "silver": 12, "gold": 2},
    "account_id": 9911,
    "last_modified_date": 1767225600,
    "reputation": 15230,
    "creation_date": 1388534400,
    "user_type": "registered",
    "user_id": 1234,
    "about_me": '<p>ML engineer. <a href="https://github.com/anna-k" rel="nofollow">GitHub</a>'
    " and https://www.kaggle.com/annak.</p>",
    "location": "Krak&#243;w, Poland",
    "website_url": "https://anna.dev",
    "link": "https://stackoverflow.com/users/1234/anna-k",
    "display_name": "Anna K&#39;s",
}


def test_user_becomes_profile_with_identity_fields():
    parsed = parse_users([USER], SEEN, {1234: [SOTagItem("pytorch", 50, 300)]})
    (item,) = parsed.profiles
    assert item.source == "stackoverflow" and item.external_id == "1234"
    assert item.name == "Anna K's" and item.handle == "Anna K's"
    assert item.location_raw == "Kraków, Poland"
    assert item.website == "https://anna.dev"
    assert item.profile_url == "https://stackoverflow.com/users/1234/anna-k"
    assert item.reputation == 15230
    assert item.created_at == datetime(2014, 1, 1, tzinfo=UTC)
    assert item.extra is not None
    assert item.extra["account_id"] == 9911
    assert item.extra["badge_counts"] == {"bronze": 40, "silver": 12, "gold": 2}
    assert item.extra["about_me_links"] == [
        "https://github.com/anna-k",
        "https://www.kaggle.com/annak",
    ]
    assert item.so_tags == [SOTagItem("pytorch", 50, 300)]


def test_deleted_users_are_skipped_and_counted():
    gone = {"user_id": 77, "user_type": "does_not_exist", "display_name": "user77"}
    parsed = parse_users([gone, USER], SEEN)
    assert [p.external_id for p in parsed.profiles] == ["1234"]
    assert parsed.skipped_deleted == [77]
    assert parsed.profiles[0].so_tags is None  # tags not described: keep what is stored


def test_top_answerers_tag_scores():
    items = [
        {
            "user": {"user_id": 1, "user_type": "registered", "display_name": "a"},
            "post_count": 40,
            "score": 210,
        },
        {
            "user": {"user_type": "does_not_exist", "display_name": "gone"},
            "post_count": 3,
            "score": 9,
        },
    ]
    assert parse_top_answerers(items, "pytorch") == [TagScore(1, "pytorch", 40, 210, "a")]


def test_tags_and_top_tags_merge_most_detailed_first():
    counts = parse_user_tags(
        [
            {"user_id": 1, "name": "python", "count": 80},
            {"user_id": 1, "name": "pytorch", "count": 45},
        ]
    )
    top = parse_top_tags(
        [
            {
                "user_id": 1,
                "tag_name": "pytorch",
                "answer_count": 40,
                "answer_score": 200,
                "question_count": 5,
                "question_score": 7,
            }
        ]
    )
    merged = merge_tag_strength(
        [TagScore(1, "pytorch", 40, 210), TagScore(1, "keras", 12, 30)], top[1], counts[1]
    )
    by_tag = {t.tag: t for t in merged}
    assert by_tag["pytorch"] == SOTagItem("pytorch", 40, 200, 5, 7)
    assert by_tag["keras"] == SOTagItem("keras", 12, 30)
    assert by_tag["python"] == SOTagItem("python", 80)


def test_about_me_links_handles_empty_and_duplicates():
    assert about_me_links(None) == []
    text = '<a href="https://x.io/a">https://x.io/a</a>'
    assert about_me_links(text) == ["https://x.io/a"]
