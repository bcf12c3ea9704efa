"""The sandbox's /questions, /questions/{ids} and /questions/{ids}/answers against key-set
fixtures written from the public docs (types question and answer), with the documented
sorts, bounds, `tagged` rules and paging."""

from __future__ import annotations

import pytest
from helpers import shared_world
from test_stackexchange_api import call, check_error, check_keys

from sandbox.model import SandboxOptions, Stats
from sandbox.stackexchange_api import StackExchangeAPI

TAG = "pytorch"


@pytest.fixture(scope="module")
def api():
    return StackExchangeAPI(shared_world(11, 300), SandboxOptions(), Stats(), burst_limit=0)


def listing(api, path, **params):
    """Every item of a listing, page by page (100 a page), and how many pages it took."""
    items, page = [], 1
    params.setdefault("pagesize", 100)
    while True:
        status, body = call(api, path, page=page, **params)
        assert status == 200, body
        items += body["items"]
        if not body["has_more"]:
            return items, page
        page += 1


def test_questions_default_shape_and_paging(api):
    status, body = call(api, "/questions", tagged=TAG, pagesize=7)
    assert status == 200 and len(body["items"]) == 7 and body["has_more"] is True
    check_keys(body, "wrapper")
    for q in body["items"]:
        check_keys(q, "question")
        assert q["tags"] == [TAG] and q["link"].startswith("https://stackoverflow.com/questions/")
        assert q["answer_count"] or not q["is_answered"]
    # activity desc is the default sort
    dates = [q["last_activity_date"] for q in body["items"]]
    assert dates == sorted(dates, reverse=True)
    everything, pages = listing(api, "/questions", tagged=TAG)
    ids = [q["question_id"] for q in everything]
    assert len(ids) == len(set(ids)) > 100 and pages == -(-len(ids) // 100)
    assert any(q["answer_count"] == 0 for q in everything)  # asked, never answered
    small, _ = listing(api, "/questions", tagged=TAG, pagesize=30)
    assert {q["question_id"] for q in small} == set(ids)
    _, total = call(api, "/questions", tagged=TAG, filter="total")
    assert total == {"total": len(ids)}
    owned = [q for q in everything if "owner" in q]
    assert owned and all(set(q["owner"]) >= {"user_id", "reputation"} for q in owned)


def test_question_sorts_bounds_and_tagged(api):
    every, _ = listing(api, "/questions", tagged=TAG, sort="creation", order="asc")
    created = [q["creation_date"] for q in every]
    assert created == sorted(created)
    middle = created[len(created) // 2]
    later, _ = listing(api, "/questions", tagged=TAG, sort="activity", order="asc", min=middle)
    assert later and all(q["last_activity_date"] >= middle for q in later)
    assert {q["question_id"] for q in every if q["last_activity_date"] >= middle} == {
        q["question_id"] for q in later
    }
    window, _ = listing(api, "/questions", tagged=TAG, fromdate=created[10], todate=created[20])
    assert len(window) == 11 and all(
        created[10] <= q["creation_date"] <= created[20] for q in window
    )
    votes, _ = listing(api, "/questions", tagged=TAG, sort="votes", min=3)
    assert votes and all(q["score"] >= 3 for q in votes)
    assert [q["score"] for q in votes] == sorted((q["score"] for q in votes), reverse=True)
    # tagged is an AND: no world question has two of these tags; over five is always empty.
    _, both = call(api, "/questions", tagged=f"{TAG};keras")
    assert both["items"] == []
    _, six = call(api, "/questions", tagged=";".join([TAG] * 6 + ["a", "b", "c", "d", "e"]))
    assert six["items"] == []
    _, hot = call(api, "/questions", tagged=TAG, sort="hot", min=5)  # min ignored by hot
    assert hot["items"]
    status, err = call(api, "/questions", tagged=TAG, sort="views")
    check_error(status, err, 400, "bad_parameter")


def test_answers_of_questions_shape_sorts_and_minimum_score(api):
    questions, _ = listing(api, "/questions", tagged=TAG, sort="creation", order="asc")
    answered = [q for q in questions if q["answer_count"]][:100]
    ids = ";".join(str(q["question_id"]) for q in answered)
    answers, _ = listing(api, f"/questions/{ids}/answers")
    assert len(answers) == sum(q["answer_count"] for q in answered)
    by_question = {q["question_id"]: q for q in answered}
    for a in answers:
        check_keys(a, "answer")
        check_keys(a["owner"], "shallow_user")
        q = by_question[a["question_id"]]
        assert a["creation_date"] > q["creation_date"] and a["answer_id"] > q["question_id"]
        assert a["is_accepted"] == (a["answer_id"] == q.get("accepted_answer_id"))
    good, _ = listing(api, f"/questions/{ids}/answers", sort="votes", min=2)
    assert {a["answer_id"] for a in good} == {a["answer_id"] for a in answers if a["score"] >= 2}
    scores = [a["score"] for a in good]
    assert scores == sorted(scores, reverse=True) and len(good) < len(answers)
    # The owner is the user /users/{ids} describes, with the same reputation.
    uid = answers[0]["owner"]["user_id"]
    _, user = call(api, f"/users/{uid}")
    assert user["items"][0]["reputation"] == answers[0]["owner"]["reputation"]
    _, same = call(api, f"/questions/{ids}", pagesize=100)
    assert {q["question_id"] for q in same["items"]} == set(by_question)


def test_question_ids_rules(api):
    status, err = call(api, "/questions/" + ";".join(str(i) for i in range(1, 102)) + "/answers")
    check_error(status, err, 400, "bad_parameter")
    status, err = call(api, "/questions/abc/answers")
    check_error(status, err, 404, "no_method")
    status, body = call(api, "/questions/1;2;3/answers")  # no such questions: nothing
    assert status == 200 and body["items"] == [] and body["has_more"] is False
