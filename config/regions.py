"""The one loader of regions.toml, used by every command that reads it (crawls, enrich, locate,
doctor): unknown keys, unknown country codes and a string where a list belongs are refused,
naming the file, the region and the key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.data import load_data_file

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

    label: str | None = None
    countries: list[str] = Field(min_length=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)

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

    _include = field_validator("include", "exclude")(_terms)


class RegionsFile(BaseModel):
    """The typed content of regions.toml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    regions: dict[str, RegionModel] = Field(min_length=1)


def load_regions_file(path: Path | None = None) -> RegionsFile:
    """regions.toml checked: the user's copy when given, else ours."""
    return load_data_file("regions.toml", path, RegionsFile)
