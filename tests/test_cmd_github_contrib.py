"""`scout crawl github --contributors-of / --projects` (scout/cmd_github_contrib.py): its
options, in process; the crawl itself is tests/test_contributors.py's."""

from __future__ import annotations

import pytest
from helpers import invoke


@pytest.mark.parametrize("extra", [["--region", "india"], ["--location", "Pune"]])
def test_contributors_and_a_search_do_not_mix(tmp_path, extra):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = invoke("crawl", "github", "--contributors-of", "a/b", *extra, db=db)
    assert result.exit_code == 2 and "not a search" in result.output


def test_a_repository_must_be_owner_slash_name(tmp_path):
    result = invoke(
        "crawl", "github", "--contributors-of", "mlflow", db=f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert result.exit_code == 2 and "OWNER/NAME" in result.output
    assert "Traceback" not in result.output


def test_help_names_both_options():
    result = invoke("crawl", "github", "--help")
    assert "--contributors-of" in result.output and "--projects" in result.output
