"""Kaggle ingest knobs: defaults, overridable by SCOUT_KAGGLE_* environment variables and flags.

Kept here rather than in config.settings (owned elsewhere) so this crawler's thresholds can
change without touching the shared settings; `scout crawl kaggle --help` lists the flags.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

META_KAGGLE = "kaggle/meta-kaggle"


class KaggleOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCOUT_KAGGLE_", extra="ignore")

    min_tier: int = Field(
        default=1, ge=0, le=5, description="Tier (0 Novice .. 4 Grandmaster) that counts as signal."
    )
    recent_days: int = Field(
        default=365,
        ge=0,
        description="A submission this recent (before the files' date) is signal.",
    )
    chunk_rows: int = Field(default=20_000, ge=100, description="Users.csv rows looked up at once.")
    batch_size: int = Field(default=1000, ge=1, description="Profiles written per transaction.")
    dataset: str = Field(default=META_KAGGLE, description="owner/slug of the Meta Kaggle dataset.")
    api_url: str | None = Field(
        default=None, description="Kaggle API root (the sandbox's /kaggle); None: the real Kaggle."
    )
