"""Features: computed from stored activity, anti-gaming signals, no protected attribute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from config.errors import ConfigError
from scoring.feature_defs import FEATURES, describe
from scoring.features import Matcher, load_features, load_features_with_evidence
from scoring.ranking import PROTECTED, RankingConfig, load_ranking
from storage.db import open_database, session_scope
from storage.models import (
    Candidate,
    CandidateProfile,
    KaggleAchievement,
    Profile,
    Repository,
    SkillTag,
    SOTagStat,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_default_feature_list_has_no_protected_attribute_or_region():
    config = load_ranking()
    for name in config.features:
        assert not PROTECTED.search(name), name
        assert not name.startswith(("region", "country")), name
        assert name in FEATURES
    for word in ("gender", "ethnicity", "age", "birth_year", "race"):
        assert not any(word in f for f in FEATURES)


def test_a_protected_or_unknown_feature_is_refused(tmp_path):
    data = load_ranking().model_dump()
    for bad in ("gender", "age", "followers_by_ethnicity", "nonsense"):
        with pytest.raises(ValueError):
            RankingConfig.model_validate({**data, "features": [*data["features"], bad]})
    ok = RankingConfig.model_validate({**data, "features": [*data["features"], "region:india"]})
    assert "region:india" in ok.features  # deliberate opt-in stays possible
    path = tmp_path / "ranking.toml"
    path.write_text('features = ["gender"]\n[heuristic]\nweights = {}\n')
    with pytest.raises(ConfigError):
        load_ranking(path)


def test_matcher_and_farm_rule():
    m = Matcher(load_ranking().vocabulary)
    assert m.repo_kind("pytorch-image-classifier", [], None) == "ml"
    assert m.repo_kind("x", ["mlflow"], None) == "mlops"
    assert m.repo_kind("array-utils", [], "Fast arrays") is None  # 'ray' inside a word is not Ray
    assert m.tag_kind("pytorch") == "ml" and m.tag_kind("python") is None
    assert describe("ml_repos", 14) == "14 ML repos" and describe("ml_repos", 1) == "1 ML repo"


def test_features_from_stored_activity(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    with session_scope(engine) as s:
        s.add(Candidate(id=1, display_name="A"))
        gh = Profile(
            source="github",
            external_id="1",
            handle="ana",
            followers=40,
            first_seen=NOW,
            last_seen=NOW,
            updated_at=NOW - timedelta(days=400),
        )
        so = Profile(source="stackoverflow", external_id="9", first_seen=NOW, last_seen=NOW)
        kg = Profile(source="kaggle", external_id="7", first_seen=NOW, last_seen=NOW)
        s.add_all([gh, so, kg])
        s.flush()
        for p in (gh, so, kg):
            s.add(
                CandidateProfile(
                    candidate_id=1, profile_id=p.id, method="self", confidence=1, evidence={}
                )
            )
        s.add_all(
            [
                Repository(
                    profile_id=gh.id,
                    name="pytorch-gan",
                    topics=[],
                    stars=200,
                    forks=30,
                    pushed_at=NOW - timedelta(days=10),
                ),
                Repository(profile_id=gh.id, name="serve", topics=["mlops"], stars=5, forks=1),
                Repository(
                    profile_id=gh.id, name="awesome-ai", topics=["llm"], stars=4000, forks=0
                ),
                Repository(profile_id=gh.id, name="tutorial", topics=["pytorch"], is_fork=True),
                # Few forks, but worked on for two years: popular, not farmed.
                Repository(
                    profile_id=gh.id,
                    name="popular-lib",
                    topics=["cli"],
                    stars=150,
                    forks=1,
                    created_at=NOW - timedelta(days=730),
                    pushed_at=NOW - timedelta(days=20),
                ),
                SOTagStat(profile_id=so.id, tag="pytorch", answer_count=12, answer_score=30),
                SOTagStat(profile_id=so.id, tag="java", answer_count=99, answer_score=99),
                KaggleAchievement(
                    profile_id=kg.id, category="Competitions", tier=3, gold=1, silver=2
                ),
                SkillTag(
                    profile_id=gh.id, skill="pytorch", category="ml", strength=2.5, evidence={}
                ),
                SkillTag(
                    profile_id=gh.id, skill="mlflow", category="mlops", strength=1.0, evidence={}
                ),
            ]
        )
        X, last = load_features(s, load_ranking(), now=NOW)
        _, _, evidence = load_features_with_evidence(s, load_ranking(), now=NOW)
    engine.dispose()
    row = X.loc[1]
    assert row.ml_repos == 1 and row.mlops_repos == 1  # the farmed repo and the fork don't count
    assert row.ml_repo_stars == 205 and row.own_stars == 4355
    assert row.star_farming == pytest.approx(4000 / 4355)
    assert row.fork_share == pytest.approx(0.2)
    assert row.so_ml_answers == 12 and row.so_ml_score == 30
    assert row.kaggle_tier == 3 and row.kaggle_medals == 7
    assert row.platforms == 3 and row.followers == 40
    assert row.ml_skill == 2.5 and row.mlops_skill == 1.0
    assert 0.97 < row.recency < 0.98 and last[1] == NOW - timedelta(days=10)
    # The evidence is what those counts are made of: the same repos, tags and Kaggle standing.
    assert evidence[1] == {
        "mlops_repos": {"n": 1, "top": [["serve", 5, "ana"]]},
        "ml_repos": {"n": 1, "top": [["pytorch-gan", 200, "ana"]]},
        "so_ml_answers": {"n": 12, "top": [["pytorch", 12]]},
        "kaggle": {"tier": 3, "medals": 7},
    }


def _ml_native_db(url):
    from ml_native_people import store_people

    engine = open_database(url)
    with session_scope(engine) as s:
        store_people(s)
    return engine


def test_hub_pypi_and_major_project_features_from_handmade_rows(db_url):
    from ml_native_people import BASE, CONTRIB, HUB, MODEL, NOW, PACKAGE, PROJECT, PYPI

    engine = _ml_native_db(db_url)
    with session_scope(engine) as s:
        X, _, evidence = load_features_with_evidence(s, load_ranking(), now=NOW)
        without_hub, _ = load_features(
            s, load_ranking(), now=NOW, without=frozenset({"huggingface"})
        )
    engine.dispose()
    new = ["hub_ml_items", "hub_downloads", "hub_likes", "ml_on_pypi", "mlops_on_pypi"]
    new += ["ml_project_prs", "mlops_project_prs", "project_commits"]
    # Someone's blog is no major project, an empty Space and a web framework no ML work.
    assert (X.loc[BASE, new] == 0).all()
    assert X.loc[HUB, ["hub_ml_items", "hub_downloads", "hub_likes"]].tolist() == [1, 12_400, 85]
    assert X.loc[HUB, "platforms"] == 2 and X.loc[PYPI, "platforms"] == 2
    assert X.loc[PYPI, "ml_on_pypi"] == 1 and X.loc[PYPI, "mlops_on_pypi"] == 0
    # MLflow is an MLOps project (ml_projects.toml -> skills.toml's mlops group).
    assert X.loc[CONTRIB, ["mlops_project_prs", "ml_project_prs", "project_commits"]].tolist() == [
        14,
        0,
        30,
    ]
    assert evidence[HUB]["hub_ml_items"]["top"][0][:3] == [MODEL, "model", "text-generation"]
    assert evidence[PYPI]["ml_on_pypi"]["top"] == [[PACKAGE, 18]]
    assert evidence[CONTRIB]["mlops_project_prs"]["top"] == [[PROJECT, 14, 30]]
    # Without the Hub, its candidate is the baseline again (its profile is left out too).
    assert without_hub.loc[HUB].tolist() == X.loc[BASE].tolist()
    assert without_hub.loc[PYPI].tolist() == X.loc[PYPI].tolist()


def test_package_and_project_kinds_come_from_ml_projects_and_classifiers():
    m = Matcher(load_ranking().vocabulary)
    assert m.project_kind("PyTorch/PyTorch") == "ml" and m.project_kind("apache/airflow") == "mlops"
    assert m.project_kind("someone/blog") is None
    assert m.package_kind("Apache_Airflow", None, [], []) == "mlops"  # PEP 503 name
    ai = ["Topic :: Scientific/Engineering :: Artificial Intelligence"]
    assert m.package_kind("x", None, ai, []) == "ml"
    assert m.package_kind("x", "Serve models with MLflow", [], []) == "mlops"
    assert m.package_kind("x", "A web framework", ["Framework :: Django"], ["web"]) is None
    assert m.hub_is_ml("model", None, None, []) and not m.hub_is_ml("space", None, None, ["gradio"])
    assert m.hub_is_ml("dataset", None, None, ["pytorch"])
    assert describe("ml_on_pypi", 1) == "1 ML package maintained on PyPI"
    assert describe("mlops_project_prs", 14) == "14 merged PRs in major MLOps projects"


def test_without_a_source_its_share_of_skill_strength_is_taken_out(tmp_path):
    from ml_native_people import CONTRIB, HUB, NOW

    engine = _ml_native_db(f"sqlite:///{tmp_path / 'skill.db'}")
    with session_scope(engine) as s:
        profiles = dict(
            s.execute(
                select(CandidateProfile.candidate_id, CandidateProfile.profile_id)
                .join(Profile, Profile.id == CandidateProfile.profile_id)
                .where(Profile.source.in_(["github", "huggingface"]))
                .where(CandidateProfile.candidate_id.in_([CONTRIB, HUB]))
                .order_by(Profile.source)  # the Hub profile last: HUB maps to it
            ).all()
        )
        by_source = {"github": 0.5, "contributions": 0.6}  # 1 - 0.5 * 0.4 = 0.8
        s.add(SkillTag(profile_id=profiles[CONTRIB], skill="mlflow", category="mlops",
                       strength=0.8, evidence={"by_source": by_source}))  # fmt: skip
        s.add(SkillTag(profile_id=profiles[HUB], skill="llm", category="llm", strength=0.7,
                       evidence={"by_source": {"huggingface": 0.7}}))  # fmt: skip
        s.flush()
        config = load_ranking()
        X, _ = load_features(s, config, now=NOW)
        no_contrib, _ = load_features(s, config, now=NOW, without=frozenset({"contributions"}))
        no_hub, _ = load_features(s, config, now=NOW, without=frozenset({"huggingface"}))
    engine.dispose()
    assert X.loc[CONTRIB, "mlops_skill"] == pytest.approx(0.8)
    assert no_contrib.loc[CONTRIB, "mlops_skill"] == pytest.approx(0.5)
    assert no_hub.loc[CONTRIB, "mlops_skill"] == pytest.approx(0.8)
    assert X.loc[HUB, "ml_skill"] == pytest.approx(0.7) and no_hub.loc[HUB, "ml_skill"] == 0
