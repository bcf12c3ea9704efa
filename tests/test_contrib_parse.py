"""Parsers of the contributors crawl's REST lists (crawlers/github/contrib_parse.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.errors import PayloadError
from crawlers.github import contrib_parse as cp

USER = {"login": "Ada", "id": 7, "node_id": "MDQ6VXNlcjc=", "type": "User"}


def test_contributors_users_bots_and_anonymous():
    found = cp.contributor({**USER, "contributions": 12})
    assert found.commits == 12 and found.account == cp.Account(7, "Ada", "MDQ6VXNlcjc=", "User")
    bot = cp.contributor({**USER, "login": "dependabot[bot]", "type": "Bot", "contributions": 3})
    assert bot.account is not None and bot.account.bot
    anon = cp.contributor({"type": "Anonymous", "email": "a@b", "name": "A", "contributions": 2})
    assert anon.account is None and anon.commits == 2


@pytest.mark.parametrize(
    "entry",
    [
        {**USER, "contributions": "many"},
        {**USER, "contributions": -1},
        {**USER, "id": "7", "contributions": 1},
        {**USER, "login": None, "contributions": 1},
        ["not", "an", "object"],
    ],
)
def test_a_contributor_that_is_not_documented_is_refused(entry):
    with pytest.raises(PayloadError) as caught:
        cp.contributor(entry)
    assert "many" not in str(caught.value)  # the field is named, never its value


def test_pull_requests_and_tally_within_the_walk_window():
    def pull(number, merged, updated="2026-05-01T00:00:00Z", user=USER):
        return cp.pull_request(
            {"number": number, "user": user, "updated_at": updated, "merged_at": merged}
        )

    pulls = [
        pull(1, "2026-01-01T00:00:00Z"),
        pull(2, "2026-03-01T00:00:00Z"),
        pull(3, None),  # closed without merging
        pull(4, "2026-04-01T00:00:00Z", user={**USER, "id": 9, "login": "x[bot]"}),
        pull(5, "2026-06-01T00:00:00Z"),  # merged after the walk's top: the next walk's
        pull(6, "2026-02-01T00:00:00Z", user=None),  # a deleted author
    ]
    since = datetime(2026, 1, 15, tzinfo=UTC)
    top = datetime(2026, 5, 1, tzinfo=UTC)
    counted = cp.tally(pulls, since, top)
    assert list(counted) == [7]
    assert counted[7].count == 1 and counted[7].last == datetime(2026, 3, 1, tzinfo=UTC)
    assert cp.tally(pulls, None, None)[7].count == 3
    ghost = {"login": "ghost", "id": 10137, "node_id": "MDQ6VXNlcjEwMTM3", "type": "User"}
    assert pull(7, "2026-02-01T00:00:00Z", user=ghost).author is None  # a deleted account
    with pytest.raises(PayloadError):
        cp.pull_request({"number": 1, "user": USER, "updated_at": None, "merged_at": None})
    with pytest.raises(PayloadError):
        cp.entries({"message": "Not Found"}, "pulls")


def test_next_url_reads_the_link_header():
    header = (
        '<https://api.github.com/repositories/1/contributors?page=2>; rel="next", '
        '<https://api.github.com/repositories/1/contributors?page=5>; rel="last"'
    )
    assert cp.next_url(header) == "https://api.github.com/repositories/1/contributors?page=2"
    assert cp.next_url('<https://x/?page=1>; rel="prev"') is None
    assert cp.next_url(None) is None
