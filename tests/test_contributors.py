"""The contributors spider (crawlers/github/contributors.py) end to end against the sandbox, each
crawl in its own process: what lands (every human contributor of the hidden truth, with commits
and merged pull requests), what it costs, what a second run costs, suppression, quarantine.
Kill -9, --resume and faults: tests/test_contrib_run.py."""

from __future__ import annotations

import json
import math

import pytest
from fault_proxy import FaultProxy, Rule
from helpers import scout as run_scout
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world_projects import projects_layer
from storage.db import open_database, session_scope
from storage.suppress import suppress

TOKEN = {"GITHUB_TOKEN": "ghp_" + "t" * 36}
REPOS = ("pytorch/pytorch", "kserve/kserve")


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 1500)


@pytest.fixture(scope="module")
def sandbox(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


def crawl(db_url, api, *args, env=None):
    repos = [a for r in REPOS for a in ("--contributors-of", r)] if not args else list(args)
    full = {**TOKEN, **(env or {})}
    return run_scout("crawl", "github", *repos, "--api-url", api, db=db_url, env=full)


def rows(db_url):
    """(external id, repo) -> (commits, merged prs, last merged) of every contributions row."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT p.external_id, c.repo, c.commits, c.merged_prs, c.last_merged_at "
                    "FROM contributions c JOIN profiles p ON p.id = c.profile_id"
                )
            ).all()
    except OperationalError:  # no table yet, or the crawl holds the write lock
        return {}
    finally:
        engine.dispose()
    return {(e, r): (c, m, str(t)[:19] if t else None) for e, r, c, m, t in found}


def truth(world, repos=REPOS):
    layer = projects_layer(world)
    out = {}
    for repo in repos:
        for c in layer.truth(repo).values():
            if not c.bot:
                last = c.last_merged_at.isoformat(sep=" ")[:19] if c.last_merged_at else None
                out[(str(c.account_id), repo)] = (c.commits, c.merged_prs, last)
    return out


def last_run(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, stats FROM crawl_runs ORDER BY id DESC LIMIT 1")
        ).one()
    engine.dispose()
    return row[0], row[1] if isinstance(row[1], dict) else json.loads(row[1])


def snapshot(db_url):
    """Profiles, contributions and cursors without the times of the run."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        profiles = sorted(
            conn.execute(text("SELECT external_id, handle, content_sha FROM profiles")).all()
        )
        cursors = []
        for partition, cursor in conn.execute(
            text("SELECT partition, cursor FROM crawl_state WHERE stream = 'contributors'")
        ).all():
            value = json.loads(cursor) if isinstance(cursor, str) else dict(cursor)
            for key in ("began", "walked"):
                value.pop(key, None)
            cursors.append((partition, json.dumps(value, sort_keys=True)))
    engine.dispose()
    return profiles, rows(db_url), sorted(cursors)


def test_every_human_contributor_lands_with_commits_and_merged_prs(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    result = crawl(url, sandbox.github_url)
    assert result.returncode == 0, result.stderr
    assert rows(url) == truth(world)
    status, stats = last_run(url)
    layer = projects_layer(world)
    listed = [len(layer.contributors(layer.project(*r.split("/")))) for r in REPOS]
    pulls = [len(layer.pulls(layer.project(*r.split("/")))) for r in REPOS]
    assert max(listed) > 100  # a repository of two contributor pages
    # At most one REST request per 100 contributors, plus the pull pages and the details.
    assert stats["contributor_pages"] == sum(math.ceil(n / 100) for n in listed)
    assert stats["pull_pages"] == sum(math.ceil(n / 100) for n in pulls)
    assert stats["requests"] == (
        stats["contributor_pages"] + stats["pull_pages"] + stats["detail_requests"]
    )
    people = {e for e, _ in truth(world)}
    assert stats["new"] == len(people) and stats["dropped_bot"] == len(REPOS)
    assert stats["detail_requests"] <= math.ceil(len(people) / 20) + len(REPOS)
    assert status == "ok" and stats["errors"] == 0
    # Contributors from anywhere, located or not: none is dropped for its location.
    located = {str(a.id) for a in world.github.values() if a.location}
    assert people - located, "the world has contributors with no GitHub location"

    # A second run reads only what changed: no details, one pull page per repository.
    again = crawl(
        url, sandbox.github_url, *[a for r in REPOS for a in ("--contributors-of", r)], "--resume"
    )
    assert again.returncode == 0, again.stderr
    _, stats = last_run(url)
    assert stats["detail_requests"] == 0 and stats["pull_pages"] == len(REPOS)
    assert stats["unchanged"] >= len(people) and stats["merged_prs"] == 0
    assert rows(url) == truth(world)


def test_suppressed_people_are_not_stored(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    people = sorted(truth(world, ("mlflow/mlflow",)))
    gone_id = people[0][0]
    login = next(a.login for a in world.github.values() if str(a.id) == gone_id)
    engine = open_database(url)
    with session_scope(engine) as session:
        suppress(session, "github", [login.upper()])
    engine.dispose()
    result = crawl(url, sandbox.github_url, "--contributors-of", "mlflow/mlflow")
    assert result.returncode == 0, result.stderr
    got = rows(url)
    assert (gone_id, "mlflow/mlflow") not in got
    assert len(got) == len(people) - 1
    _, stats = last_run(url)
    assert stats["suppressed"] >= 1
    engine = create_engine(url)
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT count(*) FROM raw_records WHERE subject = :s"), {"s": gone_id}
        ).scalar_one()
    engine.dispose()
    assert raw == 0


def test_a_malformed_entry_is_quarantined_counted_and_held(world, sandbox, tmp_path):
    def bad_entry(exchange):
        body = json.loads(exchange.response_body)
        body[0]["contributions"] = "many"
        exchange.response_body = json.dumps(body).encode()

    rule = Rule("bad_contributor", lambda e: "/contributors" in e.path, bad_entry, times=1)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    with FaultProxy(sandbox.base_url, [rule]) as proxy:
        result = crawl(url, proxy.github_url, "--contributors-of", "mlflow/mlflow")
    assert rule.fired == 1
    status, stats = last_run(url)
    assert stats["quarantined"] == 1 and stats["pages_held"] == 1
    assert status == "partial" and result.returncode == 3
    assert "many" not in result.stderr  # the reason names the field, never its value
    again = crawl(url, sandbox.github_url, "--contributors-of", "mlflow/mlflow", "--resume")
    assert again.returncode == 0, again.stderr
    assert rows(url) == truth(world, ("mlflow/mlflow",))
