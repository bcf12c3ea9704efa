"""The one way tests run `scout`: in its own process (`scout`, `scout_popen`; anything that
starts a Scrapy reactor, which cannot restart in the test process) or in process (`invoke`).
Beside tests/conftest.py, so `from helpers import ...` works in every test module."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from typer.testing import CliRunner, Result

from sandbox.model import World
from sandbox.world import generate
from scout.cli import app

SCOUT_CMD = (sys.executable, "-m", "scout.cli")
# The CLI as a `python -c` program, run after a test's `prelude` in the same process.
_CLI = "import sys; from scout.cli import main; sys.argv[0] = 'scout'; main()"
TIMEOUT_S = 120  # a crawl of a test world takes seconds; a hang would take forever
_RUNNER = CliRunner()


def scout_env(env: Mapping[str, Any] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment without the variables starting with any of `drop`, plus
    `env` (values as strings)."""
    full = {k: v for k, v in os.environ.items() if not (drop and k.startswith(drop))}
    full.update({k: str(v) for k, v in (env or {}).items()})
    return full


def _command(args: tuple[str, ...], db: str | None, prelude: str = "") -> list[str]:
    python = (sys.executable, "-c", f"{prelude}\n{_CLI}") if prelude else SCOUT_CMD
    return [*python, *(("--db", db) if db else ()), *args]


def scout(
    *args: str,
    db: str | None = None,
    env: Mapping[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    timeout: float = TIMEOUT_S,
    cwd: Any = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`scout [--db db] args` in its own process, output as text; `check` asserts exit 0 and
    shows the output when it is not."""
    result = subprocess.run(
        _command(args, db),
        env=scout_env(env, drop),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"scout {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def scout_popen(
    *args: str,
    db: str | None = None,
    env: Mapping[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    prelude: str = "",
    **popen: Any,
) -> subprocess.Popen[Any]:
    """`scout [--db db] args` started in its own process and left running (to kill it, or to
    run several at once); stdout and stderr are pipes unless `popen` says otherwise. Python
    code in `prelude` runs first in that process (e.g. to make SQLite's disk full)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(_command(args, db, prelude), env=scout_env(env, drop), **popen)


def invoke(*args: str, db: str | None = None, **kwargs: Any) -> Result:
    """`scout [--db db] args` in this process (anything that starts no Scrapy reactor)."""
    return _RUNNER.invoke(app, _command(args, db)[len(SCOUT_CMD) :], **kwargs)


@functools.cache
def shared_world(seed: int, people: int) -> World:
    """`generate(seed, people)`, built once per process (per xdist worker) and shared by every
    test that asks for the same pair: read it, never change it (a test that changes a world,
    or steps it through days, builds its own with `generate`)."""
    return generate(seed, people)
