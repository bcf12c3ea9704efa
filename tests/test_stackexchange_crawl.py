"""`scout crawl stackoverflow` end to end against the sandbox, each crawl in its own process
(Twisted's reactor cannot restart): completeness, backoff, quota floor and resume, kill -9."""

from __future__ import annotations

import csv
import json
import signal
import time
import urllib.request

import pytest
from helpers import scout as run_scout
from helpers import scout_popen, shared_world
from se_world import DROP, ended, se_sandbox, site_profiles
from se_world import crawl as se_crawl
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

import sandbox.server as sandbox_server
from config.sites import split_user_key, user_key
from crawlers.stackexchange.plan import DEFAULT_TAGS
from sandbox.model import SandboxOptions
from sandbox.stackexchange_api import StackExchangeAPI
from sandbox.stackexchange_objects import SOIndex
from sandbox.stackexchange_sites import DOMAINS, site_users
from scout.cli import app as cli_app
from storage.models import CrawlRun, CrawlState, Profile, SOTagStat
from storage.state import exit_code

PEOPLE = 900
KEY = "goodkey-for-tests"
TOP = ("--discover", "top")  # these tests are about the top answerers: their exact set


@pytest.fixture(scope="module")
def world(worlds):
    return worlds(11, PEOPLE)


@pytest.fixture(scope="module")
def expected(world):
    index = SOIndex.build(world)
    ids = set()
    for tag in DEFAULT_TAGS:
        ids.update(e.user_id for e in index.top_answerers.get((tag, "all_time"), []))
    return ids, index


def serve(monkeypatch, world, **options):
    # Only the Stack Exchange emulator: these tests need nothing else from the sandbox.
    monkeypatch.setattr(sandbox_server, "build_apis", lambda w, o, s: [StackExchangeAPI(w, o, s)])
    server = sandbox_server.SandboxServer(world, SandboxOptions(**options))
    server.start()
    return server


def scout(db, api, *args, key=KEY, wait=True, **env):
    if key:
        env["STACKEXCHANGE_KEY"] = key
    cmd = (*args, "--api-url", api)
    if not wait:
        return scout_popen(*cmd, db=db, env=env, drop=DROP)
    return run_scout(*cmd, db=db, env=env, drop=DROP)


def stats(server):
    with urllib.request.urlopen(server.base_url + "/_sandbox/stats") as answer:
        return json.load(answer)


def stored(db):
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Profile.external_id, Profile.location_raw, Profile.reputation).where(
                Profile.source == "stackoverflow"
            )
        ).all()
        tags = conn.execute(
            select(
                Profile.external_id, SOTagStat.tag, SOTagStat.answer_count, SOTagStat.answer_score
            ).join(SOTagStat, SOTagStat.profile_id == Profile.id)
        ).all()
    engine.dispose()
    return rows, tags


