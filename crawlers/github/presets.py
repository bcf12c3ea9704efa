"""Region location presets for search queries, read from regions.toml by its one loader."""

from __future__ import annotations

from pathlib import Path

from config.data import default_path
from config.errors import ScoutError
from config.regions import RegionModel, RegionsFile, load_regions_file

RegionPreset = RegionModel


def load_presets(override: Path | None = None) -> RegionsFile:
    return load_regions_file(override)


def region_terms(name: str, override: Path | None = None) -> RegionPreset:
    """The preset of one region; an unknown name is a ScoutError listing the valid ones."""
    presets = load_presets(override)
    # `--region eastern-europe` and a table named eastern_europe are the same region.
    key = name.strip().lower().replace("_", "-")
    for region, preset in presets.regions.items():
        if region.lower().replace("_", "-") == key:
            if not preset.include:
                where = override or default_path("regions.toml")
                raise ScoutError(
                    f"{where}: regions.{region}.include: no location terms to search for "
                    "(add an `include` list)"
                )
            return preset
    valid = ", ".join(sorted(presets.regions)) or "(none defined)"
    raise ScoutError(f"unknown region {name!r}; valid regions: {valid}")
