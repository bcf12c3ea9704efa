"""The sandbox's Stack Overflow questions and answers: they add up to every user's tag totals
(so /users/{ids}/tags, top-answer-tags and top-answerers agree with them), their ids grow with
time and name their tag, and a later simulated day keeps every post and adds that day's."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from sandbox.stackexchange_objects import SOIndex
from sandbox.stackexchange_posts import (
    ID_STRIDE,
    NOW0,
    POST_TAGS,
    TAG_INDEX,
    PostIndex,
    split,
    tag_of_post,
)
from sandbox.world_days import world_at

SEED, PEOPLE = 5, 300
DAY = 86400


@pytest.fixture(scope="module")
def days():
    return {day: world_at(SEED, PEOPLE, day) for day in (0, 1, 3)}


def totals(index: PostIndex, tag: str) -> tuple[Counter[int], Counter[int], Counter[int]]:
    answers, score, asked = Counter(), Counter(), Counter()
    for q in index.tag(tag).questions:
        if q.owner_id is not None:
            asked[q.owner_id] += 1
        for a in q.answers:
            answers[a.user_id] += 1
            score[a.user_id] += a.score
    return answers, score, asked


@pytest.mark.parametrize("day", [0, 3])
def test_posts_add_up_to_every_users_tag_totals(days, day):
    world = days[day]
    index = SOIndex.build(world)
    checked = 0
    for tag in POST_TAGS:
        answers, score, asked = totals(index.posts, tag)
        want_answers, want_score, want_asked = Counter(), Counter(), Counter()
        for u in world.stackoverflow.values():
            if u.user_type == "does_not_exist":
                continue
            for t in u.tags:
                if t.tag_name == tag:
                    want_answers[u.user_id] += t.answer_count
                    want_score[u.user_id] += t.answer_score
                    want_asked[u.user_id] += t.question_count
        assert +answers == +want_answers and +score == +want_score, tag
        assert +asked == +want_asked, tag
        # The top answerers of a tag are the users with the most answer score in its posts.
        for entry in index.top_answerers.get((tag, "all_time"), []):
            assert (answers[entry.user_id], score[entry.user_id]) == (
                entry.post_count,
                entry.score,
            )
        checked += sum(answers.values())
    assert checked > 1000


def test_ids_grow_with_time_and_name_their_tag(days):
    index = SOIndex.build(days[0]).posts
    for tag in ("pytorch", "python", "mlflow"):
        posts = []
        for q in index.tag(tag).questions:
            posts.append((q.created, 0, q.question_id))
            for a in q.answers:
                assert a.created > q.created and a.answer_id > q.question_id
                assert a.question_id == q.question_id
                posts.append((a.created, 1, a.answer_id))
            assert q.activity == max([q.created, *(a.created for a in q.answers)])
            assert tag_of_post(q.question_id) == tag and index.question(q.question_id) is q
        ids = [post_id for *_, post_id in sorted(posts)]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert {i % ID_STRIDE for i in ids} == {TAG_INDEX[tag]}
        assert all(when < NOW0 for when, *_ in posts)  # day 0: nothing after "now"
    accepted = [q for q in index.tag("pytorch").questions if q.accepted_answer_id]
    assert accepted and all(q.accepted_answer_id == q.answers[0].answer_id for q in accepted)
    assert any(q.owner_id is None for q in index.tag("pytorch").questions)
    assert any(not q.answers for q in index.tag("pytorch").questions)  # asked, unanswered


def test_a_later_day_keeps_every_post_and_adds_the_days_answers(days):
    before, after = SOIndex.build(days[1]).posts, SOIndex.build(days[3]).posts
    grown = new = 0
    for tag in POST_TAGS:
        old = {q.question_id: q for q in before.tag(tag).questions}
        for q in after.tag(tag).questions:
            was = old.get(q.question_id)
            if was is None:
                new += 1
                assert q.created >= NOW0 + DAY  # asked on day 2 or 3
                continue
            assert (q.created, q.title, q.owner_id) == (was.created, was.title, was.owner_id)
            head = q.answers[: len(was.answers)]
            assert [(a.answer_id, a.user_id, a.created) for a in head] == [
                (a.answer_id, a.user_id, a.created) for a in was.answers
            ]
            assert all(a.score >= b.score for a, b in zip(head, was.answers, strict=True))
            later = q.answers[len(was.answers) :]
            grown += bool(later)
            assert all(NOW0 + DAY <= a.created < NOW0 + 3 * DAY for a in later)
        assert set(old) <= {q.question_id for q in after.tag(tag).questions}
    assert new > 0 and grown > 0  # new questions, and new answers to older ones
    # What the days logged as answered shows as answers dated on those days.
    logged = {uid for d in (2, 3) for uid in world_at(SEED, PEOPLE, d).log.so_answered}
    dated = {
        a.user_id
        for tag in POST_TAGS
        for q in after.tag(tag).questions
        for a in q.answers
        if a.created >= NOW0 + DAY
    }
    assert dated == logged


def test_the_same_world_gives_the_same_posts_and_votes_split_exactly():
    one = SOIndex.build(world_at(SEED, PEOPLE, 0)).posts.tag("keras")
    two = PostIndex(world_at(SEED, PEOPLE, 0)).tag("keras")
    assert one == two
    rng = random.Random(3)
    for total, n in [(0, 5), (7, 1), (100, 7), (3, 40)]:
        parts = split(rng, total, n)
        assert len(parts) == n and sum(parts) == total and min(parts) >= 0
    assert split(rng, 5, 0) == []
