"""ranking.toml: every feature name checked against the declarations (scoring.feature_defs),
directions from them unless [monotone] overrides one, the fingerprints, and the vocabulary
that comes from skills.toml (an older [vocabulary] section is read past)."""

from __future__ import annotations

import logging

import pytest

from config.data import default_path
from config.errors import ConfigError
from scoring.feature_defs import FEATURES
from scoring.ranking import load_ranking


def test_directions_come_from_the_declarations_and_the_anti_gaming_ones_point_down():
    config = load_ranking()
    assert config.monotone == {}  # the shipped ranking.toml overrides none
    assert config.features == list(FEATURES)  # and lists none: every declared one is seen
    assert all(config.direction(f) == FEATURES[f].direction for f in config.features)
    assert config.direction("fork_share") == config.direction("star_farming") == -1
    assert config.direction("ml_repos") == config.direction("platforms") == 1
    assert config.direction("region:india") == 0  # an opt-in indicator: free


def _with(tmp_path, old: str, new: str):
    text = default_path("ranking.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "ranking.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _monotone(tmp_path, lines: str):
    return _with(tmp_path, "\n[audit]\n", f"\n[monotone]\n{lines}\n[audit]\n")


@pytest.mark.parametrize(
    ("lines", "key", "says"),
    [
        ("stars = 1", "monotone.stars", "unknown feature"),
        ("ml_repos = 2", "monotone.ml_repos", "is not a direction"),
        ('ml_repos = "up"', "monotone.ml_repos", "is not a direction"),
        ("ml_repos = true", "monotone.ml_repos", "is not a direction"),
        ("fork_share = 1", "heuristic.weights.fork_share", "goes against"),
    ],
)
def test_a_bad_direction_is_one_error_naming_the_key(tmp_path, lines, key, says):
    path = _monotone(tmp_path, lines)
    with pytest.raises(ConfigError) as err:
        load_ranking(path)
    message = str(err.value)
    assert str(path) in message and key in message and says in message, message
    assert "\n" not in message


def test_a_weight_against_the_declared_direction_is_refused(tmp_path):
    path = _with(tmp_path, "fork_share = -0.5", "fork_share = 0.5")
    with pytest.raises(ConfigError, match=r"heuristic\.weights\.fork_share: 0\.5 goes against"):
        load_ranking(path)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("followers = 0.2 }", "followers = 0.2, stars = 1.0 }", "heuristic.weights"),
        ("followers = 2000 }", "followers = 2000, stars = 50 }", "heuristic.caps"),
        ("[heuristic]", 'features = ["ml_repos", "stars"]\n[heuristic]', "features"),
    ],
)
def test_an_unknown_feature_name_names_the_file_and_lists_the_known_ones(tmp_path, old, new, key):
    path = _with(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_ranking(path)
    message = str(err.value)
    assert str(path) in message and key in message and "stars" in message, message
    assert "known: " + ", ".join(FEATURES) in message


def test_an_override_frees_a_feature_and_a_listed_subset_is_kept(tmp_path):
    assert load_ranking(_monotone(tmp_path, "followers = 0")).direction("followers") == 0
    path = _with(tmp_path, "[heuristic]", 'features = ["ml_repos", "recency"]\n[heuristic]')
    assert load_ranking(path).features == ["ml_repos", "recency"]


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
