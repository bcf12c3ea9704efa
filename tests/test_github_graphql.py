"""GitHub GraphQL emulator: schema vs the documented fields, search and cursors, the 1,000 cap,
cost by GitHub's published formula, the graphql budget, and the documented error shapes."""

from __future__ import annotations

import math
import re

import pytest
from github_world import HOST, assert_keys, body, crowd_world, fixture, graphql, make_api

from sandbox.github_graphql import schema
from sandbox.model import Request

USER_FIELDS = """login id databaseId name location company bio websiteUrl email twitterUsername
  createdAt updatedAt isHireable url avatarUrl followers { totalCount } following { totalCount }
  repositories(first: 20, orderBy: {field: STARGAZERS, direction: DESC}, isFork: false,
               ownerAffiliations: OWNER, privacy: PUBLIC) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { name description isFork stargazerCount forkCount pushedAt createdAt updatedAt
            primaryLanguage { name }
            repositoryTopics(first: 10) { totalCount nodes { topic { name } } } }
  }"""


def data(response):
    payload = body(response)
    assert response.status == 200 and "errors" not in payload, payload
    return payload["data"]


def to_points(requests: int) -> int:
    """Divide by 100, round to the nearest whole number, at least 1."""
    return max(1, math.floor(requests / 100 + 0.5))


def points(*chain: int) -> int:
    """GitHub's formula for a chain of nested connections with these `first` values: each
    connection needs one request per object of the connection above it."""
    return to_points(sum(math.prod(chain[:i]) for i in range(len(chain))))


def test_schema_matches_documented_types():
    spec = fixture("graphql_user.json")
    s = schema()
    for type_name, key in [
        ("User", "fields"),
        ("Repository", "repository_fields"),
        ("RateLimit", "rate_limit_fields"),
        ("SearchResultItemConnection", "search_connection_fields"),
    ]:
        fields = s.get_type(type_name).fields  # type: ignore[union-attr]
        for name, type_str in spec[key].items():
            assert str(fields[name].type) == type_str, (type_name, name)


def test_user_node_shape():
    api, _, _ = make_api()
    user = data(graphql(api, f'{{ user(login: "OLENA-ML") {{ {USER_FIELDS} }} }}'))["user"]
    assert set(user) == set(fixture("graphql_user.json")["fields"])
    assert user["login"] == "olena-ml" and user["databaseId"] == 2
    assert user["id"] == "MDQ6VXNlcjI=" and user["url"] == "https://github.com/olena-ml"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", user["createdAt"])
    assert user["isHireable"] is True and user["email"] == "olena@example.com"
    assert user["followers"] == {"totalCount": 120}
    repos = user["repositories"]
    assert repos["totalCount"] == 2 and repos["pageInfo"]["hasNextPage"] is False
    stars = [n["stargazerCount"] for n in repos["nodes"]]
    assert stars == sorted(stars, reverse=True)
    node = repos["nodes"][0]
    assert set(node) == set(fixture("graphql_user.json")["repository_fields"])
    assert node["repositoryTopics"]["nodes"][0] == {"topic": {"name": "machine-learning"}}
    quiet = data(graphql(api, '{ user(login: "hoosier") { email isHireable websiteUrl } }'))
    assert quiet["user"] == {"email": "", "isHireable": False, "websiteUrl": None}
    forks = data(
        graphql(
            api, '{ user(login: "ivan") { repositories(first: 5, isFork: false) { totalCount } } }'
        )
    )
    assert forks["user"]["repositories"]["totalCount"] == 0


