"""The curated tables shipped in enrich/location/data (institutions, districts): one reader."""

from __future__ import annotations

import csv
from importlib import resources


def table_rows(name: str) -> list[dict[str, str]]:
    """Every row of data/`name` with its values stripped; `aliases` split on "|" is left to
    `aliases`."""
    table = resources.files("enrich.location").joinpath(f"data/{name}")
    with table.open("r", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def aliases(value: str) -> tuple[str, ...]:
    """A table's `aliases` cell: names separated by "|"."""
    return tuple(a.strip() for a in value.split("|") if a.strip())
