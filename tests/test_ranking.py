"""ranking.toml: [monotone] directions validated by key, the fingerprints, and the vocabulary
that comes from skills.toml (an older [vocabulary] section is read past)."""

from __future__ import annotations

import logging

import pytest

from config.data import default_path
from config.errors import ConfigError
from scoring.ranking import load_ranking


def test_default_directions_cover_every_feature_and_the_anti_gaming_ones_point_down():
    config = load_ranking()
    assert set(config.monotone) == set(config.features)
    assert config.direction("fork_share") == config.direction("star_farming") == -1
    assert config.direction("ml_repos") == config.direction("platforms") == 1
    assert config.direction("region:india") == 0  # not declared: free


def _with(tmp_path, old: str, new: str):
    text = default_path("ranking.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ranking.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "says"),
    [
        ("followers = 1\n", "followers = 1\nstars = 1\n", "monotone.stars", "unknown feature"),
        ("ml_repos = 1\n", "ml_repos = 2\n", "monotone.ml_repos", "is not a direction"),
        ("ml_repos = 1\n", 'ml_repos = "up"\n', "monotone.ml_repos", "is not a direction"),
        ("ml_repos = 1\n", "ml_repos = true\n", "monotone.ml_repos", "is not a direction"),
        ("fork_share = -1\n", "fork_share = 1\n", "heuristic.weights.fork_share", "goes against"),
    ],
)
def test_a_bad_direction_is_one_error_naming_the_key(tmp_path, old, new, key, says):
    path = _with(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_ranking(path)
    message = str(err.value)
    assert str(path) in message and key in message and says in message, message
    assert "\n" not in message


def test_a_free_feature_and_a_file_without_the_section_load(tmp_path):
    assert (
        load_ranking(_with(tmp_path, "followers = 1\n", "followers = 0\n")).direction("followers")
        == 0
    )
    text = default_path("ranking.toml").read_text(encoding="utf-8")
    start, end = text.index("[monotone]"), text.index("[model]")
    path = tmp_path / "old.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert load_ranking(path).monotone == {}  # an older ranking.toml: every feature free


def test_the_learned_model_fingerprint_follows_features_and_vocabulary_only():
    config = load_ranking()
    weights = dict(config.heuristic.weights, followers=0.9)
    reweighted = config.model_copy(
        update={"heuristic": config.heuristic.model_copy(update={"weights": weights})}
    )
    assert reweighted.fingerprint() != config.fingerprint()
    assert reweighted.features_fingerprint() == config.features_fingerprint()
    vocab = config.vocabulary.model_copy(update={"ml_terms": ["pytorch"]})
    assert config.model_copy(update={"vocabulary": vocab}).features_fingerprint() != (
        config.features_fingerprint()
    )


def test_an_older_vocabulary_section_is_read_past_with_a_warning(tmp_path, caplog):
    old = "\n".join(
        ["[vocabulary]", 'ml_terms = ["blockchain"]', 'ml_categories = ["nlp"]', "[audit]"]
    )
    path = _with(tmp_path, "\n[audit]\n", f"\n{old}\n")
    with caplog.at_level(logging.WARNING, logger="scoring.ranking"):
        config = load_ranking(path)
    assert "[vocabulary] is no longer read" in caplog.text
    assert config.vocabulary == load_ranking().vocabulary  # skills.toml's, not the section's
    assert "blockchain" not in config.vocabulary.ml_terms
