"""Layered settings: defaults < scout.toml < SCOUT_* env < flags, with provenance and masking."""

from __future__ import annotations

import pytest

from config.errors import ConfigError
from config.settings import load_settings


def write(tmp_path, text):
    path = tmp_path / "scout.toml"
    path.write_text(text)
    return path


def test_layers_and_sources(tmp_path):
    cfg = write(
        tmp_path,
        'db_url = "sqlite:///toml.db"\ngithub_concurrency = 2\n'
        '[stackexchange]\nsite = "datascience"\n',
    )
    env = {"SCOUT_GITHUB_CONCURRENCY": "3", "SCOUT_HTTP_RETRIES": "5"}
    loaded = load_settings(cfg, {"http_retries": 7, "log_json": None}, environ=env)
    s = loaded.settings
    assert s.db_url == "sqlite:///toml.db" and loaded.sources["db_url"] == "scout.toml"
    assert s.github_concurrency == 3 and loaded.sources["github_concurrency"] == "env"
    assert s.http_retries == 7 and loaded.sources["http_retries"] == "flag"
    assert s.stackexchange_site == "datascience"
    rows = {name: (value, source) for name, value, source in loaded.rows()}
    assert rows["log_json"] == ("False", "default")


def test_scout_toml_in_current_dir_is_found(tmp_path):
    write(tmp_path, "retention_days = 30\n")
    loaded = load_settings(environ={})
    assert loaded.settings.retention_days == 30
    assert loaded.sources["retention_days"] == "scout.toml"


def test_secrets_come_from_env_and_are_masked():
    loaded = load_settings(
        environ={"GITHUB_TOKEN": "ghp_supersecretvalue123", "STACKEXCHANGE_KEY": "sekey123"}
    )
    s = loaded.settings
    assert s.github_token is not None
    assert s.github_token.get_secret_value() == "ghp_supersecretvalue123"
    shown = " ".join(f"{n}={v}" for n, v, _ in loaded.rows())
    assert "supersecret" not in shown and "sekey123" not in shown
    assert "github_token=********" in shown
    assert "ghp_" not in repr(s) and "ghp_" not in str(s.model_dump())
    assert sorted(s.secret_values()) == ["ghp_supersecretvalue123", "sekey123"]


def test_secret_in_file_is_refused(tmp_path):
    cfg = write(tmp_path, 'github_token = "ghp_x"\n')
    with pytest.raises(ConfigError, match="must come from the environment"):
        load_settings(cfg, environ={})


def test_unknown_key_is_named(tmp_path):
    cfg = write(tmp_path, 'db_ulr = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown setting\(s\): db_ulr"):
        load_settings(cfg, environ={})


def test_wrong_type_names_file_and_key(tmp_path):
    cfg = write(tmp_path, 'github_concurrency = "many"\n')
    with pytest.raises(ConfigError, match=r"scout\.toml: github_concurrency"):
        load_settings(cfg, environ={})


def test_bad_env_value_names_env():
    with pytest.raises(ConfigError, match="env: http_timeout"):
        load_settings(environ={"SCOUT_HTTP_TIMEOUT": "soon"})


def test_invalid_toml_is_one_message(tmp_path):
    cfg = write(tmp_path, "db_url = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg, environ={})


def test_graphql_url_for_github_and_enterprise():
    gh = load_settings(environ={}).settings
    assert gh.github_graphql_url == "https://api.github.com/graphql"
    ghes = load_settings(environ={"SCOUT_GITHUB_API_URL": "https://git.corp/api/v3/"}).settings
    assert ghes.github_graphql_url == "https://git.corp/api/graphql"


def test_identity_threshold_is_a_probability_a_link_can_reach(tmp_path):
    cfg = write(tmp_path, "identity_threshold = 0.7\n")
    assert load_settings(cfg, environ={}).settings.identity_threshold == 0.7
    for bad in ("0.2", "1.5"):  # below 0.5 a namesake would win as often as not
        with pytest.raises(ConfigError, match=r"scout\.toml: identity_threshold"):
            load_settings(write(tmp_path, f"identity_threshold = {bad}\n"), environ={})
