"""`scout browse`: the SQLite database in Datasette, with facets for region, skill and source.

Datasette reads SQLite only, so a PostgreSQL database is refused with a message. The metadata
(facets, labels, sort orders and a few canned queries) is generated here and written to a
temporary file for the server's lifetime; nothing is written into the database.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.errors import ScoutError
from config.regions import fold_name, load_regions_file

INSTALL_HINT = "Datasette is not installed: pip install 'talent-scout[browse]'"

# Facets per table: a column name, or {"array": column} for a JSON list such as regions.
FACETS: dict[str, list[str | dict[str, str]]] = {
    "profiles": ["source", "site"],
    "profile_locations": [{"array": "regions"}, "country"],
    "skill_tags": ["skill", "category"],
    "locations": ["status", "country"],
    "repositories": ["language"],
    "so_tag_stats": ["tag"],
    "kaggle_achievements": ["category", "tier"],
    "candidate_profiles": ["method"],
    "crawl_runs": ["source", "status", "job_name"],
    "scores": ["model_version"],
    "feedback_labels": ["decision"],
}
LABEL_COLUMNS = {"profiles": "handle", "candidates": "display_name", "shortlists": "name"}
SORT_DESC = {
    "profiles": "last_seen",
    "skill_tags": "strength",
    "scores": "score",
    "crawl_runs": "started_at",
}
HIDDEN = ("alembic_version", "job_locks")
# Tables holding contact fields (profiles.email and .website; raw API responses hold them too):
# closed unless contacts are turned on, as in shortlist exports. Custom SQL is closed with them,
# or `select email from profiles` would reopen them; the canned queries still run.
CONTACT_TABLES = ("profiles", "raw_records")
PUBLIC_PROFILES = "profiles_without_contacts"
DESCRIPTIONS = {
    "profiles": "One account on one platform (GitHub, a Stack Exchange site, Kaggle).",
    "profile_locations": "Where a profile is: country and regions, with the evidence.",
    "skill_tags": "ML/MLOps skills seen on a profile, with strength and evidence.",
    "candidates": "One person, as linked across platforms.",
    "candidate_profiles": "Which profiles make up a candidate, and why they were linked.",
    "scores": "Candidate scores per model version, with explanations.",
    "raw_records": "API responses exactly as received (append-only).",
}

# Candidate rows with their profiles, regions and strongest skills; used by the queries below.
# {display} is the SQL that shows a stored region key by its display name (region_sql).
_CANDIDATE_COLUMNS = """
  c.id AS candidate_id,
  c.display_name,
  (SELECT group_concat(coalesce(p.site, p.source) || ':' || coalesce(p.handle, p.external_id),
                       ', ')
     FROM candidate_profiles cp JOIN profiles p ON p.id = cp.profile_id
    WHERE cp.candidate_id = c.id) AS profiles,
  (SELECT group_concat(DISTINCT {display})
     FROM candidate_profiles cp JOIN profile_locations pl ON pl.profile_id = cp.profile_id,
          json_each(pl.regions) r
    WHERE cp.candidate_id = c.id) AS regions,
  (SELECT group_concat(skill, ', ') FROM (
     SELECT st.skill FROM candidate_profiles cp JOIN skill_tags st ON st.profile_id = cp.profile_id
      WHERE cp.candidate_id = c.id GROUP BY st.skill ORDER BY max(st.strength) DESC LIMIT 8
   )) AS top_skills"""

_IN_REGION = """(:region = '' OR EXISTS (
    SELECT 1 FROM candidate_profiles cp JOIN profile_locations pl ON pl.profile_id = cp.profile_id,
           json_each(pl.regions) r
     WHERE cp.candidate_id = c.id AND r.value = {typed}))"""
_HAS_SKILL = """(:skill = '' OR EXISTS (
    SELECT 1 FROM candidate_profiles cp JOIN skill_tags st ON st.profile_id = cp.profile_id
     WHERE cp.candidate_id = c.id AND st.skill = lower(:skill)))"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# What SQLite can do to what is typed in a query form: ASCII lower case, `-` and `_` as spaces.
