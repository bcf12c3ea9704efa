"""Region location presets for search queries, read from regions.toml by its one loader."""

from __future__ import annotations

from pathlib import Path

from config.data import default_path
from config.errors import ScoutError
from config.regions import RegionModel, RegionsFile, load_regions_file, region_key

RegionPreset = RegionModel


def load_presets(override: Path | None = None) -> RegionsFile:
    return load_regions_file(override)


def region_terms(name: str, override: Path | None = None) -> RegionPreset:
    """The preset of one region, named as a user types it (config.regions.region_key:
    `eastern-europe`, `Eastern Europe`, `eastern_europe`); an unknown name is a ScoutError
    listing the known ones."""
    presets = load_presets(override)
    key = region_key(name, presets.display_names())
    preset = presets.regions[key]
    if not preset.include:
        where = override or default_path("regions.toml")
        raise ScoutError(
            f"{where}: regions.{key}.include: no location terms to search for "
            "(add an `include` list)"
        )
    return preset
