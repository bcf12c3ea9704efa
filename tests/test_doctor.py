"""`scout doctor` against the in-process sandbox: bad token, dead Redis, old schema, all good."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from config.settings import load_settings
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate
from scout.cli import app
from scout.doctor import check_kaggle
from storage import db as storage_db

runner = CliRunner()
TOKEN = "ghp_" + "Q" * 36
SE_KEY = "sekey" + "Z" * 19
KAGGLE_KEY = "kk" + "9" * 30


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(generate(7, 200), SandboxOptions()) as server:
        yield server


@pytest.fixture
def env(sandbox):
    """Every credential set and every API on the sandbox."""
    return {
        "SCOUT_GITHUB_API_URL": sandbox.github_url,
        "SCOUT_STACKEXCHANGE_API_URL": sandbox.stackexchange_url,
        "SCOUT_KAGGLE_API_URL": sandbox.kaggle_url,
        "GITHUB_TOKEN": TOKEN,
        "STACKEXCHANGE_KEY": SE_KEY,
        "KAGGLE_USERNAME": "ada",
        "KAGGLE_KEY": KAGGLE_KEY,
    }


@pytest.fixture
def ready_db(sqlite_url):
    engine = storage_db.open_database(sqlite_url)
    engine.dispose()
    return sqlite_url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def doctor(db_url, env, *args):
    result = runner.invoke(app, ["--db", db_url, "doctor", "--json", *args], env=env)
    report = json.loads(result.stdout)
    rows = {row["check"]: row for row in report["checks"]}
    return result, report, rows


def secrets_absent(output: str) -> None:
    for secret in (TOKEN, SE_KEY, KAGGLE_KEY):
        assert secret not in output


def test_all_good_exits_0_and_names_where_it_went(ready_db, env, sandbox):
    result, report, rows = doctor(ready_db, env)
    assert result.exit_code == 0, result.output
    assert report["status"] == "OK"
    assert {r["status"] for r in rows.values()} == {"OK"}, rows
    assert rows["GitHub token"]["target"] == sandbox.github_url + "/rate_limit"
    assert "REST 5,000/5,000 left" in rows["GitHub token"]["detail"]
    assert rows["Stack Exchange key"]["target"].startswith(sandbox.stackexchange_url)
    assert "left today" in rows["Stack Exchange key"]["detail"]
    assert "ada" in rows["Kaggle credentials"]["detail"]
    assert rows["schema"]["detail"] == f"at head ({storage_db.head_revision()})"
    secrets_absent(result.output)


def test_bad_token_fails_clearly_without_showing_it(ready_db, env):
    bad = "bad_" + "x" * 36
    result, _report, rows = doctor(ready_db, {**env, "GITHUB_TOKEN": bad})
    assert result.exit_code == 1
    assert rows["GitHub token"]["status"] == "FAIL"
    assert "GitHub token invalid (401 Bad credentials)" in rows["GitHub token"]["detail"]
    assert rows["Stack Exchange key"]["status"] == "OK"
    assert bad not in result.output
    table = runner.invoke(app, ["--db", ready_db, "doctor"], env={**env, "GITHUB_TOKEN": bad})
    assert table.exit_code == 1
    assert "FAIL" in table.output and "GitHub token" in table.output
    assert bad not in table.output


def test_bad_stackexchange_key_fails(ready_db, env):
    bad = "bad" + "k" * 21
    result, _report, rows = doctor(ready_db, {**env, "STACKEXCHANGE_KEY": bad})
    assert result.exit_code == 1
    assert rows["Stack Exchange key"]["status"] == "FAIL"
    assert "key invalid" in rows["Stack Exchange key"]["detail"]
    assert bad not in result.output


def test_unset_credentials_warn_with_anonymous_limits(ready_db, env):
    bare = {k: v for k, v in env.items() if k.startswith("SCOUT_")}
    result, report, rows = doctor(ready_db, bare)
    assert result.exit_code == 0, result.output
    assert report["status"] == "WARN"
    github = rows["GitHub token"]
    assert github["status"] == "WARN" and "not set" in github["detail"]
    assert "60 an hour" in github["detail"]
    assert rows["Stack Exchange key"]["status"] == "WARN"
    assert "300 a day" in rows["Stack Exchange key"]["detail"]
    assert rows["Kaggle credentials"]["status"] == "WARN"


def test_dead_redis_fails_and_hides_its_password(ready_db, env):
    url = f"redis://:hunter2pw@127.0.0.1:{closed_port()}/0"
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_REDIS_URL": url}, "--timeout", "1")
    assert result.exit_code == 1
    assert rows["Redis"]["status"] == "FAIL"
    assert rows["Redis"]["detail"].startswith("Redis unreachable")
    assert "hunter2pw" not in result.output


def test_live_redis_answers_ping(ready_db, env, redis_url):
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_REDIS_URL": redis_url})
    assert rows["Redis"]["status"] == "OK", rows["Redis"]
    assert "PING answered" in rows["Redis"]["detail"]
    assert result.exit_code == 0


def test_old_schema_fails_when_auto_upgrade_is_off_and_is_left_alone(db_url, env):
    engine = storage_db.open_database(db_url)
    storage_db.downgrade(engine, "-1")
    before = storage_db.current_revision(engine)
    result, _report, rows = doctor(db_url, {**env, "SCOUT_AUTO_UPGRADE": "false"})
    assert result.exit_code == 1
    assert rows["schema"]["status"] == "FAIL"
    assert "scout db upgrade" in rows["schema"]["detail"]
    assert storage_db.current_revision(engine) == before  # a check never upgrades
    result, _report, rows = doctor(db_url, env)
    assert result.exit_code == 0
    assert rows["schema"]["status"] == "WARN"
    assert "the next command upgrades it" in rows["schema"]["detail"]
    assert "scout:scout@" not in result.output  # a PostgreSQL password is hidden
    engine.dispose()


def test_unreachable_database_fails_without_its_password(pg_url, env):
    url = make_url(pg_url).set(password="wrong-pw-4711").render_as_string(hide_password=False)
    result, _report, rows = doctor(url, env)
    assert result.exit_code == 1
    assert rows["database"]["status"] == "FAIL"
    assert rows["database"]["detail"].startswith("unreachable: ")
    assert "password authentication failed" in rows["database"]["detail"]
    assert "wrong-pw-4711" not in result.output


def test_newer_schema_fails(ready_db, env):
    engine = create_engine(ready_db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    result, _report, rows = doctor(ready_db, env)
    assert result.exit_code == 1
    assert rows["schema"]["status"] == "FAIL"
    assert "newer than this talent-scout" in rows["schema"]["detail"]


def test_missing_database_file_is_a_warning_and_not_created(tmp_path, env):
    path = tmp_path / "never.db"
    result, _report, rows = doctor(f"sqlite:///{path}", env)
    assert rows["database"]["status"] == "WARN" and "scout init" in rows["database"]["detail"]
    assert not path.exists()
    assert result.exit_code == 0


def test_unreachable_api_names_the_url(ready_db, env):
    dead = f"http://127.0.0.1:{closed_port()}/github"
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_GITHUB_API_URL": dead})
    assert result.exit_code == 1
    assert rows["GitHub token"]["target"] == dead + "/rate_limit"
    assert "cannot reach" in rows["GitHub token"]["detail"]


def test_broken_data_file_and_bad_scout_toml(ready_db, env, tmp_path):
    regions = tmp_path / "regions.toml"
    regions.write_text("[regions.x\ninclude = [")
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_REGIONS_FILE": str(regions)})
    assert result.exit_code == 1
    assert rows["regions.toml"]["status"] == "FAIL"
    assert "not valid TOML" in rows["regions.toml"]["detail"]
    assert rows["regions.toml"]["target"] == str(regions)
    assert rows["skills.toml"]["status"] == "OK"
    (tmp_path / "scout.toml").write_text("no_such_setting = 1\n")
    result, _report, rows = doctor(ready_db, env)
    assert result.exit_code == 1
    assert rows["settings"]["status"] == "FAIL"
    assert "no_such_setting" in rows["settings"]["detail"]


def test_jobs_file_is_checked_when_set(ready_db, env, tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[jobs.nightly]\nsource = "github"\ncron = "0 2 * * *"\n')
    _result, _report, rows = doctor(ready_db, {**env, "SCOUT_JOBS_FILE": str(jobs)})
    assert rows["jobs file"]["status"] == "OK" and "1 job" in rows["jobs file"]["detail"]
    assert rows["jobs file"]["target"] == str(jobs)
    jobs.write_text("[jobs.nightly\n")
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_JOBS_FILE": str(jobs)})
    assert rows["jobs file"]["status"] == "FAIL" and result.exit_code == 1
    assert "not valid TOML" in rows["jobs file"]["detail"]
    # A value the command would refuse fails here too, as `scout schedule` would refuse it.
    jobs.write_text(
        '[jobs.weekly]\nsource = "shortlist"\ncron = "0 7 * * mon"\n'
        'args = { region = "nowhere", output = "s.csv" }\n'
    )
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_JOBS_FILE": str(jobs)})
    assert rows["jobs file"]["status"] == "FAIL" and result.exit_code == 1
    assert "job 'weekly': args.region: unknown region 'nowhere'" in rows["jobs file"]["detail"]


def test_jobs_file_with_a_bad_cron_fails(ready_db, env, tmp_path):
    pytest.importorskip("scout.jobs", reason="the scheduler (scout.jobs) validates cron")
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[jobs.nightly]\nsource = "github"\ncron = "61 2 * * *"\n')
    result, _report, rows = doctor(ready_db, {**env, "SCOUT_JOBS_FILE": str(jobs)})
    assert result.exit_code == 1
    assert rows["jobs file"]["status"] == "FAIL"
    assert "cron" in rows["jobs file"]["detail"]


def test_offline_makes_no_network_call(ready_db, env, sandbox):
    before = sandbox.stats.snapshot().get("github.requests", 0)
    result, _report, rows = doctor(ready_db, env, "--offline")
    assert result.exit_code == 0, result.output
    assert "not verified" in rows["GitHub token"]["detail"]
    assert sandbox.stats.snapshot().get("github.requests", 0) == before


def test_kaggle_refusal_is_a_failure_naming_the_user():
    # Kaggle's answer to a wrong key on its RPC endpoints (the sandbox accepts any key).
    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        return httpx.Response(401, json={"code": 401, "message": "Unauthenticated"})

    settings = load_settings(environ={"KAGGLE_USERNAME": "ada", "KAGGLE_KEY": KAGGLE_KEY}).settings
    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        check = check_kaggle(settings, http, "https://api.kaggle.com")
    assert check.status == "FAIL"
    assert "refused the credentials of user ada (HTTP 401)" in check.detail
    assert check.target == "https://api.kaggle.com/v1/datasets.DatasetApiService/ListDatasetFiles"
    assert KAGGLE_KEY not in check.detail
