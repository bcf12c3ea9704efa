"""Data-subject and retention commands: `scout forget`, `scout export-person`, `scout purge`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from config.clock import utcnow
from scout.app import app, console, err_console, get_state
from storage.db import session_factory
from storage.export import export_person, to_json
from storage.forget import REASON, delete_people
from storage.forget import purge as purge_stale
from storage.person import Person, resolve_person

PERSON_HELP = (
    "github:LOGIN, stackoverflow:USER_ID (stackoverflow:SITE:USER_ID on another Stack Exchange "
    "site, e.g. stackoverflow:datascience:1330), kaggle:USERNAME, candidate:ID or profile:ID "
    "(a profile URL works too, and a name: 'stackoverflow:Jessica Brown', refused when "
    "several people have it)."
)
LABELS = {
    "profiles": "profiles",
    "raw_records": "raw records",
    "raw_page_entries": "entries in shared raw pages (Stack Overflow top answerers)",
    "crawl_state_entries": "entries in crawl cursors",
    "repositories": "repositories",
    "contributions": "contributions to major projects",
    "so_tag_stats": "Stack Overflow tag stats",
    "kaggle_achievements": "Kaggle achievements",
    "profile_locations": "locations and regions",
    "locations": "location strings only they used",
    "skill_tags": "skill tags",
    "candidate_profiles": "identity links",
    "link_rejections": "rejected links",
    "link_confirmations": "links made by hand",
    "candidates": "candidates",
    "scores": "scores",
    "shortlist_entries": "shortlist entries",
    "feedback_labels": "feedback labels",
    "raw_records_history": "superseded raw records older than the cutoff",
    "suppressions": "suppression entries added (hashes only)",
}


def _run(
    engine: Engine, work: Callable[[Session], dict[str, int]], dry_run: bool
) -> dict[str, int]:
    """Run `work` in one transaction; a dry run rolls it back, so its counts are exact."""
    session = session_factory(engine)()
    try:
        counts = work(session)
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return counts
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("what")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for key, label in LABELS.items():
        if key in counts:
            table.add_row(label, key, f"{counts[key]:,}")
    return table


def _describe(person: Person) -> str:
    who = ", ".join(person.labels) or "no profiles"
    if person.candidate_ids:
        ids = ", ".join(str(c) for c in person.candidate_ids)
        return f"candidate {ids} with {len(person.profile_ids)} profile(s): {who}"
    return who


@app.command()
def forget(
    person: str = typer.Argument(..., help=PERSON_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would go; delete nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    only_this_profile: bool = typer.Option(
        False,
        "--only-this-profile",
        help="Forget this one account, not the whole linked person.",
    ),
) -> None:
    """Delete everything held on a person and keep every later crawl from collecting them.

    A profile linked to other platforms brings the whole person: every linked profile, raw
    records, repositories, tags, locations, identity links, scores, shortlist entries and
    feedback labels. Each account's login, numeric id and profile link are added to the
    suppression list as SHA-256 hashes, which every crawler checks before storing anything.

    \b
    Example:
      scout forget github:octocat --dry-run
      scout forget stackoverflow:22656 --yes
      scout forget https://datascience.stackexchange.com/users/1330 --yes
      scout forget candidate:42
    """
    engine = get_state().engine()
    with session_factory(engine)() as session:
        found = resolve_person(session, person, whole_person=not only_this_profile)

    def work(session: Session) -> dict[str, int]:
        return delete_people(
            session, found.profile_ids, found.candidate_ids, suppress_reason=REASON
        )

    out = console()
    out.print(f"{person}: {_describe(found)}")
    preview = _run(engine, work, dry_run=True)
    if dry_run:
        out.print(_table("Would delete", preview))
        out.print("Dry run: nothing was deleted.")
        return
    if not yes:
        out.print(_table("Will delete", preview))
        typer.confirm("Delete all of this and suppress them from later crawls?", abort=True)
    counts = _run(engine, work, dry_run=False)
    out.print(_table("Deleted", counts))
    relink = counts.get("profiles_to_relink", 0)
    if relink:
        out.print(f"{relink} profile(s) of the same candidate stay; `scout enrich` relinks them.")
    out.print(f"Forgot {person}; later crawls will not store them again.")


@app.command("export-person")
def export_person_command(
    person: str = typer.Argument(..., help=PERSON_HELP),
    out_file: Path | None = typer.Option(
        None, "--out", "-o", help="Write the JSON here (default: standard output)."
    ),
    only_this_profile: bool = typer.Option(
        False, "--only-this-profile", help="Export this one account, not the whole person."
    ),
) -> None:
    """Write everything held on one person as JSON (a data-subject access request).

    Every linked profile with all stored fields, repositories, Stack Overflow tag stats,
    Kaggle achievements, raw records, locations and regions, skill tags and identity links
    with their evidence, scores, shortlist entries and feedback labels.

    \b
    Example:
      scout export-person github:octocat --out octocat.json
      scout export-person candidate:42 > person.json
    """
    engine = get_state().engine()
    with session_factory(engine)() as session:
        found = resolve_person(session, person, whole_person=not only_this_profile)
        document = export_person(session, found)
    data = to_json(document) + b"\n"
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out_file.write_bytes(data)
    err_console().print(
        f"Wrote {out_file}: {len(document['profiles'])} profile(s), "
        f"{len(document['candidates'])} candidate(s), "
        f"{len(document['raw_records'])} raw record(s)."
    )


@app.command()
def purge(
    not_seen_days: int | None = typer.Option(
        None,
        "--not-seen-days",
        min=1,
        help="Delete profiles no crawl has seen for this many days (default: retention_days).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would go; delete nothing."),
) -> None:
    """Delete what no crawl has seen for N days: profiles, what hangs off them, old raw history.

    Unlike `forget`, nothing is suppressed: a purged person who shows up in a later crawl is
    collected again. Meant for a schedule, so it does not ask; use --dry-run to preview.

    \b
    Example:
      scout purge --not-seen-days 365 --dry-run
      scout purge
    """
    state = get_state()
    days = not_seen_days if not_seen_days is not None else state.settings.retention_days
    engine = state.engine()
    cutoff = utcnow() - timedelta(days=days)
    counts = _run(engine, lambda session: purge_stale(session, cutoff), dry_run)
    out = console()
    title = "Would delete" if dry_run else "Deleted"
    out.print(_table(f"{title} (not seen since {cutoff:%Y-%m-%d %H:%M} UTC)", counts))
    out.print(("Dry run: nothing was deleted. " if dry_run else "") + _summary(counts, days))


def _summary(counts: dict[str, int], days: int) -> str:
    return (
        f"{counts.get('profiles', 0):,} profile(s) not seen for {days} days, "
        f"{counts.get('candidates', 0):,} candidate(s) left without profiles."
    )