_SQL_FOLD = "lower(trim(replace(replace(:region, '-', ' '), '_', ' ')))"


def region_sql(region_names: Mapping[str, str]) -> tuple[str, str]:
    """SQL for regions in Datasette, from the regions file in use (key -> display name): the
    key of the region typed in a query's `region` field (its key or display name, any case,
    `-` or `_`; config.regions.region_key's readings listed as a table, since Datasette runs
    plain SQL), and the display name of a stored key `r.value`."""
    readings: dict[str, str] = {}
    for key, display in region_names.items():
        for name in (key, display):
            simple = " ".join(name.replace("-", " ").replace("_", " ").split())
            for form in (
                fold_name(name),
                "".join(ch.lower() if ch.isascii() else ch for ch in simple),
            ):
                readings.setdefault(form, key)
    typed = ", ".join(f"({_quote(form)}, {_quote(key)})" for form, key in readings.items())
    shown = ", ".join(
        f"({_quote(key)}, {_quote(display)})" for key, display in region_names.items()
    )
    key_of = f"(SELECT column2 FROM (VALUES {typed}) WHERE column1 = {_SQL_FOLD})"
    display = f"coalesce((SELECT column2 FROM (VALUES {shown}) WHERE column1 = r.value), r.value)"
    return key_of, display