def test_crawl_stores_every_top_answerer_once_with_strength(tmp_path, monkeypatch, world, expected):
    ids, index = expected
    server = serve(monkeypatch, world, backoff_every=8, backoff_seconds=1)
    db = f"sqlite:///{tmp_path / 'a.db'}"
    try:
        result = scout(db, server.stackexchange_url, "crawl", "stackoverflow", *TOP)
        assert result.returncode == 0, result.stderr
        assert KEY not in result.stdout + result.stderr
        counters = stats(server)
    finally:
        server.stop()
    rows, tags = stored(db)
    assert {int(r.external_id) for r in rows} == ids
    assert len(rows) == len(ids)  # none twice
    for external_id, location, reputation in rows:
        user = world.stackoverflow[int(external_id)]
        assert location == user.location and reputation == user.reputation
    strength = {(int(e), t): (c, s) for e, t, c, s in tags}
    for tag in DEFAULT_TAGS:
        for entry in index.top_answerers.get((tag, "all_time"), []):
            assert strength[(entry.user_id, tag)] == (entry.post_count, entry.score)
    # Backoff obeyed per method: it was handed out, and never violated.
    assert counters.get("stackexchange.backoff", 0) > 0
    assert counters.get("stackexchange.errors.throttle_violation", 0) == 0
    # Batches of 100: at most ceil(n / 100) profile calls.
    assert counters["stackexchange./users/{ids}"] == -(-len(ids) // 100)


def test_quota_floor_stops_with_state_and_next_run_continues(
    tmp_path, monkeypatch, world, expected
):
    ids, _ = expected
    server = serve(monkeypatch, world)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    try:
        # Anonymous quota is 300 a day: a floor of 270 leaves room for about 30 requests.
        first = scout(
            db,
            server.stackexchange_url,
            "crawl",
            "stackoverflow",
            *TOP,
            key=None,
            SCOUT_STACKEXCHANGE_QUOTA_FLOOR=270,
        )
        ended(first, "partial")
        assert "quota floor" in first.stdout and "again" in first.stdout
        engine = create_engine(db)
        with engine.connect() as conn:
            run = conn.execute(select(CrawlRun.status, CrawlRun.stats)).one()
            cursors = conn.scalar(select(func.count()).select_from(CrawlState))
        assert first.returncode == exit_code(run.status), first.stderr
        assert run.status == "partial" and run.stats["quota_remaining"] <= 270
        assert cursors > 0
        partial, _ = stored(db)
        assert len(partial) < len(ids)
        second = scout(db, server.stackexchange_url, "crawl", "stackoverflow", *TOP)
        assert second.returncode == 0, second.stderr
        assert "stackoverflow ok" in second.stdout
        counters = stats(server)
    finally:
        server.stop()
    rows, _ = stored(db)
    assert {int(r.external_id) for r in rows} == ids
    # Tags listed in the first run are not listed again.
    assert counters["stackexchange./tags/{tag}/top-answerers/{period}"] == len(DEFAULT_TAGS)


def test_kill_9_then_rerun_loses_and_duplicates_nothing(tmp_path, monkeypatch, world, expected):
    ids, _ = expected
    server = serve(monkeypatch, world, latency_ms=25)
    killed = f"sqlite:///{tmp_path / 'k.db'}"
    clean = f"sqlite:///{tmp_path / 'c.db'}"
    try:
        proc = scout(killed, server.stackexchange_url, "crawl", "stackoverflow", *TOP, wait=False)
        engine = create_engine(killed)
        deadline = time.time() + 60
        n = 0
        while time.time() < deadline and proc.poll() is None:
            try:
                with engine.connect() as conn:
                    n = conn.scalar(select(func.count()).select_from(Profile)) or 0
            except Exception:
                n = 0
            if n > 0:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the crawl ended before the kill"
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Profile)) or 0
        engine.dispose()
        assert 0 < n < len(ids), "the crawl should have been killed half way"
        again = scout(killed, server.stackexchange_url, "crawl", "stackoverflow", *TOP)
        assert again.returncode == 0, again.stderr
        whole = scout(clean, server.stackexchange_url, "crawl", "stackoverflow", *TOP)
        assert whole.returncode == 0, whole.stderr
    finally:
        server.stop()
    rows_k, tags_k = stored(killed)
    rows_c, tags_c = stored(clean)
    assert sorted(rows_k) == sorted(rows_c) and {int(r[0]) for r in rows_k} == ids
    assert sorted(tags_k) == sorted(tags_c)


def test_bad_key_is_one_message_and_exit_2(tmp_path, monkeypatch, world):
    server = serve(monkeypatch, world)
    try:
        result = scout(
            f"sqlite:///{tmp_path / 'b.db'}",
            server.stackexchange_url,
            "crawl",
            "stackoverflow",
            *TOP,
            key="bad-key-0123",
        )
    finally:
        server.stop()
    assert result.returncode == 2
    assert "STACKEXCHANGE_KEY" in result.stderr
    assert "Traceback" not in result.stderr and "bad-key-0123" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error")] != []


