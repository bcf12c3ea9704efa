"""crawlers.replay: one key's raw records back to the profile saves the crawls made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.replay import Raw, Skipped, Unparseable, replay
from sandbox.github_shapes import public_user, repository
from sandbox.world import generate
from storage.suppress import suppression_key

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=3)
API = "https://api.github.com"


@pytest.fixture(scope="module")
def account():
    """A sandbox person with public repositories, in the REST shapes GitHub documents."""
    world = generate(5, 200)
    person = next(a for a in world.github.values() if a.type == "User" and len(a.repos) >= 2)
    return person


def graphql_node(login: str, database_id: int, repos: list[str] | None) -> dict:
    """A User node of the crawler's search query (field names from the GraphQL reference)."""
    node = {
        "__typename": "User",
        "login": login,
        "databaseId": database_id,
        "id": f"U_{database_id}",
        "name": "Asha Rao",
        "location": "Pune, India",
        "websiteUrl": None,
        "url": f"https://github.com/{login}",
        "createdAt": "2019-05-01T10:00:00Z",
        "updatedAt": "2025-02-01T10:00:00Z",
        "followers": {"totalCount": 12},
        "following": {"totalCount": 3},
    }
    if repos is not None:
        node["repositories"] = {
            "totalCount": len(repos),
            "nodes": [
                {
                    "name": name,
                    "description": None,
                    "isFork": False,
                    "stargazerCount": 5,
                    "forkCount": 1,
                    "pushedAt": "2025-01-01T00:00:00Z",
                    "createdAt": "2024-01-01T00:00:00Z",
                    "primaryLanguage": {"name": "Python"},
                    "repositoryTopics": {"nodes": [{"topic": {"name": "pytorch"}}]},
                }
                for name in repos
            ],
        }
    return node


def gql(payload, at=T0, key="asha"):
    return Raw("graphql:search", key, at, None, payload)


def test_a_search_node_is_one_save_with_its_repositories():
    (item,) = replay("github", [gql(graphql_node("asha", 42, ["rag-demo", "lora"]))], set())
    assert (item.external_id, item.handle, item.seen_at, item.etag) == ("42", "asha", T0, None)
    assert [r.name for r in item.repositories] == ["rag-demo", "lora"]
    assert item.repositories[0].topics == ["pytorch"] and item.followers == 12


def test_a_rest_refresh_is_replayed_after_the_response_that_described_the_repositories(account):
    login = account.login
    user = public_user(account, API)
    records = [
        gql(graphql_node(login, account.id, ["old-repo"]), T0, login.lower()),
        Raw("rest:/users", login.lower(), T1, 'W/"etag-1"', user),
    ]
    first, final = replay("github", records, set())
    assert [r.name for r in first.repositories] == ["old-repo"] and first.seen_at == T0
    # The refresh describes no repositories: saving it keeps the ones saved before.
    assert final.repositories is None
    assert (final.seen_at, final.etag, final.name) == (T1, 'W/"etag-1"', account.name)


def test_a_lookup_is_one_save_with_the_repositories_fetched_with_it(account):
    login = account.login.lower()
    repos = [repository(account, r, API) for r in account.repos]
    lookup = [
        Raw("rest:/users", login, T0, 'W/"a"', public_user(account, API)),
        Raw("rest:/users/repos", login, T0, None, repos),
    ]
    (item,) = replay("github", lookup, set())
    assert sorted(r.name for r in item.repositories) == sorted(r.name for r in account.repos)
    # A later conditional refresh: the lookup first (with its repositories), then the refresh.
    refresh = Raw("rest:/users", login, T1, 'W/"b"', {**public_user(account, API), "bio": "new"})
    first, final = replay("github", [*lookup, refresh], set())
    assert first.repositories and final.repositories is None and final.bio == "new"


@pytest.mark.parametrize(
    ("node", "reason"),
    [
        ({"__typename": "Organization", "login": "acme", "databaseId": 7}, "org"),
        ({"__typename": "Bot", "login": "ci[bot]", "databaseId": 8}, "bot"),
    ],
)
def test_organisations_and_bots_are_skipped_with_their_reason(node, reason):
    with pytest.raises(Skipped) as caught:
        replay("github", [gql(node)], set())
    assert caught.value.reason == reason


def test_suppressed_people_are_skipped():
    hashes = {suppression_key("github", "asha")}
    with pytest.raises(Skipped, match="suppressed"):
        replay("github", [gql(graphql_node("Asha", 42, []))], hashes)
    so_hashes = {suppression_key("stackoverflow", "77")}
    with pytest.raises(Skipped, match="suppressed"):
        replay("stackoverflow", [so_raw({"user": so_user(77), "tag_scores": {}})], so_hashes)


