"""`scout model train`: compared with the active model on the same folds, activated only when
not worse (or forced), its card recording what a researcher needs to trust or redo it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_world import NOW, build_world, copy_world, decide, store_labels

from scoring.features import load_features
from scoring.model import list_versions, register_heuristic
from scoring.ranking import RankingConfig, load_ranking
from scoring.train import compare_on_folds, train
from storage.db import open_database, session_scope


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("train"), seed=6, people=400)


def _worse(config: RankingConfig) -> RankingConfig:
    """A recipe that learns next to nothing and starts from nothing: ties everywhere."""
    model = config.model.model_copy(update={"prior": "none", "C": 1e-9})
    return config.model_copy(update={"model": model})


def _train(url, config, folder, **kw):
    engine = open_database(url)
    with session_scope(engine) as s:
        X, _ = load_features(s, config, now=NOW)
        result = train(s, config, X, folder, now=kw.pop("now", NOW), **kw)
        active = [r.version for r in list_versions(s, config) if r.active]
    engine.dispose()
    return result, active


def test_a_worse_model_is_saved_but_not_activated_unless_forced(world, tmp_path):
    url = copy_world(world[0], tmp_path)
    store_labels(url, decide(world[1], range(1, 400, 2)))
    config = load_ranking()
    result, active = _train(url, _worse(config), tmp_path / "m")
    c = result.comparison
    assert not result.activated and not c.not_worse()
    assert c.mean("new") < c.mean("active") and active == [c.versions["active"]]
    assert c.versions["active"].startswith("heuristic-") and (tmp_path / "m").exists()
    assert result.card["activated"] is False
    forced, active = _train(
        url, _worse(config), tmp_path / "m", force=True, now=NOW.replace(hour=1)
    )
    assert forced.activated and active == [forced.ranker.version]
    good, active = _train(url, config, tmp_path / "m", now=NOW.replace(hour=2))
    assert good.activated and active == [good.ranker.version]  # beats the forced one
    g = good.comparison
    assert g.refit_active and set(g.versions) == {"new", "active", "heuristic"}


def test_the_comparison_uses_the_same_folds_for_every_ranker(world):
    engine = open_database(f"sqlite:///{world[0]}")
    config = load_ranking()
    with session_scope(engine) as s:
        X, _ = load_features(s, config, now=NOW)
        heuristic = register_heuristic(s, config)
    engine.dispose()
    labels = decide(world[1], X.index[:200])
    y = pd.Series({c: 1.0 if d == "yes" else 0.0 for c, d in labels.items()})
    background = X.drop(index=y.index)
    c = compare_on_folds(X.loc[y.index], y, config, heuristic, background)
    assert len(c.held_out) == 5 and sum(c.held_out) == 200 and not c.background
    assert c.headline == "ndcg@10" and c.metrics() == ["ndcg@10", "ndcg"]  # 40 a fold: no @50
    for role in ("new", "active"):
        assert len(c.folds[role]) == 5 and all(np.isnan(f["ndcg@50"]) for f in c.folds[role])
    summary = c.summary()
    assert set(summary["new"]) == {"ndcg@10", "ndcg@10 sd", "ndcg", "ndcg sd"}
    # Same recipe as "active": a learned model refitted on the same folds scores the same.
    twin = compare_on_folds(
        X.loc[y.index], y, config, _learned(heuristic), background, active_recipe=config
    )
    assert twin.folds["new"] == twin.folds["active"] and twin.not_worse()


def _learned(heuristic):
    from scoring.model import Ranker

    return Ranker("learned-x", "learned", heuristic.features, heuristic.estimator)


def test_the_card_records_labels_recipe_fingerprints_and_figures(world, tmp_path):
    url = copy_world(world[0], tmp_path)
    store_labels(url, decide(world[1], range(1, 400, 3)))
    config = load_ranking()
    result, _ = _train(url, config, tmp_path / "m")
    card = result.card
    assert card["labels"]["total"] == len(range(1, 400, 3)) and card["labels"]["background"] > 0
    assert card["monotone"]["star_farming"] == -1
    assert RankingConfig.model_validate(card["ranking"]) == config
    assert card["features_fingerprint"] == config.features_fingerprint()
    assert card["cv"]["headline"] in card["metrics"]["new"]
    assert set(card["permutation_importance"]) == set(config.features)
