"""How the PyPI crawl asks and judges answers: names checked before they reach a URL,
conditional requests, and what each status means; knobs from the environment."""

from __future__ import annotations

import pytest

from config.errors import ScoutError
from crawlers.pypi.client import PypiOptions, conditional, package_name, project_url, read_answer


def test_a_typed_name_is_checked_and_normalised_before_it_reaches_a_url():
    assert package_name(" Scikit_Learn ") == "scikit-learn"
    for bad in ("../etc/passwd", "torch json", "-torch", "", "na/me"):
        with pytest.raises(ScoutError, match="not a PyPI project name"):
            package_name(bad)
    assert (
        project_url("http://127.0.0.1:9/pypi/", "torch")
        == "http://127.0.0.1:9/pypi/pypi/torch/json"
    )


def test_a_stored_etag_makes_the_request_conditional():
    assert conditional('"abc"') == {"If-None-Match": '"abc"'}
    assert conditional(None) == {}


@pytest.mark.parametrize(
    ("status", "body", "failure", "kind"),
    [
        (200, b'{"info": {}}', None, "project"),
        (304, b"", None, "not_modified"),
        (404, b'{"message": "Not Found"}', None, "missing"),
        (429, b"slow down", None, "failed"),
        (503, b"<html>", "HTTP 503", "failed"),  # given up after the retries
        (200, b'{"info": ', None, "failed"),  # a cut-off body is not a project
    ],
)
def test_what_an_answer_means(status, body, failure, kind):
    answer = read_answer(status, {"etag": '"e"'}, body, None, failure)
    assert answer.kind == kind
    if kind == "project":
        assert answer.payload == {"info": {}} and answer.etag == '"e"'


def test_knobs_come_from_the_environment_and_are_bounded(monkeypatch):
    monkeypatch.setenv("SCOUT_PYPI_RATE", "5")
    monkeypatch.setenv("SCOUT_PYPI_MAX_PACKAGES", "40")
    options = PypiOptions()
    assert (
        options.rate == 5 and options.max_packages == 40 and options.api_url == "https://pypi.org"
    )
    monkeypatch.setenv("SCOUT_PYPI_RATE", "0")
    with pytest.raises(ValueError):
        PypiOptions()