def test_lookup_prints_the_stored_profile_as_json(tmp_path, monkeypatch, world, expected):
    ids, _ = expected
    server = serve(monkeypatch, world)
    uid = min(ids & set(site_users(world, "datascience")))
    db = f"sqlite:///{tmp_path / 'l.db'}"
    try:
        result = scout(db, server.stackexchange_url, "lookup", "stackoverflow", str(uid), "--json")
        other = scout(
            db,
            server.stackexchange_url,
            "lookup",
            "stackoverflow",
            str(uid),
            "--json",
            "--site",
            "datascience",
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    user = world.stackoverflow[uid]
    assert data["external_id"] == str(uid) and data["reputation"] == user.reputation
    assert data["site"] == "stackoverflow" and data["location"] == user.location
    assert {t["tag"] for t in data["tags"]} == {
        t.tag_name for t in user.tags if t.answer_count or t.question_count
    }
    # The same number on datascience is someone else, stored beside them.
    assert other.returncode == 0, other.stderr
    theirs = json.loads(other.stdout)
    ds_user = site_users(world, "datascience")[uid]
    assert (theirs["site"], theirs["external_id"]) == ("datascience", f"datascience:{uid}")
    assert (theirs["reputation"], theirs["profile_url"]) == (ds_user.reputation, ds_user.link)
    assert sorted(tuple(r) for r in stored(db)[0]) == sorted(
        [
            (str(uid), user.location, user.reputation),
            (f"datascience:{uid}", ds_user.location, ds_user.reputation),
        ]
    )


# -- two Stack Exchange sites in one database ---------------------------------------------------

SITES = ("stackoverflow", "datascience")
SITES_PEOPLE = 300  # the se_world sandbox: about 30 profiles a site for its three tags


@pytest.fixture(scope="module")
def each_site_alone(tmp_path_factory):
    """Each site crawled alone into a database of its own: what one database must hold."""
    folder = tmp_path_factory.mktemp("alone")
    out = {}
    with se_sandbox(SITES_PEOPLE) as server:
        for site in SITES:
            db = f"sqlite:///{folder / site}.db"
            ended(se_crawl(db, server.stackexchange_url, "--site", site), "ok")
            out[site] = site_profiles(db, site)
    return out


def _untouched(db, site):
    """What a crawl of another site must leave as it is: the site's rows and cursors."""
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Profile.external_id, Profile.last_seen, Profile.content_sha).where(
                Profile.site == site
            )
        ).all()
        cursors = conn.execute(
            select(CrawlState.stream, CrawlState.partition, CrawlState.cursor).where(
                CrawlState.partition.startswith(f"{site}:")
            )
        ).all()
    engine.dispose()
    return sorted(tuple(r) for r in rows), sorted((s, p, json.dumps(c)) for s, p, c in cursors)


def test_two_sites_crawled_into_one_database_keep_their_own_users(
    db_url, tmp_path, each_site_alone
):
    world = shared_world(11, SITES_PEOPLE)
    people = {"stackoverflow": world.stackoverflow, "datascience": site_users(world, "datascience")}
    with se_sandbox(SITES_PEOPLE) as server:
        api = server.stackexchange_url
        ended(se_crawl(db_url, api), "ok")  # stackoverflow, the default site
        ended(se_crawl(db_url, api, "--site", "datascience.stackexchange.com"), "ok")
        both = {site: site_profiles(db_url, site) for site in SITES}
        # Each site's profiles and tags are exactly what crawling it alone stores.
        assert both == each_site_alone
        numbers = {
            site: {int(split_user_key(p[0])[1]) for p in profiles}
            for site, (profiles, _tags) in both.items()
        }
        assert numbers["stackoverflow"] & numbers["datascience"]  # the same ids, other people
        for site, (profiles, _tags) in both.items():
            assert profiles
            for external_id, _name, reputation, _where, url in profiles:
                user = people[site][int(split_user_key(external_id)[1])]
                assert external_id == user_key(site, user.user_id)
                assert (reputation, url) == (user.reputation, user.link)
                assert url.startswith(f"https://{DOMAINS[site]}/users/{user.user_id}/")
        # Refreshing stackoverflow (its next pass) leaves datascience's rows and cursors be.
        before = _untouched(db_url, "datascience")
        ended(se_crawl(db_url, api), "ok")
        assert _untouched(db_url, "datascience") == before
        assert site_profiles(db_url, "stackoverflow") == each_site_alone["stackoverflow"]
    # Exports show the site: a recruiter's link goes to the right site's user page.
    csv_path = tmp_path / "s.csv"
    for args in (["enrich"], ["rank"], ["shortlist", "--top", "0", "-o", str(csv_path)]):
        result = CliRunner().invoke(cli_app, ["--db", db_url, *args])
        assert result.exit_code == 0, result.output
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        urls = {row["stackoverflow_url"] for row in csv.DictReader(handle)}
    for site, (profiles, _tags) in both.items():
        assert {p[4] for p in profiles} <= urls, site