def test_search_union_and_cursors():
    api, _, _ = make_api()
    q = """query($q: String!, $after: String) {
      search(query: $q, type: USER, first: 1, after: $after) {
        userCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
        edges { cursor node {
          __typename ... on User { login } ... on Organization { login name } } }
      } }"""
    first = data(graphql(api, q, {"q": "location:kyiv"}))["search"]
    assert first["userCount"] == 2 and first["pageInfo"]["hasNextPage"] is True
    cursor = first["pageInfo"]["endCursor"]
    assert cursor == first["edges"][0]["cursor"] and re.fullmatch(r"[A-Za-z0-9+/=]+", cursor)
    second = data(graphql(api, q, {"q": "location:kyiv", "after": cursor}))["search"]
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["edges"][0]["cursor"],
        "startCursor": second["edges"][0]["cursor"],
    }
    types = {first["edges"][0]["node"]["__typename"], second["edges"][0]["node"]["__typename"]}
    assert types == {"User", "Organization"}
    bad = body(graphql(api, q, {"q": "location:kyiv", "after": "nonsense!"}))
    assert bad["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"
    repo = data(
        graphql(
            api,
            '{ search(query: "x", type: REPOSITORY, first: 5) '
            "{ repositoryCount nodes { __typename } } }",
        )
    )
    assert repo["search"] == {"repositoryCount": 0, "nodes": []}


def test_search_pages_forward_and_backward():
    api, _, _ = make_api(crowd_world(250))
    q = """query($after: String) { search(query: "location:kyiv sort:joined-asc", type: USER,
             first: 100, after: $after) { userCount pageInfo { hasNextPage endCursor }
             nodes { ... on User { login } } } }"""
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = data(graphql(api, q, {"after": after}))["search"]
        seen += [n["login"] for n in page["nodes"]]
        after = page["pageInfo"]["endCursor"]
    assert page["pageInfo"]["hasNextPage"] is False and page["userCount"] == 250
    assert seen == [f"user{i:05d}" for i in range(250)]
    back = """query($before: String) { search(query: "location:kyiv sort:joined-asc", type: USER,
              last: 2, before: $before) { nodes { ... on User { login } } } }"""
    nodes = data(graphql(api, back, {"before": after}))["search"]["nodes"]
    assert [n["login"] for n in nodes] == ["user00247", "user00248"]


def test_search_cap_makes_results_past_1000_unreachable():
    api, _, _ = make_api(crowd_world(1100))
    q = """query($after: String) { search(query: "location:kyiv", type: USER, first: 100,
             after: $after) { userCount pageInfo { hasNextPage endCursor }
             nodes { ... on User { login } } } }"""
    after, total = None, 0
    for _ in range(10):
        page = data(graphql(api, q, {"after": after}))["search"]
        total += len(page["nodes"])
        after = page["pageInfo"]["endCursor"]
    assert total == 1000 and page["userCount"] == 1100
    assert page["pageInfo"]["hasNextPage"] is False
    beyond = data(graphql(api, q, {"after": after}))["search"]
    assert beyond["nodes"] == [] and beyond["userCount"] == 1100


def q(text: str) -> str:
    """Shorthand for the cost tests: S<n>, R<n>, T<n> stand for the search, repositories and
    repositoryTopics connections with first: n."""
    text = re.sub(r"\bS(\d+)", r'search(query: "type:user", type: USER, first: \1)', text)
    text = re.sub(r"\bR(\d+)", r"repositories(first: \1)", text)
    return re.sub(r"\bT(\d+)", r"repositoryTopics(first: \1) { totalCount }", text)


COST = " rateLimit { cost } }"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ viewer { login }" + COST, points()),
        ("{ S100 { nodes { ... on User { login } } }" + COST, points(100)),
        # 1 + 100 + 100*20 = 2,101 requests -> 21 points
        ("{ S100 { nodes { ... on User { R20 { nodes { T10 } } } } }" + COST, points(100, 20, 10)),
        # the documentation's own numbers (1 + 100 + 5,000 = 5,101 -> 51), through edges
        (
            "{ S100 { edges { node { ... on User { R50 { edges { node { T60 } } } } } } }" + COST,
            points(100, 50, 60),
        ),
        # 1 + 83 + 166 = 250 -> 3: halves round up
        ("{ S83 { nodes { ... on User { R2 { nodes { T1 } } } } }" + COST, points(83, 2, 1)),
        # 1 + 100 = 101 -> 1
        ('{ user(login: "priya") { R100 { nodes { T100 } } }' + COST, points(100, 100)),
        # siblings add up: three connections under each of 100 users
        (
            "{ S100 { nodes { ... on User { followers { totalCount } following { totalCount } "
            "R10 { totalCount } } } }" + COST,
            to_points(1 + 3 * 100),
        ),
        # a union prices each member separately and keeps the dearest (one node is one type):
        # 5,051 requests, where adding both branches would make 10,101
        (
            "{ S50 { nodes { ... on User { R100 { nodes { T1 } } } ... on Organization "
            "{ R100 { nodes { T1 } } } } }" + COST,
            points(50, 100, 1),
        ),
        # aliased top-level connections each count
        (
            "{ a: S100 { nodes { ... on User { R100 { totalCount } } } } "
            "b: S100 { nodes { ... on User { R100 { totalCount } } } }" + COST,
            to_points(2 * (1 + 100)),
        ),
    ],
)
def test_cost_follows_the_published_formula(query, expected):
    api, stats, _ = make_api()
    response = graphql(api, q(query))
    payload = data(response)
    assert payload["rateLimit"]["cost"] == expected
    assert response.headers["X-RateLimit-Used"] == str(expected)
    assert response.headers["X-RateLimit-Resource"] == "graphql"
    assert stats.snapshot()["github.graphql.points"] == expected