def queries(region_names: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
    """The canned queries, with regions read and shown as the regions file names them (ours
    when not given)."""
    names = load_regions_file().display_names() if region_names is None else region_names
    key_of, display = region_sql(names)
    columns = _CANDIDATE_COLUMNS.format(display=display)
    return {
        "shortlist": {
            "title": "Shortlist with regions and skills",
            "description": "A shortlist's entries in rank order (leave shortlist empty: the "
            "newest).",
            "sql": f"""SELECT e.rank, round(e.score, 3) AS score, {columns}
FROM shortlist_entries e
JOIN candidates c ON c.id = e.candidate_id
WHERE e.shortlist_id = coalesce(
  (SELECT id FROM shortlists WHERE name = :shortlist),
  (SELECT id FROM shortlists WHERE :shortlist = '' ORDER BY created_at DESC, id DESC LIMIT 1))
ORDER BY e.rank""",
        },
        "candidates": {
            "title": "Candidates by region and skill",
            "description": "Linked candidates with their newest score; region (e.g. "
            "Eastern Europe or india) and skill (e.g. pytorch) filter when given.",
            "sql": f"""SELECT {columns},
  (SELECT round(s.score, 3) FROM scores s WHERE s.candidate_id = c.id
    ORDER BY s.scored_at DESC LIMIT 1) AS score
FROM candidates c
WHERE {_IN_REGION.format(typed=key_of)} AND {_HAS_SKILL}
ORDER BY score IS NULL, score DESC, c.id
LIMIT 1000""",
        },
        "profiles_by_region": {
            "title": "Profiles per region and source",
            "description": "How many profiles each region holds on each platform.",
            "sql": f"""SELECT {display} AS region, p.source, count(*) AS profiles
FROM profiles p
JOIN profile_locations pl ON pl.profile_id = p.id, json_each(pl.regions) r
GROUP BY r.value, p.source
ORDER BY r.value, profiles DESC""",
        },
        "skills_by_region": {
            "title": "Skills per region",
            "description": "Profiles holding each skill, per region (region empty: all).",
            "sql": f"""SELECT {display} AS region, st.skill,
  count(DISTINCT st.profile_id) AS profiles, round(avg(st.strength), 2) AS mean_strength
FROM skill_tags st
JOIN profile_locations pl ON pl.profile_id = st.profile_id, json_each(pl.regions) r
WHERE :region = '' OR r.value = {key_of}
GROUP BY r.value, st.skill
ORDER BY r.value, profiles DESC""",
        },
    }


def sqlite_path(db_url: str) -> Path:
    """The SQLite file behind `db_url`; a ScoutError for anything Datasette cannot open."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ScoutError(f"not a database URL: {db_url!r}") from exc
    if url.get_backend_name() != "sqlite":
        raise ScoutError(
            f"scout browse needs a SQLite database (Datasette reads SQLite only); this one is "
            f"{url.get_backend_name()}: browse it with psql or any PostgreSQL client"
        )
    if not url.database or url.database == ":memory:":
        raise ScoutError("scout browse needs a SQLite file, not an in-memory database")
    path = Path(url.database).expanduser()
    if not path.is_file():
        raise ScoutError(f"no database at {path}: run `scout init` or a crawl first")
    return path


def datasette_installed() -> bool:
    try:
        import datasette  # noqa: F401
    except ImportError:
        return False
    return True


_PUBLIC_PROFILES_SQL = """SELECT id, source, site, external_id, handle, name, location_raw, company,
  profile_url, followers, reputation, created_at, first_seen, last_seen
FROM profiles
WHERE :source = '' OR source = lower(:source)
ORDER BY last_seen DESC, id
LIMIT 1000"""


def metadata(
    db_name: str, include_contacts: bool = False, region_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Datasette metadata for the database called `db_name` (its file name without .db).

    Without `include_contacts`, the tables holding contact fields and custom SQL are closed;
    a canned query lists profiles without them. `region_names`: the regions file's key ->
    display name (ours when not given).
    """
    tables: dict[str, dict[str, Any]] = {}

    def table(name: str) -> dict[str, Any]:
        return tables.setdefault(name, {})

    for name, facets in FACETS.items():
        table(name)["facets"] = facets
    for name, column in LABEL_COLUMNS.items():
        table(name)["label_column"] = column
    for name, column in SORT_DESC.items():
        table(name)["sort_desc"] = column
    for name, text in DESCRIPTIONS.items():
        table(name)["description"] = text
    for name in HIDDEN:
        table(name)["hidden"] = True
    database: dict[str, Any] = {"tables": tables, "queries": queries(region_names)}
    if not include_contacts:
        for name in CONTACT_TABLES:
            table(name)["allow"] = False
        database["allow_sql"] = False
        database["queries"][PUBLIC_PROFILES] = {
            "title": "Profiles (contact fields left out)",
            "description": "Profiles without e-mail, website or raw responses; source filters "
            "(github, stackoverflow, kaggle). `scout browse --include-contacts` opens them.",
            "sql": _PUBLIC_PROFILES_SQL,
        }
    return {
        "title": "talent-scout",
        "description": "Public ML/MLOps signals from GitHub, Stack Overflow and Kaggle. "
        "Facets: source, region, skill.",
        "databases": {db_name: database},
    }


def datasette_args(
    path: Path, metadata_file: Path, host: str, port: int, open_browser: bool
) -> list[str]:
    """The `datasette serve` command line for the database and its metadata."""
    args = [
        "serve",
        str(path),
        "--metadata",
        str(metadata_file),
        "--host",
        host,
        "--port",
        str(port),
        # Facets and the candidate queries count over whole tables: allow them a moment.
        "--setting",
        "sql_time_limit_ms",
        "5000",
        "--setting",
        "facet_time_limit_ms",
        "1000",
    ]
    return [*args, "--open"] if open_browser else args


def serve(
    path: Path,
    host: str,
    port: int,
    open_browser: bool,
    include_contacts: bool = False,
    region_names: Mapping[str, str] | None = None,
) -> None:
    """Run Datasette on `path` until interrupted (in this process, so Ctrl-C stops it)."""
    if not datasette_installed():
        raise ScoutError(INSTALL_HINT)
    from datasette.cli import cli

    with tempfile.TemporaryDirectory(prefix="scout-browse-") as folder:
        metadata_file = Path(folder) / "metadata.json"
        meta = metadata(path.stem, include_contacts, region_names)
        metadata_file.write_text(json.dumps(meta, indent=2))
        cli.main(
            args=datasette_args(path, metadata_file, host, port, open_browser),
            prog_name="datasette",
            standalone_mode=False,
        )
