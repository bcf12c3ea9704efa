"""Locations in the database: the `locations` cache of resolved strings and each profile's
row in `profile_locations` (country, city, admin1, regions and the evidence).

Each distinct location string is resolved once: the `locations` table is the cache between
runs (rows of another RESOLVER_VERSION are resolved again), a dict the cache within one.
Everything stored comes from the fields of `enrich.location.resolver.Resolution`; nothing downstream
reads the English reason back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from enrich.location import resolver as loc
from enrich.location.regions import Regions
from storage.db import session_scope
from storage.models import Location, Profile, ProfileLocation
from storage.upsert import upsert

# Raise when the resolver's answers change: stored locations are resolved again (the
# `locations` cache by version, profile_locations by the "resolver" cursor in run_enrich).
# 2: city and admin1 are stored as fields. 3: small towns, native scripts without spaces,
# typos and run-together words, capital-district suffixes (issue 18). 4: districts of large
# cities (enrich.location.districts).
RESOLVER_VERSION = "4"

_IN = 500  # strings per IN (...) clause
_CHUNK = 2000  # profiles per transaction


def _clean(text: str | None, limit: int = 500) -> str | None:
    # NUL is the one character PostgreSQL text refuses; anything longer cannot be a place.
    if text is None:
        return None
    return text.replace("\x00", "")[:limit]


_COLS = (
    Location.text,
    Location.status,
    Location.country,
    Location.confidence,
    Location.reason,
    Location.candidates,
    Location.city,
    Location.admin1,
)


class LocationCache:
    """Distinct location strings resolved once: from `locations`, else resolved and stored."""

    def __init__(self) -> None:
        self.memory: dict[str, loc.Resolution] = {}
        self.hits = 0
        self.misses = 0

    def fill(self, session: Session, texts: set[str]) -> None:
        wanted = [t for t in texts if t not in self.memory]
        keyed = [t for t in wanted if _clean(t) == t]
        for start in range(0, len(keyed), _IN):
            chunk = keyed[start : start + _IN]
            rows: Any = session.execute(
                select(*_COLS).where(
                    Location.text.in_(chunk), Location.resolver_version == RESOLVER_VERSION
                )
            )
            for text, status, country, conf, reason, cands, city, admin1 in rows:
                pairs = tuple((str(c[0]), float(c[1])) for c in cands or ())
                self.memory[text] = loc.Resolution(
                    status, country, conf, reason, pairs, city=city, admin1=admin1
                )
                self.hits += 1
        new_rows = []
        for text in wanted:
            if text in self.memory:
                continue
            r = self.memory[text] = loc.resolve(text)
            self.misses += 1
            if _clean(text) == text:
                new_rows.append(_location(text, r))
        if new_rows:
            upsert(session, Location, new_rows, ["text"])


def _location(text: str, r: loc.Resolution) -> dict[str, Any]:
    """The `locations` row of one resolved string."""
    return {
        "text": text,
        "status": r.status,
        "country": r.country,
        "confidence": r.confidence,
        "reason": r.reason,
        "candidates": [list(c) for c in r.candidates],
        "city": r.city,
        "admin1": r.admin1,
        "resolver_version": RESOLVER_VERSION,
    }


def location_row(
    pid: int, text: str | None, cache: LocationCache, regions: Regions
) -> dict[str, Any]:
    res = cache.memory[text] if text and text.strip() else loc.resolve(None)
    res = res.in_regions(regions)
    cands = [list(c) for c in res.candidates]
    evidence: dict[str, Any] = {
        "text": _clean(text, 200),
        "status": res.status,
        "reason": res.reason,
    }
    if cands:
        evidence["candidates"] = cands
    where = ", ".join(res.regions) if res.regions else "no configured region"
    if res.country:
        evidence["regions_reason"] = f"{res.country} is in {where} (regions.toml)"
    elif cands:
        isos = " or ".join(str(c[0]) for c in cands)
        held = f"every reading is in {where}" if res.regions else "no region holds every reading"
        evidence["regions_reason"] = f"{isos}: {held} (regions.toml)"
    return {
        "profile_id": pid,
        "location_text": _clean(text),
        "country": res.country,
        "regions": list(res.regions),
        "confidence": res.confidence,
        "evidence": evidence,
        "city": res.city,
        "admin1": res.admin1,
    }


def relocate(engine: Engine, ids: list[int], cache: LocationCache, regions: Regions) -> None:
    """Resolve again the locations of profiles that did not change (the resolver did)."""
    for start in range(0, len(ids), _CHUNK):
        with session_scope(engine) as session:
            rows = session.execute(
                select(Profile.id, Profile.location_raw).where(
                    Profile.id.in_(ids[start : start + _CHUNK])
                )
            ).all()
            cache.fill(session, {r.location_raw for r in rows if (r.location_raw or "").strip()})
            located = [location_row(r.id, r.location_raw, cache, regions) for r in rows]
            upsert(session, ProfileLocation, located, ["profile_id"])
