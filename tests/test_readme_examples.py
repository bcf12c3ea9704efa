"""The shortlist examples users copy: every `scout shortlist ...` line of README.md, of the
command's --help and the shortlist job of config/jobs.example.toml, run as printed (only the
CSV goes to a temporary folder) against a demo database, must write rows.

The database is built as `scout demo` builds it, smaller: a sandbox world, the demo's GitHub
regions and a Stack Overflow crawl each in its own `scout` process (the demo's own step
runner), then what `scout crawl kaggle --from` and `scout enrich` call, in this process.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from config.data import default_path
from config.settings import Settings
from crawlers.kaggle.run import ingest_folder
from enrich.pipeline import run_enrich
from sandbox.kaggle_files import write_kaggle_csvs
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate
from scout.cli import app
from scout.cmd_demo import REGIONS, scout_step
from scout.cmd_scoring import shortlist
from scout.jobs import load_jobs
from storage.db import open_database

README = Path(__file__).resolve().parents[1] / "README.md"
PEOPLE = 400
SO_TAGS = ("pytorch", "mlops", "mlflow", "kubeflow")  # the demo walks all 18; 4 keep this fast
runner = CliRunner()


def _shortlist_lines(text: str) -> list[str]:
    """`scout shortlist ...` in inline code and in code blocks (a `#` comment taken off)."""
    found = re.findall(r"`(scout shortlist [^`]+)`", text)
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ")
        if line.startswith("scout shortlist "):
            found.append(line.split("  #", 1)[0].strip())
    return list(dict.fromkeys(found))


def examples() -> list[tuple[str, list[str]]]:
    """(where, words after `scout`) of every shortlist example a user can copy."""
    out = [
        (f"README: {line}", shlex.split(line)[1:])
        for line in _shortlist_lines(README.read_text(encoding="utf-8"))
    ]
    out += [
        (f"--help: {line}", shlex.split(line)[1:])
        for line in _shortlist_lines(shortlist.__doc__ or "")
    ]
    path = default_path("jobs.example.toml")
    for job in load_jobs(path, include_disabled=True):
        if job.source == "shortlist":
            out.append((f"jobs.example.toml: {job.name}", list(job.command)))
    return out


EXAMPLES = examples()


def test_the_examples_are_found():
    where = [w.split(":", 1)[0] for w, _ in EXAMPLES]
    assert {"README", "--help", "jobs.example.toml"} <= set(where), EXAMPLES


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("demo")
    db = f"sqlite:///{root / 'scout.db'}"
    world = generate(7, PEOPLE)
    kaggle_dir = root / "meta-kaggle"
    kaggle_dir.mkdir()
    write_kaggle_csvs(world, kaggle_dir)
    engine = open_database(db)  # `scout init`
    options = SandboxOptions(rate_limit=100_000, search_per_minute=10_000, quota=100_000)
    with SandboxServer(world, options) as server:
        for region in REGIONS:
            scout_step(db, "crawl", "github", "--region", region, "--api-url", server.github_url)
        tags = [word for tag in SO_TAGS for word in ("--tag", tag)]
        top_answerers = ["crawl", "stackoverflow", "--discover", "top", *tags]
        scout_step(db, *top_answerers, "--api-url", server.stackexchange_url)
    ingest_folder(engine, kaggle_dir)
    run_enrich(engine, Settings(db_url=db))
    engine.dispose()
    return db


def _with_output(words: list[str], target: Path) -> list[str]:
    """The command as printed, its -o/--output pointed at `target`."""
    out = list(words)
    for i, word in enumerate(out):
        if word in ("-o", "--output") and i + 1 < len(out):
            out[i + 1] = str(target)
            return out
        if word.startswith("--output="):
            out[i] = f"--output={target}"
            return out
    raise AssertionError(f"the example writes no file: scout {shlex.join(words)}")


@pytest.mark.parametrize(("where", "words"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_example_run_as_printed_writes_rows(demo_db, tmp_path, where, words):
    target = tmp_path / "shortlist.csv"
    result = runner.invoke(app, _with_output(words, target), env={"SCOUT_DB_URL": demo_db})
    assert result.exit_code == 0, f"{where}\n{result.output}"
    rows: list[dict[str, Any]] = list(
        csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig")))
    )
    assert rows, f"{where}: 0 rows\n{result.output}"
    assert "Warning" not in result.output
