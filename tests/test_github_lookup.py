"""`scout lookup github` and `scout refresh github` (PyGithub, REST) against the sandbox."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from helpers import scout, scout_popen
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate
from scout.cli import app

runner = CliRunner()
TOKEN = "ghp_" + "l" * 36
T_DAY0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(11, 2000)


@pytest.fixture(scope="module")
def sandbox(world):
    with SandboxServer(world, SandboxOptions(rate_limit=100_000)) as server:
        yield server


def core_remaining(sandbox):
    request = urllib.request.Request(
        sandbox.github_url + "/rate_limit", headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["resources"]["core"]["remaining"]


def people(world, n, kind="User"):
    return [
        a
        for a in world.github.values()
        if a.type == kind and not a.login.endswith("[bot]") and (kind != "User" or a.repos)
    ][:n]


def invoke(url, sandbox, *args, token=TOKEN):
    env = {"GITHUB_TOKEN": token} if token else {}
    return runner.invoke(app, ["--db", url, *args, "--api-url", sandbox.github_url], env=env)


def test_lookup_stores_profile_and_every_repository(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    (person,) = people(world, 1)
    result = invoke(url, sandbox, "lookup", "github", person.login, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["external_id"] == str(person.id) and shown["handle"] == person.login
    assert shown["etag"]
    assert {r["name"] for r in shown["repositories"]} == {r.name for r in person.repos}
    topics = {r.name: sorted(r.topics) for r in person.repos}
    assert all(sorted(r["topics"]) == topics[r["name"]] for r in shown["repositories"])
    table = invoke(url, sandbox, "lookup", "github", person.login)
    assert table.exit_code == 0 and person.login in table.output


def test_lookup_refuses_organisations_unknown_logins_and_bad_tokens(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    (org,) = people(world, 1, kind="Organization")
    result = invoke(url, sandbox, "lookup", "github", org.login)
    assert result.exit_code == 2 and "organisation" in result.output
    result = invoke(url, sandbox, "lookup", "github", "no-such-person-xyz")
    assert result.exit_code == 2 and "no GitHub account" in result.output
    result = invoke(url, sandbox, "lookup", "github", org.login, token="bad-token-123456")
    assert result.exit_code == 2 and "401" in result.output
    assert "bad-token-123456" not in result.output
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM profiles")).scalar() == 0
    engine.dispose()


def test_refresh_of_unchanged_profiles_costs_no_quota(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    chosen = people(world, 5)
    for person in chosen:
        assert invoke(url, sandbox, "lookup", "github", person.login).exit_code == 0
    before = core_remaining(sandbox)
    result = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert result.exit_code == 0, result.output
    assert "5 unchanged" in result.output
    assert core_remaining(sandbox) == before
    # A stale ETag means the profile changed: it is fetched (one point) and re-parsed.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE profiles SET etag = 'W/\"old\"', name = 'x' WHERE id = 1"))
    result = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert result.exit_code == 0, result.output
    assert "4 unchanged" in result.output and "1 changed" in result.output
    with engine.connect() as conn:
        name, etag = conn.execute(text("SELECT name, etag FROM profiles WHERE id = 1")).one()
    engine.dispose()
    assert etag != 'W/"old"' and name != "x"
    assert core_remaining(sandbox) == before - 1
    result = invoke(url, sandbox, "refresh", "github", "--stale-days", "30")
    assert result.exit_code == 0 and "Refreshed 0" in result.output


def test_sigterm_mid_refresh_ends_at_once_as_interrupted_with_exit_130(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 't.db'}"
    chosen = people(world, 12)
    for person in chosen:
        assert invoke(url, sandbox, "lookup", "github", person.login).exit_code == 0
    slow = SandboxOptions(rate_limit=100_000, latency_ms=500)
    env = {"GITHUB_TOKEN": TOKEN, "SCOUT_GITHUB_CONCURRENCY": "1"}
    engine = create_engine(url)
    with SandboxServer(world, slow) as server:
        command = ("refresh", "github", "--stale-days", "0", "--api-url", server.github_url)
        proc = scout_popen(*command, db=url, env=env, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.scalar(text("SELECT count(*) FROM crawl_runs")):
                    break
            time.sleep(0.05)
        time.sleep(1.2)  # two or three profiles in
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 3, "SIGTERM waited for the queued profiles"
    assert proc.returncode == 130, err
    with engine.connect() as conn:
        status, stats = conn.execute(text("SELECT status, stats FROM crawl_runs")).one()
    engine.dispose()
    stats = stats if isinstance(stats, dict) else json.loads(stats)
    assert status == "interrupted"
    assert 0 < stats["requests"] < len(chosen) and stats["error"] == 0
    assert "github interrupted" in out and "Traceback" not in err


def test_refresh_stays_free_after_a_crawl(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {"GITHUB_TOKEN": TOKEN}
    crawl = (
        "crawl",
        "github",
        "--location",
        "Warsaw",
        "--location",
        "Kyiv",
        "--api-url",
        sandbox.github_url,
    )
    engine = create_engine(url)

    def etags():
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(etag), count(*) FROM profiles")).one()

    assert scout(*crawl, db=url, env=env).returncode == 0
    first = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert first.exit_code == 0, first.output
    with_etag, stored = etags()
    assert stored > 10 and with_etag == stored
    # A crawl of the same (unchanged) accounts keeps every ETag...
    assert scout(*crawl, db=url, env=env).returncode == 0
    assert etags() == (with_etag, stored)
    # ...so the next refresh is free: all 304.
    before = core_remaining(sandbox)
    again = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert again.exit_code == 0, again.output
    assert f"{stored} unchanged" in again.output and core_remaining(sandbox) == before
    engine.dispose()


def test_refresh_updates_repositories_changed_under_an_unchanged_profile(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    (person,) = people(world, 1)
    assert invoke(url, sandbox, "lookup", "github", person.login).exit_code == 0
    engine = create_engine(url)
    # What a refresh finds when a repository changed since it was stored: the profile's own
    # ETag still matches (304), its repositories' does not.
    with engine.begin() as conn:
        conn.execute(text("UPDATE repositories SET stars = -1"))
        conn.execute(
            text("UPDATE raw_records SET etag = 'W/\"old\"' WHERE endpoint = 'rest:/users/repos'")
        )
    before = core_remaining(sandbox)
    result = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output
    with engine.connect() as conn:
        stars = dict(conn.execute(text("SELECT name, stars FROM repositories")).all())
        spent = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC")).first()[0]
    assert stars == {r.name: r.stargazers_count for r in person.repos}
    # The repositories (a page) and the profile again, which the 304 did not carry.
    assert before - core_remaining(sandbox) == 2 == json.loads(spent)["quota_spent"]
    again = invoke(url, sandbox, "refresh", "github", "--stale-days", "0")
    assert "1 unchanged" in again.output and core_remaining(sandbox) == before - 2
    engine.dispose()


def test_refresh_follows_a_renamed_login_by_account_id(world, sandbox, tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    (person,) = people(world, 1)
    assert invoke(url, sandbox, "lookup", "github", person.login).exit_code == 0
    renamed = generate(11, 2000)  # the same world, where this person changed their login
    account = renamed.github.pop(person.login)
    account.login = "renamed-" + person.login[:20]
    renamed.github[account.login] = account
    with SandboxServer(renamed, SandboxOptions(rate_limit=100_000)) as server:
        result = runner.invoke(
            app,
            ["--db", url, "refresh", "github", "--stale-days", "0", "--api-url", server.github_url],
            env={"GITHUB_TOKEN": TOKEN},
        )
    assert result.exit_code == 0, result.output
    assert "1 changed" in result.output and "0 gone" in result.output
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT external_id, handle FROM profiles")).all()
    engine.dispose()
    assert rows == [(str(person.id), account.login)]


def test_refresh_marks_exactly_the_accounts_deleted_or_suspended_as_days_pass(tmp_path):
    from sandbox.world_days import Timeline
    from sandbox.world_step import DayRates
    from storage.db import open_database, session_scope
    from storage.items import ProfileItem
    from storage.save import save_profiles

    base = generate(5, 300)
    rates = DayRates(deletions=0.02, suspensions=0.01)  # a few a day in a small world
    url = f"sqlite:///{tmp_path / 'g.db'}"
    users = [a for a in base.github.values() if a.type == "User"]
    engine = open_database(url)
    with session_scope(engine) as session:
        save_profiles(
            session, [ProfileItem("github", str(a.id), T_DAY0, handle=a.login) for a in users]
        )
    options = SandboxOptions(rate_limit=100_000)
    with SandboxServer(base, options, timeline=Timeline(base, rates)) as server:

        def refresh(*extra):
            day = json.load(urllib.request.urlopen(server.base_url + "/_sandbox/day"))
            result = runner.invoke(
                app,
                [
                    "--db",
                    url,
                    "refresh",
                    "github",
                    "--stale-days",
                    "0",
                    *extra,
                    "--api-url",
                    server.github_url,
                ],
                env={"GITHUB_TOKEN": TOKEN, "SCOUT_NOW": day["now"]},
            )
            assert result.exit_code == 0, result.output
            with engine.connect() as conn:
                stats = conn.execute(text("SELECT stats FROM crawl_runs ORDER BY id DESC")).first()
            return json.loads(stats[0])

        assert refresh()["gone"] == 0  # day 0: everyone there, each fetched for an ETag
        advance = urllib.request.Request(server.base_url + "/_sandbox/advance?days=3", b"")
        urllib.request.urlopen(advance).close()
        # id -> deleted | suspended as of day 3, of the accounts stored on day 0
        stored_ids = {a.id for a in users}
        truth = {i: s for i, s in server.world.github_gone.items() if i in stored_ids}
        assert {"deleted", "suspended"} == set(truth.values())
        stats = refresh()
        with engine.connect() as conn:
            gone_rows = text("SELECT external_id FROM profiles WHERE gone_at IS NOT NULL")
            marked = set(conn.execute(gone_rows).scalars())
            kept = conn.execute(text("SELECT count(*) FROM profiles")).scalar()
            raws = conn.execute(text("SELECT count(DISTINCT key) FROM raw_records")).scalar()
        assert marked == {str(i) for i in truth} and stats["gone"] == len(truth)
        assert kept == len(users) and raws >= len(users)  # nothing deleted
        # The next refresh is free: live accounts answer 304, gone ones wait --gone-days.
        again = refresh()
        assert again["quota_spent"] == 0 and again["not_modified"] == len(users) - len(truth)
        assert again["unchanged"] == len(users) - len(truth) and again["gone"] == 0
        status = runner.invoke(app, ["--db", url, "status"])
        assert f"Gone profiles (accounts their source no longer has): {len(truth)}" in (
            status.output
        )
        # Asked again, a gone account still 404s and stays marked; none came back.
        assert refresh("--gone-days", "0")["gone"] == len(truth)
    # Forgetting a gone account works as for any other: rows gone, suppression kept.
    victim = sorted(marked)[0]
    forgot = runner.invoke(app, ["--db", url, "forget", f"github:{victim}", "--yes"])
    assert forgot.exit_code == 0, forgot.output
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM profiles WHERE external_id = :e"), {"e": victim}
        ).scalar()
        suppressed = conn.execute(text("SELECT count(*) FROM suppressions")).scalar()
    assert left == 0 and suppressed >= 1
    engine.dispose()
