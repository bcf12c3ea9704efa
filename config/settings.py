"""Layered settings: defaults < scout.toml < SCOUT_* environment < command-line flags.

Every value remembers where it came from, so `scout config show` can say so. Secrets are
`SecretStr`, come only from the environment and are masked wherever settings are shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from config.data import read_toml, validation_message
from config.errors import ConfigError
from config.handles import HandleError, kaggle_username
from config.logging import mask_url_credentials
from config.sites import stackexchange_site

Source = Literal["default", "scout.toml", "env", "flag"]

SECRET_FIELDS = ("github_token", "stackexchange_key", "kaggle_key")


def _secret_env(name: str, field_name: str) -> Any:
    return Field(
        default=None,
        validation_alias=AliasChoices(field_name, name, f"SCOUT_{name}"),
        description=f"Secret, from the {name} environment variable; never printed.",
    )


class Settings(BaseSettings):
    """Every setting of talent-scout, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="SCOUT_",
        extra="forbid",
        populate_by_name=True,
        validate_default=True,
    )

    db_url: str = Field("sqlite:///scout.db", description="SQLAlchemy URL of the database.")
    auto_upgrade: bool = Field(True, description="Upgrade an older database schema on open.")

    github_api_url: str = Field("https://api.github.com", description="GitHub API root.")
    github_token: SecretStr | None = _secret_env("GITHUB_TOKEN", "github_token")
    github_quota_floor: int = Field(50, ge=0, description="Points kept in reserve per window.")
    github_concurrency: int = Field(4, ge=1, le=32, description="Parallel GitHub requests.")

    stackexchange_api_url: str = Field(
        "https://api.stackexchange.com/2.3", description="Stack Exchange API root."
    )
    stackexchange_site: str = Field(
        "stackoverflow",
        description="Stack Exchange site to crawl (its API name, e.g. datascience, or domain).",
    )
    stackexchange_key: SecretStr | None = _secret_env("STACKEXCHANGE_KEY", "stackexchange_key")
    stackexchange_quota_floor: int = Field(100, ge=0, description="Stop when quota falls here.")
    stackexchange_max_rps: float = Field(25.0, gt=0, le=30, description="Requests per second.")

    kaggle_username: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "kaggle_username", "KAGGLE_USERNAME", "SCOUT_KAGGLE_USERNAME"
        ),
        description="Kaggle user name for downloads.",
    )
    kaggle_key: SecretStr | None = _secret_env("KAGGLE_KEY", "kaggle_key")

    redis_url: str | None = Field(None, description="Redis URL for distributed crawls.")
    http_timeout: float = Field(30.0, gt=0, description="Seconds before an HTTP request fails.")
    http_retries: int = Field(3, ge=0, le=10, description="Retries of a failed request.")

    regions_file: Path | None = Field(None, description="regions.toml to use instead of ours.")
    skills_file: Path | None = Field(None, description="skills.toml to use instead of ours.")
    ranking_file: Path | None = Field(None, description="ranking.toml to use instead of ours.")
    jobs_file: Path | None = Field(None, description="Scheduled crawl jobs (TOML).")

    include_contacts: bool = Field(False, description="Put public email/website in exports.")
    identity_threshold: float = Field(
        0.85,
        ge=0.5,
        le=0.99,
        description="Posterior a fuzzy identity link needs from both sides: lower links more "
        "people and more namesakes (README, 'Who is who').",
    )
    retention_days: int = Field(365, ge=1, description="Default for `scout purge`.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(False, description="Structured JSON logs.")

    @field_validator("github_api_url", "stackexchange_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("stackexchange_site")
    @classmethod
    def _se_site(cls, value: str) -> str:
        try:
            return stackexchange_site(value)
        except HandleError as exc:
            raise ValueError(exc.message) from exc

    @field_validator("kaggle_username")
    @classmethod
    def _kaggle_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return kaggle_username(value)
        except HandleError as exc:
            raise ValueError(exc.message) from exc

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: Any,
        init_settings: Any,
        env_settings: Any,
        dotenv_settings: Any,
        file_secret_settings: Any,
    ) -> Any:
        # Layering is done by load_settings, which records provenance; here only the merged
        # values passed to __init__ count.
        return (init_settings,)

    @property
    def github_graphql_url(self) -> str:
        """GraphQL endpoint: {api}/graphql, or /api/graphql for a GHES root ending in /api/v3."""
        root = self.github_api_url
        if root.endswith("/api/v3"):
            return root[: -len("/v3")] + "/graphql"
        return root + "/graphql"

    def secret_values(self) -> list[str]:
        """The raw secret strings, for log redaction."""
        values = []
        for name in SECRET_FIELDS:
            secret = getattr(self, name)
            if secret is not None and secret.get_secret_value():
                values.append(secret.get_secret_value())
        return values


@dataclass
class LoadedSettings:
    """Settings plus where each value came from."""

    settings: Settings
    sources: dict[str, Source] = field(default_factory=dict)
    config_file: Path | None = None

    def rows(self) -> list[tuple[str, str, Source]]:
        """(name, shown value, source) for every setting, secrets masked."""
        out = []
        for name in Settings.model_fields:
            value = getattr(self.settings, name)
            if isinstance(value, SecretStr):
                shown = "********" if value.get_secret_value() else "(empty)"
            elif value is None:
                shown = "(not set)"
            else:
                shown = mask_url_credentials(str(value))
            out.append((name, shown, self.sources.get(name, "default")))
        return out


def _read_toml(path: Path) -> dict[str, Any]:
    data = read_toml(path, "config file")
    flat: dict[str, Any] = {}
    for key, value in data.items():
        # One level of tables is allowed: [github] api_url = ... means github_api_url.
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    known = set(Settings.model_fields)
    unknown = sorted(set(flat) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    secrets = sorted(set(flat) & set(SECRET_FIELDS))
    if secrets:
        raise ConfigError(
            f"{path}: {', '.join(secrets)} must come from the environment "
            "(GITHUB_TOKEN, STACKEXCHANGE_KEY, KAGGLE_KEY), never from a file"
        )
    return flat


def _read_env(environ: dict[str, str] | None) -> dict[str, Any]:
    source = EnvSettingsSource(Settings)
    if environ is not None:
        source.env_vars = {k.lower(): v for k, v in environ.items()}
    values: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        value, _key, _complex = source.get_field_value(info, name)
        if value is not None:
            values[name] = value
    return values


def load_settings(
    config_file: Path | None = None,
    flags: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> LoadedSettings:
    """Load settings in layers and remember each value's source.

    `config_file` defaults to ./scout.toml when it exists; `flags` holds command-line values
    (None means "not given"); `environ` defaults to os.environ.
    """
    env_map = dict(os.environ) if environ is None else environ
    if config_file is None and env_map.get("SCOUT_CONFIG"):
        config_file = Path(env_map["SCOUT_CONFIG"])
    if config_file is None and Path("scout.toml").exists():
        config_file = Path("scout.toml")
    toml_values = _read_toml(config_file) if config_file else {}
    env_values = _read_env(env_map)
    flag_values = {k: v for k, v in (flags or {}).items() if v is not None}
    unknown_flags = set(flag_values) - set(Settings.model_fields)
    if unknown_flags:
        raise ConfigError(f"unknown setting(s) from flags: {', '.join(sorted(unknown_flags))}")

    sources: dict[str, Source] = {}
    merged: dict[str, Any] = {}
    for layer, values in (("scout.toml", toml_values), ("env", env_values), ("flag", flag_values)):
        for key, value in values.items():
            merged[key] = value
            sources[key] = layer  # type: ignore[assignment]
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]["loc"][0] if exc.errors() and exc.errors()[0]["loc"] else ""
        where = sources.get(str(first), "default")
        label = str(config_file) if where == "scout.toml" else where
        raise ConfigError(validation_message(exc, label)) from exc
    return LoadedSettings(settings=settings, sources=sources, config_file=config_file)
