"""The GitHub parser: GraphQL nodes, REST dicts and PyGithub raw_data give the same items."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.github import parse

NOW = datetime(2024, 6, 1, tzinfo=UTC)

GQL_USER = {
    "__typename": "User",
    "databaseId": 583231,
    "id": "MDQ6VXNlcjU4MzIzMQ==",
    "login": "octocat",
    "name": "The Octocat",
    "location": "San Francisco",
    "bio": None,
    "company": "@github",
    "websiteUrl": "https://github.blog",
    "email": "",
    "url": "https://github.com/octocat",
    "twitterUsername": None,
    "isHireable": False,
    "createdAt": "2011-01-25T18:44:36Z",
    "updatedAt": "2024-05-22T11:20:29Z",
    "followers": {"totalCount": 9000},
    "following": {"totalCount": 9},
    "repositories": {
        "totalCount": 8,
        "nodes": [
            {
                "name": "Hello-World",
                "description": "My first repository on GitHub!",
                "isFork": False,
                "stargazerCount": 2500,
                "forkCount": 2100,
                "pushedAt": "2024-05-01T00:00:00Z",
                "createdAt": "2011-01-26T19:01:12Z",
                "primaryLanguage": {"name": "Python"},
                "repositoryTopics": {"nodes": [{"topic": {"name": "pytorch"}}]},
            },
            {
                "name": "linguist",
                "description": None,
                "isFork": True,
                "stargazerCount": 1,
                "forkCount": 0,
                "pushedAt": None,
                "createdAt": "2011-01-26T19:01:12Z",
                "primaryLanguage": None,
                "repositoryTopics": {"nodes": []},
            },
        ],
    },
}

REST_USER = {
    "login": "octocat",
    "id": 583231,
    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    "type": "User",
    "site_admin": False,
    "name": "The Octocat",
    "company": "@github",
    "blog": "https://github.blog",
    "location": "San Francisco",
    "email": None,
    "hireable": None,
    "bio": None,
    "twitter_username": None,
    "public_repos": 8,
    "followers": 9000,
    "following": 9,
    "html_url": "https://github.com/octocat",
    "created_at": "2011-01-25T18:44:36Z",
    "updated_at": "2024-05-22T11:20:29Z",
}

REST_REPO = {
    "name": "Hello-World",
    "description": "My first repository on GitHub!",
    "fork": False,
    "language": "Python",
    "topics": ["pytorch"],
    "stargazers_count": 2500,
    "forks_count": 2100,
    "created_at": "2011-01-26T19:01:12Z",
    "pushed_at": "2024-05-01T00:00:00Z",
}


def test_graphql_user_node_becomes_a_profile_with_repositories():
    item = parse.parse_user(GQL_USER, NOW)
    assert item is not None
    assert (item.source, item.external_id, item.handle) == ("github", "583231", "octocat")
    assert item.followers == 9000 and item.email is None and item.website == "https://github.blog"
    assert item.created_at == datetime(2011, 1, 25, 18, 44, 36, tzinfo=UTC)
    assert item.extra == {
        "following": 9,
        "public_repos": 8,
        "hireable": False,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
    }
    assert item.repositories is not None and len(item.repositories) == 2
    repo = item.repositories[0]
    assert (repo.name, repo.language, repo.topics, repo.stars, repo.forks) == (
        "Hello-World",
        "Python",
        ["pytorch"],
        2500,
        2100,
    )
    assert item.repositories[1].is_fork and item.repositories[1].language is None


def test_rest_user_and_repos_match_the_graphql_parse():
    rest = parse.parse_user(REST_USER, NOW, repos=[REST_REPO])
    gql = parse.parse_user(GQL_USER, NOW)
    assert rest is not None and gql is not None
    for name in (
        "external_id",
        "handle",
        "name",
        "location_raw",
        "company",
        "website",
        "followers",
        "created_at",
        "updated_at",
        "profile_url",
    ):
        assert getattr(rest, name) == getattr(gql, name), name
    assert rest.repositories == gql.repositories[:1]
    assert parse.parse_user(REST_USER, NOW).repositories is None  # keep stored repos


def test_organisations_and_bots_are_not_candidates():
    org_gql = {"__typename": "Organization", "databaseId": 9919, "login": "github"}
    org_rest = {**REST_USER, "type": "Organization", "login": "github"}
    bot_rest = {**REST_USER, "type": "Bot", "login": "dependabot[bot]"}
    bot_by_name = {**GQL_USER, "login": "renovate[bot]"}
    assert parse.classify(org_gql) == parse.DROP_ORG
    assert parse.classify(org_rest) == parse.DROP_ORG
    assert parse.classify(bot_rest) == parse.DROP_BOT
    assert parse.classify(bot_by_name) == parse.DROP_BOT
    assert parse.classify({}) == parse.DROP_INVALID
    for node in (org_gql, org_rest, bot_rest, bot_by_name):
        assert parse.parse_user(node, NOW) is None


def test_search_nodes_and_duplicate_repo_names():
    payload = {"data": {"search": {"nodes": [GQL_USER, None, {}]}}}
    assert len(parse.search_nodes(payload)) == 2
    assert parse.search_nodes({"data": None}) == []
    dup = parse.parse_repositories([REST_REPO, REST_REPO, {"name": ""}])
    assert len(dup) == 1


def test_location_matching_uses_whole_words_and_folds_accents():
    assert parse.location_matches("Pune, India", "india")
    assert not parse.location_matches("Indianapolis, Indiana", "India")
    assert parse.location_matches("São Paulo - SP", "sao paulo")
    assert parse.location_excluded("Moscow, Russia", ["Russia", "Belarus"])
    assert not parse.location_excluded(None, ["Russia"])


def test_timestamps():
    assert parse.parse_time("2020-01-02T03:04:05Z") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse.parse_time("garbage") is None and parse.parse_time(None) is None
