"""Handles checked against each platform's rules before they reach a URL path."""

from __future__ import annotations

import pytest

from config.handles import (
    HandleError,
    github_login,
    kaggle_username,
    stackexchange_tag,
    stackexchange_user_id,
)


@pytest.mark.parametrize("login", ["octocat", "a", "a-b-c", "A1", "x" * 39])
def test_valid_github_logins(login):
    assert github_login(login) == login


@pytest.mark.parametrize(
    "login",
    ["", "-a", "a-", "a--b", "x" * 40, "a_b", "someone/../../users/other", "a b", "é", "a%2f"],
)
def test_invalid_github_logins(login):
    with pytest.raises(HandleError, match="is not a GitHub login"):
        github_login(login)


def test_stackexchange_ids_are_positive_32_bit_integers():
    assert stackexchange_user_id("1144035") == 1144035 and stackexchange_user_id(7) == 7
    for bad in ("0", "-5", "1e3", "12/../1", "٣", str(2**31), ""):
        with pytest.raises(HandleError, match="is not a Stack Exchange user id"):
            stackexchange_user_id(bad)


def test_kaggle_usernames():
    assert kaggle_username("jeffmoser") == "jeffmoser"
    for bad in ("../x", "a/b", ".hidden", "a..b", "", "x" * 51):
        with pytest.raises(HandleError, match="is not a Kaggle user name"):
            kaggle_username(bad)


def test_stackexchange_tags():
    for tag in ("pytorch", ".net", "c++", "c#", "scikit-learn", "python-3.x"):
        assert stackexchange_tag(tag) == tag
    for bad in ("..", ".", "../users/1", "PyTorch", "a b", "x" * 36, ""):
        with pytest.raises(HandleError, match="is not a Stack Exchange tag"):
            stackexchange_tag(bad)
