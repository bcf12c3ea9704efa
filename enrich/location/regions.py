"""Regions (Eastern Europe, India, Latin America, and any a user defines) from regions.toml.

A region is an explicit list of ISO 3166-1 alpha-2 codes, so "is this person in the region"
is a set lookup on the country `enrich.location.resolver.resolve` found, and the line a region draws
is written down in the file rather than hidden in code. Each region also carries the GitHub
location-search presets (`include` / `exclude` terms) the crawlers split searches by.

`Regions.of_place` is the one answer to "which regions is this resolved location in": enrich
stores it and `scout locate` shows it, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.regions import display_of, display_region, load_regions_file, region_key


@dataclass(frozen=True)
class Region:
    name: str  # the key in regions.toml, e.g. "eastern_europe"
    display: str  # what people read, e.g. "Eastern Europe"
    countries: frozenset[str]
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    def __contains__(self, iso2: object) -> bool:
        return isinstance(iso2, str) and iso2.upper() in self.countries


class Regions:
    """The regions of one file, looked up by key or display name."""

    def __init__(self, regions: list[Region], source: Path | None = None) -> None:
        self._regions = {r.name: r for r in regions}
        self.source = source
        self._by_country: dict[str, list[str]] = {}
        for region in regions:
            for iso in sorted(region.countries):
                self._by_country.setdefault(iso, []).append(region.name)

    def names(self) -> list[str]:
        return list(self._regions)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions.values())

    def __len__(self) -> int:
        return len(self._regions)

    def display_names(self) -> dict[str, str]:
        """key -> display name, in file order."""
        return {r.name: r.display for r in self._regions.values()}

    def key(self, typed: str) -> str:
        """The key of a region as a user typed it (config.regions.region_key)."""
        return region_key(typed, self.display_names())

    def get(self, typed: str) -> Region:
        """The region a user named ("eastern-europe", "Eastern Europe", "EASTERN_EUROPE")."""
        return self._regions[self.key(typed)]

    def display(self, stored: str) -> str:
        """What people read for a stored region key; a key this file no longer has is shown
        as stored."""
        return display_region(stored, self.display_names())

    def of_place(
        self, country: str | None, candidates: Iterable[Sequence[object]] = ()
    ) -> list[str]:
        """The regions of a resolved location: its country's, or, when it is ambiguous
        between countries (`candidates`: (ISO2, share) pairs), the regions every candidate
        is in ("Kyiv -> Warsaw" is Eastern Europe whichever it is; "Georgia" is nowhere)."""
        if country:
            return self.regions_for_country(country)
        isos = [str(c[0]) for c in candidates if c]
        if not isos:
            return []
        shared = set(self.regions_for_country(isos[0]))
        for iso in isos[1:]:
            shared &= set(self.regions_for_country(iso))
        return [n for n in self.names() if n in shared]

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
            display=display_of(name, model),
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