def test_cost_with_variables_and_fragments():
    api, _, _ = make_api()
    q = """query($n: Int!) { search(query: "type:user", type: USER, first: $n) {
             nodes { ...U } } rateLimit { cost nodeCount } }
           fragment U on User { repositories(first: $n) { nodes { repositoryTopics(first: $n)
             { totalCount } } } }"""
    rate = data(graphql(api, q, {"n": 40}))["rateLimit"]
    assert rate == {"cost": points(40, 40, 40), "nodeCount": 40 + 40 * 40 + 40 * 40 * 40}


def test_rate_limit_object_and_budget():
    api, _, clock = make_api(rate_limit=25)
    heavy = q(
        "{ S100 { nodes { ... on User { R20 { nodes { T10 } } } } } "
        "rateLimit { cost limit remaining used resetAt nodeCount } }"
    )
    first = graphql(api, heavy)
    rate = data(first)["rateLimit"]
    assert_keys(rate, {"required": list(fixture("graphql_user.json")["rate_limit_fields"])})
    assert (rate["cost"], rate["limit"], rate["remaining"], rate["used"]) == (21, 25, 4, 21)
    assert rate["resetAt"] == "2026-01-01T01:00:00Z"  # clock start + one hour
    assert first.headers["X-RateLimit-Remaining"] == "4"
    limited = graphql(api, heavy)
    assert limited.status == 200
    payload = body(limited)
    assert "data" not in payload and payload["errors"][0]["type"] == "RATE_LIMITED"
    assert payload["errors"][0]["message"].startswith("API rate limit exceeded for user ID ")
    assert limited.headers["X-RateLimit-Remaining"] == "4"
    assert data(graphql(api, "{ rateLimit { remaining } }"))["rateLimit"]["remaining"] == 3
    clock.now = int(first.headers["X-RateLimit-Reset"])
    assert data(graphql(api, heavy))["rateLimit"]["remaining"] == 4
    dry = data(graphql(api, "{ rateLimit(dryRun: true) { cost remaining } }"))
    assert dry["rateLimit"] == {"cost": 1, "remaining": 4}


def test_parse_and_validation_errors():
    api, _, _ = make_api()
    broken = body(graphql(api, '{ user(login: "x") { login }'))
    assert "data" not in broken
    assert_keys(broken["errors"][0], fixture("errors.json")["graphql_error"])
    assert broken["errors"][0]["locations"][0]["line"] == 1
    unknown = body(graphql(api, '{ user(login: "ivan") { login shoeSize } }'))["errors"][0]
    assert unknown["message"] == "Field 'shoeSize' doesn't exist on type 'User'"
    assert unknown["extensions"]["code"] == "undefinedField" and unknown["locations"]
    missing = body(graphql(api, "{ user { login } }"))["errors"][0]
    assert missing["message"] == "Field 'user' is missing required arguments: login"
    variables = body(graphql(api, "query($n: Int!) { viewer { login } }"))
    assert variables["errors"] and "data" not in variables
    assert data(graphql(api, "{ viewer { login } }"))["viewer"]["login"].startswith("scout-")


def test_not_found_is_partial_data_with_typed_error():
    api, _, _ = make_api()
    payload = body(graphql(api, '{ user(login: "ghost") { login } viewer { login } }'))
    assert payload["data"]["user"] is None and payload["data"]["viewer"]["login"]
    error = payload["errors"][0]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["user"]
    assert error["message"] == "Could not resolve to a User with the login of 'ghost'."
    org = body(graphql(api, '{ organization(login: "octocat") { login } }'))
    assert org["errors"][0]["type"] == "NOT_FOUND"
    assert data(graphql(api, '{ organization(login: "ml-org") { login name } }'))[
        "organization"
    ] == {"login": "ml-org", "name": "ML Org"}
    repo = data(
        graphql(
            api,
            '{ repository(owner: "octocat", name: "hello-world") '
            "{ nameWithOwner primaryLanguage { name } owner { login } } }",
        )
    )
    assert repo["repository"]["nameWithOwner"] == "octocat/Hello-World"


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        (
            '{ user(login: "ivan") { repositories { nodes { name } } } }',
            "MISSING_PAGINATION_BOUNDARIES",
        ),
        ('{ search(query: "x", type: USER, first: 101) { userCount } }', "EXCESSIVE_PAGINATION"),
        (
            q("{ S100 { nodes { ... on User { R100 { nodes { T100 } } } } } }"),
            "MAX_NODE_LIMIT_EXCEEDED",
        ),
    ],
)
def test_node_limits_are_refused_unpriced(query, kind):
    api, stats, _ = make_api()
    response = graphql(api, query)
    payload = body(response)
    assert response.status == 200 and "data" not in payload
    assert payload["errors"][0]["type"] == kind and payload["errors"][0]["message"]
    assert response.headers["X-RateLimit-Used"] == "0"
    assert "github.graphql.points" not in stats.snapshot()


