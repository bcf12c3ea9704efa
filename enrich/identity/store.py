"""Identity links in the database: candidates, candidate_profiles, link_rejections and
link_confirmations (what users said with `scout unlink` and `scout link`).

Incremental: links between two unchanged profiles are read back from candidate_profiles
(each member stores the link that holds it in: `evidence.linked_to`); only changed profiles
are compared against everyone. Only the clusters a change touches are rebuilt, and a
candidate keeps its id when most of its profiles stay together.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.skills import SkillsFile, load_skills
from enrich.identity.link import (
    IDENTITY_VERSION,
    MANUAL,
    cluster,
    describe_link,
    display_name,
    propose_all,
)
from enrich.identity.score import THRESHOLD, Index
from enrich.identity.view import IdentityView, Link
from enrich.textfold import fold
from storage.models import (
    Candidate,
    CandidateProfile,
    LinkConfirmation,
    LinkRejection,
    Profile,
    ProfileLocation,
    PypiPackage,
    SkillTag,
)
from storage.state import get_cursor, set_cursor
from storage.upsert import upsert

_CHUNK = 500


@dataclass(slots=True)
class LinkReport:
    explicit: int = 0
    fuzzy: int = 0
    manual: int = 0
    candidates_created: int = 0
    candidates_removed: int = 0

    @property
    def total(self) -> int:
        return self.explicit + self.fuzzy + self.manual


def load_views(session: Session, skills: SkillsFile | None = None) -> list[IdentityView]:
    """Every profile as identity linking sees it, with its resolved country and its ML and
    MLOps work by the groups of skills.toml (the user's `skills`, else ours)."""
    rows: Any = session.execute(
        select(
            Profile.id,
            Profile.source,
            Profile.external_id,
            Profile.handle,
            Profile.name,
            Profile.website,
            Profile.bio,
            Profile.extra,
            ProfileLocation.country,
            ProfileLocation.city,
        ).outerjoin(ProfileLocation, ProfileLocation.profile_id == Profile.id)
    )
    work = _work(session, skills or load_skills())
    packages = _packages(session)
    views = []
    for pid, source, ext, handle, name, website, bio, extra, country, city in rows:
        links = extra.get("about_me_links") if isinstance(extra, dict) else None
        views.append(
            IdentityView(
                pid,
                source,
                ext,
                handle,
                name,
                website,
                bio,
                [u for u in links if isinstance(u, str)] if isinstance(links, list) else (),
                country,
                (fold(city) or None) if country and city else None,
                *work.get(pid, (0.0, 0.0)),
                packages.get(pid, ()),
            )
        )
    return views


def _packages(session: Session) -> dict[int, list[tuple[str, str | None, int]]]:
    """Each PyPI account's packages: (name, source repository, how many accounts have a
    role on it). The count is an input of the account's links: a second maintainer turning
    up changes what the package says about the first."""
    rows = session.execute(
        select(PypiPackage.profile_id, PypiPackage.name, PypiPackage.source_repo).order_by(
            PypiPackage.profile_id, PypiPackage.name
        )
    ).all()
    roles = Counter(name for _pid, name, _repo in rows)
    out: dict[int, list[tuple[str, str | None, int]]] = {}
    for pid, name, repo in rows:
        out.setdefault(pid, []).append((name, repo, roles[name]))
    return out


def _work(session: Session, skills: SkillsFile) -> dict[int, tuple[float, float]]:
    """(ML, MLOps) work per profile: the summed strength of its skill tags in the categories
    skills.toml puts in those groups."""
    groups = {c: 0 for c in skills.categories_of("ml")} | {
        c: 1 for c in skills.categories_of("mlops")
    }
    rows = session.execute(
        select(SkillTag.profile_id, SkillTag.category, func.sum(SkillTag.strength))
        .where(SkillTag.category.in_(list(groups)))
        .group_by(SkillTag.profile_id, SkillTag.category)
    )
    out: dict[int, list[float]] = {}
    for pid, category, strength in rows:
        out.setdefault(pid, [0.0, 0.0])[groups[str(category)]] += float(strength or 0.0)
    return {pid: (ml, ops) for pid, (ml, ops) in out.items()}


def rules_key(threshold: float = THRESHOLD) -> str:
    """Which linking rules are in force: the rules' version and the threshold setting."""
    return f"{IDENTITY_VERSION}@{threshold:g}"


def inputs_sha(view: IdentityView, threshold: float = THRESHOLD) -> str:
    """What linking read of a profile (and which rules): unchanged means nothing to redo."""
    parts = (
        rules_key(threshold),
        view.source,
        view.external_id,
        view.handle,
        view.name,
        view.website,
        view.bio,
        list(view.links),
        view.country,
        view.place,
        round(view.ml, 1),
        round(view.mlops, 1),
        [list(p) for p in view.packages],
    )
    return hashlib.sha1(orjson.dumps(parts), usedforsecurity=False).hexdigest()[:16]


def rejected_pairs(session: Session) -> set[frozenset[int]]:
    rows = session.execute(select(LinkRejection.profile_a_id, LinkRejection.profile_b_id))
    return {frozenset((a, b)) for a, b in rows}


def manual_links(session: Session) -> list[Link]:
    """The links users made with `scout link`, with when they made them."""
    rows = session.execute(
        select(
            LinkConfirmation.profile_a_id,
            LinkConfirmation.profile_b_id,
            LinkConfirmation.created_at,
        ).order_by(LinkConfirmation.id)
    )
    return [
        Link(
            a,
            b,
            "manual",
            MANUAL,
            {"rules": [f"linked by hand with `scout link` on {when.date().isoformat()}"]},
        )
        for a, b, when in rows
    ]


def stored_links(session: Session) -> dict[int, tuple[int, str, float, Any]]:
    """Each profile's stored link: (candidate id, method, confidence, evidence)."""
    rows: Any = session.execute(
        select(
            CandidateProfile.profile_id,
            CandidateProfile.candidate_id,
            CandidateProfile.method,
            CandidateProfile.confidence,
            CandidateProfile.evidence,
        )
    )
    return {pid: (cid, method, conf, ev) for pid, cid, method, conf, ev in rows}


def _link_evidence(link: Link, me: int, index: Index) -> dict[str, Any]:
    other = index.views[link.b if link.a == me else link.a]
    ev = dict(link.evidence)
    ev["linked_to"] = other.id
    ev["with"] = other.label
    ev.pop("text", None)
    ev["text"] = f"same person as {other.label}: {describe_link(ev)}"
    return ev


def relink(
    session: Session,
    views: Sequence[IdentityView],
    changed: Iterable[int],
    also: Iterable[int] = (),
    threshold: float = THRESHOLD,
    stored: dict[int, tuple[int, str, float, Any]] | None = None,
) -> LinkReport:
    """Link changed profiles against all, rebuild the clusters they touch, write them.

    `also` names profiles whose clusters are rebuilt whatever their inputs (after a user's
    `scout link` or `scout unlink`). When no linking input changed, nothing is built.
    """
    report = LinkReport()
    if stored is None:  # a caller that read them already passes them
        stored = stored_links(session)
    by_id = {v.id: v for v in views}
    sha = {pid: inputs_sha(v, threshold) for pid, v in by_id.items()}

    def same_inputs(pid: int) -> bool:
        row = stored.get(pid)
        return row is not None and isinstance(row[3], dict) and row[3].get("inputs") == sha[pid]

    # A profile whose name, handle, links and place are as last linked needs no new links
    # (re-tagging after a taxonomy change, say); its stored link stands.
    changed_set = {c for c in changed if c in by_id and not same_inputs(c)}
    also = [p for p in also if p in by_id]
    if not changed_set and not also:
        return report  # a nightly re-crawl that changed stars, not names: the links stand
    index = Index(views, threshold)
    rejected = rejected_pairs(session)
    members_of: dict[int, list[int]] = {}
    for pid, (cid, *_rest) in stored.items():
        members_of.setdefault(cid, []).append(pid)
    new_links = propose_all(changed_set, index)
    affected = set(changed_set) | set(also)
    for link in new_links:
        affected.update((link.a, link.b))
    # Links users made by hand are read from link_confirmations, never from old rows.
    manual = [lk for lk in manual_links(session) if lk.a in by_id and lk.b in by_id]
    for link in manual:
        if link.a in affected or link.b in affected:
            affected.update((link.a, link.b))
    for pid in list(affected):
        if pid in stored:
            affected.update(members_of[stored[pid][0]])
    affected &= set(index.views)
    old_links = []
    for pid in affected:
        row = stored.get(pid)
        if row is None or row[1] in ("self", "manual") or not isinstance(row[3], dict):
            continue
        other = row[3].get("linked_to")
        if other in affected and pid not in changed_set and other not in changed_set:
            evidence = {
                k: v for k, v in row[3].items() if k not in ("linked_to", "with", "text", "inputs")
            }
            old_links.append(Link(pid, other, row[1], row[2], evidence))
    source_of = {pid: index.views[pid].source for pid in affected}
    country_of = {pid: index.views[pid].country for pid in affected}
    held_by_hand = [lk for lk in manual if lk.a in affected and lk.b in affected]
    clusters = cluster(
        sorted(affected), [*held_by_hand, *old_links, *new_links], source_of, rejected, country_of
    )

    old_cids = {stored[p][0] for p in affected if p in stored}
    used: set[int] = set()
    # Never hand out an id twice, not even one `scout forget` freed: a shortlist CSV exported
    # before the forget still carries it, and its decisions must not land on someone else.
    # A JSON object: SQLite gives a bare number in a JSON column NUMERIC affinity.
    mark = get_cursor(session, "enrich", "candidate_ids")
    high = mark.get("next") if isinstance(mark, dict) else None
    next_id = max((session.scalar(select(func.max(Candidate.id))) or 0) + 1, int(high or 1))
    cand_rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    now = utcnow()
    seen_links: set[frozenset[int]] = set()
    for ms, chosen in clusters:
        votes = Counter(stored[m][0] for m in ms if m in stored and stored[m][0] not in used)
        if votes:
            cid = min(votes, key=lambda c: (-votes[c], c))
        else:
            cid, next_id = next_id, next_id + 1
            report.candidates_created += 1
        used.add(cid)
        name = display_name([index.views[m] for m in ms])
        cand_rows.append({"id": cid, "display_name": name, "updated_at": now})
        for m in ms:
            held = chosen.get(m)
            if held is None:
                method, conf = "self", 1.0
                ev: dict[str, Any] = {
                    "text": "no other profile links to it or shares its handle or name"
                }
            else:
                method, conf = held.method, held.confidence
                ev = _link_evidence(held, m, index)
                key = frozenset((held.a, held.b))
                if key not in seen_links:
                    seen_links.add(key)
                    if held.method == "explicit":
                        report.explicit += 1
                    elif held.method == "manual":
                        report.manual += 1
                    else:
                        report.fuzzy += 1
            ev["inputs"] = sha[m]
            old = stored.get(m)
            if old is not None and old[:3] == (cid, method, conf) and old[3] == ev:
                continue  # unchanged: leave the row (and its linked_at) alone
            member_rows.append(
                {
                    "profile_id": m,
                    "candidate_id": cid,
                    "method": method,
                    "confidence": conf,
                    "evidence": ev,
                    "linked_at": now,
                }
            )
    _write(session, cand_rows, member_rows, old_cids - used, report)
    if high is None or next_id > int(high):
        set_cursor(session, "enrich", "candidate_ids", "", {"next": next_id})
    return report


def _write(
    session: Session,
    cand_rows: list[dict[str, Any]],
    member_rows: list[dict[str, Any]],
    gone: set[int],
    report: LinkReport,
) -> None:
    existing: set[int] = set()
    ids = [r["id"] for r in cand_rows]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        existing.update(session.scalars(select(Candidate.id).where(Candidate.id.in_(chunk))))
    rows = [{**r, "created_at": r["updated_at"]} for r in cand_rows]
    fresh = [r for r in rows if r["id"] not in existing]
    if fresh:
        upsert(session, Candidate, fresh, ["id"], update=[])
    changed = [r for r in rows if r["id"] in existing]
    if changed:
        # Only the name can change; the WHERE in upsert leaves equal rows untouched.
        upsert(session, Candidate, changed, ["id"], update=["display_name"])
    if member_rows:
        # A profile moving to another candidate keeps one row (unique profile_id).
        upsert(session, CandidateProfile, member_rows, ["profile_id"])
    gone_list = sorted(gone)
    for start in range(0, len(gone_list), _CHUNK):
        chunk = gone_list[start : start + _CHUNK]
        session.execute(delete(CandidateProfile).where(CandidateProfile.candidate_id.in_(chunk)))
        session.execute(delete(Candidate).where(Candidate.id.in_(chunk)))
    report.candidates_removed += len(gone_list)
