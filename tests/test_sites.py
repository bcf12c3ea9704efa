"""config.sites: Stack Exchange site names, domains, and how a site's users are keyed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.errors import ConfigError
from config.handles import HandleError
from config.settings import load_settings
from config.sites import (
    profile_site,
    site_domain,
    site_of_domain,
    split_user_key,
    stackexchange_site,
    user_key,
    user_of_url,
    user_url,
)


@pytest.mark.parametrize(
    ("typed", "site"),
    [
        ("stackoverflow", "stackoverflow"),
        ("StackOverflow.com", "stackoverflow"),
        (" datascience ", "datascience"),
        ("datascience.stackexchange.com", "datascience"),
        ("stats.stackexchange.com", "stats"),
        ("serverfault.com", "serverfault"),
        ("mathoverflow.net", "mathoverflow"),
        ("meta.stackoverflow", "meta.stackoverflow"),
        ("meta.stackoverflow.com", "meta.stackoverflow"),
        ("pt.stackoverflow.com", "pt.stackoverflow"),
        ("datascience.meta.stackexchange.com", "meta.datascience"),
        ("meta.stackexchange.com", "meta"),
    ],
)
def test_a_site_is_read_from_its_api_name_or_its_domain(typed, site):
    assert stackexchange_site(typed) == site


@pytest.mark.parametrize("typed", ["", "data:science", "data science", "../users", "example.com"])
def test_what_names_no_site_is_refused_saying_what_a_site_looks_like(typed):
    with pytest.raises(HandleError, match="not a Stack Exchange site"):
        stackexchange_site(typed)


@pytest.mark.parametrize(
    "site",
    ["stackoverflow", "datascience", "serverfault", "meta.stackoverflow", "meta.datascience"],
)
def test_a_sites_domain_reads_back_as_the_site(site):
    assert site_of_domain(site_domain(site)) == site
    assert user_of_url(user_url(site, 77) + "/some-name") == (site, 77)


def test_user_pages_give_their_site_and_id_and_other_urls_nothing():
    assert user_url("datascience", 123) == "https://datascience.stackexchange.com/users/123"
    assert user_url("stackoverflow", 123) == "https://stackoverflow.com/users/123"
    assert user_of_url("https://stackoverflow.com/users/123/ann?tab=profile") == (
        "stackoverflow",
        123,
    )
    for other in (
        "https://github.com/users/123",
        "https://stackoverflow.com/questions/123",
        "https://datascience.stackexchange.com/users/ann",
        "not a url",
    ):
        assert user_of_url(other) is None


def test_stackoverflow_keeps_plain_ids_and_other_sites_are_namespaced():
    assert user_key("stackoverflow", 123) == "123"
    assert user_key("datascience", 123) == "datascience:123"
    assert split_user_key("123") == ("stackoverflow", "123")
    assert split_user_key("datascience:123") == ("datascience", "123")
    assert profile_site("stackoverflow", "datascience:123") == "datascience"
    assert profile_site("stackoverflow", "123") == "stackoverflow"
    assert profile_site("github", "123") is None  # sources that are one site have none


@given(
    site=st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}(\.[a-z0-9][a-z0-9-]{0,10})?", fullmatch=True),
    user=st.integers(1, 2**31 - 1),
)
def test_a_users_key_splits_back_into_its_site_and_id(site, user):
    assert split_user_key(user_key(site, user)) == (site, str(user))
    assert user_key(site, user) != user_key("stackoverflow", user) or site == "stackoverflow"


def test_the_site_setting_is_normalised_and_a_bad_one_named(tmp_path):
    env = {"SCOUT_STACKEXCHANGE_SITE": "DataScience.StackExchange.com"}
    assert load_settings(environ=env).settings.stackexchange_site == "datascience"
    with pytest.raises(ConfigError, match=r"stackexchange_site.*not a Stack Exchange site"):
        load_settings(environ={"SCOUT_STACKEXCHANGE_SITE": "data:science"})
