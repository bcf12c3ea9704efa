"""The learned ranker end to end: export, decide, import, train, re-rank, evaluate, explain."""

from __future__ import annotations

import csv

import numpy as np
from scoring_world import ranking_quality, world_to_db
from sqlalchemy import select
from typer.testing import CliRunner

from crawlers.sandbox.world import generate
from scoring.ranking import load_ranking
from scout.cli import app
from storage.db import open_database, session_scope
from storage.models import ModelVersion, Score

runner = CliRunner()


def test_learned_and_heuristic_beat_followers_on_hidden_truth(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    with session_scope(engine) as s:
        truth = world_to_db(s, generate(5, 700))
        quality = ranking_quality(s, load_ranking(), truth, labels=150)
    engine.dispose()
    assert quality["heuristic"] >= 1.3 * quality["followers"], quality
    assert quality["learned"] >= 1.3 * quality["followers"], quality


def test_csv_round_trip_train_and_rerank(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        truth = world_to_db(s, generate(3, 300))
    engine.dispose()
    out = tmp_path / "all.csv"
    r = runner.invoke(app, ["--db", url, "shortlist", "--top", "120", "-o", str(out)])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120
    for row in rows:  # the recruiter's verdict, simulated from hidden truth
        row["decision"] = "Yes" if truth[int(row["candidate_id"])] >= 2 else "no"
    rows[0]["decision"] = "hired" if truth[int(rows[0]["candidate_id"])] >= 2 else "NO"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    r = runner.invoke(app, ["--db", url, "feedback", "import", str(out)])
    assert r.exit_code == 0 and "Imported 120 decisions" in r.output, r.output
    models = tmp_path / "models"
    r = runner.invoke(app, ["--db", url, "model", "train", "--models-dir", str(models)])
    assert r.exit_code == 0, r.output
    assert "followers" in r.output and "ndcg@10" in r.output
    r = runner.invoke(app, ["--db", url, "rank"])
    assert r.exit_code == 0 and "(learned)" in r.output, r.output
    engine = open_database(url)
    with session_scope(engine) as s:
        mv = s.scalars(select(ModelVersion).where(ModelVersion.active)).one()
        assert mv.kind == "learned" and list(models.glob("*.joblib"))
        card = mv.card
        assert card["labels"]["total"] == 120 and set(card["metrics"]) >= {"learned", "followers"}
        assert set(card["permutation_importance"]) == set(mv.features)
        score = s.scalars(select(Score).where(Score.model_version == mv.version)).first()
        assert score is not None and score.explanation["text"]
        cid = score.candidate_id
    engine.dispose()
    r = runner.invoke(app, ["--db", url, "model", "evaluate"])
    assert r.exit_code == 0 and "precision@10" in r.output and "stars" in r.output, r.output
    assert "Permutation importance" in r.output
    r = runner.invoke(app, ["--db", url, "model", "explain", str(cid)])
    assert r.exit_code == 0 and "log-odds" in r.output and "ml_repos" in r.output, r.output
    r = runner.invoke(app, ["--db", url, "model", "audit"])
    assert r.exit_code == 0 and "eastern-europe" in r.output, r.output
    r = runner.invoke(app, ["--db", url, "shortlist", "--top", "10", "-o", str(tmp_path / "b.csv")])
    assert r.exit_code == 0 and "learned-" in r.output, r.output

    # A model is refused once ranking.toml lists other features.
    changed = tmp_path / "ranking.toml"
    text = load_ranking_text().replace('"followers",', "")
    changed.write_text(text)
    (tmp_path / "scout.toml").write_text(f'ranking_file = "{changed}"\n')
    r = runner.invoke(app, ["--config", str(tmp_path / "scout.toml"), "--db", url, "rank"])
    assert r.exit_code == 2 and "model train" in r.output, r.output


def load_ranking_text() -> str:
    from config.data import default_path

    return default_path("ranking.toml").read_text()


def test_too_few_labels_is_a_clear_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    runner.invoke(app, ["--db", url, "init"])
    r = runner.invoke(app, ["--db", url, "model", "train"])
    assert r.exit_code == 2 and "need at least" in r.output


def test_pipeline_names_every_feature():
    from scoring.model import build_pipeline

    config = load_ranking()
    import pandas as pd

    X = pd.DataFrame(
        np.random.default_rng(0).random((40, len(config.features))), columns=config.features
    )
    pipe = build_pipeline(config.features, config.model).fit(X, np.arange(40) % 2)
    names = [n.split("__", 1)[1] for n in pipe.named_steps["features"].get_feature_names_out()]
    assert sorted(names) == sorted(config.features)
    assert pipe.named_steps["model"].get_params()["C"] == config.model.C
