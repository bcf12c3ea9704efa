"""Shortlist filters a user types, and, when a shortlist comes out empty, which filter emptied it.

The values themselves are made canonical where they are defined: regions by
`config.regions.region_key`, skills by `config.skills.skill_key`, countries by
`enrich.location.countries.country_code`, sources here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from sqlalchemy.orm import Session

from config.errors import ScoutError
from config.regions import display_region, fold_name
from enrich.identity.view import SOURCES
from scoring.ranking import RankingConfig
from scoring.shortlist import Filters, select_candidates


def source_name(typed: str) -> str:
    """A platform as a user types it ("github", "Stack Overflow", "KAGGLE") -> its source."""
    wanted = fold_name(typed)
    for source, label in SOURCES.items():
        if wanted and wanted in (fold_name(source), fold_name(label)):
            return source
    raise ScoutError(f"unknown source {typed!r}; known sources: {', '.join(SOURCES)}")


def _phrases(f: Filters, region_names: Mapping[str, str]) -> dict[str, str]:
    """Each filter given, in words ("in Eastern Europe"), in the order they narrow."""
    said: dict[str, str] = {}
    if f.region:
        said["region"] = f"in {display_region(f.region, region_names)}"
    if f.country:
        said["country"] = f"in country {f.country}"
    if f.skill:
        said["skill"] = f"with skill '{f.skill}'"
    if f.source:
        said["source"] = f"on {SOURCES.get(f.source, f.source)}"
    if f.min_score is not None:
        said["min_score"] = f"scored {f.min_score:g} or more"
    if f.active_since is not None:
        said["active_since"] = f"active since {f.active_since.date().isoformat()}"
    if f.exclude_decided:
        marked = " or ".join(f"'{d}'" for d in f.exclude_decided)
        said["exclude_decided"] = f"not already marked {marked}"
    return said


def why_empty(
    session: Session,
    version: str,
    f: Filters,
    config: RankingConfig,
    region_names: Mapping[str, str],
) -> str:
    """Why `f` matched nobody, filter by filter: "0 candidates: 1,585 scored, 120 of them in
    Eastern Europe, none of those with skill 'mlops'". Each step is the real selection with
    one more filter, so the counts are what the shortlist itself would have found."""

    def count(step: Filters) -> int:
        return len(select_candidates(session, version, step, config))

    # Every field at its "no filter" value; the decided candidates left out come last.
    base = replace(f, top=0, **{k: v for k, v in _UNSET.items() if k in _names(f)})
    total = count(base)
    if total == 0:
        return (
            "0 candidates: nobody is scored yet (crawl, then `scout enrich`; "
            "the shortlist ranks what enrich linked)"
        )
    parts = [f"{total:,} ranked"]
    step = base
    for name, phrase in _phrases(f, region_names).items():
        step = replace(step, **{name: getattr(f, name)})
        n = count(step)
        if n == 0:
            return "0 candidates: " + ", ".join(parts) + f", none of {_those(parts)} {phrase}"
        parts.append(f"{n:,} of {_those(parts)} {phrase}")
    return "0 candidates: " + ", ".join(parts) + ", none left after the other filters"


# The value of each filter that lets everyone through.
_UNSET: dict[str, Any] = {
    "region": None,
    "country": None,
    "skill": None,
    "source": None,
    "min_score": None,
    "active_since": None,
    "exclude_decided": (),
}


def _names(f: Filters) -> set[str]:
    return {field.name for field in fields(f)}


def _those(parts: list[str]) -> str:
    return "them" if len(parts) == 1 else "those"
