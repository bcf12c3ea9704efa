"""`scout crawl pypi` against the sandbox (each crawl in its own process: Twisted's reactor
cannot restart): what is stored against the hidden truth, incremental reruns, kill -9 then
--resume, a fault, a malformed project, suppression, and forget."""

from __future__ import annotations

import json
import signal
import time
from collections import deque
from typing import Any

import pytest
from fault_proxy import FaultProxy, Rule
from fault_rules import html_page
from helpers import scout, scout_popen, shared_world
from sqlalchemy import create_engine, func, select

from config.projects import load_projects
from sandbox.model import SandboxOptions
from sandbox.pypi_model import PypiLayer, normalise_package
from sandbox.server import SandboxServer
from sandbox.world_pypi import pypi_layer
from storage.db import session_scope
from storage.models import Profile, PypiPackage, RawRecord, RawRecordEntry
from storage.state import exit_code
from storage.suppress import suppress

SEED, PEOPLE = 5, 200
FAST = ("--rate", "1000")


@pytest.fixture(scope="module")
def world():
    return shared_world(SEED, PEOPLE)


@pytest.fixture(scope="module")
def server(world):
    with SandboxServer(world, SandboxOptions()) as running:
        yield running


def crawl(db: str, url: str, *more: str) -> Any:
    return scout("crawl", "pypi", "--api-url", url, *FAST, *more, db=db)


def stored(db: str) -> list[tuple[Any, ...]]:
    """Every package row with its user, as comparable tuples."""
    engine = create_engine(db)
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                Profile.external_id,
                PypiPackage.name,
                PypiPackage.role,
                PypiPackage.version,
                PypiPackage.releases,
                PypiPackage.first_release,
                PypiPackage.last_release,
                PypiPackage.source_repo,
                PypiPackage.classifiers,
                PypiPackage.keywords,
            ).join(PypiPackage, PypiPackage.profile_id == Profile.id)
        ).all()
    engine.dispose()
    return sorted(tuple(json.dumps(v) if isinstance(v, list) else v for v in r) for r in rows)


def reachable(layer: PypiLayer, depth: int = 2) -> set[str]:
    """The ML projects a walk from ml_projects.toml reaches through requires_dist (the truth
    the crawl must find, computed here from the layer's own data)."""
    listed = list(load_projects().packages)
    seen, found = set(listed), set()
    todo = deque((name, 0) for name in listed)
    while todo:
        name, hops = todo.popleft()
        project = layer.projects.get(name)
        if project is None or not (project.ml or name in listed):
            continue
        found.add(name)
        if hops < depth:
            for req in project.requires_dist:
                dep = req.split(";")[0].split(">")[0].split("=")[0].strip()
                if dep not in seen:
                    seen.add(dep)
                    todo.append((dep, hops + 1))
    return found


