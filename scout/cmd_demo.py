"""`scout demo`: the whole job, offline, on the built-in sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from config.errors import ScoutError
from scout.app import app, console, get_state
from storage.csvfile import read_rows
from storage.state import exit_code

REGIONS = ("eastern-europe", "india", "latin-america")
# Any token the sandbox accepts; the demo never talks to the real APIs.
SANDBOX_TOKEN = "sandbox-demo-token"


def scout_step(db_url: str, *args: str) -> None:
    """Run one scout command as a user would, in its own process.

    Each crawl needs a fresh process anyway: Scrapy's Twisted reactor cannot restart.
    """
    env = {**os.environ, "GITHUB_TOKEN": SANDBOX_TOKEN, "SCOUT_DB_URL": db_url}
    env.pop("STACKEXCHANGE_KEY", None)
    command = [sys.executable, "-m", "scout.cli", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode == exit_code("partial"):
        # Stored what it could; the demo goes on, saying what is owed.
        summary = [line for line in result.stdout.splitlines() if line.startswith("Run #")]
        console().print(f"  partial: {summary[-1] if summary else ' '.join(args)}")
        return
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise ScoutError(f"demo step `scout {' '.join(args)}` failed: " + " | ".join(detail), 1)


def crawl_sandbox(
    db_url: str, server: Any, step: Callable[[str], None], projects: bool = True
) -> None:
    """Every crawl `scout demo` runs against a served sandbox, in order (Meta Kaggle is read
    from files afterwards); the identity bench crawls its worlds the same way."""
    scout_step(db_url, "init")
    for region in REGIONS:
        step(f"crawling GitHub: {region}")
        scout_step(db_url, "crawl", "github", "--region", region, "--api-url", server.github_url)
    if projects:
        step("crawling GitHub: contributors of the major ML/MLOps projects")
        scout_step(db_url, "crawl", "github", "--projects", "--api-url", server.github_url)
    step("crawling Stack Overflow: top answerers of the ML/MLOps tags")
    # Top answerers only: discovery by answers would walk every question of the 18 tags
    # (over a thousand requests at 25 a second) and double the demo's time.
    top = ("--discover", "top", "--api-url", server.stackexchange_url)
    scout_step(db_url, "crawl", "stackoverflow", *top)
    step("crawling the Hugging Face Hub: authors of models, datasets and Spaces")
    scout_step(db_url, "crawl", "huggingface", "--api-url", server.huggingface_url)
    step("crawling PyPI: maintainers of the ML packages of ml_projects.toml")
    pypi = ("--api-url", server.pypi_url, "--rate", "200", "--depth", "1")
    scout_step(db_url, "crawl", "pypi", *pypi)


@app.command()
def demo(
    people: int = typer.Option(5000, min=100, help="People in the sandbox world."),
    seed: int = typer.Option(7, help="World seed."),
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for the db and CSV."),
    top: int = typer.Option(50, min=1, help="Candidates on the shortlist."),
) -> None:
    """Run the whole job offline: sandbox -> crawl every source -> enrich -> rank -> CSV.

    Starts the sandbox in this process, crawls GitHub (the three default regions), Stack
    Overflow (the ML/MLOps tags), the Hugging Face Hub and Meta Kaggle through the real
    commands, enriches,
    ranks, writes shortlist.csv and prints the top 10. No network, no credentials.

    \b
    Example:
      scout demo
      scout demo --people 2000 --out /tmp/demo
    """
    from sandbox.kaggle_files import write_kaggle_csvs
    from sandbox.model import SandboxOptions
    from sandbox.server import SandboxServer
    from sandbox.world import generate

    loaded = get_state().loaded()
    out.mkdir(parents=True, exist_ok=True)
    if loaded.sources.get("db_url") in ("flag", "env", "scout.toml"):
        db_url = loaded.settings.db_url
    else:
        db_file = out / "scout.db"
        for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
            stale.unlink(missing_ok=True)  # the demo's own database: start clean every time
        db_url = f"sqlite:///{db_file.resolve()}"
    shortlist = (out / "shortlist.csv").resolve()
    kaggle_dir = out / "meta-kaggle"
    kaggle_dir.mkdir(exist_ok=True)
    say = console().print
    started = time.perf_counter()

    def step(label: str) -> None:
        say(f"[{time.perf_counter() - started:5.1f}s] {label}")

    step(f"building a sandbox world of {people:,} people (seed {seed})")
    world = generate(seed, people)
    write_kaggle_csvs(world, kaggle_dir)
    options = SandboxOptions(rate_limit=100_000, search_per_minute=10_000, quota=100_000)
    with SandboxServer(world, options) as server:
        step(f"sandbox serving on {server.base_url}")
        crawl_sandbox(db_url, server, step)
    step("ingesting Meta Kaggle")
    scout_step(db_url, "crawl", "kaggle", "--from", str(kaggle_dir))
    step("enriching: locations, skills, identity")
    scout_step(db_url, "enrich")
    step("ranking and writing the shortlist")
    scout_step(db_url, "shortlist", "--top", str(top), "-o", str(shortlist))
    step("done")
    _print_top(shortlist, 10)
    say(f"\nShortlist: {shortlist}")
    say(f"Database:  {db_url}")
    say(
        "Next: open the CSV, fill the `decision` column, then "
        f"`scout --db {db_url} feedback import {shortlist}`"
    )


_LINK = re.compile(r" https?://\S+?(?=,|$| )")


def _print_top(path: Path, n: int) -> None:
    table = Table(title=f"Top {n} candidates")
    columns = ("rank", "score", "name", "country", "region", "top_skills", "why_ranked")
    for column in columns:
        table.add_column(column, overflow="fold", max_width=48 if column in columns[-2:] else None)
    _header, rows = read_rows(path)  # the shortlist's cells as written, apostrophes taken off
    for i, (_number, row) in enumerate(rows):
        if i >= n:
            break
        # The terminal is narrow: repositories by name here, their links are in the CSV.
        # (escaped: "[pytorch]" is a tag, not rich markup)
        cells = {**row, "top_skills": _LINK.sub("", row.get("top_skills", ""))}
        table.add_row(*(escape(cells.get(c, "")) for c in columns))
    console().print(table)
