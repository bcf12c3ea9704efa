"""Skill evidence from the ML-native sources: Hub items, PyPI packages, major-project work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from enrich.skills.ml_native import ContributionFacts, HubFacts, PackageFacts
from enrich.skills.tagging import describe_evidence, tag_profile
from enrich.skills.taxonomy import get_taxonomy

NOW = datetime(2026, 6, 1, tzinfo=UTC)
AI = "Topic :: Scientific/Engineering :: Artificial Intelligence"


def _model(name="alice/llama-ft", downloads=12_400, modified=NOW, library="transformers"):
    return HubFacts(name, "model", downloads, 30, library, "text-generation", ["llama"], modified)


def _tags(**sources):
    return {t.skill: t for t in tag_profile(get_taxonomy(), now=NOW, **sources)}


def test_a_hub_model_tags_skills_by_library_task_and_tags_and_is_named():
    tags = _tags(hub=[_model()])
    assert {"huggingface", "llm"} <= set(tags)  # library transformers; task text-generation
    words = describe_evidence(tags["llm"].evidence)
    assert words == "published model alice/llama-ft (text-generation, 12,400 downloads)"
    assert tags["llm"].evidence["by_source"] == {"huggingface": tags["llm"].strength}
    # Downloads and recency weigh: an unused model edited years ago shows less.
    old = _tags(hub=[_model(downloads=0, modified=NOW - timedelta(days=2000))])
    assert old["llm"].strength < tags["llm"].strength
    # A dataset is named as one, without its "datasets/" prefix.
    data = HubFacts("datasets/alice/qa", "dataset", 800, 2, None, None, ["question-answering"], NOW)
    words = describe_evidence(_tags(hub=[data])["deep-learning"].evidence)
    assert words == "published dataset alice/qa (800 downloads)"
    # An item that names no library, task or ML tag shows no skill.
    assert _tags(hub=[HubFacts("spaces/alice/x", "space", 5, 1, None, None, ["gradio"], NOW)]) == {}


def test_a_pypi_package_tags_skills_by_name_classifier_keywords_and_summary():
    mlflow = PackageFacts("MLflow", "ML lifecycle", 120, NOW, [], [])  # ml_projects.toml's list
    tags = _tags(packages=[mlflow])
    assert "mlflow" in tags
    assert describe_evidence(tags["mlflow"].evidence) == "maintains PyPI package MLflow"
    airflow = PackageFacts("x", None, 3, NOW, ["Framework :: Apache Airflow :: Provider"], [])
    assert "airflow" in _tags(packages=[airflow])  # a classifier covers the ones below it
    tool = PackageFacts("y", "helpers", 3, NOW, [AI], ["pytorch"])
    assert {"machine-learning", "pytorch"} <= set(_tags(packages=[tool]))
    assert _tags(packages=[PackageFacts("web", "A web framework", 40, NOW, [], ["http"])]) == {}
    two = _tags(packages=[tool, PackageFacts("z", None, 1, NOW, [AI], [])])
    text = describe_evidence(two["machine-learning"].evidence)
    assert text == "maintains PyPI packages y, z"


def test_merged_work_in_a_major_project_tags_its_skill_and_other_repositories_nothing():
    rows = [
        ContributionFacts("MLflow/mlflow", 30, 14, NOW - timedelta(days=10)),
        ContributionFacts("someone/blog", 500, 90, NOW),
    ]
    tags = _tags(contributions=rows)
    assert set(tags) == {"mlflow"}
    assert describe_evidence(tags["mlflow"].evidence) == "14 merged pull requests in MLflow/mlflow"
    commits_only = _tags(contributions=[ContributionFacts("ray-project/ray", 7, 0, None)])
    assert describe_evidence(commits_only["ray"].evidence) == "7 commits in ray-project/ray"
    assert commits_only["ray"].strength < tags["mlflow"].strength


def test_sources_combine_as_independent_evidence():
    alone = _tags(contributions=[ContributionFacts("pytorch/pytorch", 5, 3, NOW)])["pytorch"]
    both = _tags(
        contributions=[ContributionFacts("pytorch/pytorch", 5, 3, NOW)],
        packages=[PackageFacts("torch", None, 200, NOW, [], [])],
    )["pytorch"]
    assert both.strength > alone.strength
    assert set(both.evidence["by_source"]) == {"contributions", "pypi"}
    words = describe_evidence(both.evidence)
    assert "maintains PyPI package torch" in words and "3 merged pull requests in pytorch" in words
