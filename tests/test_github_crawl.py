"""`scout crawl github` end to end against the sandbox, each crawl in its own process."""

from __future__ import annotations

import json
import random
import signal
import time
import urllib.request
from pathlib import Path
from subprocess import DEVNULL

import pytest
from helpers import scout as run_scout
from helpers import scout_popen
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from crawlers.github.parse import location_excluded, location_matches
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from storage.state import exit_code

# The crawl's mechanics (windows, passes, budgets, nights) on a few hand terms: generated terms
# (enrich.location.region_terms) are tested in tests/test_region_terms.py.
REGIONS = """
[regions.eastern-europe]
include = ["Ukraine", "Kyiv", "Lviv", "Poland", "Warsaw", "Krakow"]
exclude = ["Russia"]
countries = ["UA", "PL"]
generate = false

[regions.india]
include = ["India", "Bengaluru", "Bangalore"]
exclude = ["Indiana"]
countries = ["IN"]
generate = false
"""


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(7, 5000)


@pytest.fixture(scope="module")
def sandbox(world):
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        yield server


def crawl_env(tmp=None, **env):
    """The test regions and a token (plus `env`), for a crawl in its own process."""
    regions = Path(tmp or ".") / "regions.toml"
    regions.write_text(REGIONS)
    return {"SCOUT_REGIONS_FILE": str(regions), "GITHUB_TOKEN": "ghp_" + "t" * 36, **env}


def scout(db_url, *args, env=None, api=None, timeout=120, tmp=None):
    api_args = ("--api-url", api) if api else ()
    env = crawl_env(tmp, **(env or {}))
    return run_scout(*args, *api_args, db=db_url, env=env, timeout=timeout)


