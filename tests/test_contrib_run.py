"""The contributors crawl's run (crawlers/github/contrib_run.py): which repositories, and what a
run leaves after kill -9 or a fault: --resume ends equal to an uninterrupted crawl."""

from __future__ import annotations

import random
import signal
import time
from subprocess import DEVNULL

import pytest
from fault_proxy import FaultProxy, Rule
from helpers import scout_popen
from test_contributors import TOKEN, crawl, last_run, rows, snapshot, truth

from config.errors import ScoutError
from config.projects import load_projects
from crawlers.github.contrib_run import repositories
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer

REPOS = ("mlflow/mlflow", "kserve/kserve")
ARGS = [a for r in REPOS for a in ("--contributors-of", r)]


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 1500)


def test_repositories_are_checked_spelled_as_the_config_and_listed_once():
    projects = load_projects()
    assert repositories(["BentoML/bentoml", "a/b"], None) == ["BentoML/bentoml", "a/b"]
    assert repositories(["bentoml/bentoml"], projects, every=False) == ["bentoml/BentoML"]
    every = repositories(["bentoml/bentoml", "x/y"], projects)
    assert every[:2] == ["bentoml/BentoML", "x/y"]
    assert len(every) == len(set(every)) == len(projects.projects) + 1
    assert repositories(["https://github.com/mlflow/mlflow/"], None) == ["mlflow/mlflow"]
    with pytest.raises(ScoutError, match="OWNER/NAME"):
        repositories(["mlflow"], None)


def test_kill_9_and_resume_equals_an_uninterrupted_crawl(world, tmp_path):
    options = SandboxOptions(rate_limit=1_000_000, latency_ms=10)
    with SandboxServer(world, options) as server:
        ref = f"sqlite:///{tmp_path / 'ref.db'}"
        assert crawl(ref, server.github_url, *ARGS).returncode == 0
        expected = snapshot(ref)
        assert expected[1] == truth(world, REPOS)
        url = f"sqlite:///{tmp_path / 'k.db'}"
        env = {**TOKEN, "SCOUT_GITHUB_CONCURRENCY": "2"}
        args = [*ARGS, "--api-url", server.github_url]
        proc = scout_popen(
            "crawl", "github", *args, db=url, env=env, stdout=DEVNULL, stderr=DEVNULL
        )
        # Killed once it stored part of the work (the second repository's rows, or mid-way).
        target = random.Random(5).randint(len(expected[1]) // 3, len(expected[1]) // 2)
        deadline = time.monotonic() + 60
        while len(rows(url)) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing in 60 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the crawl ended before the kill"
        assert snapshot(url) != expected
        result = crawl(url, server.github_url, *ARGS, "--resume")
        assert result.returncode == 0, result.stderr
        assert snapshot(url) == expected


def test_a_failing_list_page_ends_partial_and_resume_completes(world, tmp_path):
    def broken(exchange):
        exchange.status = 502
        exchange.response_body = b"<html>bad gateway</html>"

    rule = Rule("pulls_502", lambda e: "/pulls" in e.path, broken, skip=1, times=None)
    url = f"sqlite:///{tmp_path / 'f.db'}"
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as sandbox:
        with FaultProxy(sandbox.base_url, [rule]) as proxy:
            result = crawl(url, proxy.github_url, *ARGS, env={"SCOUT_HTTP_RETRIES": "1"})
        assert rule.fired >= 2
        status, stats = last_run(url)
        assert status == "partial" and result.returncode == 3, result.stderr
        assert stats["errors"] == len(REPOS) and stats["retries"] >= len(REPOS)
        assert rows(url) != truth(world, REPOS)
        again = crawl(url, sandbox.github_url, *ARGS, "--resume")
    assert again.returncode == 0, again.stderr
    assert rows(url) == truth(world, REPOS)


def test_budget_stops_cleanly_and_resume_finishes(world, tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as sandbox:
        result = crawl(
            url, sandbox.github_url, "--contributors-of", "mlflow/mlflow", "--budget", "22"
        )
        status, stats = last_run(url)
        assert status == "ok" and result.returncode == 0, result.stderr
        assert "budget reached" in result.stdout
        assert 0 < stats["quota_spent"] <= 22 and rows(url) != truth(world, ("mlflow/mlflow",))
        again = crawl(url, sandbox.github_url, "--contributors-of", "mlflow/mlflow", "--resume")
    assert again.returncode == 0, again.stderr
    assert rows(url) == truth(world, ("mlflow/mlflow",))