@pytest.mark.parametrize(
    ("source", "record", "reason"),
    [
        ("github", gql("<html>502</html>"), "graphql:search payload is not a JSON object"),
        ("github", gql({"__typename": "User", "login": "x"}), "user record without a login"),
        ("github", Raw("rest:/users/repos", "x", T0, None, []), "repositories without a user"),
        ("github", Raw("rest:/orgs", "x", T0, None, {}), "unknown GitHub endpoint"),
        ("stackoverflow", Raw("/users/{ids}", "so:1", T0, None, {"x": 1}), "without a user"),
        (
            "stackoverflow",
            Raw("/users/{ids}", "so:1", T0, None, {"user": {"user_id": 1}, "tag_scores": 5}),
            "tag_scores: expected an object, got int",
        ),
        (
            "github",
            gql({**graphql_node("asha", 42, None), "followers": {"totalCount": 10**30}}),
            r"followers.totalCount: integer out of range",
        ),
    ],
)
def test_unreadable_records_say_why(source, record, reason):
    with pytest.raises(Unparseable, match=reason.replace("(", r"\(")):
        replay(source, [record], set())


def so_user(uid: int, **more) -> dict:
    return {
        "user_id": uid,
        "display_name": "Ravi &amp; Co",
        "reputation": 1200,
        "link": f"https://stackoverflow.com/users/{uid}/ravi",
        "location": "Kyiv, Ukraine",
        "creation_date": 1500000000,
        "user_type": "registered",
        **more,
    }


def so_raw(record, at=T0):
    return Raw("/users/{ids}", "stackoverflow:77", at, None, record)


def test_a_stack_overflow_record_gives_the_newest_user_with_its_tags():
    old = so_raw({"user": so_user(77, reputation=10), "tag_scores": {"pytorch": [1, 1]}})
    new = so_raw(
        {
            "user": so_user(77),
            "tag_scores": {"pytorch": [30, 90]},
            "tags": [{"user_id": 77, "name": "numpy", "count": 4}],
            "top_answer_tags": [
                {
                    "user_id": 77,
                    "tag_name": "pytorch",
                    "answer_count": 31,
                    "answer_score": 95,
                    "question_count": 2,
                    "question_score": 3,
                }
            ],
        },
        T1,
    )
    (item,) = replay("stackoverflow", [old, new], set())
    assert (item.external_id, item.name, item.reputation, item.seen_at) == (
        "77",
        "Ravi & Co",
        1200,
        T1,
    )
    tags = {t.tag: (t.answer_count, t.answer_score, t.question_count) for t in item.so_tags}
    assert tags == {"pytorch": (31, 95, 2), "numpy": (4, 0, 0)}


def test_stack_overflow_discovery_pages_and_deleted_users_are_not_profiles():
    page = Raw(
        "/tags/{tag}/top-answerers/{period}",
        "stackoverflow:pytorch:all_time:page=1",
        T0,
        None,
        {"items": []},
    )
    with pytest.raises(Skipped) as caught:
        replay("stackoverflow", [page, page], set())
    assert (caught.value.reason, caught.value.records) == ("discovery_pages", 2)
    gone = so_raw({"user": {"user_type": "does_not_exist", "display_name": "x"}})
    with pytest.raises(Skipped, match="deleted"):
        replay("stackoverflow", [gone], set())


def test_a_record_of_another_site_rebuilds_that_sites_user_and_is_suppressed_as_it():
    record = {
        "user": so_user(77, link="https://datascience.stackexchange.com/users/77/ravi"),
        "tag_scores": {"keras": [3, 9]},
    }
    raw = Raw("/users/{ids}", "datascience:77", T0, None, record)
    (item,) = replay("stackoverflow", [raw], set())
    assert item.external_id == "datascience:77"  # not stackoverflow's user 77
    assert item.profile_url == "https://datascience.stackexchange.com/users/77/ravi"
    # Stack Overflow's user 77 asked to be forgotten: datascience's 77 is someone else.
    assert replay("stackoverflow", [raw], {suppression_key("stackoverflow", "77")})
    with pytest.raises(Skipped, match="suppressed"):
        replay("stackoverflow", [raw], {suppression_key("stackoverflow", "datascience:77")})


def test_a_hub_author_record_replays_to_the_profile_the_crawl_stored():
    from crawlers.huggingface.parse import parse_record

    at = datetime(2026, 6, 1, tzinfo=UTC)
    record = {
        "overview": {"user": "ada-ml", "fullname": "Ada L", "type": "user", "numFollowers": 3},
        "models": [{"id": "ada-ml/tiny", "downloads": 5, "likes": 1, "tags": ["transformers"]}],
        "datasets": [],
        "spaces": [],
    }
    older = Raw("/api/users/{username}/overview", "ada-ml", at - timedelta(days=3), None, {})
    newest = Raw("/api/users/{username}/overview", "ada-ml", at, None, record)
    (item,) = replay("huggingface", [older, newest], set())
    assert item == parse_record(record, at)
    with pytest.raises(Skipped, match="suppressed"):
        replay("huggingface", [newest], {suppression_key("huggingface", "ADA-ML")})
    broken = Raw(newest.endpoint, "ada-ml", at, None, {**record, "models": "many"})
    with pytest.raises(Unparseable):
        replay("huggingface", [broken], set())
