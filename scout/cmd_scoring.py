"""Commands for scoring: `scout rank`, `scout shortlist` and `scout feedback import`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import cast

import typer

from config.errors import ScoutError
from scout import options
from scout.app import app, console, err_console, get_state, make_typer
from scout.runs import WARNING_PREFIX
from storage.csvfile import check_output_path, open_output
from storage.db import session_scope

feedback_app = make_typer("Recruiter decisions read back from shortlist CSVs.")
app.add_typer(feedback_app, name="feedback")


@app.command()
def rank(
    force: bool = typer.Option(False, "--force", help="Rescore even unchanged candidates."),
) -> None:
    """Score every candidate with the active model (the heuristic prior before any training).

    Only candidates whose features changed since the last run are rescored.

    \b
    Example:
      scout rank
    """
    from scoring.rank import rank_all

    config = get_state().ranking()
    with session_scope(get_state().engine()) as session:
        stats = rank_all(session, config, force=force)
    console().print(
        f"Scored {stats.scored:,} of {stats.candidates:,} candidates with {stats.version} "
        f"({stats.kind}); {stats.unchanged:,} unchanged, skipped."
    )


@app.command()
def shortlist(
    output: Path = typer.Option(..., "--output", "-o", help="CSV file to write ('-': stdout)."),
    region: str | None = typer.Option(
        None, callback=options.region, help="Only this region, e.g. eastern-europe or 'India'."
    ),
    country: str | None = typer.Option(
        None, callback=options.country, help="Only this country: PL, Poland or Polska."
    ),
    skill: str | None = typer.Option(
        None, callback=options.skill, help="Only this skill or category (mlops, pytorch)."
    ),
    min_score: float | None = typer.Option(None, help="Only scores at or above this."),
    source: str | None = typer.Option(
        None, callback=options.source, help="Only candidates on github/stackoverflow/kaggle."
    ),
    active_since: str | None = typer.Option(
        None, callback=options.date, help="Only activity since this date (2025-01-31)."
    ),
    exclude_decided: list[str] | None = typer.Option(
        None,
        "--exclude-decided",
        metavar="DECISIONS",
        help="Leave out candidates whose latest decision is one of these: yes, no, contacted, "
        "replied, hired, or all (comma-separated or repeated) [default: no].",
    ),
    include_decided: bool = typer.Option(
        False, "--include-decided", help="Keep every candidate already decided, 'no' too."
    ),
    exclude_contacted: bool = typer.Option(
        False, "--exclude-contacted", hidden=True, help="Older name: adds contacted,replied,hired."
    ),
    top: int = typer.Option(
        50, callback=options.count, help="How many candidates (0: all that match)."
    ),
    sample: int = typer.Option(
        0,
        min=0,
        help="Instead of the top: this many unlabelled candidates drawn at random from all "
        "that match, in random order (labelling them keeps `scout model evaluate` honest).",
    ),
    name: str | None = typer.Option(None, help="Shortlist name (default: the file's name)."),
    bom: bool | None = typer.Option(
        None,
        "--bom/--no-bom",
        help="Start with a UTF-8 BOM, so Excel shows non-Latin names right "
        "(default: on for a file, off for stdout).",
    ),
    include_contacts: bool | None = typer.Option(
        None, "--include-contacts/--no-contacts", help="Add public email and website columns."
    ),
) -> None:
    """Write the top candidates to a CSV for a spreadsheet, and store the shortlist.

    Scores are brought up to date first. Each row says why it ranks where it does
    (`why_ranked`), what that is made of (`top_skills`: the repositories, with links, and
    the tags behind the same counts) and why its profiles are one person (`why_linked`:
    every link with its method, confidence and evidence). Fill the `decision` column (yes,
    no, contacted, replied, hired) and give the file back with `scout feedback import`.

    Decisions already imported are filled in. Candidates marked "no" are left out of new
    shortlists (--exclude-decided no,contacted to leave out more, --include-decided to keep
    them all); --top counts the rows written after that, so a second round brings new people.
    Give the file back as your spreadsheet saves it (CSV in any locale, or .xlsx).

    A region is its name or key in regions.toml (Eastern Europe, eastern-europe,
    eastern_europe); a country its ISO code or name. An unknown region, skill, source or
    country is refused, listing the known ones. A valid query that matches nobody still
    writes the header row, says on stderr which filter left nobody, and exits 0.

    \b
    Example:
      scout shortlist --region eastern-europe --skill mlops --top 50 -o shortlist.csv
      scout shortlist --country Poland --source github -o poland.csv
      scout shortlist --sample 100 -o sample.csv
    """
    from config.regions import load_regions_file
    from scoring.feedback import decisions_to_exclude
    from scoring.filters import why_empty
    from scoring.rank import rank_all
    from scoring.sampling import random_sample
    from scoring.shortlist import Filters, pick_candidates, save_shortlist
    from scoring.shortlist_csv import columns_for, shortlist_rows, write_csv

    if str(output) != "-":
        check_output_path(output)
    bom = str(output) != "-" if bom is None else bom
    state = get_state()
    config = state.ranking()
    contacts = state.settings.include_contacts if include_contacts is None else include_contacts
    region_names = load_regions_file(state.settings.regions_file).display_names()
    since = cast("datetime | None", active_since)  # the callback made it a date
    if include_decided and (exclude_decided or exclude_contacted):
        raise ScoutError("--include-decided keeps every decided candidate: drop --exclude-decided")
    decided = (
        ()
        if include_decided
        else decisions_to_exclude(exclude_decided or ["no"], contacted=exclude_contacted)
    )
    filters = Filters(
        region, country, skill, min_score, source, since, decided, 0 if sample else top
    )
    with session_scope(state.engine()) as session:
        stats = rank_all(session, config)
        found = pick_candidates(session, stats.version, filters, config)
        picked = found.rows
        if sample:
            picked = random_sample(session, picked, sample)
        save_shortlist(session, name or output.stem, stats.version, filters, picked)
        rows = shortlist_rows(session, config, picked, contacts, region_names=region_names)
        columns = columns_for(contacts)
        if str(output) == "-":
            n = write_csv(rows, sys.stdout, columns, bom)
        else:
            with open_output(output) as handle:
                n = write_csv(rows, handle, columns, bom)
        empty = why_empty(session, stats.version, filters, config, region_names) if not n else ""
    if empty:
        # Still exit 0: the query was valid. A scheduled run records this line (scout.runs).
        typer.echo(f"{WARNING_PREFIX}{empty}", err=True)  # one line, never wrapped
    if str(output) != "-":
        console().print(f"Wrote {n:,} candidates to {output} (model {stats.version}).")
    if found.note():  # on stderr when the CSV goes to stdout
        (console() if str(output) != "-" else err_console()).print(found.note())


@feedback_app.command("import")
def feedback_import(
    path: Path = typer.Argument(
        ..., help="A shortlist with the decision column filled: CSV (as saved) or .xlsx."
    ),
    encoding: str | None = typer.Option(
        None, help="The CSV's encoding when the guess is wrong, e.g. cp1250 (default: detected)."
    ),
) -> None:
    """Read the decision column of a shortlist back as labels for training.

    Takes what spreadsheets save: CSV separated by commas, semicolons or tabs, UTF-8 (BOM or
    not) or a Windows code page (cp1250, cp1251, cp1252: guessed, and said), or an .xlsx
    workbook. Decisions: yes, no, contacted, replied, hired (any case). Unknown values are
    listed by row.

    \b
    Example:
      scout feedback import shortlist.csv
      scout feedback import shortlist.xlsx
    """
    from scoring.feedback import import_feedback

    with session_scope(get_state().engine()) as session:
        report = import_feedback(session, path, encoding=encoding)
    out = console()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.decisions.items())) or "none"
    out.print(f"Read {path} as {report.read_as}.", markup=False, soft_wrap=True)
    if report.guessed:
        out.print(
            f"  {report.encoding} is a guess: if names look wrong, give --encoding "
            "(cp1250 Central European, cp1251 Cyrillic, cp1252 Western).",
            markup=False,
        )
    out.print(f"Imported {report.labels:,} decisions ({counts}); {report.blank:,} rows blank.")
    for number, value in report.unknown_values:
        out.print(
            f"  row {number}: unknown decision {value!r} (use yes/no/contacted/replied/hired)"
        )
    for number, value in report.unknown_candidates:
        out.print(f"  row {number}: unknown candidate_id {value!r}")
