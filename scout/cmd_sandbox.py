"""`scout sandbox`: the offline emulator of GitHub, Stack Exchange and Meta Kaggle."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from config.errors import ScoutError
from sandbox.model import SandboxOptions
from scout.app import app, console, make_typer

sandbox_app = make_typer("The offline API sandbox (a deterministic sample world).")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def serve(
    port: int = typer.Option(8765, help="Port on 127.0.0.1 (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    people: int = typer.Option(5000, min=1, help="People in the world."),
    seed: int = typer.Option(7, help="World seed: the same seed gives the same world."),
    latency_ms: int = typer.Option(0, min=0, help="Added latency per API request."),
    fault_rate: float = typer.Option(
        0.0, min=0.0, max=1.0, help="Share of requests answered with 5xx/truncated/HTML faults."
    ),
    rate_limit: int = typer.Option(5000, min=1, help="GitHub primary budget per window."),
    rate_window: int = typer.Option(3600, min=1, help="GitHub rate-limit window, seconds."),
    quota: int = typer.Option(10000, min=1, help="Stack Exchange daily quota per key."),
    day: int = typer.Option(
        0, min=0, help="Simulated day to start on (0: the generated world; each day changes it)."
    ),
) -> None:
    """Serve the sandbox APIs until interrupted.

    GitHub at /github (GraphQL at /github/graphql), Stack Exchange at /stackexchange/2.3,
    Meta Kaggle files at /kaggle, counters at /_sandbox/stats. The world lives through time:
    `--day N` starts N simulated days after the generated world (new, edited, renamed and
    deleted accounts, new answers, a new Meta Kaggle snapshot), and
    `POST /_sandbox/advance?days=1` moves it on while serving.

    \b
    Example:
      scout sandbox serve --port 8765 --people 5000 --seed 7 --day 3
      curl -s http://127.0.0.1:8765/_sandbox/health
      curl -s -X POST 'http://127.0.0.1:8765/_sandbox/advance?days=1'
    """
    from sandbox.server import SandboxServer
    from sandbox.world import generate
    from sandbox.world_days import Timeline

    started = time.perf_counter()
    timeline = Timeline(generate(seed, people))
    world = timeline.at(day)
    options = SandboxOptions(
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        rate_limit=rate_limit,
        rate_window_s=rate_window,
        quota=quota,
    )
    try:
        server = SandboxServer(world, options, host=host, port=port, timeline=timeline)
    except OSError as exc:
        raise ScoutError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    out = console()
    out.print(
        f"World of {people:,} people (seed {seed}, day {day}, {world.now:%Y-%m-%d}) built in "
        f"{time.perf_counter() - started:.1f}s. Serving on {server.base_url}"
    )
    out.print(f"  GitHub:         {server.github_url}   (GraphQL {server.github_url}/graphql)")
    out.print(f"  Stack Exchange: {server.stackexchange_url}")
    out.print(f"  Meta Kaggle:    {server.kaggle_url}")
    out.print(f"  Hugging Face:   {server.huggingface_url}   (HF_ENDPOINT)")
    out.print(f"  PyPI:           {server.pypi_url}")
    out.print(f"  Stats:          {server.base_url}/_sandbox/stats   (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out.print("Stopped.")
    finally:
        server.stop()


@sandbox_app.command("export-kaggle")
def export_kaggle(
    folder: Path = typer.Argument(..., help="Folder to write Users.csv and friends into."),
    people: int = typer.Option(5000, min=1, help="People in the world."),
    seed: int = typer.Option(7, help="World seed."),
    day: int = typer.Option(0, min=0, help="Simulated day of the snapshot (0: the first)."),
) -> None:
    """Write the sandbox world's Meta Kaggle CSV files into a folder.

    \b
    Example:
      scout sandbox export-kaggle ./meta-kaggle && scout crawl kaggle --from ./meta-kaggle
    """
    from sandbox.kaggle_files import write_kaggle_csvs
    from sandbox.world import generate
    from sandbox.world_days import Timeline

    folder.mkdir(parents=True, exist_ok=True)
    written = write_kaggle_csvs(Timeline(generate(seed, people)).at(day), folder)
    for name, path in written.items():
        console().print(f"{name}: {path}")
