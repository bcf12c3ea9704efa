"""Inputs are checked where they enter: every case of issue 14 that used to print a traceback,
damage data silently or steer a request is one line naming the file, key or path, exit 2."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.data import default_path
from scout.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output.strip().splitlines()


def one_error(*args: str) -> str:
    """The command's output, asserting it failed with exit 2 and no traceback."""
    code, lines = run(*args)
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    assert lines[-1].startswith("Error: "), lines
    return lines[-1]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scout.db'}"


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A loopback API that answers 404 to everything and records each path asked for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = b'{"message": "Not Found"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


# --- tracebacks that are now one message -------------------------------------------------


def test_a_scout_toml_that_is_not_utf8(tmp_path):
    config = tmp_path / "scout.toml"
    config.write_bytes("retention_days = 9 # café\n".encode("latin-1"))
    assert one_error("--config", str(config), "config", "show") == (
        f"Error: {config}: not UTF-8 text (byte 24, line 1: b'\\xe9'); save it as UTF-8"
    )


def test_a_jobs_file_that_is_not_utf8(tmp_path, db):
    jobs = tmp_path / "jobs.toml"
    jobs.write_bytes('[jobs.nuit]\nsource = "enrich"\ncron = "@daily"\n# été\n'.encode("cp1252"))
    error = one_error("--db", db, "schedule", "list", "--jobs", str(jobs))
    assert error == f"Error: {jobs}: not UTF-8 text (byte 48, line 4: b'\\xe9'); save it as UTF-8"


def test_a_file_that_is_not_sqlite_given_as_db(tmp_path):
    png = tmp_path / "some.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert one_error("--db", f"sqlite:///{png}", "status") == (
        f"Error: sqlite:///{png} is not a usable database: file is not a database"
    )


def test_a_skills_toml_syntax_error_under_every_command_that_loads_it(tmp_path, db):
    skills = tmp_path / "skills.toml"
    skills.write_text('[stackoverflow]\ndiscovery_tags = ["pytorch"\n', encoding="utf-8")
    env = {"SCOUT_SKILLS_FILE": str(skills)}
    expected = f"Error: {skills}: not valid TOML: "
    for command in (
        ["crawl", "stackoverflow", "--api-url", "http://127.0.0.1:9/2.3"],
        ["enrich"],
        ["rebuild"],
    ):
        result = runner.invoke(app, ["--db", db, *command], env=env)
        assert result.exit_code == 2, (command, result.output)
        assert result.output.strip().splitlines()[-1].startswith(expected), result.output


def test_shortlist_into_a_missing_folder(tmp_path, db):
    target = tmp_path / "missing" / "dir" / "x.csv"
    assert one_error("--db", db, "shortlist", "-o", str(target)) == (
        f"Error: {target}: folder {target.parent} does not exist; create it first"
    )


def test_feedback_import_of_a_folder(tmp_path, db):
    assert one_error("--db", db, "feedback", "import", str(tmp_path)) == (
        f"Error: {tmp_path}: is a folder; give the CSV or .xlsx file"
    )


def test_model_train_into_a_folder_that_cannot_be_made(db):
    assert one_error("--db", db, "model", "train", "--models-dir", "/proc/x") == (
        "Error: --models-dir /proc/x: cannot write there: No such file or directory"
    )


def test_db_downgrade_to_an_unknown_revision(db):
    assert one_error("--db", db, "db", "downgrade", "nonsense") == (
        "Error: revision 'nonsense': Can't locate revision identified by 'nonsense' "
        "(known: 0009, 0008, 0007, 0006, 0005, 0004, 0003, 0002, 0001, head, base, "
        "or -N / +N steps)"
    )


# --- silent misconfiguration that is now refused ------------------------------------------


def test_a_string_where_discovery_tags_must_be_a_list(tmp_path, db, server):
    url, seen = server
    skills = tmp_path / "skills.toml"
    text = default_path("skills.toml").read_text(encoding="utf-8")
    start = text.index("discovery_tags = [")
    end = text.index("]", start) + 1
    skills.write_text(text[:start] + 'discovery_tags = "pytorch"' + text[end:], encoding="utf-8")
    result = runner.invoke(
        app,
        ["--db", db, "crawl", "stackoverflow", "--api-url", url + "/2.3"],
        env={"SCOUT_SKILLS_FILE": str(skills)},
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {skills}: stackoverflow.discovery_tags: "
        'expected a list, e.g. ["pytorch"], not a string'
    )
    assert seen == []  # not seven one-letter tags crawled


