"""A small sandbox world in a database, copied per test, with recruiter decisions simulated from
its hidden truth (tests of the learned model, its explanations and its commands)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from helpers import shared_world

from sandbox.truth_db import world_to_db
from scoring.feedback import LABELS
from storage.db import open_database, session_scope
from storage.models import FeedbackLabel

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ENGINEER = 2  # hidden ml_depth + mlops_depth from which the simulated recruiter says "yes"


def build_world(folder: Path, seed: int = 3, people: int = 400) -> tuple[Path, dict[int, int]]:
    """A database file holding a sandbox world; returns it and each candidate's relevance."""
    path = folder / "world.db"
    engine = open_database(f"sqlite:///{path}")
    with session_scope(engine) as s:
        truth = world_to_db(s, shared_world(seed, people))
    engine.dispose()
    return path, truth


def copy_world(world: Path, folder: Path) -> str:
    """A fresh copy of the world database for one test; its URL."""
    path = folder / "copy.db"
    shutil.copy(world, path)
    return f"sqlite:///{path}"


def decide(truth: dict[int, int], ids: Iterable[int], only_yes: bool = False) -> dict[int, str]:
    """The simulated recruiter's decisions: yes for an ML engineer, else no (or left blank)."""
    out = {}
    for cid in ids:
        if truth[cid] >= ENGINEER:
            out[cid] = "yes"
        elif not only_yes:
            out[cid] = "no"
    return out


def store_labels(url: str, decisions: dict[int, str], source: str = "labels.csv") -> None:
    """Store decisions as `scout feedback import` would."""
    engine = open_database(url)
    with session_scope(engine) as s:
        s.add_all(
            FeedbackLabel(
                candidate_id=cid,
                decision=d,
                label=LABELS[d],
                source_file=source,
                row_number=i + 2,
                imported_at=NOW,
            )
            for i, (cid, d) in enumerate(decisions.items())
        )
    engine.dispose()
