"""`scout enrich`: location -> profile_locations, skills -> skill_tags, identity -> candidates.

Only profiles whose content changed since the last run are enriched (profiles.content_sha !=
profiles.enriched_sha); enriched_sha is set afterwards, so a second run finds nothing to do and
says so. Each distinct location string is resolved once: the `locations` table is the cache
between runs, a dict the cache within one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.settings import Settings
from enrich.forking import fork_pool
from enrich.identity.store import LinkReport, load_views, relink, rules_key
from enrich.location.regions import Regions, load_regions
from enrich.location.store import RESOLVER_VERSION, LocationCache, location_row, relocate
from enrich.skills.ml_native import ContributionFacts, HubFacts, PackageFacts
from enrich.skills.tagging import KaggleFacts, RepoFacts, TagFacts, tag_profile
from enrich.skills.taxonomy import Taxonomy, get_taxonomy
from storage.db import session_scope
from storage.models import (
    Contribution,
    HubItem,
    KaggleAchievement,
    Profile,
    ProfileLocation,
    PypiPackage,
    Repository,
    SkillTag,
    SOTagStat,
)
from storage.state import get_cursor, set_cursor
from storage.upsert import upsert

CHUNK = 2000
_IN = 500  # ids per IN (...) clause


@dataclass(slots=True)
class EnrichReport:
    """What one `scout enrich` run did and skipped."""

    enriched: int = 0
    skipped: int = 0
    locations: int = 0  # distinct location strings met
    locations_cached: int = 0  # of which already resolved in an earlier run
    skill_tags: int = 0
    links: LinkReport = field(default_factory=LinkReport)
    relinked_all: bool = False  # the identity rules changed, so every profile was relinked
    relocated: int = 0  # unchanged profiles whose location was resolved again (new resolver)
    seconds: float = 0.0

    def summary(self) -> str:
        links = self.links
        if not self.enriched and not self.relinked_all and not self.relocated:
            return f"nothing to enrich: {self.skipped:,} profiles unchanged since the last run"
        if not self.enriched:
            what = (
                "the identity rules did: relinked every profile"
                if self.relinked_all
                else f"the location resolver did: resolved {self.relocated:,} locations again"
            )
            return (
                f"no profile changed, but {what}; "
                f"{links.total:,} links changed, "
                f"{links.candidates_created:,} new candidates, "
                f"{links.candidates_removed:,} merged away ({self.seconds:.1f}s)"
            )
        return (
            f"enriched {self.enriched:,} profiles, skipped {self.skipped:,} unchanged; "
            f"{self.locations:,} locations resolved ({self.locations_cached:,} cached); "
            + (
                f"{self.relocated:,} unchanged profiles located again (new resolver); "
                if self.relocated
                else ""
            )
            + f"{self.skill_tags:,} skill tags; "
            f"{links.total:,} links "
            f"({links.explicit:,} explicit, {links.fuzzy:,} fuzzy"
            + (f", {links.manual:,} by hand" if links.manual else "")
            + "); "
            f"{links.candidates_created:,} new candidates, "
            f"{links.candidates_removed:,} merged away ({self.seconds:.1f}s)"
        )


_REPO_COLS = (
    Repository.name,
    Repository.description,
    Repository.language,
    Repository.topics,
    Repository.stars,
    Repository.forks,
    Repository.is_fork,
    Repository.created_at,
    Repository.pushed_at,
)
_TAG_COLS = (
    SOTagStat.tag,
    SOTagStat.answer_count,
    SOTagStat.answer_score,
    SOTagStat.question_count,
    SOTagStat.question_score,
)
_KAGGLE_COLS = (
    KaggleAchievement.category,
    KaggleAchievement.tier,
    KaggleAchievement.gold,
    KaggleAchievement.silver,
    KaggleAchievement.bronze,
)
_HUB_COLS = (
    HubItem.name,
    HubItem.kind,
    HubItem.downloads,
    HubItem.likes,
    HubItem.library,
    HubItem.pipeline_tag,
    HubItem.tags,
    HubItem.last_modified,
)
_PYPI_COLS = (
    PypiPackage.name,
    PypiPackage.summary,
    PypiPackage.releases,
    PypiPackage.last_release,
    PypiPackage.classifiers,
    PypiPackage.keywords,
)
_CONTRIB_COLS = (
    Contribution.repo,
    Contribution.commits,
    Contribution.merged_prs,
    Contribution.last_merged_at,
)


def _grouped(
    session: Session, owner: Any, cols: tuple[Any, ...], ids: Sequence[int], make: Any
) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for start in range(0, len(ids), _IN):
        # Ordered by the natural key: ties in evidence (the top repos) must not depend on how a
        # database happens to return rows, or PostgreSQL and SQLite tell different stories.
        # Through the connection: plain rows, none of the ORM's per-row bookkeeping.
        result: Any = session.connection().execute(
            select(owner, *cols).where(owner.in_(ids[start : start + _IN])).order_by(owner, cols[0])
        )
        for row in result:
            out.setdefault(row[0], []).append(make(*row[1:]))
    return out


def _children(session: Session, ids: Sequence[int]) -> tuple[dict[int, list[Any]], ...]:
    return (
        _grouped(session, Repository.profile_id, _REPO_COLS, ids, RepoFacts),
        _grouped(session, SOTagStat.profile_id, _TAG_COLS, ids, TagFacts),
        _grouped(session, KaggleAchievement.profile_id, _KAGGLE_COLS, ids, KaggleFacts),
        _grouped(session, HubItem.profile_id, _HUB_COLS, ids, HubFacts),
        _grouped(session, PypiPackage.profile_id, _PYPI_COLS, ids, PackageFacts),
        _grouped(session, Contribution.profile_id, _CONTRIB_COLS, ids, ContributionFacts),
    )


def _tag_rows(
    session: Session, ids: Sequence[int], bios: dict[int, Any], tax: Taxonomy, now: datetime
) -> list[dict[str, Any]]:
    """The skill_tags rows of these profiles, from their repositories, tags, achievements, Hub
    items, PyPI packages and contributions to major projects."""
    repos, tags, kaggle, hub, pypi, contrib = _children(session, ids)
    out = []
    for pid in ids:
        bio = bio if isinstance(bio := bios.get(pid), str) else None
        for t in tag_profile(
            tax,
            repos.get(pid, []),
            tags.get(pid, []),
            kaggle.get(pid, []),
            bio,
            now,
            hub=hub.get(pid, []),
            packages=pypi.get(pid, []),
            contributions=contrib.get(pid, []),
        ):
            out.append(
                {
                    "profile_id": pid,
                    "skill": t.skill,
                    "category": t.category,
                    "strength": t.strength,
                    "evidence": t.evidence,
                }
            )
    return out


def _enrich_chunk(
    session: Session,
    rows: Sequence[Any],
    tax: Taxonomy,
    cache: LocationCache,
    regions: Regions,
    now: datetime,
    tag_rows: list[dict[str, Any]] | None = None,
) -> int:
    ids = [r.id for r in rows]
    cache.fill(session, {r.location_raw for r in rows if r.location_raw and r.location_raw.strip()})
    upsert(
        session,
        ProfileLocation,
        [location_row(r.id, r.location_raw, cache, regions) for r in rows],
        ["profile_id"],
    )
    if tag_rows is None:
        tag_rows = _tag_rows(session, ids, {r.id: r.bio for r in rows}, tax, now)
    for start in range(0, len(ids), _IN):
        session.execute(delete(SkillTag).where(SkillTag.profile_id.in_(ids[start : start + _IN])))
    if tag_rows:
        upsert(session, SkillTag, tag_rows, ["profile_id", "skill"])
    return len(tag_rows)


# Tagging in forked helpers, while this process writes: set just before the fork.
_TAGGER: tuple[Engine, Taxonomy, datetime] | None = None
PARALLEL_MIN = 20_000  # fewer changed profiles than this are tagged in this process


def _tagger_init() -> None:
    assert _TAGGER is not None
    # The parent's pooled connections must not be used (or closed) from a child.
    _TAGGER[0].dispose(close=False)


def _tag_chunk(ids: list[int]) -> list[dict[str, Any]]:
    assert _TAGGER is not None
    engine, tax, now = _TAGGER
    with session_scope(engine) as session:
        bios = dict(
            session.connection()
            .execute(select(Profile.id, Profile.bio).where(Profile.id.in_(ids)))
            .all()
        )
        return _tag_rows(session, ids, bios, tax, now)


def _tag_pool(engine: Engine, changed: int) -> Any:
    """A pool of forked taggers (one per CPU but one) for big runs on a file or server database;
    None to tag in this process."""
    helpers = (os.cpu_count() or 1) - 1
    database = engine.url.database or ""
    if changed < PARALLEL_MIN or (
        engine.url.get_backend_name() == "sqlite" and database in ("", ":memory:")
    ):
        return None
    return fork_pool(helpers, initializer=_tagger_init)


def _mark_enriched(session: Session, done: list[dict[str, Any]]) -> None:
    # The sha read at the start: a profile re-crawled meanwhile stays due for the next run.
    table: Any = Profile.__table__
    if done:
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(enriched_sha=bindparam("sha")),
            done,
        )


def _contributions_due(session: Session) -> tuple[set[int], str | None]:
    """Profiles with contributions read since the last run, and the latest read time.

    Contributions are outside a profile's content hash (reading a project's contributor list
    changes no profile), so their skill evidence would otherwise wait for the profile's next
    change; the cursor remembers the latest `seen_at` enrichment has tagged."""
    held = get_cursor(session, "enrich", "contributions")
    since = held.get("seen_at") if isinstance(held, dict) else None
    latest = session.scalar(select(func.max(Contribution.seen_at)))
    if latest is None:
        return set(), since
    stmt = select(Contribution.profile_id).distinct()
    if since:
        stmt = stmt.where(Contribution.seen_at > datetime.fromisoformat(since))
    return set(session.scalars(stmt)), latest.isoformat()


def run_enrich(
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> EnrichReport:
    """Enrich every profile changed since the last run; link identities; report.

    `force` enriches every profile whatever its hash: `scout rebuild` uses it because the
    taxonomy or regions may have changed while the profiles did not.
    """
    started = time.perf_counter()
    now = now or utcnow()
    report = EnrichReport()
    tax = get_taxonomy(settings.skills_file)
    regions = load_regions(settings.regions_file)  # the user's file when set
    cache = LocationCache()
    changed_filter = (
        true()
        if force
        else or_(Profile.enriched_sha.is_(None), Profile.enriched_sha != Profile.content_sha)
    )
    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(Profile)) or 0
        changed_ids = list(
            session.scalars(select(Profile.id).where(changed_filter).order_by(Profile.id))
        )
        contributed, contributions_read = _contributions_due(session)
        if contributed - set(changed_ids):
            changed_ids = sorted(set(changed_ids) | contributed)
        # A new resolver (RESOLVER_VERSION) resolves the locations of unchanged profiles again.
        resolver = get_cursor(session, "enrich", "resolver")
        stale: list[int] = []
        if total > len(changed_ids) and resolver != {"version": RESOLVER_VERSION}:
            due = set(changed_ids)
            every = session.scalars(select(Profile.id).order_by(Profile.id))
            stale = [p for p in every if p not in due]
    report.skipped = total - len(changed_ids)
    done: list[dict[str, Any]] = []
    chunks = [changed_ids[i : i + CHUNK] for i in range(0, len(changed_ids), CHUNK)]
    global _TAGGER
    _TAGGER = (engine, tax, now)
    pool = _tag_pool(engine, len(changed_ids))
    try:
        # Helpers read children and tag chunks ahead (in order) while this process writes.
        ahead = iter(pool.imap(_tag_chunk, chunks)) if pool is not None else None
        for chunk_ids in chunks:
            # One transaction per chunk: an interrupted run keeps what it finished.
            with session_scope(engine) as session:
                rows = session.execute(
                    select(Profile.id, Profile.location_raw, Profile.bio, Profile.content_sha)
                    .where(Profile.id.in_(chunk_ids))
                    .order_by(Profile.id)
                ).all()
                tag_rows = next(ahead) if ahead is not None else None
                if tag_rows is not None:  # a profile deleted meanwhile gets no tags
                    present = {r.id for r in rows}
                    tag_rows = [t for t in tag_rows if t["profile_id"] in present]
                report.skill_tags += _enrich_chunk(
                    session, rows, tax, cache, regions, now, tag_rows
                )
            done.extend({"pid": r.id, "sha": r.content_sha} for r in rows)
            report.enriched += len(rows)
            if progress is not None:
                progress(len(rows))
    finally:
        _TAGGER = None
        if pool is not None:
            pool.terminate()
            pool.join()
    relocate(engine, stale, cache, regions)
    report.relocated = len(stale)
    report.locations = cache.hits + cache.misses
    report.locations_cached = cache.hits
    threshold = settings.identity_threshold
    with session_scope(engine) as session:
        # New linking rules (a release, or the identity_threshold setting) relink everyone once.
        # A database linked before the rules were recorded counts as linked by other rules.
        # So do other skills.toml groups: they change every profile's ML and MLOps work. (A
        # database linked before the groups were recorded was linked under today's defaults.)
        held = get_cursor(session, "enrich", "identity_rules")
        held = held if isinstance(held, dict) else {}
        groups = {c: g for c, g in tax.spec.categories.items() if g != "other"}
        rules_changed = total > 0 and (
            held.get("rules") != rules_key(threshold) or held.get("groups", groups) != groups
        )
        if changed_ids or rules_changed or stale:
            views = load_views(session, tax.spec)
            relink_ids = [v.id for v in views] if rules_changed else changed_ids + stale
            report.links = relink(session, views, relink_ids, threshold=threshold)
            report.relinked_all = rules_changed
        if rules_changed:
            cursor = {"rules": rules_key(threshold), "groups": groups}
            set_cursor(session, "enrich", "identity_rules", "", cursor)
        if resolver != {"version": RESOLVER_VERSION}:
            set_cursor(session, "enrich", "resolver", "", {"version": RESOLVER_VERSION})
        if contributions_read is not None:
            set_cursor(session, "enrich", "contributions", "", {"seen_at": contributions_read})
        # Marked last, with the links: a run that dies before here is redone in full.
        _mark_enriched(session, done)
    report.seconds = time.perf_counter() - started
    return report
