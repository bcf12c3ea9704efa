"""Read recruiter decisions back from a shortlist (CSV or .xlsx, as saved) into labels."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.clock import utcnow
from config.errors import ScoutError
from storage.models import Candidate, FeedbackLabel
from storage.sheets import read_sheet
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
    """A feedback file that cannot be read as a whole."""


@dataclass
class ImportReport:
    labels: int = 0
    blank: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    unknown_values: list[tuple[int, str]] = field(default_factory=list)  # (row number, value)
    unknown_candidates: list[tuple[int, str]] = field(default_factory=list)
    read_as: str = ""  # how the file was read, e.g. "CSV, semicolon-separated, cp1251 (guessed)"
    encoding: str = ""  # a CSV's encoding
    guessed: bool = False  # ... a Windows code page guessed from the bytes


def normalise_decision(value: str) -> str:
    """A decision as typed ("Yes", " NO ", "ｙｅｓ", "'hired") in the form LABELS uses."""
    return unicodedata.normalize("NFKC", value).lstrip("'").strip().casefold()


def _candidate_id(text: str) -> int | None:
    digits = text.lstrip("'").strip()
    return int(digits) if digits.isascii() and digits.isdigit() else None


def import_feedback(
    session: Session, path: Path, now: datetime | None = None, encoding: str | None = None
) -> ImportReport:
    """Store each row's decision as a label; re-importing the same file updates its labels.

    The file is what a spreadsheet saved (storage.sheets.read_sheet: comma, semicolon or tab,
    any BOM, UTF-8 or a Windows code page, or .xlsx); `encoding` overrides a CSV's guess. Row
    numbers are the spreadsheet's (the header is row 1). A missing column or a file that is no
    spreadsheet is one FeedbackError; bad values are reported per row.
    """
    now = now or utcnow()
    report = ImportReport()
    try:
        sheet = read_sheet(path, REQUIRED, encoding)
    except ScoutError as exc:
        raise FeedbackError(exc.message) from exc
    report.read_as = sheet.describe()
    report.encoding, report.guessed = sheet.encoding, sheet.guessed
    missing = [c for c in REQUIRED if c not in sheet.header]
    if missing:
        found = [c for c in sheet.header if c]
        shown = ", ".join(found[:15]) + (f" and {len(found) - 15} more" if len(found) > 15 else "")
        raise FeedbackError(
            f"{path}: no {' or '.join(missing)} column; read as {sheet.describe()}, the header "
            f"has {shown or 'no names'}: import the file `scout shortlist` wrote, with its "
            "header row"
        )
    rows = [
        (number, row.get("candidate_id", "").strip(), row.get("decision", "").strip())
        for number, row in sheet.rows
    ]
    ids = {i for _, c, _ in rows if (i := _candidate_id(c)) is not None}
    known = (
        set(session.scalars(select(Candidate.id).where(Candidate.id.in_(ids)))) if ids else set()
    )
    out = []
    for number, raw_id, raw_decision in rows:
        decision = normalise_decision(raw_decision)
        if not decision:
            report.blank += 1
            continue
        if decision not in LABELS:
            report.unknown_values.append((number, raw_decision))
            continue
        cid = _candidate_id(raw_id)
        if cid is None or cid not in known:
            report.unknown_candidates.append((number, raw_id))
            continue
        report.decisions[decision] += 1
        out.append(
            {
                "candidate_id": cid,
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
