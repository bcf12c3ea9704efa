"""Cross-validated ranking quality: spread over folds, @k only where folds can measure it, and
`scout model evaluate` saying when labels come only from the top of a shortlist."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from helpers import shared_world
from typer.testing import CliRunner

import scoring.evaluate as ev
from config.errors import ScoutError
from sandbox.truth_db import world_to_db
from scoring.ranking import load_ranking
from scout.cli import app
from storage.db import open_database, session_scope

runner = CliRunner()


def labelled_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """n candidates whose ML repos make them relevant, with noise, and their labels."""
    config = load_ranking()
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {f: rng.poisson(1.0, n).astype(float) for f in config.features},
        index=pd.RangeIndex(1, n + 1, name="candidate_id"),
    )
    X["recency"] = rng.random(n)
    X["fork_share"] = X["star_farming"] = 0.0
    y = pd.Series((X["ml_repos"] + rng.normal(0, 1.0, n) > 1.5).astype(float), index=X.index)
    return X, y


def test_cut_offs_follow_the_fold_size():
    assert ev.ks_for(40) == (10, 20, 50)  # 50 shown, as n/a; 20 is the largest that fits
    assert ev.ks_for(200) == (10, 50, 100)
    assert ev.ks_for(8) == (10, 50)  # nothing fits: NDCG of the whole fold only
    rel = np.array([1.0] * 12 + [0.0] * 28)
    m = ev.metrics_for(-np.arange(40.0), rel, ev.ks_for(40))
    assert m["ndcg@20"] == 1.0 and m["precision@10"] == 1.0
    assert np.isnan(m["ndcg@50"]) and np.isnan(m["precision@50"])
    # 12 yes in the fold: a perfect ranking would score 0.6 at precision@20, so it is n/a.
    assert np.isnan(m["precision@20"])


def test_each_metric_has_a_mean_and_a_spread_over_folds():
    X, y = labelled_frame(200)
    results = ev.fold_results(X, y, load_ranking())
    assert results.fold_labels == [40] * 5 and sum(results.fold_yes) == int(y.sum())
    table = results.table()
    assert list(table.index) == ["learned", "heuristic", "followers", "stars"]
    for ranker in table.index:
        per_fold = results.values(ranker, "ndcg@20")
        assert table.loc[ranker, "ndcg@20"] == pytest.approx(np.mean(per_fold))
        assert table.loc[ranker, "ndcg@20 sd"] == pytest.approx(np.std(per_fold, ddof=1))
        assert table.loc[ranker, "ndcg@20 min"] == min(per_fold)
        assert table.loc[ranker, "ndcg@20 max"] == max(per_fold)
    assert table["ndcg@20 sd"].max() > 0  # folds disagree; the table says by how much
    assert table["ndcg@50"].isna().all() and table["ndcg@10"].notna().all()
    assert (table["folds"] == 5).all() and (table["fold_labels"] == 40).all()
    assert ev.headline_metric(table) == "ndcg@20"
    assert any("@50: n/a (folds hold ~40 labels)" in gap for gap in results.gaps())
    # The learned model sees what decides relevance; followers, pure noise here, does not.
    assert table.loc["learned", "ndcg"] > table.loc["followers", "ndcg"]

    big = ev.cross_validate(*labelled_frame(600, seed=1), load_ranking())
    assert big["ndcg@50"].notna().all() and ev.headline_metric(big) == "ndcg@50"


def test_labels_without_a_no_cannot_be_cross_validated():
    X, _ = labelled_frame(100)
    with pytest.raises(ScoutError) as err:  # the top of a good shortlist: all "yes"
        ev.cross_validate(X, pd.Series(1.0, index=X.index), load_ranking())
    assert "100 'yes' and 0 'no'" in err.value.message
    assert "scout shortlist --sample 100" in err.value.message


def test_table_cells_show_spread_or_say_n_a():
    X, y = labelled_frame(200)
    header, rows = ev.format_table(ev.cross_validate(X, y, load_ranking()))
    assert header == ["metric", "learned", "heuristic", "followers", "stars"]
    by_metric = {row[0]: row[1:] for row in rows}
    assert set(by_metric) == {
        "ndcg",
        *[f"{m}@{k}" for m in ("ndcg", "precision") for k in (10, 20, 50)],
    }
    assert by_metric["ndcg@50"] == ["n/a"] * 4
    assert all(" ± " in cell for cell in by_metric["ndcg@10"])


@pytest.fixture(scope="module")
def world_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("evaluate")
    url = f"sqlite:///{path / 'e.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        truth = world_to_db(s, shared_world(3, 300))
    engine.dispose()
    return url, truth, path


def label(path, truth, url, *args):
    """Export a shortlist, decide every row from hidden truth, import the decisions."""
    out = path / f"{'-'.join(args)}.csv"
    r = runner.invoke(app, ["--db", url, "shortlist", *args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["decision"] = "yes" if truth[int(row["candidate_id"])] >= 2 else "no"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    r = runner.invoke(app, ["--db", url, "feedback", "import", str(out)])
    assert r.exit_code == 0, r.output
    return [int(row["candidate_id"]) for row in rows]


def test_evaluate_warns_when_labels_come_only_from_the_top(world_db):
    url, truth, path = world_db
    top = label(path, truth, url, "--top", "100")
    r = runner.invoke(app, ["--db", url, "model", "evaluate"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "mean ± sd over 5 folds" in r.output and " ± " in r.output
    assert "@50: n/a (folds hold ~20 labels)" in r.output
    assert "on each held-out fold" in r.output and "fold 5 (20)" in r.output
    assert "Warning: 100 of 100 labelled candidates (100%)" in r.output
    assert "scout shortlist --sample 100" in r.output

    # A random sample, labelled too, leaves out everyone already labelled; the warning goes.
    sample = label(path, truth, url, "--sample", "150")
    assert len(sample) == 150 and not set(sample) & set(top)
    r = runner.invoke(app, ["--db", url, "model", "evaluate"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Warning" not in r.output and "250 labelled candidates" in r.output
