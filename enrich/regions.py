"""Regions (Eastern Europe, India, Latin America, and any a user defines) from regions.toml.

A region is an explicit list of ISO 3166-1 alpha-2 codes, so "is this person in the region"
is a set lookup on the country `enrich.location.resolve` found, and the line a region draws
is written down in the file rather than hidden in code. Each region also carries the GitHub
location-search presets (`include` / `exclude` terms) the crawlers split searches by.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.errors import ConfigError
from config.regions import load_regions_file


@dataclass(frozen=True)
class Region:
    name: str  # the key in regions.toml, e.g. "eastern_europe"
    label: str  # what people read, e.g. "Eastern Europe"
    countries: frozenset[str]
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    def __contains__(self, iso2: object) -> bool:
        return isinstance(iso2, str) and iso2.upper() in self.countries


class Regions:
    """The regions of one file, looked up by name or label."""

    def __init__(self, regions: list[Region], source: Path | None = None) -> None:
        self._regions = {r.name: r for r in regions}
        self.source = source
        self._by_country: dict[str, list[str]] = {}
        for region in regions:
            for iso in sorted(region.countries):
                self._by_country.setdefault(iso, []).append(region.name)

    def names(self) -> list[str]:
        return list(self._regions)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._regions.values())

    def __len__(self) -> int:
        return len(self._regions)

    def get(self, name: str) -> Region:
        """The region called `name` ("eastern_europe" or its label "Eastern Europe")."""
        wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
        for region in self._regions.values():
            if wanted in (region.name.lower(), region.label.lower().replace(" ", "_")):
                return region
        raise ConfigError(f"unknown region {name!r}; valid regions: {', '.join(self.names())}")

    def regions_for_country(self, iso2: str | None) -> list[str]:
        """Names of the regions a country belongs to (none for None or an unlisted country)."""
        if not iso2:
            return []
        return list(self._by_country.get(iso2.upper(), []))


def load_regions(path: Path | None = None) -> Regions:
    """Our regions.toml, or the user's file (settings.regions_file) when given."""
    data = load_regions_file(path)
    regions = [
        Region(
            name=name,
            label=model.label or name.replace("_", " ").title(),
            countries=frozenset(model.countries),
            include=tuple(model.include),
            exclude=tuple(model.exclude),
        )
        for name, model in data.regions.items()
    ]
    return Regions(regions, path)


@lru_cache(maxsize=8)
def _cached(path: Path | None) -> Regions:
    return load_regions(path)


def regions_for_country(iso2: str | None, path: Path | None = None) -> list[str]:
    """Regions of a country under the default (or given) regions file, loaded once."""
    return _cached(path).regions_for_country(iso2)