def _regions(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "regions.toml"
    text = default_path("regions.toml").read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'include = [\n  "India"',
            'includes = [\n  "India"',
            "regions.india.includes: unknown key (a typo? see the documented keys of this file)",
        ),
        (
            'countries = ["IN"]',
            'countries = ["IN", "QQ"]',
            "regions.india.countries: unknown ISO 3166-1 alpha-2 country code(s): 'QQ'",
        ),
        (
            'countries = ["IN"]',
            'countries = "IN"',
            'regions.india.countries: expected a list, e.g. ["IN"], not a string',
        ),
    ],
)
def test_regions_toml_mistakes_are_refused_by_crawl_github(tmp_path, db, server, old, new, message):
    url, seen = server
    regions = _regions(tmp_path, old, new)
    result = runner.invoke(
        app,
        ["--db", db, "crawl", "github", "--region", "india", "--api-url", url],
        env={"SCOUT_REGIONS_FILE": str(regions)},
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == f"Error: {regions}: {message}"
    assert seen == []


# --- no steering -------------------------------------------------------------------------


def test_lookup_github_refuses_a_path_before_any_request(db, server):
    url, seen = server
    assert one_error(
        "--db", db, "lookup", "github", "someone/../../users/other", "--api-url", url
    ) == (
        "Error: 'someone/../../users/other' is not a GitHub login (1-39 letters, digits or "
        "single hyphens, not starting or ending with a hyphen)"
    )
    assert seen == []
    # A valid login does reach the server (which knows nobody): the check is what stopped it.
    assert one_error("--db", db, "lookup", "github", "octo-cat", "--api-url", url) == (
        "Error: no GitHub account named 'octo-cat'"
    )
    assert seen and seen[0].endswith("/users/octo-cat")


@pytest.mark.parametrize("user", ["0", "12/../../me", "99999999999"])
def test_lookup_stackoverflow_needs_a_positive_id(db, server, user):
    url, seen = server
    assert one_error("--db", db, "lookup", "stackoverflow", user, "--api-url", url + "/2.3") == (
        f"Error: {user!r} is not a Stack Exchange user id (a positive whole number)"
    )
    assert seen == []


def test_a_kaggle_username_that_is_a_path_is_refused(db):
    result = runner.invoke(app, ["--db", db, "config", "show"], env={"KAGGLE_USERNAME": "../x"})
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: env: kaggle_username: '../x' is not a Kaggle user name (up to 50 letters, "
        "digits, '-', '_' or '.', starting with a letter or digit)"
    )


# --- no leaks ----------------------------------------------------------------------------


def test_config_show_masks_passwords_in_urls(db):
    result = runner.invoke(
        app,
        ["config", "show"],
        env={
            "SCOUT_GITHUB_API_URL": "http://u:SECRET@127.0.0.1:9/github",
            "SCOUT_DB_URL": "postgresql+psycopg://scout:PW0RD@127.0.0.1/x",
        },
    )
    assert result.exit_code == 0, result.output
    assert "SECRET" not in result.output and "PW0RD" not in result.output
    assert "http://u:***@127.0.0.1:9/github" in result.output
    assert "postgresql+psycopg://scout:***@127.0.0.1/x" in result.output


def test_a_database_url_with_a_bad_port_is_one_message_without_its_password():
    assert one_error("--db", "postgresql://u:PW0RD@host:notaport/x", "status") == (
        "Error: not a database URL: 'postgresql://u:***@host:notaport/x' (try sqlite:///scout.db)"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--tag",
            "..",
            "'..' is not a Stack Exchange tag (up to 35 lower-case letters, digits, "
            "'+', '#', '.' or '-')",
        ),
        (
            "--site",
            "data:science",
            "flag: stackexchange_site: 'data:science' is not a Stack "
            "Exchange site (its API name, e.g. stackoverflow or datascience, or its domain, e.g. "
            "datascience.stackexchange.com)",
        ),
    ],
)
def test_crawl_stackoverflow_refuses_a_tag_or_site_before_any_request(
    db, server, option, value, message
):
    url, seen = server
    args = ("--db", db, "crawl", "stackoverflow", option, value, "--api-url", url + "/2.3")
    assert one_error(*args) == f"Error: {message}"
    assert seen == []


def test_crawl_stackoverflow_refuses_an_unknown_way_to_discover(db, server):
    url, seen = server
    assert one_error(
        "--db", db, "crawl", "stackoverflow", "--discover", "nearby", "--api-url", url + "/2.3"
    ) == ("Error: --discover must be one of both, answers, top, not 'nearby'")
    code, lines = run("--db", db, "crawl", "stackoverflow", "--budget", "0")
    assert code == 2 and "--budget" in " ".join(lines) and "Traceback" not in " ".join(lines)
    assert seen == []
