"""`scout crawl kaggle`: ingest Meta Kaggle files from a folder or download them first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from config.errors import ScoutError
from scout.app import console, err_console, get_state
from scout.cmd_crawl import crawl_app
from scout.runs import crawl_command


@crawl_app.command("kaggle")
def crawl_kaggle(
    from_dir: Path | None = typer.Option(
        None, "--from", help="Folder holding Users.csv, UserAchievements.csv, Submissions.csv."
    ),
    download: bool = typer.Option(
        False, "--download", help="Fetch the latest files with the kaggle package first."
    ),
    dest: Path = typer.Option(
        Path("data/meta-kaggle"), "--dest", help="Where --download puts the files."
    ),
    api_url: str | None = typer.Option(
        None,
        "--api-url",
        envvar="SCOUT_KAGGLE_API_URL",
        help="Kaggle API root for --download (the sandbox: http://127.0.0.1:8765/kaggle).",
    ),
    min_tier: int | None = typer.Option(
        None, "--min-tier", min=0, max=5, help="Tier counting as signal (default 1, Contributor)."
    ),
    recent_days: int | None = typer.Option(
        None, "--recent-days", min=0, help="Submission recency counting as signal (default 365)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Re-read unchanged files; accept files older than the last run."
    ),
) -> None:
    """Ingest Meta Kaggle tiers, medals and recent activity into Kaggle profiles.

    Reads the three files in a streaming pass each (memory stays bounded whatever their size);
    only users with a tier above Novice, a medal or a recent submission become profiles.
    Re-running on the same files changes nothing; newer files write only what changed.
    Credentials for --download: KAGGLE_USERNAME and KAGGLE_KEY, or ~/.kaggle/kaggle.json.

    \b
    Example:
      scout crawl kaggle --from ~/data/meta-kaggle
      scout crawl kaggle --download --dest data/meta-kaggle
      scout crawl kaggle --download --api-url http://127.0.0.1:8765/kaggle
    """
    from crawlers.kaggle.client import download as fetch
    from crawlers.kaggle.options import KaggleOptions
    from crawlers.kaggle.run import ingest_folder

    if (from_dir is None) == (not download):
        raise ScoutError("give exactly one of --from DIR or --download")
    state = get_state()
    given: dict[str, Any] = {"min_tier": min_tier, "recent_days": recent_days, "api_url": api_url}
    # Flags override SCOUT_KAGGLE_* variables, which override the defaults.
    options = KaggleOptions().model_copy(update={k: v for k, v in given.items() if v is not None})
    args: dict[str, Any] = {"force": force, **{k: v for k, v in given.items() if v is not None}}
    if download:
        where = options.api_url or "kaggle.com"
        err_console().print(f"Downloading {options.dataset} from {where} into {dest} ...")
        paths = fetch(dest, state.settings, api_url=options.api_url, dataset=options.dataset)
        folder = next(iter(paths.values())).parent
        args["download"] = str(dest)
    else:
        assert from_dir is not None
        folder = from_dir
        args["from"] = str(from_dir)
    engine = state.engine()
    with (
        crawl_command(engine) as command,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err_console(),
            transient=True,
        ) as bar,
    ):
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        result = ingest_folder(engine, folder, options, force=force, progress=progress, args=args)
    _report(result.run_id, result.unchanged, result.stats)
    command.exit()


def _report(run_id: int, unchanged: bool, stats: dict[str, Any]) -> None:
    out = console()
    if unchanged:
        out.print(f"Run {run_id}: Meta Kaggle files unchanged since the last run; nothing written.")
        return
    files = Table(title=f"Kaggle crawl run {run_id}")
    for column in ("file", "file date", "rows", "malformed"):
        files.add_column(column, justify="left" if column == "file" else "right")
    for name, info in stats["files"].items():
        files.add_row(name, info["file_date"][:10], f"{info['rows']:,}", f"{info['malformed']:,}")
    out.print(files)
    if stats.get("mode") == "difference":
        out.print(
            f"Read by difference from the last files: {stats['new_lines']:,} new lines, "
            f"{stats['users_touched']:,} users touched; {stats['profiles_stored']:,} profiles "
            f"written, {stats['profiles_unchanged']:,} unchanged, {stats['profiles_gone']:,} "
            f"marked gone; {stats['raw_records']:,} raw records; {stats['rows_per_s']:,} rows/s."
        )
    else:
        out.print(
            f"{stats['users_with_signal']:,} users with signal: {stats['profiles_stored']:,} "
            f"profiles written, {stats['profiles_unchanged']:,} unchanged, "
            f"{stats['suppressed']:,} suppressed; {stats['skipped_no_signal']:,} without signal "
            f"skipped; {stats.get('profiles_gone', 0):,} marked gone; "
            f"{stats['raw_records']:,} raw records; {stats['rows_per_s']:,} rows/s."
        )
    if stats["malformed_rows"]:
        out.print(f"{stats['malformed_rows']:,} malformed rows skipped, e.g.:")
        for sample in stats["malformed_samples"][:10]:
            out.print(f"  {sample}")