def test_totalcount_only_connection_needs_no_first():
    api, _, _ = make_api()
    user = data(graphql(api, '{ user(login: "priya") { repositories { totalCount } } }'))
    assert user["user"]["repositories"]["totalCount"] == 45


def test_authentication():
    api, stats, _ = make_api()
    anonymous = graphql(api, "{ viewer { login } }", token=None)
    assert anonymous.status == 401
    assert body(anonymous)["message"] == "This endpoint requires you to be authenticated."
    bad = graphql(api, "{ viewer { login } }", token="bad-token")
    assert bad.status == 401 and body(bad)["message"] == "Bad credentials"
    assert stats.snapshot()["github.401"] == 2


def test_malformed_body_and_secondary_limit():
    api, _, _ = make_api(secondary_concurrency=1)
    headers = {"host": HOST, "authorization": "bearer good-token"}
    r = api.handle(Request("POST", "/graphql", {}, headers, b"{not json"))
    assert r.status == 400 and body(r)["message"] == "Problems parsing JSON"
    caller_key = "token:" + __import__("hashlib").sha256(b"good-token").hexdigest()[:16]
    with api.inflight.hold(caller_key):
        blocked = graphql(api, "{ viewer { login } }")
    assert blocked.status == 403 and blocked.headers["Retry-After"]
    assert body(blocked)["message"].startswith("You have exceeded a secondary rate limit")
    assert graphql(api, "{ viewer { login } }").status == 200


NODES_QUERY = """query($ids: [ID!]!) { rateLimit { cost }
  nodes(ids: $ids) { __typename id ... on User { login databaseId
    followers { totalCount }
    repositories(first: 20) {
      nodes { name repositoryTopics(first: 10) { nodes { topic { name } } } }
    }
  } ... on Organization { login } } }"""


def node_ids(api, *logins):
    found = data(
        graphql(
            api,
            "{ "
            + " ".join(
                f'{login.replace("-", "_")}: repositoryOwner(login: "{login}") {{ id }}'
                for login in logins
            )
            + " }",
        )
    )
    return [found[login.replace("-", "_")]["id"] for login in logins]


def test_nodes_by_id_answer_users_and_orgs_in_the_order_asked():
    api, _, _ = make_api()
    ids = node_ids(api, "priya", "ml-org", "ivan")
    answer = data(graphql(api, NODES_QUERY, {"ids": ids}))
    assert [n["login"] for n in answer["nodes"]] == ["priya", "ml-org", "ivan"]
    assert [n["__typename"] for n in answer["nodes"]] == ["User", "Organization", "User"]
    assert answer["nodes"][0]["repositories"]["nodes"]  # a user comes with its repositories
    one = data(graphql(api, f'{{ node(id: "{ids[2]}") {{ ... on User {{ login }} }} }}'))
    assert one["node"] == {"login": "ivan"}


def test_an_unknown_or_deleted_id_is_null_with_a_not_found_error_beside_the_others():
    api, _, _ = make_api()
    (priya,) = node_ids(api, "priya")
    gone = "MDQ6VXNlcjk5OTk5OTk="  # 04:User9999999: no such account
    payload = body(graphql(api, NODES_QUERY, {"ids": [gone, priya]}))
    assert payload["data"]["nodes"][0] is None
    assert payload["data"]["nodes"][1]["login"] == "priya"
    (error,) = payload["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["nodes", 0]
    assert error["message"] == f"Could not resolve to a node with the global id of '{gone}'."
    single = body(graphql(api, f'{{ node(id: "{gone}") {{ id }} }}'))
    assert single["data"]["node"] is None and single["errors"][0]["type"] == "NOT_FOUND"


def test_nodes_cost_every_users_connections_and_more_than_100_ids_are_refused():
    api, stats, _ = make_api()
    (priya,) = node_ids(api, "priya")
    # per user: followers 1 + repositories 1 + 20 topic lists = 22 requests; 84 users: 18 points
    for n, expected in ((1, 1), (34, 7), (84, 18), (100, 22)):
        assert (
            data(graphql(api, NODES_QUERY, {"ids": [priya] * n}))["rateLimit"]["cost"] == expected
        )
    before = stats.snapshot()["github.graphql.points"]
    payload = body(graphql(api, NODES_QUERY, {"ids": [priya] * 101}))
    assert "data" not in payload and payload["errors"][0]["type"] == "ARGUMENT_LIMIT"
    assert payload["errors"][0]["message"] == (
        "You may not provide more than 100 node ids; you provided 101."
    )
    assert stats.snapshot()["github.graphql.points"] == before
