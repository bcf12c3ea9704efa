"""Evidence: the best items behind each count, kept while rows stream in, and in words."""

from __future__ import annotations

from scoring.evidence import TOP, Tops, as_json, words
from scoring.feature_defs import describe


def test_only_the_best_items_are_kept_whatever_the_order_they_come_in():
    tops = Tops()
    for stars, name in [(3, "c"), (120, "kubeflow-pipelines"), (0, "a"), (40, "feast"), (7, "b")]:
        tops.repo("mlops_repos", stars, name, "ana")
    for answers, tag in [(150, "pytorch"), (0, "keras"), (40, "tensorflow"), (2, "mlops")]:
        tops.tag(answers, tag)
    counts = {"mlops_repos": 5.0, "ml_repos": 0.0, "so_ml_answers": 192.0, "kaggle_tier": 0.0}
    ev = as_json(counts, tops)
    assert ev == {
        "mlops_repos": {
            "n": 5,
            "top": [["kubeflow-pipelines", 120, "ana"], ["feast", 40, "ana"], ["b", 7, "ana"]],
        },
        "so_ml_answers": {"n": 192, "top": [["pytorch", 150], ["tensorflow", 40], ["mlops", 2]]},
    }
    assert len(ev["mlops_repos"]["top"]) == TOP
    assert as_json({"ml_repos": 0.0}, Tops()) == {}  # nothing counted, nothing stored


def test_words_use_the_features_own_counts_and_link_each_repository():
    ev = {
        "mlops_repos": {"n": 12, "top": [["kubeflow-pipelines", 120, "ana"], ["notes", 0, "old"]]},
        "ml_repos": {"n": 1, "top": [["gan", 2, "ana"]]},
        "so_ml_answers": {"n": 1212, "top": [["pytorch", 1150]]},
        "kaggle": {"tier": 3, "medals": 7},
    }

    def url(owner: str, name: str) -> str:  # "old" is gone: its repository has no link
        return f"https://github.com/ana/{name}" if owner == "ana" else ""

    text = words(ev, describe, url, ["PyTorch", "Kubeflow"])
    assert text == (
        "PyTorch, Kubeflow"
        " | 12 MLOps repos: kubeflow-pipelines ★120 https://github.com/ana/kubeflow-pipelines,"
        " notes"
        " | 1 ML repo: gan ★2 https://github.com/ana/gan"
        " | 1,212 SO answers in ML tags: [pytorch] 1,150"
        " | Kaggle master, 7 Kaggle medal points"
    )
    assert describe("mlops_repos", 12) in text  # why_ranked's very words
    assert words({}, describe, url) == ""
