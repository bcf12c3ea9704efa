"""Read recruiter decisions back from a shortlist CSV into feedback_labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from storage.csvfile import read_rows
from storage.models import Candidate, FeedbackLabel
from storage.upsert import upsert

# Graded relevance of each decision: the learned model trains on label >= 1, NDCG uses the grade.
LABELS = {"no": 0.0, "yes": 1.0, "contacted": 1.0, "replied": 2.0, "hired": 3.0}
REQUIRED = ("candidate_id", "decision")
DECISIONS = tuple(LABELS)  # in order of commitment; what --exclude-decided accepts, or "all"
CONTACTED = ("contacted", "replied", "hired")


def latest_decisions(
    session: Session, candidate_ids: Iterable[int] | None = None
) -> dict[int, tuple[str, float]]:
    """Each candidate's latest decision and its label: the newest import wins (a later file
    overrides an earlier one; within one import, the row stored last). Only the given
    candidates when `candidate_ids` is given."""
    stmt = select(FeedbackLabel.candidate_id, FeedbackLabel.decision, FeedbackLabel.label).order_by(
        FeedbackLabel.imported_at, FeedbackLabel.id
    )
    if candidate_ids is None:
        parts = [stmt]
    else:
        ids = list(candidate_ids)
        parts = [
            stmt.where(FeedbackLabel.candidate_id.in_(ids[at : at + 500]))
            for at in range(0, len(ids), 500)
        ]
    out: dict[int, tuple[str, float]] = {}
    for part in parts:
        for cid, decision, label in session.execute(part):
            out[int(cid)] = (str(decision).lower(), float(label))
    return out


def decisions_to_exclude(values: Iterable[str], contacted: bool = False) -> tuple[str, ...]:
    """--exclude-decided values ("no,contacted", repeated, or "all") as decisions, in the
    order of LABELS; `contacted` (the older --exclude-contacted) adds contacted/replied/hired.
    An unknown decision is a ScoutError naming the known ones."""
    wanted = {w.strip().lower() for value in values for w in value.split(",") if w.strip()}
    if "all" in wanted:
        wanted = set(DECISIONS)
    unknown = sorted(wanted - set(DECISIONS))
    if unknown:
        raise ScoutError(
            f"--exclude-decided: unknown decision {', '.join(map(repr, unknown))} "
            f"(use {', '.join(DECISIONS)} or all)"
        )
    if contacted:
        wanted |= set(CONTACTED)
    return tuple(d for d in DECISIONS if d in wanted)


class FeedbackError(ScoutError):
    """A feedback CSV that cannot be read as a whole."""


@dataclass
class ImportReport:
    labels: int = 0
    blank: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    unknown_values: list[tuple[int, str]] = field(default_factory=list)  # (row number, value)
    unknown_candidates: list[tuple[int, str]] = field(default_factory=list)


def import_feedback(session: Session, path: Path, now: datetime | None = None) -> ImportReport:
    """Store each row's decision as a label; re-importing the same file updates its labels.

    Row numbers are the spreadsheet's (the header is row 1). A missing column, a file that is
    not UTF-8 or not CSV at all is one FeedbackError; bad values are reported per row.
    """
    now = now or utcnow()
    report = ImportReport()
    try:
        header, records = read_rows(path)
    except ScoutError as exc:
        raise FeedbackError(exc.message) from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FeedbackError(
            f"{path}: missing column(s) {', '.join(missing)}: import the CSV that "
            "`scout shortlist` wrote, with its header row"
        )
    rows = [
        (number, row.get("candidate_id", "").strip(), row.get("decision", "").strip())
        for number, row in records
    ]
    ids = {int(c) for _, c, _ in rows if c.lstrip("'").isdigit()}
    known = (
        set(session.scalars(select(Candidate.id).where(Candidate.id.in_(ids)))) if ids else set()
    )
    out = []
    for number, raw_id, raw_decision in rows:
        decision = raw_decision.lstrip("'").strip().lower()
        if not decision:
            report.blank += 1
            continue
        if decision not in LABELS:
            report.unknown_values.append((number, raw_decision))
            continue
        cid = raw_id.lstrip("'")
        if not cid.isdigit() or int(cid) not in known:
            report.unknown_candidates.append((number, raw_id))
            continue
        report.decisions[decision] += 1
        out.append(
            {
                "candidate_id": int(cid),
                "decision": decision,
                "label": LABELS[decision],
                "source_file": str(path.resolve()),
                "row_number": number,
                "imported_at": now,
            }
        )
    if out:
        upsert(session, FeedbackLabel, out, ("candidate_id", "source_file"))
    report.labels = len(out)
    return report
