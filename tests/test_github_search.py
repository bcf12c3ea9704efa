"""The user-search grammar and matching rules shared by REST and GraphQL search."""

from __future__ import annotations

import pytest
from github_world import small_world

from sandbox.github_search import SearchError, UserIndex, fold, words


@pytest.fixture(scope="module")
def index() -> UserIndex:
    return UserIndex(small_world().github.values())


def logins(index: UserIndex, q: str, **kw) -> set[str]:
    return {a.login for a in index.search(q, **kw)}


def test_folding():
    assert fold("São Paulo") == "sao paulo"
    assert words("Kyiv, Ukraine") == ("kyiv", "ukraine")
    assert words("São Paulo - SP, Brasil") == ("sao", "paulo", "sp", "brasil")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("location:kyiv", {"olena-ml", "ml-org"}),
        ("location:KYIV", {"olena-ml", "ml-org"}),
        ('location:"Kyiv, Ukraine"', {"olena-ml"}),
        ("location:ukraine", {"olena-ml"}),
        ("location:kiev", {"ivan"}),  # spelling variants are separate queries, as on GitHub
        ('location:"sao paulo"', {"joao"}),
        ("location:São", {"joao"}),
        ("location:india", {"priya"}),  # whole words: not "Indiana"/"Indianapolis"
        ("location:indiana", {"hoosier"}),
        ("location:fran", set()),
        ("location:kyiv -location:ukraine", {"ml-org"}),
    ],
)
def test_location(index, q, expected):
    assert logins(index, q) == expected


def test_language_counts_own_repositories_only(index):
    assert logins(index, "language:jupyter-notebook") == {"olena-ml"}
    assert logins(index, 'language:"Jupyter Notebook"') == {"olena-ml"}
    assert logins(index, "language:RUBY") == {"octocat"}
    assert logins(index, "language:rust") == set()  # ivan's only Rust repo is a fork


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("created:2016-03-01", {"olena-ml"}),
        ("created:2018-07-09", {"ivan"}),  # 23:30 UTC that day
        ("created:>=2019-05-05", {"joao", "hoosier", "deploy-bot"}),
        ("created:>2019-05-05", {"hoosier", "deploy-bot"}),
        ("created:<2014-02-02", {"octocat"}),
        ("created:<=2014-02-02", {"octocat", "priya"}),
        ("created:2016-01-01..2018-07-09", {"olena-ml", "ml-org", "ivan"}),
        ("created:2020-01-01..*", {"hoosier", "deploy-bot"}),
        ("created:*..2011-12-31", {"octocat"}),
        ("created:>2018-07-09T23:00:00Z created:<2018-07-10", {"ivan"}),
    ],
)
def test_created(index, q, expected):
    assert logins(index, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("followers:120", {"olena-ml"}),
        ("followers:>800", {"octocat"}),
        ("followers:>=800", {"octocat", "priya"}),
        ("followers:<5", {"ml-org", "deploy-bot"}),
        ("followers:<=5", {"ml-org", "deploy-bot", "hoosier"}),
        ("followers:30..120", {"olena-ml", "ivan", "joao"}),
        ("followers:1000..*", {"octocat"}),
        ("repos:>40", {"priya"}),
        ("repos:0", {"hoosier", "deploy-bot"}),
    ],
)
def test_numbers(index, q, expected):
    assert logins(index, q) == expected


def test_type_words_and_fields(index):
    assert logins(index, "type:org") == {"ml-org"}
    assert "deploy-bot" in logins(index, "type:user")  # bots are user accounts
    assert "ml-org" not in logins(index, "type:user")
    assert logins(index, "octo") == {"octocat"}
    assert logins(index, "kovalenko") == {"olena-ml"}  # name
    assert logins(index, '"the octocat"') == {"octocat"}
    assert logins(index, "olena@example.com in:email") == {"olena-ml"}
    assert logins(index, "kovalenko in:login") == set()
    assert logins(index, "user:IVAN") == {"ivan"}
    assert logins(index, "fullname:silva") == {"joao"}
    assert logins(index, "location:kyiv type:user language:python followers:>100") == {"olena-ml"}


def test_ordering(index):
    best = [a.login for a in index.search("type:user")]
    assert best[0] == "octocat" and best[1] == "priya"  # best match: most followers first
    joined = [a.login for a in index.search("type:user", sort="joined", order="asc")]
    assert joined[0] == "octocat" and joined[-1] == "deploy-bot"
    repos = [a.login for a in index.search("type:user sort:repositories-desc")]
    assert repos[0] == "priya"
    # The REST sort parameter wins over a sort: qualifier.
    assert index.search("sort:repositories-desc", sort="followers")[0].login == "octocat"


@pytest.mark.parametrize("q", ["followers:many", "created:2020-13-01", "repos:>x"])
def test_invalid_values(index, q):
    with pytest.raises(SearchError):
        index.search(q)


def test_results_are_cached_and_stable(index):
    first = index.search("location:kyiv")
    assert index.search("location:kyiv") is first
