"""skills.toml's [categories] (config/skills.py): the one answer to "is this ML or MLOps work?"
that identity linking, the ranking features and a shortlist's --skill filter all read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.data import default_path
from config.errors import ConfigError
from config.settings import Settings
from config.skills import load_skills
from enrich.identity.store import load_views
from enrich.pipeline import run_enrich
from scoring.features import load_features
from scoring.rank import rank_all
from scoring.ranking import load_ranking
from scoring.shortlist import Filters, select_candidates
from storage.db import open_database, session_scope
from storage.items import ProfileItem, RepositoryItem
from storage.save import save_profiles

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SHIPPED = default_path("skills.toml").read_text(encoding="utf-8")


def _skills_file(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SHIPPED
    path = tmp_path / "skills.toml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    return path


def test_an_unknown_group_or_an_undeclared_category_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"skills\.toml: categories\.cloud-ml: .*'ml', 'mlops'"):
        load_skills(_skills_file(tmp_path, 'cloud-ml = "mlops"', 'cloud-ml = "ops"'))
    with pytest.raises(ConfigError, match=r"skills\.sagemaker\.category: 'cloud-ml' is not a"):
        load_skills(_skills_file(tmp_path, 'cloud-ml = "mlops"\n', ""))


def test_a_skills_file_from_before_the_groups_gets_ours(tmp_path):
    start, end = SHIPPED.index("\n[categories]\n"), SHIPPED.index("\n[stackoverflow]\n")
    older = tmp_path / "skills.toml"
    older.write_text(SHIPPED[:start] + SHIPPED[end:], encoding="utf-8")
    assert load_skills(older).categories == load_skills().categories


def test_the_groups_of_skills_toml_are_the_ranking_vocabulary():
    vocab = load_ranking().vocabulary
    assert vocab.ml_categories == ["ml", "llm"]
    assert vocab.mlops_categories == ["mlops", "cloud-ml"]  # cloud-ml: MLOps everywhere now
    assert {"pytorch", "xgboost", "langchain"} <= set(vocab.ml_terms)
    assert {"mlflow", "amazon-sagemaker", "sagemaker", "kubeflow"} <= set(vocab.mlops_terms)
    assert "airflow" not in vocab.ml_terms + vocab.mlops_terms  # data engineering: "other"


def test_moving_a_category_moves_identity_features_and_shortlist_together(tmp_path):
    """cloud-ml moved from mlops to ml: the SageMaker engineer's work becomes ML work for
    identity linking, the ml_skill and ml_repos features and `--skill ml`, all at once."""
    moved = _skills_file(tmp_path, 'cloud-ml = "mlops"', 'cloud-ml = "ml"')
    repo = RepositoryItem(
        "pipelines", "Training jobs on SageMaker", "HCL", ["sagemaker"], stars=40, pushed_at=NOW
    )
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "github", "1", NOW, handle="cloud-dev", name="Cloud Dev", repositories=[repo]
                ),
                ProfileItem("github", "2", NOW, handle="web-dev", name="Web Dev"),
            ],
        )
    run_enrich(engine, Settings(), now=NOW)
    # Enrich under the moved groups relinks everyone once (their ML work changed), then not.
    assert run_enrich(engine, Settings(skills_file=moved), now=NOW).relinked_all
    assert not run_enrich(engine, Settings(skills_file=moved), now=NOW).relinked_all
    seen = {}
    for name, path in (("shipped", None), ("moved", moved)):
        config = load_ranking(None, path)
        with session_scope(engine) as s:
            views = {v.handle: (v.ml, v.mlops) for v in load_views(s, load_skills(path))}
            X, _ = load_features(s, config, now=NOW)
            version = rank_all(s, config, now=NOW).version
            picked = {
                skill: {
                    c for c, _, _ in select_candidates(s, version, Filters(skill=skill), config)
                }
                for skill in ("ml", "mlops")
            }
        row = X.loc[X["own_stars"] == 40].iloc[0]
        seen[name] = (views["cloud-dev"], row, picked)
        assert views["web-dev"] == (0.0, 0.0)
    (ml, mlops), row, picked = seen["shipped"]
    assert ml == 0 and mlops > 0
    assert row["ml_skill"] == 0 and row["mlops_skill"] > 0
    assert (row["ml_repos"], row["mlops_repos"]) == (0, 1)
    assert len(picked["mlops"]) == 1 and not picked["ml"]
    (ml, mlops), row, picked = seen["moved"]
    assert ml > 0 and mlops == 0
    assert row["ml_skill"] > 0 and row["mlops_skill"] == 0
    assert (row["ml_repos"], row["mlops_repos"]) == (1, 0)
    assert len(picked["ml"]) == 1 and not picked["mlops"]
    shipped, after = load_ranking(), load_ranking(None, moved)
    assert shipped.features_fingerprint() != after.features_fingerprint()
    engine.dispose()
