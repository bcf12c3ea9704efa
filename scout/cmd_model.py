"""The `scout model` commands: train, evaluate, explain, audit, list and use the ranker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from config.errors import ScoutError
from config.textfile import make_folder
from scout.app import app, console, get_state, make_typer
from storage.db import session_scope

if TYPE_CHECKING:
    from scoring.audit import SourceReport
    from scoring.evaluate import FoldResults
    from scoring.train import Comparison

model_app = make_typer("Train, evaluate, explain and audit the learned ranker.")
app.add_typer(model_app, name="model")


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
    config = state.ranking()
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
    import pandas as pd

    from scoring.evaluate import format_table

    frame = pd.DataFrame.from_dict(metrics, orient="index")
    folds = int(frame["folds"].iloc[0]) if "folds" in frame else 0
    spread = f"mean ± sd over {folds} folds; " if folds else ""
    table = Table(title=f"Cross-validated ranking quality ({spread}higher is better)")
    header, rows = format_table(frame)
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


@model_app.command("evaluate")
def model_evaluate() -> None:
    """Cross-validate NDCG and precision@k of the model, the prior and the baselines.

    Each figure is the mean ± standard deviation over the held-out folds. A cut-off k is
    measured only when every held-out fold holds at least 2k labelled candidates, and
    precision@k only when they hold k "yes" (else "n/a"); NDCG without a cut-off ranks each
    whole fold. Baselines are what other tools sort
    by: followers and stars. A warning says when the labels all come from the top of a
    shortlist (label a random sample: `scout shortlist --sample 100`).

    \b
    Example:
      scout model evaluate
    """
    from scoring.evaluate import fold_results, headline_metric, importance
    from scoring.features import load_features
    from scoring.model import fit_pipeline, load_labels
    from scoring.sampling import label_bias

    config = get_state().ranking()
    with session_scope(get_state().engine()) as session:
        X, _ = load_features(session, config)
        y = load_labels(session)
    y = y[y.index.isin(X.index)]
    Xl, background = X.loc[y.index], X.drop(index=y.index)
    results = fold_results(Xl, y, config, unlabelled=background)
    table = results.table()
    out = console()
    out.print(_metrics_table(table.to_dict(orient="index")))
    low, high = results.smallest, max(results.fold_labels)
    held = f"{low}" if low == high else f"{low}-{high}"
    out.print(
        f"{len(results.fold_labels)} folds over {len(y)} labelled candidates "
        f"({held} held out in each)."
    )
    for gap in results.gaps():
        out.print(gap)
    out.print(_fold_table(results, headline_metric(table)))
    bias = label_bias(X, y.index, config)
    if bias is not None:
        out.print(f"[bold yellow]Warning:[/bold yellow] {bias.message()}")
    pipe = fit_pipeline(Xl, y, config, background)
    imp = Table(title="Permutation importance (drop in average precision)")
    imp.add_column("feature")
    imp.add_column("importance", justify="right")
    for feature, value in sorted(importance(pipe, Xl, y, config).items(), key=lambda kv: -kv[1]):
        imp.add_row(feature, f"{value:.4f}")
    out.print(imp)


def _fold_table(results: FoldResults, metric: str) -> Table:
    """`metric` on each held-out fold, and on how many folds the model beats the prior."""
    folds = len(results.fold_labels)
    title = f"{metric} on each held-out fold"
    if "learned" in results.rows:
        learned = results.values("learned", metric)
        prior = results.values("heuristic", metric)
        wins = sum(a >= b for a, b in zip(learned, prior, strict=True))
        title += f" (learned >= heuristic on {wins} of {folds})"
    table = Table(title=title)
    table.add_column("ranker")
    for i, n in enumerate(results.fold_labels, start=1):
        table.add_column(f"fold {i} ({n})", justify="right")
    for name in results.rows:
        table.add_row(name, *[f"{v:.3f}" for v in results.values(name, metric)])
    return table


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

    config = get_state().ranking()
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
    """Score distributions and top-k shares per region, flagging sharp moves between versions,
    and each region's top-k share with and without each ML-native source (Hugging Face Hub,
    PyPI, contributions to major projects) under the active model.

    \b
    Example:
      scout model audit
    """
    from scoring.audit import audit, source_effects
    from scoring.heuristic import heuristic_from, heuristic_version
    from scoring.model import Ranker, load_ranker

    config = get_state().ranking()
    out = console()
    with session_scope(get_state().engine()) as session:
        report = audit(session, config)
        try:
            ranker = load_ranker(session, config)
        except ScoutError as exc:
            out.print(f"The active model is refused ({exc}); sources are audited under the prior.")
            prior = heuristic_from(config)
            ranker = Ranker(heuristic_version(config), "heuristic", list(config.features), prior)
        sources = source_effects(session, config, ranker)
    if not report.versions:
        out.print("No scores yet: run `scout rank`.")
        _print_sources(sources)
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
    _print_sources(sources)


def _print_sources(report: SourceReport) -> None:
    """The per-source table of `scout model audit`: region shares with and without each."""
    out = console()
    if not report.shares:
        return
    table = Table(title=f"ML-native sources: share of the top {report.top_k} ({report.version})")
    table.add_column("region")
    table.add_column("every source", justify="right")
    for effect in report.effects:
        table.add_column(f"without {effect.source}", justify="right")
    regions = sorted(set(report.shares).union(*(e.shares for e in report.effects)))
    for region in regions:
        cells = [f"{report.shares.get(region, 0.0):.0%}"]
        cells += [f"{e.shares.get(region, 0.0):.0%}" for e in report.effects]
        table.add_row(region, *cells)
    out.print(table)
    for e in report.effects:
        if not e.candidates:
            out.print(f"  {e.source}: no candidate has evidence from it (not crawled yet?)")
        else:
            out.print(
                f"  {e.source}: {e.candidates:,} candidate{'s' if e.candidates != 1 else ''} "
                "with evidence from it; "
                f"{e.in_top} of the top {report.top_k} would not be there without it"
            )
    for flag in report.flags:
        out.print(f"  [bold]Flagged:[/bold] {flag}")


@model_app.command("list")
def model_list() -> None:
    """Every model version: kind, when trained, labels, cross-validated NDCG, which is active.

    \b
    Example:
      scout model list
    """
    from scoring.model import list_versions

    config = get_state().ranking()
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

    config = get_state().ranking()
    with session_scope(get_state().engine()) as session:
        ranker = use_version(session, config, version)
    console().print(
        f"Active model: {ranker.version} ({ranker.kind}). `scout rank` and the next shortlist "
        "score with it."
    )
