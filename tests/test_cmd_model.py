"""The `scout model` commands as a researcher runs them: export, decide, import, `model train`
(compared with the active model), `model list`, `model use`, `model explain`, and refusals."""

from __future__ import annotations

import csv
import re

import pytest
from model_world import build_world, copy_world
from sqlalchemy import select
from typer.testing import CliRunner

from config.data import default_path
from scoring.feature_defs import FEATURES
from scout.cli import app
from storage.db import open_database, session_scope
from storage.models import ModelVersion, Score

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("cmd"), seed=3, people=300)


def _decide(url, tmp_path, truth, top=120, only_yes=False):
    out = tmp_path / "all.csv"
    r = runner.invoke(app, ["--db", url, "shortlist", "--top", str(top), "-o", str(out)])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == top
    for row in rows:  # the recruiter's verdict, simulated from hidden truth
        yes = truth[int(row["candidate_id"])] >= 2
        row["decision"] = "Yes" if yes else ("" if only_yes else "no")
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    r = runner.invoke(app, ["--db", url, "feedback", "import", str(out)])
    assert r.exit_code == 0 and "Imported" in r.output, r.output
    return rows


def _ranking(tmp_path, old: str, new: str) -> list[str]:
    text = default_path("ranking.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ranking.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "scout.toml").write_text(f'ranking_file = "{path}"\n', encoding="utf-8")
    return ["--config", str(tmp_path / "scout.toml")]


def test_round_trip_train_list_use_explain(world, tmp_path):
    url = copy_world(world[0], tmp_path)
    _decide(url, tmp_path, world[1])
    models = tmp_path / "models"
    r = runner.invoke(app, ["--db", url, "model", "train", "--models-dir", str(models)])
    assert r.exit_code == 0, r.output
    assert "Cross-validated on the same" in r.output and "active: heuristic-" in r.output
    assert "new model" in r.output and "±" in r.output and "Activated learned-" in r.output
    learned = re.search(r"Trained (learned-\S+)", r.output).group(1)
    r = runner.invoke(app, ["--db", url, "rank"])
    assert r.exit_code == 0 and "(learned)" in r.output, r.output

    r = runner.invoke(app, ["--db", url, "model", "list"])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if learned in x)
    assert "*" in line and "120 (" in line and re.search(r"[01]\.\d{3} ± 0\.\d{3} \(ndcg", line), (
        line
    )

    engine = open_database(url)
    with session_scope(engine) as s:
        score = s.scalars(select(Score).where(Score.model_version == learned)).first()
        assert score is not None and score.explanation["unit"] == "points"
        best = s.scalars(
            select(Score.candidate_id)
            .where(Score.model_version == learned)
            .order_by(Score.score.desc())
        ).first()
    engine.dispose()
    r = runner.invoke(app, ["--db", url, "model", "explain", str(best)])
    assert r.exit_code == 0 and "points" in r.output and "log-odds" not in r.output, r.output
    assert "ML repo" in r.output and not re.search(r"│ 0 ", r.output), r.output

    r = runner.invoke(app, ["--db", url, "model", "use", "heuristic"])
    assert r.exit_code == 0 and "Active model: heuristic-" in r.output, r.output
    r = runner.invoke(app, ["--db", url, "rank"])
    assert "(heuristic)" in r.output, r.output
    r = runner.invoke(app, ["--db", url, "model", "use", learned])
    assert r.exit_code == 0 and learned in r.output, r.output
    r = runner.invoke(app, ["--db", url, "model", "use", "learned-19990101"])
    assert r.exit_code == 2 and f"known: heuristic, {learned}" in r.output, r.output

    # Once ranking.toml lists other features, the model is refused with a way out.
    fewer = ", ".join(f'"{f}"' for f in FEATURES if f != "followers")
    flags = _ranking(tmp_path, "[heuristic]", f"features = [{fewer}]\n[heuristic]")
    r = runner.invoke(app, [*flags, "--db", url, "rank"])
    assert r.exit_code == 2 and "model use heuristic" in r.output, r.output
    r = runner.invoke(app, [*flags, "--db", url, "model", "use", "heuristic"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*flags, "--db", url, "rank"])
    assert r.exit_code == 0 and "(heuristic)" in r.output, r.output


def test_train_on_yes_alone_and_keep_a_worse_model_inactive(world, tmp_path):
    url = copy_world(world[0], tmp_path)
    rows = _decide(url, tmp_path, world[1], top=60, only_yes=True)
    yes = sum(row["decision"] == "Yes" for row in rows)
    flags = _ranking(tmp_path, 'prior = "heuristic"\nC = 1.0', 'prior = "none"\nC = 1e-9')
    models = tmp_path / "models"
    r = runner.invoke(app, [*flags, "--db", url, "model", "train", "--models-dir", str(models)])
    assert r.exit_code == 0, r.output
    assert f"({yes} yes, 0 no)" in r.output and "unlabelled candidates as background" in r.output
    assert "counted as 'no'" in r.output  # how folds are judged without "no" labels
    assert "Not activated" in r.output and re.search(r"model use\s+learned-", r.output), r.output
    engine = open_database(url)
    with session_scope(engine) as s:
        active = s.scalars(select(ModelVersion).where(ModelVersion.active)).all()
        assert not [a for a in active if a.kind == "learned"]
    engine.dispose()
    r = runner.invoke(
        app, [*flags, "--db", url, "model", "train", "--models-dir", str(models), "--force"]
    )
    assert r.exit_code == 0 and "(--force)" in r.output, r.output


def test_train_without_enough_labels_says_what_to_label(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    runner.invoke(app, ["--db", url, "init"])
    r = runner.invoke(app, ["--db", url, "model", "train"])
    assert r.exit_code == 2 and "need at least 3 'yes'" in r.output and "--top" in r.output


def test_audit_lists_each_ml_native_source_and_the_region_shares_without_it(tmp_path):
    from ml_native_people import CONTRIB, HUB, PYPI, store_people

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        store_people(s, regions=dict.fromkeys((HUB, PYPI, CONTRIB), "eastern-europe"), extra=6)
    engine.dispose()
    ranking = tmp_path / "ranking.toml"
    text = default_path("ranking.toml").read_text(encoding="utf-8")
    ranking.write_text(text.replace("top_k = 50", "top_k = 3"), encoding="utf-8")
    assert runner.invoke(app, ["--db", url, "rank"]).exit_code == 0
    r = runner.invoke(
        app, ["--db", url, "model", "audit"], env={"SCOUT_RANKING_FILE": str(ranking)}
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    for source in ("huggingface", "pypi", "contributions"):
        assert f"without {source}" in out or f"without {source[:8]}" in out
        said = f"{source}: 1 candidate with evidence from it; 1 of the top 3 would not be there"
        assert said in out
    assert "india: share of the top 3 is 33% without huggingface, 0% with it" in out
