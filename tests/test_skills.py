"""Skill tags: taxonomy, strength, evidence in words, forks, tutorials and farmed stars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.errors import ConfigError
from config.skills import load_skills
from enrich.skills.tagging import KaggleFacts, RepoFacts, TagFacts, describe_evidence, tag_profile
from enrich.skills.taxonomy import get_taxonomy

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def repo(name, stars=0, fork=False, topics=(), lang="Python", desc="x", age_days=30, forks=None):
    pushed = NOW - timedelta(days=age_days)
    return RepoFacts(
        name,
        desc,
        lang,
        list(topics),
        stars,
        stars // 10 if forks is None else forks,
        fork,
        pushed - timedelta(days=200),
        pushed,
    )


def test_taxonomy_covers_the_required_skills_and_discovery_tags():
    spec = load_skills()
    for sid in (
        "python",
        "java",
        "cpp",
        "pytorch",
        "tensorflow",
        "keras",
        "jax",
        "mlflow",
        "kubeflow",
        "dvc",
        "bentoml",
        "kserve",
        "ray",
        "wandb",
        "onnx",
        "triton",
        "sagemaker",
        "vertex-ai",
        "azure-ml",
        "airflow",
        "delta-lake",
        "spark",
        "kafka",
        "dbt",
        "llm",
    ):
        assert sid in spec.skills, sid
    assert {"pytorch", "mlflow", "ray", "dvc", "onnx"} <= set(spec.stackoverflow.discovery_tags)
    assert {s.category for s in spec.skills.values()} >= {"ml", "mlops", "data", "cloud-ml", "llm"}


def test_bad_skills_file_names_file_and_key(tmp_path):
    bad = tmp_path / "skills.toml"
    bad.write_text(
        '[stackoverflow]\ndiscovery_tags=["x"]\n[skills.x]\nlabel="X"\ncategory="nope"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_skills(bad)
    assert "skills.toml" in str(err.value) and "skills.x.category" in str(err.value)


def test_strength_and_evidence_in_words():
    tax = get_taxonomy()
    repos = [
        repo(f"pytorch-model-{i}", stars=150 if i < 3 else 5, topics=["pytorch"]) for i in range(14)
    ]
    so = [TagFacts("pytorch", 212, 1034, 3, 2)]
    kaggle = [KaggleFacts("Competitions", 3, 2, 1, 0)]
    tags = tag_profile(tax, repos, so, kaggle, "PyTorch person", NOW)
    by = {t.skill: t for t in tags}
    assert by["pytorch"].strength > 0.9 and by["pytorch"].category == "ml"
    text = describe_evidence(by["pytorch"].evidence)
    assert "14 PyTorch repos" in text and "3 with >100 stars" in text
    assert "212 answers in [pytorch]" in text
    assert "Kaggle Competitions Master" in describe_evidence(by["machine-learning"].evidence)


def test_forks_tutorials_automated_and_old_repos_count_little():
    tax = get_taxonomy()
    own = tag_profile(tax, [repo("mlflow-serving", topics=["mlflow"])], now=NOW)
    fork = tag_profile(tax, [repo("mlflow-serving", topics=["mlflow"], fork=True)], now=NOW)
    old = tag_profile(tax, [repo("mlflow-serving", topics=["mlflow"], age_days=2000)], now=NOW)
    s = {
        name: {t.skill: t.strength for t in r}.get("mlflow", 0.0)
        for name, r in (("own", own), ("fork", fork), ("old", old))
    }
    assert s["own"] > s["old"] > s["fork"]
    tutorial = tag_profile(tax, [repo("examples", topics=["pytorch"], fork=True)], now=NOW)
    assert "pytorch" not in {t.skill for t in tutorial}
    auto = tag_profile(tax, [repo("daily-commit", topics=["pytorch"])], now=NOW)
    assert auto == []


def test_star_farmed_repo_earns_no_star_bonus_and_says_so():
    tax = get_taxonomy()
    farm = repo("gan-zoo", stars=3000, forks=1, topics=["pytorch"], age_days=10)
    farm = farm._replace(created_at=farm.pushed_at - timedelta(days=1))  # no work after day 1
    organic = repo("gan-zoo", stars=3000, forks=300, topics=["pytorch"], age_days=10)
    farmed, used = (
        {t.skill: t for t in tag_profile(tax, [r], now=NOW)}["pytorch"] for r in (farm, organic)
    )
    assert farmed.strength < used.strength / 2
    assert "1 with suspicious stars, not counted" in describe_evidence(farmed.evidence)
    assert ">100 stars" not in describe_evidence(farmed.evidence)
    assert "1 with >100 stars" in describe_evidence(used.evidence)


def test_bad_input_does_not_crash():
    tax = get_taxonomy()
    weird = RepoFacts(
        "\x00\x01", "\x7f" * 10_000, None, {"not": "a list"}, -5, -1, False, None, None
    )
    tag_profile(
        tax,
        [weird],
        [TagFacts("", -3, -9, -1, 0)],
        [KaggleFacts("?", 99, 0, 0, 0)],
        "\x00" * 10_000,
        NOW,
    )
    assert describe_evidence(None) == "no evidence recorded"
