"""Which GraphQL answers are whole: anything partial is asked again, never taken for done."""

from __future__ import annotations

import pytest

from crawlers.github.answers import count_of, partial_reason


def search(nodes=None, info=None, **more):
    body = {"nodes": [{"login": "a"}] if nodes is None else nodes}
    body["pageInfo"] = {"endCursor": "c2", "hasNextPage": True} if info is None else info
    return {"data": {"search": {**body, **more}}}


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (search(), None),
        (search(info={"endCursor": None, "hasNextPage": False}), None),  # the last page
        ({**search(), "errors": [{"message": "timeout", "path": ["search"]}]}, "errors"),
        (search(nodes=[{"login": "a"}, None]), "1 null node"),
        (search(nodes=None) | {"data": {"search": {"nodes": None}}}, "nodes are null"),
        ({"data": {"search": None}}, "search is null"),
        ({"data": None}, "search is null"),
        (search(info={"hasNextPage": True}), "endCursor"),
        (search(info={"endCursor": "c1", "hasNextPage": True}), "endCursor"),  # points back
        (search(info="next"), "pageInfo"),
    ],
)
def test_partial_reason(payload, why):
    reason = partial_reason(payload, "page", after="c1")
    assert (reason is None) if why is None else (why in reason)


def test_a_count_answer_needs_only_its_search():
    assert partial_reason({"data": {"search": {"userCount": 5}}}, "count") is None
    assert partial_reason({"data": {"search": None}}, "count") == "search is null"


@pytest.mark.parametrize(("value", "count"), [(5, 5), (-1, 0), ("5", 0), (True, 0), (None, 0)])
def test_count_of(value, count):
    assert count_of(value) == count
