"""`scout rebuild`: profiles, enrichment and scores re-derived from raw_records, offline."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from scout.app import app, console, get_state

if TYPE_CHECKING:
    from scout.rebuild import RebuildReport

log = logging.getLogger(__name__)


@app.command("rebuild")
def rebuild_command(
    kaggle_from: Path | None = typer.Option(
        None,
        "--kaggle-from",
        exists=True,
        file_okay=False,
        help="Folder with the Meta Kaggle CSVs to re-read Kaggle profiles from (their raw "
        "records hold only row hashes; without it Kaggle profiles are kept as stored).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Re-derive profiles, skills, regions, links and scores from stored raw API responses.

    Run it after upgrading talent-scout (a parser fix) or editing skills.toml or
    regions.toml: GitHub and Stack Overflow profiles are parsed again from the newest raw
    records, every profile is enriched again, and candidates are re-ranked. No network call.
    Profiles are updated in place, so rejected links and feedback labels stay. Raw records
    that cannot be parsed are counted with the reason and skipped. Running it twice changes
    nothing the second time.

    \b
    Example:
      scout rebuild
      scout rebuild --kaggle-from data/meta-kaggle --json
    """
    # Imported here: scoring pulls in scikit-learn, which every other command would pay for.
    from scout.rebuild import rebuild

    state = get_state()
    report = rebuild(state.engine(), state.settings, kaggle_from=kaggle_from)
    data = report.as_dict()
    log.info("rebuild finished", extra={"ctx_report": data})
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    _print(report)


def _print(report: RebuildReport) -> None:
    out = console()
    table = Table(title=f"Rebuilt from {report.raw_records:,} raw records (no network)")
    for column in ("source", "raw records", "profiles", "new", "changed", "kept", "skipped"):
        table.add_column(column, justify="left" if column in ("source", "skipped") else "right")
    table.add_column("unparseable", justify="right")
    for name, src in report.sources.items():
        skipped = ", ".join(f"{n:,} {why}" for why, n in sorted(src.skipped.items()) if n) or "0"
        table.add_row(
            name,
            f"{src.raw_records:,}",
            f"{src.profiles:,}",
            f"{src.new:,}",
            f"{src.changed:,}",
            f"{src.kept:,}",
            skipped,
            f"{sum(src.unparseable.values()):,}",
        )
    out.print(table)
    for src in report.sources.values():
        if src.note:
            out.print(f"{src.source}: {src.note}")
    samples = [s for src in report.sources.values() for s in src.samples]
    if samples:
        out.print("Unparseable raw records (skipped, not fatal):")
        for sample in samples:
            out.print(f"  {sample}")
    if report.enrich is not None:
        out.print(f"Enrichment (forced): {report.enrich.summary()}")
    if report.rank is not None:
        rank = report.rank
        out.print(
            f"Ranking: scored {rank.scored:,} of {rank.candidates:,} candidates with "
            f"{rank.version} ({rank.kind}); {rank.unchanged:,} unchanged."
        )
    out.print(f"Done in {report.seconds:.1f}s, without a network call.")
