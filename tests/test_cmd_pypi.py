"""`scout crawl pypi` as a user meets it: help, and a bad --package refused in one line
before any request (exit 2). Crawls themselves: tests/test_pypi_run.py."""

from __future__ import annotations

from helpers import invoke


def test_help_names_the_options(tmp_path):
    result = invoke("crawl", "pypi", "--help", db=f"sqlite:///{tmp_path / 'h.db'}")
    assert result.exit_code == 0
    for flag in ("--package", "--resume", "--api-url", "--max-packages", "--rate"):
        assert flag in result.output


def test_a_bad_package_name_is_one_line_and_exit_2(tmp_path):
    result = invoke(
        "crawl", "pypi", "--package", "../x", "--api-url", "http://127.0.0.1:9/pypi",
        db=f"sqlite:///{tmp_path / 'b.db'}",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "not a PyPI project name" in result.output and "Traceback" not in result.output
