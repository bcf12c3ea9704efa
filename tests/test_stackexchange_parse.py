"""The Stack Exchange parser: documented API objects to typed items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.errors import PayloadError
from crawlers.stackexchange.parse import (
    TagScore,
    about_me_links,
    item_id,
    merge_tag_strength,
    parse_answer_owner,
    parse_question_ref,
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


def test_a_user_of_another_site_is_keyed_by_that_site():
    user = {**USER, "link": "https://datascience.stackexchange.com/users/1234/anna-k"}
    (item,) = parse_users([user], SEEN, site="datascience").profiles
    assert item.source == "stackoverflow" and item.external_id == "datascience:1234"
    assert item.profile_url == "https://datascience.stackexchange.com/users/1234/anna-k"
    (same,) = parse_users([USER], SEEN, site="stackoverflow").profiles
    assert same.external_id == "1234"  # Stack Overflow's ids stay as they always were


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


# https://api.stackexchange.com/docs/types/answer (the Typical example's fields).
ANSWER = {
    "owner": {
        "account_id": 5947562,
        "reputation": 4229,
        "user_id": 4676641,
        "user_type": "registered",
        "display_name": "cam",
    },
    "is_accepted": False,
    "score": 1,
    "last_activity_date": 1616609814,
    "creation_date": 1616609814,
    "answer_id": 66786986,
    "question_id": 66786311,
    "content_license": "CC BY-SA 4.0",
}


def test_answers_and_questions_give_what_discovery_needs():
    owner = parse_answer_owner(ANSWER)
    assert (owner.answer_id, owner.question_id, owner.score) == (66786986, 66786311, 1)
    assert (owner.user_id, owner.reputation) == (4676641, 4229)
    deleted = {**ANSWER, "owner": {"user_type": "does_not_exist", "display_name": "user1"}}
    community = {**ANSWER, "owner": {**ANSWER["owner"], "user_id": -1}}
    for nobody in (deleted, community, {k: v for k, v in ANSWER.items() if k != "owner"}):
        assert parse_answer_owner(nobody).user_id is None
    assert parse_answer_owner({**ANSWER, "score": -3}).score == -3
    question = {"question_id": 7, "answer_count": 2, "last_activity_date": 1616609814}
    assert parse_question_ref({**question, "title": "x"}).last_activity == 1616609814


@pytest.mark.parametrize(
    "broken",
    [
        {**ANSWER, "score": "1"},
        {**ANSWER, "answer_id": None},
        {**ANSWER, "owner": "cam"},
        {**ANSWER, "owner": {**ANSWER["owner"], "reputation": -5}},
        {**ANSWER, "question_id": True},
        [ANSWER],
    ],
)
def test_an_answer_that_is_not_as_documented_is_a_payload_error(broken):
    with pytest.raises(PayloadError) as error:
        parse_answer_owner(broken)
    assert "cam" not in str(error.value)  # fields are named, values never
    assert item_id(broken, "answer_id") in ("66786986", "?")


def test_a_question_that_is_not_as_documented_is_a_payload_error():
    for broken in ({"question_id": 7, "answer_count": "2"}, {"question_id": 7}, None):
        with pytest.raises(PayloadError):
            parse_question_ref(broken)
