"""The one loader of regions.toml, used by every command that reads it (crawls, enrich, locate,
shortlist, browse, doctor, the jobs loader): unknown keys, unknown country codes and a string
where a list belongs are refused, naming the file, the region and the key.

Each region has a key (the table name, `eastern_europe`: what enrich stores) and a display name
(`display = "Eastern Europe"`: what people read). `region_key` is the one place that turns
what a user types (either, in any case, with `-`, `_` or spaces) into the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from config.data import load_data_file
from config.errors import ScoutError

# Codes in use that ISO has not (yet) assigned; geonames uses XK for Kosovo.
_EXTRA_CODES = {"XK"}


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code pycountry knows, plus XK."""
    import pycountry

    return frozenset({c.alpha_2 for c in pycountry.countries} | _EXTRA_CODES)


def _terms(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("search terms must not be empty")
    return cleaned


class RegionModel(BaseModel):
    """One [regions.<name>] table."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # `label` is the name this key had before `display`; files that use it keep working.
    display: str | None = Field(None, validation_alias=AliasChoices("display", "label"))
    countries: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    # Terms are also generated from the countries (enrich.location.region_terms): cities of
    # at least this many people, and generated terms the user does not want searched;
    # `generate = false` searches the `include` terms alone.
    generate: bool = True
    min_city_population: int = Field(300_000, ge=15_000)
    leave_out: list[str] = Field(default_factory=list)

    @field_validator("countries")
    @classmethod
    def _known_codes(cls, values: list[str]) -> list[str]:
        codes = [v.strip().upper() for v in values]
        unknown = [v for v, code in zip(values, codes, strict=True) if code not in iso_codes()]
        if unknown:
            raise ValueError(
                f"unknown ISO 3166-1 alpha-2 country code(s): {', '.join(map(repr, unknown))}"
            )
        return list(dict.fromkeys(codes))

    _include = field_validator("include", "exclude", "leave_out")(_terms)


class RegionsFile(BaseModel):
    """The typed content of regions.toml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    regions: dict[str, RegionModel] = Field(min_length=1)

    @field_validator("regions")
    @classmethod
    def _one_reading_per_name(cls, value: dict[str, RegionModel]) -> dict[str, RegionModel]:
        seen: dict[str, str] = {}
        for key, model in value.items():
            if not fold_name(key):
                raise ValueError(f"region key {key!r} has no letters or digits")
            for name in {fold_name(key), fold_name(display_of(key, model))}:
                if seen.setdefault(name, key) != key:
                    raise ValueError(
                        f"regions {seen[name]!r} and {key!r} both read as {name!r}: "
                        "rename one (or give it another display name)"
                    )
        return value

    def display_names(self) -> dict[str, str]:
        """key -> display name, in file order."""
        return {key: display_of(key, model) for key, model in self.regions.items()}


_SEPARATORS = re.compile(r"[\s_\-]+")


def fold_name(text: str) -> str:
    """The form names a user types are compared in: case, accents, `-`, `_` and spaces do not
    count ("Eastern-Europe", "EASTERN_EUROPE" and "eastern europe" are one name)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", bare.casefold()).strip()


def display_of(key: str, model: RegionModel) -> str:
    """The region's display name: its `display`, else one made from the key
    (`central_asia` reads "Central Asia")."""
    if model.display and model.display.strip():
        return model.display.strip()
    return " ".join(word.capitalize() for word in _SEPARATORS.split(key.strip()) if word)


def known_regions(names: Mapping[str, str]) -> str:
    """`Eastern Europe (eastern_europe), India, ...`: what a refusal lists (the key is shown
    where it is not just the display name in lower case)."""
    shown = [
        display if display.casefold() == key.casefold() else f"{display} ({key})"
        for key, display in names.items()
    ]
    return ", ".join(shown) or "(none defined)"


def region_key(typed: str, names: Mapping[str, str]) -> str:
    """The key of the region a user typed: its key or display name, in any case, with `-`,
    `_` or spaces. `names` maps key -> display name (`RegionsFile.display_names()`). An unknown
    name is a ScoutError listing the known regions."""
    wanted = fold_name(typed)
    for key, display in names.items():
        if wanted and wanted in (fold_name(key), fold_name(display)):
            return key
    raise ScoutError(f"unknown region {typed!r}; known regions: {known_regions(names)}")


def display_region(stored: str, names: Mapping[str, str]) -> str:
    """The display name of a region as stored (a key; older data may hold `eastern-europe`);
    a region the file no longer has is shown as stored."""
    try:
        return names[region_key(stored, names)]
    except ScoutError:
        return stored


def resolve_region(typed: str, path: Path | None = None) -> str:
    """`region_key` against the regions file in use (the user's when given, else ours)."""
    return region_key(typed, load_regions_file(path).display_names())


def load_regions_file(path: Path | None = None) -> RegionsFile:
    """regions.toml checked: the user's copy when given, else ours."""
    return load_data_file("regions.toml", path, RegionsFile)
