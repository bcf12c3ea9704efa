"""Region location presets for search queries, read from regions.toml.

Crawlers must not import enrich/, so this is a deliberately small model of the same file: only
the `include`/`exclude` location terms and `countries` of each region, everything else ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.data import load_data_file
from config.errors import ScoutError


class RegionPreset(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)


class RegionPresets(BaseModel):
    model_config = ConfigDict(extra="ignore")

    regions: dict[str, RegionPreset] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _accept_top_level_tables(cls, data: Any) -> Any:
        # Accept both `[regions.india]` and `[india]`: the file format is owned by enrich/.
        if isinstance(data, dict) and "regions" not in data:
            tables = {k: v for k, v in data.items() if isinstance(v, dict) and "include" in v}
            return {"regions": tables}
        return data


def load_presets(override: Path | None = None) -> RegionPresets:
    return load_data_file("regions.toml", override, RegionPresets)


def region_terms(name: str, override: Path | None = None) -> RegionPreset:
    """The preset of one region; an unknown name is a ScoutError listing the valid ones."""
    presets = load_presets(override)
    # `--region eastern-europe` and a table named eastern_europe are the same region.
    key = name.strip().lower().replace("_", "-")
    for region, preset in presets.regions.items():
        if region.lower().replace("_", "-") == key:
            if not preset.include:
                raise ScoutError(f"region {region!r} has no `include` location terms")
            return preset
    valid = ", ".join(sorted(presets.regions)) or "(none defined)"
    raise ScoutError(f"unknown region {name!r}; valid regions: {valid}")