@pytest.fixture(scope="module")
def crawled_twice(tmp_path_factory, server) -> tuple[str, Any, dict[str, int]]:
    """A clean crawl, then the same crawl again: (database, second run, sandbox counts of it)."""
    db = f"sqlite:///{tmp_path_factory.mktemp('pypi') / 'clean.db'}"
    result = crawl(db, server.pypi_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pypi ok" in result.stdout
    before = server.stats.snapshot()
    first_seen = last_seen(db)
    again = crawl(db, server.pypi_url)
    after = server.stats.snapshot()
    counts = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    moved = last_seen(db)
    counts["last_seen_moved"] = sum(moved[u] > first_seen[u] for u in first_seen)
    counts["profiles"] = len(first_seen)
    return db, again, counts


def last_seen(db: str) -> dict[str, Any]:
    engine = create_engine(db)
    with session_scope(engine) as session:
        rows = session.execute(select(Profile.external_id, Profile.last_seen)).all()
        seen = {user: at for user, at in rows}
    engine.dispose()
    return seen


@pytest.fixture(scope="module")
def clean(crawled_twice) -> str:
    return crawled_twice[0]


def test_the_crawl_finds_each_maintainer_and_their_packages(clean, world):
    layer = pypi_layer(world)
    projects = reachable(layer)
    expected: dict[str, dict[str, str]] = {}
    for name in projects:
        for role, user in layer.projects[name].roles:
            if layer.person_of(user) is not None:  # organisations' bots are not candidates
                expected.setdefault(user, {})[name] = role
    rows = stored(clean)
    got: dict[str, dict[str, str]] = {}
    for user, name, role, *_ in rows:
        got.setdefault(user, {})[name] = role
    assert got == expected and len(got) > 20
    # Every row's repository is the project's own, exactly, whatever the URL's spelling.
    for user, name, _role, *_, repo, _cls, _kw in rows:
        assert repo == layer.projects[name].repo, (user, name)
    owners = {
        user: world.truth[layer.person_of(user)].github_login
        for user, *_ in rows  # type: ignore[index]
    }
    own = [r for r in rows if r[7] and r[7].split("/")[0] == owners[r[0]]]
    orgs = [r for r in rows if r[7] and r[7].split("/")[0] != owners[r[0]]]
    assert own and orgs  # explicit links to the user's GitHub, and organisation repositories


def test_raw_records_name_whom_they_describe_and_hold_no_contact_outside_projects(clean):
    engine = create_engine(clean)
    with session_scope(engine) as session:
        users = session.execute(
            select(RawRecord.key, RawRecord.subject, RawRecord.payload).where(
                RawRecord.source == "pypi", RawRecord.endpoint == "user"
            )
        ).all()
        projects = session.scalar(
            select(func.count()).where(
                RawRecord.source == "pypi", RawRecord.endpoint == "/pypi/{project}/json"
            )
        )
        entries = session.scalar(select(func.count()).select_from(RawRecordEntry))
        emails = session.scalar(select(func.count()).where(Profile.email.is_not(None)))
    engine.dispose()
    assert users and all(key == subject for key, subject, _ in users)
    assert not any("@" in json.dumps(payload) for _, _, payload in users)
    assert projects and entries and emails == 0


def test_a_second_crawl_costs_one_conditional_request_a_project_and_changes_nothing(
    crawled_twice,
):
    _db, again, served = crawled_twice
    assert again.returncode == 0, again.stderr
    assert "(0 new, 0 changed, 0 unchanged)" in again.stdout
    assert served.get("pypi.project", 0) == 0 and served["pypi.not_modified"] > 40
    assert served.get("pypi.redirect", 0) == 0  # canonical names are remembered
    # Unchanged projects still show their people: retention must not take them.
    assert served["last_seen_moved"] == served["profiles"] > 0


def test_kill_9_then_resume_equals_a_clean_crawl(tmp_path, world, clean):
    slow = SandboxServer(world, SandboxOptions(latency_ms=20))
    slow.start()
    db = f"sqlite:///{tmp_path / 'killed.db'}"
    try:
        proc = scout_popen("crawl", "pypi", "--api-url", slow.pypi_url, *FAST, db=db)
        engine = create_engine(db)
        deadline, n = time.time() + 60, 0
        while time.time() < deadline and proc.poll() is None:
            try:
                with engine.connect() as conn:
                    n = conn.scalar(select(func.count()).select_from(PypiPackage)) or 0
            except Exception:
                n = 0
            if n > 20:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, "the crawl ended before the kill"
        engine.dispose()
        assert 0 < len(stored(db)) < len(stored(clean)), "killed half way"
        resumed = crawl(db, slow.pypi_url, "--resume")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    finally:
        slow.stop()
    assert stored(db) == stored(clean)


def test_a_failing_and_a_malformed_project_are_partial_and_a_resume_mends_both(
    tmp_path, server, clean
):
    db = f"sqlite:///{tmp_path / 'fault.db'}"
    failing = html_page(503, match=lambda e: e.path.startswith("/pypi/pypi/mlflow/"), times=None)

    def admin(exchange: Any) -> None:
        doc = json.loads(exchange.response_body)
        doc["ownership"]["roles"][0]["role"] = "Administrator"
        exchange.response_body = json.dumps(doc).encode()

    malformed = Rule("admin", lambda e: e.path.startswith("/pypi/pypi/kfp/"), admin, times=None)
    with FaultProxy(server.base_url, [failing, malformed]) as proxy:
        first = crawl(db, proxy.pypi_url)
    assert first.returncode == exit_code("partial"), first.stdout + first.stderr
    assert "projects given up: 1" in first.stdout and failing.fired >= 2  # retried first
    assert "1 quarantined" in first.stdout
    assert not [r for r in stored(db) if r[1] in ("mlflow", "kfp")] and stored(db)
    engine = create_engine(db)
    with session_scope(engine) as session:
        kept = session.scalar(
            select(func.count()).where(RawRecord.source == "pypi", RawRecord.key == "kfp")
        )
    engine.dispose()
    assert kept == 1  # the malformed document's raw record waits for a fixed parser
    again = crawl(db, server.pypi_url, "--resume")
    assert again.returncode == 0, again.stdout + again.stderr
    assert stored(db) == stored(clean)


def test_suppressed_users_are_never_stored_and_forget_removes_their_entries(
    tmp_path, server, world
):
    layer = pypi_layer(world)
    person = next(u for _, u in layer.projects["torch"].roles if layer.person_of(u) is not None)
    db = f"sqlite:///{tmp_path / 'sup.db'}"
    assert scout("init", db=db).returncode == 0
    engine = create_engine(db)
    with session_scope(engine) as session:
        suppress(session, "pypi", [person.upper()])
    # A project no walk from the list reaches, asked for by name (in another spelling).
    far = next(
        p
        for k, p in sorted(layer.projects.items())
        if k not in reachable(layer) and p.ml and layer.person_of(p.roles[0][1]) is not None
    )
    asked = far.name.upper().replace("-", "_")
    assert crawl(db, server.pypi_url, "--package", asked).returncode == 0
    found = next(r for r in stored(db) if r[1] == normalise_package(far.name))
    assert found[0] == far.roles[0][1]
    with session_scope(engine) as session:
        held = session.scalar(select(func.count()).where(Profile.external_id == person))
        payloads = session.scalars(select(RawRecord.payload)).all()
    assert held == 0 and payloads
    assert not [p for p in payloads if f'"{person}"' in json.dumps(p)]
    other = next(r[0] for r in stored(db) if r[1] == "torch")
    forgot = scout("forget", f"https://pypi.org/user/{other}/", "--yes", db=db)
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    with session_scope(engine) as session:
        left = session.scalar(select(func.count()).where(RawRecordEntry.subject == other))
        profiles = session.scalar(select(func.count()).where(Profile.external_id == other))
    engine.dispose()
    assert left == 0 and profiles == 0


def test_a_later_day_stores_only_the_projects_with_new_releases(tmp_path, world):
    db = f"sqlite:///{tmp_path / 'days.db'}"
    listed = ("--depth", "0")  # the list alone: a quick walk
    with SandboxServer(world, SandboxOptions()) as days:
        assert crawl(db, days.pypi_url, *listed).returncode == 0
        before = {r[1]: r for r in stored(db)}
        layer0 = pypi_layer(days.world)
        later = pypi_layer(days.set_day(30))
        moved = {
            k
            for k in load_projects().packages
            if later.projects[k].serial != layer0.projects[k].serial
        }
        served = days.stats.snapshot().get("pypi.project", 0)
        again = crawl(db, days.pypi_url, *listed)
        served = days.stats.snapshot().get("pypi.project", 0) - served
    assert again.returncode == 0, again.stdout + again.stderr
    assert moved and served == len(moved)  # the others answered 304
    assert f"PyPI: {len(moved)} projects new or changed" in again.stdout
    after = {r[1]: r for r in stored(db)}
    for name in load_projects().packages:
        grew = after[name][4] > before[name][4] and after[name][6] > before[name][6]
        assert grew == (name in moved), name


def test_a_project_deleted_from_pypi_leaves_its_people(tmp_path, server):
    db = f"sqlite:///{tmp_path / 'gone.db'}"
    assert crawl(db, server.pypi_url, "--depth", "0").returncode == 0
    holders = {r[0] for r in stored(db) if r[1] == "mlflow"}

    def deleted(exchange: Any) -> None:
        exchange.status = 404
        exchange.response_headers = {"Content-Type": "application/json"}
        exchange.response_body = b'{"message": "Not Found"}'

    rule = Rule("deleted", lambda e: "/mlflow/" in e.path, deleted, times=None, upstream=False)
    with FaultProxy(server.base_url, [rule]) as proxy:
        again = crawl(db, proxy.pypi_url, "--depth", "0")
    assert again.returncode == 0 and "1 missing" in again.stdout
    rows = stored(db)
    assert holders and not [r for r in rows if r[1] == "mlflow"]
