"""Reading PyPI project documents and user records: source repositories in every spelling,
keywords, ML marks, requirements, and PayloadError for what the documentation forbids."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from config.errors import PayloadError
from crawlers.pypi.parse import (
    github_repo,
    is_ml,
    keywords_of,
    parse_user,
    read_project,
    reduce_project,
    requirement_name,
    source_repo,
    why_dropped,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Octo-Cat/ml.tools",
        "https://github.com/Octo-Cat/ml.tools/",
        "https://github.com/Octo-Cat/ml.tools.git",
        "https://github.com/Octo-Cat/ml.tools/tree/main",
        "https://github.com/Octo-Cat/ml.tools/tree/main/docs#readme",
        "http://github.com/Octo-Cat/ml.tools",
        "https://www.github.com/Octo-Cat/ml.tools",
        "git+https://github.com/Octo-Cat/ml.tools.git",
        "git@github.com:Octo-Cat/ml.tools.git",
        "  https://github.com/Octo-Cat/ml.tools/issues  ",
    ],
)
def test_every_spelling_of_a_github_url_reads_as_owner_slash_name(url):
    assert github_repo(url) == "Octo-Cat/ml.tools"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/sponsors/octocat",
        "https://github.com/octocat",
        "https://gitlab.com/octocat/tools",
        "https://octocat.github.io/tools",
        "https://github.com.evil.example/octocat/tools",
        "",
        None,
    ],
)
def test_what_is_not_a_repository_reads_as_none(url):
    assert github_repo(url) is None


def test_the_source_label_wins_over_homepage_and_funding_never_counts():
    urls = {
        "Funding": "https://github.com/sponsors/someone",
        "Homepage": "https://github.com/acme-org/tool",
        "Source": "https://github.com/alice/tool.git",
    }
    assert source_repo(urls, None) == "alice/tool"
    assert (
        source_repo({"Docs": "https://tool.readthedocs.io"}, "https://github.com/bob/t") == "bob/t"
    )
    assert source_repo({}, None) is None


def test_keywords_requirements_and_ml_marks():
    assert keywords_of("pytorch, Machine-Learning", "k") == ["pytorch", "machine-learning"]
    assert keywords_of("sample setuptools development", "k") == [
        "sample",
        "setuptools",
        "development",
    ]
    assert keywords_of(None, "k") == []
    assert requirement_name("Torch_Vision>=0.1 ; extra == 'x'") == "torch-vision"
    assert requirement_name("numpy[extra]~=1.2") == "numpy"
    ai = "Topic :: Scientific/Engineering :: Artificial Intelligence"
    assert is_ml([ai], []) and is_ml([], ["llm"])
    assert not is_ml(["Topic :: Scientific/Engineering"], ["utility"])


def document(**info: object) -> dict:
    base = {
        "name": "Torch_Tools",
        "version": "1.1.0",
        "summary": "tools",
        "home_page": "",
        "project_urls": {"Repository": "https://github.com/alice/torch-tools/"},
        "classifiers": ["Topic :: Scientific/Engineering :: Artificial Intelligence"],
        "keywords": "pytorch",
        "requires_dist": ["torch>=2", "numpy ; extra == 'np'", "torch"],
        "author_email": "alice@example.org",
    }
    base.update(info)
    return {
        "info": base,
        "last_serial": 123,
        "releases": {
            "1.0.0": [{"upload_time_iso_8601": "2024-01-02T03:04:05.000001Z", "yanked": False}],
            "1.1.0": [{"upload_time_iso_8601": "2025-02-03T00:00:00Z", "yanked": False}],
            "1.2.0": [{"upload_time_iso_8601": "2025-09-03T00:00:00Z", "yanked": True}],
            "2.0.0": [],
        },
        "ownership": {
            "roles": [{"role": "Owner", "user": "alice"}, {"role": "Maintainer", "user": "b.o_b"}],
            "organization": None,
        },
    }


def test_a_project_reads_into_what_a_package_row_needs():
    project = read_project(document())
    assert project.key == "torch-tools" and project.serial == 123
    assert project.requires == ["torch", "numpy"] and project.ml
    assert project.roles == [("Owner", "alice"), ("Maintainer", "b.o_b")]
    assert project.releases == 2  # a yanked-only or empty release is not a release
    assert project.first_release == datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC)
    assert project.last_release == datetime(2025, 2, 3, tzinfo=UTC)
    assert project.source_repo == "alice/torch-tools"


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.pop("info"),
        lambda d: d["info"].update(name="not a name!"),
        lambda d: d.update(last_serial="12"),
        lambda d: d["ownership"]["roles"].append({"role": "Admin", "user": "x"}),
        lambda d: d["ownership"]["roles"].append({"role": "Owner", "user": "bad user"}),
        lambda d: d["releases"]["1.0.0"][0].update(upload_time_iso_8601="yesterday"),
        lambda d: d["info"].update(classifiers="AI"),
    ],
)
def test_a_document_the_api_does_not_allow_is_a_payload_error(break_it):
    doc = copy.deepcopy(document())
    break_it(doc)
    with pytest.raises(PayloadError):
        read_project(doc)


def test_a_user_record_holds_no_contact_and_lists_every_package():
    reduced = reduce_project(document())
    assert "author_email" not in str(reduced) and "ownership" not in reduced
    other = reduce_project(document(name="jax-bits", project_urls=None, keywords="utility"))
    record = {
        "user": "alice",
        "packages": [
            {"role": "Owner", "project": reduced},
            {"role": "Maintainer", "project": other},
        ],
    }
    profile = parse_user(record, NOW)
    assert profile.source == "pypi" and profile.external_id == "alice" == profile.handle
    assert profile.profile_url == "https://pypi.org/user/alice/" and profile.email is None
    rows = {row.name: row for row in profile.pypi_packages or []}
    assert set(rows) == {"torch-tools", "jax-bits"}
    assert rows["torch-tools"].role == "Owner" and rows["jax-bits"].source_repo is None
    assert rows["torch-tools"].keywords == ["pytorch"] and rows["torch-tools"].downloads is None
    with pytest.raises(PayloadError):
        parse_user({"user": "alice", "packages": [{"role": "Boss", "project": reduced}]}, NOW)


def test_bots_are_dropped_people_are_not():
    assert why_dropped({"user": "pytorch-bot"}) == "bot"
    assert why_dropped({"user": "abbot"}) is None and why_dropped({"user": "alice"}) is None
