"""Commands for scoring: rank, shortlist, feedback import, model train/evaluate/explain/audit."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from config.errors import ScoutError
from config.textfile import make_folder
from scout.app import app, console, get_state, make_typer
from storage.csvfile import check_output_path, open_output
from storage.db import session_scope

if TYPE_CHECKING:
    from scoring.ranking import RankingConfig
    from scoring.train import Comparison

feedback_app = make_typer("Recruiter decisions read back from shortlist CSVs.")
model_app = make_typer("Train, evaluate, explain and audit the learned ranker.")
app.add_typer(feedback_app, name="feedback")
app.add_typer(model_app, name="model")


def _config() -> RankingConfig:
    from scoring.ranking import load_ranking

    return load_ranking(get_state().settings.ranking_file)


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

    config = _config()
    with session_scope(get_state().engine()) as session:
        stats = rank_all(session, config, force=force)
    console().print(
        f"Scored {stats.scored:,} of {stats.candidates:,} candidates with {stats.version} "
        f"({stats.kind}); {stats.unchanged:,} unchanged, skipped."
    )


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ScoutError(f"--active-since: {value!r} is not a date like 2025-01-31") from exc


@app.command()
def shortlist(
    output: Path = typer.Option(..., "--output", "-o", help="CSV file to write ('-': stdout)."),
    region: str | None = typer.Option(None, help="Only this region, e.g. eastern-europe."),
    country: str | None = typer.Option(None, help="Only this country (ISO code, e.g. PL)."),
    skill: str | None = typer.Option(None, help="Only candidates with this skill or category."),
    min_score: float | None = typer.Option(None, help="Only scores at or above this."),
    source: str | None = typer.Option(None, help="Only candidates on github/stackoverflow/kaggle."),
    active_since: str | None = typer.Option(None, help="Only activity since this date."),
    exclude_contacted: bool = typer.Option(False, help="Leave out contacted/replied/hired."),
    top: int = typer.Option(50, help="How many candidates (0: all that match)."),
    name: str | None = typer.Option(None, help="Shortlist name (default: the file's name)."),
    bom: bool = typer.Option(False, "--bom", help="Start with a UTF-8 BOM (older Excel)."),
    include_contacts: bool | None = typer.Option(
        None, "--include-contacts/--no-contacts", help="Add public email and website columns."
    ),
) -> None:
    """Write the top candidates to a CSV for a spreadsheet, and store the shortlist.

    Scores are brought up to date first. Each row says why it ranks where it does
    (`why_ranked`) and why its profiles are one person (`why_linked`: every link with its
    method, confidence and evidence). Fill the `decision` column (yes, no, contacted,
    replied, hired) and give the file back with `scout feedback import`.

    \b
    Example:
      scout shortlist --region eastern-europe --skill mlops --top 50 -o shortlist.csv
    """
    from scoring.rank import rank_all
    from scoring.shortlist import (
        Filters,
        columns_for,
        save_shortlist,
        select_candidates,
        shortlist_rows,
        write_csv,
    )

    if str(output) != "-":
        check_output_path(output)
    state = get_state()
    config = _config()
    contacts = state.settings.include_contacts if include_contacts is None else include_contacts
    filters = Filters(
        region, country, skill, min_score, source, _date(active_since), exclude_contacted, top
    )
    with session_scope(state.engine()) as session:
        stats = rank_all(session, config)
        picked = select_candidates(session, stats.version, filters, config)
        save_shortlist(session, name or output.stem, stats.version, filters, picked)
        rows = shortlist_rows(session, config, picked, contacts)
        columns = columns_for(contacts)
        if str(output) == "-":
            n = write_csv(rows, sys.stdout, columns, bom)
        else:
            with open_output(output) as handle:
                n = write_csv(rows, handle, columns, bom)
    if str(output) != "-":
        console().print(f"Wrote {n:,} candidates to {output} (model {stats.version}).")


@feedback_app.command("import")
def feedback_import(
    path: Path = typer.Argument(..., help="A shortlist CSV with the decision column filled."),
) -> None:
    """Read the decision column of a shortlist CSV back as labels for training.

    Decisions: yes, no, contacted, replied, hired (any case). Unknown values are listed by row.

    \b
    Example:
      scout feedback import shortlist.csv
    """
    from scoring.feedback import import_feedback

    with session_scope(get_state().engine()) as session:
        report = import_feedback(session, path)
    out = console()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.decisions.items())) or "none"
    out.print(f"Imported {report.labels:,} decisions ({counts}); {report.blank:,} rows blank.")
    for number, value in report.unknown_values:
        out.print(
            f"  row {number}: unknown decision {value!r} (use yes/no/contacted/replied/hired)"
        )
    for number, value in report.unknown_candidates:
        out.print(f"  row {number}: unknown candidate_id {value!r}")


@model_app.command("train")
def model_train(
    models_dir: Path | None = typer.Option(
        None, help="Where to save the model (default: models/ beside the database file)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Activate the new model even if it does worse than the active one."
    ),
) -> None:
    """Fit the learned ranker on the recruiter labels and save it with its model card.

    The candidates nobody labelled are background (counted as "no" with a small weight), so
    "yes" labels alone are enough. The new model is cross-validated against the active one
    on the same folds, and activated only if it is not worse (`--force` activates it anyway;
    `scout model use` switches between versions, `scout model list` shows them).

    \b
    Example:
      scout model train && scout rank
    """
    from scoring.features import load_features
    from scoring.model import models_dir_for
    from scoring.train import train

    state = get_state()
    config = _config()
    folder = make_folder(models_dir or models_dir_for(state.settings.db_url), "--models-dir")
    with session_scope(state.engine()) as session:
        X, _ = load_features(session, config)
        result = train(session, config, X, folder, force=force)
    out = console()
    labels = result.card["labels"]
    out.print(
        f"Trained {result.ranker.version} on {labels['total']} labels ({labels['relevant']} "
        f"yes, {labels['not_relevant']} no) with {result.background:,} unlabelled candidates "
        f"as background; saved to {folder}."
    )
    if result.note:
        out.print(result.note)
    out.print(_comparison_table(result.comparison))
    c = result.comparison
    metric, active = c.headline, c.versions["active"]
    new, old = c.mean("new"), c.mean("active")
    if result.activated and c.not_worse():
        out.print(f"Activated {result.ranker.version}: {metric} {new:.3f} >= {old:.3f} ({active}).")
    elif result.activated:
        out.print(
            f"Activated {result.ranker.version} (--force) although {metric} {new:.3f} < "
            f"{old:.3f} ({active})."
        )
    else:
        out.print(
            f"Not activated: {metric} {new:.3f} < {old:.3f} of the active {active}, which stays "
            f"active. The new model is saved: `scout model use {result.ranker.version}` to use "
            "it anyway, or label more and retrain (--force activates at once)."
        )


def _comparison_table(c: Comparison) -> Table:
    held = (
        f"{min(c.held_out)}"
        if min(c.held_out) == max(c.held_out)
        else (f"{min(c.held_out)}-{max(c.held_out)}")
    )
    title = (
        f"Cross-validated on the same {len(c.held_out)} folds ({held} candidates held out in "
        "each; mean ± sd over folds; higher is better)"
    )
    if c.background:
        title += (
            "; with too few 'no' labels each held-out fold also holds unlabelled candidates, "
            "counted as 'no'"
        )
    table = Table(title=title)
    table.add_column("ranker")
    metrics = c.metrics()
    for m in metrics:
        table.add_column(m, justify="right")
    for role, version in c.versions.items():
        name = "new model" if role == "new" else f"{role}: {version}"
        if role == "active" and c.refit_active:
            name += " (refitted per fold)"
        table.add_row(name, *[f"{c.mean(role, m):.3f} ± {c.sd(role, m):.3f}" for m in metrics])
    return table


def _metrics_table(metrics: dict[str, dict[str, float]]) -> Table:
    table = Table(title="Cross-validated ranking quality (higher is better)")
    cols = [c for c in next(iter(metrics.values())) if c != "folds"]
    table.add_column("ranker")
    for c in cols:
        table.add_column(c, justify="right")
    for name, row in metrics.items():
        table.add_row(name, *[f"{row[c]:.3f}" for c in cols])
    return table


@model_app.command("evaluate")
def model_evaluate() -> None:
    """Cross-validate NDCG@10/@50 and precision@k of the model, the prior and the baselines.

    Baselines are what other tools sort by: followers and stars.

    \b
    Example:
      scout model evaluate
    """
    from scoring.evaluate import cross_validate, importance
    from scoring.features import load_features
    from scoring.model import check_labels, fit_pipeline, load_labels

    config = _config()
    with session_scope(get_state().engine()) as session:
        X, _ = load_features(session, config)
        y = load_labels(session)
    y = y[y.index.isin(X.index)]
    check_labels(y)
    table = cross_validate(X.loc[y.index], y, config)
    out = console()
    out.print(_metrics_table(table.to_dict(orient="index")))
    out.print(f"{int(table['folds'].iloc[0])} folds over {len(y)} labelled candidates.")
    pipe = fit_pipeline(X.loc[y.index], y, config)
    imp = Table(title="Permutation importance (drop in average precision)")
    imp.add_column("feature")
    imp.add_column("importance", justify="right")
    for feature, value in sorted(
        importance(pipe, X.loc[y.index], y, config).items(), key=lambda kv: -kv[1]
    ):
        imp.add_row(feature, f"{value:.4f}")
    out.print(imp)


@model_app.command("explain")
def model_explain(
    candidate_id: int = typer.Argument(..., help="The candidate's id (CSV column candidate_id)."),
    version: str | None = typer.Option(None, help="Model version (default: the active one)."),
) -> None:
    """Show the evidence behind one candidate's score and the points each piece adds.

    Points: how much lower the score would be without that evidence (every other feature
    kept). Only evidence the candidate has is listed; a negative number held the score back.

    \b
    Example:
      scout model explain 42
    """
    from scoring.explain import absent_features, contributions_table
    from scoring.features import load_features
    from scoring.model import load_ranker

    config = _config()
    with session_scope(get_state().engine()) as session:
        ranker = load_ranker(session, config, version)
        X, _ = load_features(session, config, candidate_ids=[candidate_id])
    if X.empty:
        raise ScoutError(f"no candidate with id {candidate_id}")
    score = float(ranker.score(X)[0])
    table = Table(title=f"Candidate {candidate_id}: score {score:.1f} under {ranker.version}")
    for col in ("evidence", "feature", "points"):
        table.add_column(col, justify="right" if col == "points" else "left")
    for item in contributions_table(ranker, X):
        table.add_row(item["words"], item["feature"], f"{item['points']:+.1f}")
    out = console()
    out.print(table)
    if missing := absent_features(ranker, X):
        out.print(f"No evidence of (adds nothing): {', '.join(missing)}.")


@model_app.command("audit")
def model_audit() -> None:
    """Score distributions and top-k shares per region, flagging sharp moves between versions.

    \b
    Example:
      scout model audit
    """
    from scoring.audit import audit

    config = _config()
    with session_scope(get_state().engine()) as session:
        report = audit(session, config)
    out = console()
    if not report.versions:
        out.print("No scores yet: run `scout rank`.")
        return
    for v in report.versions:
        table = Table(title=f"{v.version} ({v.kind}, {v.candidates:,} scored)")
        for col in ("region", "candidates", "mean", "p50", "p90", f"share of top {report.top_k}"):
            table.add_column(col, justify="left" if col == "region" else "right")
        for region, s in v.stats.items():
            table.add_row(
                region,
                f"{int(s['count']):,}",
                f"{s['mean']:.1f}",
                f"{s['p50']:.1f}",
                f"{s['p90']:.1f}",
                f"{v.shares.get(region, 0.0):.0%}",
            )
        out.print(table)
    if report.flags:
        out.print("[bold]Flagged:[/bold]")
        for flag in report.flags:
            out.print(f"  {flag}")
    else:
        out.print(f"No region's top-{report.top_k} share moved more than {report.threshold:.0%}.")


@model_app.command("list")
def model_list() -> None:
    """Every model version: kind, when trained, labels, cross-validated NDCG, which is active.

    \b
    Example:
      scout model list
    """
    from scoring.model import list_versions

    config = _config()
    with session_scope(get_state().engine()) as session:
        rows = list_versions(session, config)
    table = Table(title="Model versions (* active: the one `scout rank` and shortlists use)")
    for col in ("", "version", "kind", "trained", "labels (yes)", "CV NDCG (new)"):
        table.add_column(col)
    for r in rows:
        cv = "-"
        if r.cv_value is not None:
            sd = f" ± {r.cv_sd:.3f}" if r.cv_sd is not None else ""
            cv = f"{r.cv_value:.3f}{sd} ({r.cv_metric})"
        table.add_row(
            "*" if r.active else "",
            r.version,
            r.kind,
            f"{r.trained_at:%Y-%m-%d %H:%M}" if r.trained_at else "-",
            f"{r.labels} ({r.relevant})" if r.labels is not None else "-",
            cv,
        )
    console().print(table)


@model_app.command("use")
def model_use(
    version: str = typer.Argument(..., help="A version from `scout model list`, or heuristic."),
) -> None:
    """Make a model version the active one: an earlier learned model, or back to the heuristic.

    \b
    Example:
      scout model use heuristic
    """
    from scoring.model import use_version

    config = _config()
    with session_scope(get_state().engine()) as session:
        ranker = use_version(session, config, version)
    console().print(
        f"Active model: {ranker.version} ({ranker.kind}). `scout rank` and the next shortlist "
        "score with it."
    )