def profile_count(db_url):
    """How many profiles the database holds (0 before the crawl made its tables)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM profiles")).scalar_one()
    except OperationalError:  # no table yet, or the crawl holds the write lock
        return 0
    finally:
        engine.dispose()


def stored(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT external_id, handle FROM profiles WHERE source='github'"))
        out = [(e, h) for e, h in rows]
    engine.dispose()
    return out


def timeless(cursor):
    """A window cursor as JSON without its walk's history: when it began and finished, and
    whether it was a recheck of a walk that spanned runs (as a resumed crawl's are)."""
    value = json.loads(cursor) if isinstance(cursor, str) else dict(cursor)
    value.pop("walked", None)
    value.pop("began", None)
    value.pop("recheck", None)
    return json.dumps(value, sort_keys=True)


def snapshot(db_url):
    """Everything a crawl derives, without timestamps of when it ran."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        profiles = sorted(
            conn.execute(
                text(
                    "SELECT external_id, handle, name, location_raw, followers, content_sha "
                    "FROM profiles"
                )
            ).all()
        )
        repos = sorted(
            conn.execute(
                text(
                    "SELECT p.external_id, r.name, r.stars, r.topics FROM repositories r "
                    "JOIN profiles p ON p.id = r.profile_id"
                )
            ).all()
        )
        cursors = sorted(
            (p, timeless(c))
            for p, c in conn.execute(
                text("SELECT partition, cursor FROM crawl_state WHERE source='github'")
            ).all()
        )
    engine.dispose()
    return profiles, repos, cursors


def last_run(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, stats, errors FROM crawl_runs ORDER BY id DESC LIMIT 1")
        ).one()
    engine.dispose()
    stats = row[1] if isinstance(row[1], dict) else json.loads(row[1])
    return row[0], stats, row[2]


def people(world, include, exclude=()):
    return {
        str(a.id)
        for a in world.github.values()
        if a.type == "User"
        and not a.login.endswith("[bot]")
        and any(location_matches(a.location, t) for t in include)
        and not location_excluded(a.location, exclude)
    }


def test_region_crawl_stores_every_matching_person_once_and_no_org_or_bot(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = scout(
        url, "crawl", "github", "--region", "eastern-europe", api=sandbox.github_url, tmp=tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = stored(url)
    ids = [e for e, _ in rows]
    assert len(ids) == len(set(ids))
    expected = people(world, ["Ukraine", "Kyiv", "Lviv", "Poland", "Warsaw", "Krakow"], ["Russia"])
    assert set(ids) == expected
    status, stats, _ = last_run(url)
    assert status == "ok" and stats["profiles_stored"] == len(expected)
    assert "stored" in result.stdout


def test_query_over_the_cap_is_split_by_creation_date(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'all.db'}"
    result = scout(url, "crawl", "github", api=sandbox.github_url, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = [e for e, _ in stored(url)]
    people_ids = {
        str(a.id)
        for a in world.github.values()
        if a.type == "User" and not a.login.endswith("[bot]")
    }
    assert len(people_ids) > 1000
    assert len(ids) == len(set(ids)) and set(ids) == people_ids
    orgs_bots = {str(a.id) for a in world.github.values() if str(a.id) not in people_ids}
    assert not orgs_bots & set(ids)
    _, stats, _ = last_run(url)
    assert stats["dropped_bot"] > 0 and stats["dropped_org"] == 0  # type:user keeps orgs out
    engine = create_engine(url)
    with engine.connect() as conn:
        cursors = [
            json.loads(c) if isinstance(c, str) else c
            for (c,) in conn.execute(text("SELECT cursor FROM crawl_state"))
        ]
    engine.dispose()
    assert any(c.get("split") for c in cursors) and all(c["done"] for c in cursors)
    assert max(c.get("count", 0) for c in cursors if not c.get("split")) <= 1000


def test_kill_9_and_resume_equals_an_uninterrupted_crawl(sandbox, tmp_path):
    ref = f"sqlite:///{tmp_path / 'ref.db'}"
    assert (
        scout(
            ref, "crawl", "github", "--region", "india", api=sandbox.github_url, tmp=tmp_path
        ).returncode
        == 0
    )
    expected = snapshot(ref)
    rng = random.Random(3)
    for n in range(3):
        url = f"sqlite:///{tmp_path / f'k{n}.db'}"
        env = crawl_env(tmp_path, SCOUT_GITHUB_CONCURRENCY="2")
        args = ("crawl", "github", "--region", "india", "--api-url", sandbox.github_url)
        proc = scout_popen(*args, db=url, env=env, stdout=DEVNULL, stderr=DEVNULL)
        # Killed once it has stored a random share of the work: it died mid-way.
        target = rng.randint(1, len(expected[0]) // 2)
        deadline = time.monotonic() + 60
        while profile_count(url) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing in 60 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the crawl ended before the kill"
        assert target <= profile_count(url) < len(expected[0]), f"kill point {n}"
        result = scout(
            url,
            "crawl",
            "github",
            "--region",
            "india",
            "--resume",
            api=sandbox.github_url,
            tmp=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert snapshot(url) == expected, f"kill point {n}"


def test_faults_are_retried_and_counted(world):
    options = SandboxOptions(rate_limit=1_000_000, fault_rate=0.2, fault_seed=5)
    with SandboxServer(world, options) as server:
        tmp = Path.cwd()
        url = f"sqlite:///{tmp / 'f.db'}"
        result = scout(
            url,
            "crawl",
            "github",
            "--region",
            "india",
            api=server.github_url,
            env={"SCOUT_HTTP_RETRIES": "1"},
            tmp=tmp,
        )
        status, stats, errors = last_run(url)
        faults = json.load(urllib.request.urlopen(server.base_url + "/_sandbox/stats"))
    assert faults.get("faults.total", 0) > 0
    assert stats["errors"] == errors
    assert status == ("partial" if errors else "ok")
    assert result.returncode == exit_code(status), result.stderr  # partial: 3
    expected = people(world, ["India", "Bengaluru", "Bangalore"], ["Indiana"])
    got = {e for e, _ in stored(url)}
    # How much lands under faults is chance (a root count that fails twice costs its term);
    # what must hold: nothing wrong lands, every profile stored is counted, a run that says
    # `ok` is complete, and a --resume stores exactly the profiles still missing.
    why = (stats, result.stdout, result.stderr[-3000:])
    assert got <= expected and stats["profiles_stored"] == len(got), why
    assert got == expected or status == "partial", why
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as server:
        again = scout(
            url, "crawl", "github", "--region", "india", "--resume", api=server.github_url, tmp=tmp
        )
    assert again.returncode == 0, again.stderr
    assert {e for e, _ in stored(url)} == expected
    assert last_run(url)[1]["profiles_stored"] == len(expected - got)


def test_exhausted_quota_waits_for_the_reset(world):
    options = SandboxOptions(rate_limit=60, rate_window_s=3)
    with SandboxServer(world, options) as server:
        url = f"sqlite:///{Path.cwd() / 'q.db'}"
        started = time.monotonic()
        result = scout(
            url,
            "crawl",
            "github",
            "--region",
            "india",
            api=server.github_url,
            env={"SCOUT_GITHUB_QUOTA_FLOOR": "0"},
            tmp=Path.cwd(),
        )
        assert result.returncode == 0, result.stderr
    status, stats, _ = last_run(url)
    assert status == "ok" and stats["quota_waits"] > 0
    assert time.monotonic() - started > 3
    assert {e for e, _ in stored(url)} == people(
        world, ["India", "Bengaluru", "Bangalore"], ["Indiana"]
    )


def test_bad_token_and_bad_region_end_in_one_message(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    result = scout(
        url,
        "crawl",
        "github",
        "--location",
        "Kyiv",
        api=sandbox.github_url,
        env={"GITHUB_TOKEN": "bad-token-0123456789"},
        tmp=tmp_path,
    )
    assert result.returncode == 2
    assert "401" in result.stderr and "Traceback" not in result.stderr
    assert "bad-token-0123456789" not in result.stderr + result.stdout
    result = scout(
        url, "crawl", "github", "--region", "atlantis", api=sandbox.github_url, tmp=tmp_path
    )
    assert result.returncode == 2
    assert "unknown region 'atlantis'" in result.stderr
    assert "known regions: Eastern Europe (eastern-europe), India" in result.stderr  # its file


def test_a_crawl_without_a_token_says_search_needs_one(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    result = scout(
        url,
        "crawl",
        "github",
        "--location",
        "Kyiv",
        api=sandbox.github_url,
        env={"GITHUB_TOKEN": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 2
    assert "needs" in result.stderr and "GITHUB_TOKEN" in result.stderr
    assert "rejected the token" not in result.stderr and "Traceback" not in result.stderr
    assert last_run(url)[0] == "failed"


def test_an_empty_window_is_not_an_error(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = scout(
        url,
        "crawl",
        "github",
        "--location",
        "Kyiv",
        "--created-since",
        "2030-01-01",
        "--created-until",
        "2031-01-01",
        api=sandbox.github_url,
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "stored 0 profiles" in result.stdout


def test_max_users_keeps_exactly_that_many_profiles_and_their_raw_records(sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = scout(
        url,
        "crawl",
        "github",
        "--region",
        "eastern-europe",
        "--max-users",
        "7",
        api=sandbox.github_url,
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    handles = {h.lower() for _, h in stored(url)}
    assert len(handles) == 7
    engine = create_engine(url)
    with engine.connect() as conn:
        keys = {
            k for (k,) in conn.execute(text("SELECT key FROM raw_records WHERE source='github'"))
        }
    engine.dispose()
    # A raw record of an account left out would become a profile on `scout rebuild`.
    assert keys == handles
