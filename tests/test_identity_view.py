"""What identity linking reads of a profile: keys and the profile URLs it shows."""

from __future__ import annotations

from enrich.identity.view import (
    IdentityView,
    handle_from_name,
    handle_key,
    handles_or_names_agree,
    name_key,
    package_owners,
    references,
)


def test_keys_ignore_case_punctuation_script_and_word_order():
    assert handle_key("Alex_Kumar") == handle_key("alex-kumar") == "alexkumar"
    assert name_key("Kumar, Alex") == name_key("alex kumar") == "alex kumar"
    assert name_key("Олександр Бондаренко") == name_key("Oleksandr Bondarenko")


def test_handles_made_of_a_name_say_how():
    assert handle_from_name("schneider-sophie", "Sophie Schneider")[0] == "name"
    assert handle_from_name("sophieml", "Sophie Schneider")[0] == "first"
    assert handle_from_name("octocat", "Sophie Schneider") == (None, None)
    assert handle_from_name("octocat", "Sophie") == (None, None)  # one word: no forms


def test_references_read_profile_urls_but_not_site_pages():
    links = ["https://github.com/orgs/acme", "https://kaggle.com/octo"]
    view = IdentityView(1, "stackoverflow", "9", website="https://github.com/octocat", links=links)
    assert references(view) == [
        ("github", "octocat", "website"),
        ("kaggle", "octo", "about-me link"),
    ]


def test_a_stack_exchange_user_page_names_the_user_of_its_own_site():
    bio = (
        "SO: https://stackoverflow.com/users/123/ann · DS: https://datascience.stackexchange.com"
        "/users/123/ann · Q&A: https://stackoverflow.com/questions/456"
    )
    view = IdentityView(1, "github", "7", bio=bio)
    assert references(view) == [
        ("stackoverflow", "123", "bio"),  # Stack Overflow's ids are the stored ones
        ("stackoverflow", "datascience:123", "bio"),  # user 123 of datascience is someone else
    ]


def test_package_owners_name_github_users_not_site_pages():
    v = IdentityView(
        1,
        "pypi",
        "lena",
        "lena",
        packages=[
            ("torchfoo", "Lena-F/torchfoo", 1),
            ("bar", "orgs/bar", 1),  # a site page, not an owner
            ("baz", None, 2),
            ("qux", "notarepo", 1),
        ],
    )
    assert package_owners(v) == [("lena-f", "torchfoo", 1, "Lena-F/torchfoo")]


def test_handles_or_names_agree_by_handle_name_or_a_handle_made_of_the_name():
    gh = IdentityView(1, "github", "1", "anowak", "Anna Nowak")
    assert handles_or_names_agree(gh, IdentityView(2, "pypi", "a-nowak", "a-nowak"))
    assert handles_or_names_agree(gh, IdentityView(2, "pypi", "x", "x", "Nowak, Anna"))
    assert handles_or_names_agree(IdentityView(2, "pypi", "x", "annanowak", None), gh)
    assert not handles_or_names_agree(gh, IdentityView(2, "pypi", "pkrol", "pkrol", "Piotr Król"))
