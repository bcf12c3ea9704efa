"""Labels that speak for everyone: random samples to label, and a check that labels are not
all taken from the top of a shortlist.

A recruiter labels the shortlist in front of them, so labels usually come from the top of the
ranking. Cross-validated on such labels, every ranker looks good (the held-out folds hold only
candidates the prior already liked) and nothing shows whom the ranking misses. A random sample
of candidates, labelled too, is what makes `scout model evaluate` say something about everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.heuristic import heuristic_from
from scoring.ranking import RankingConfig
from storage.models import FeedbackLabel

TOP_SHARE = 0.10  # the heuristic's top tenth of all candidates...
BIASED_SHARE = 0.80  # ...holding this share of the labels means they came from the top
MAX_COVERAGE = 0.25  # labels on a quarter of all candidates are a sample in themselves
SAMPLE_HINT = (
    "label a random sample too: `scout shortlist --sample 100 -o sample.csv`, fill its "
    "decision column, then `scout feedback import sample.csv`"
)

T = TypeVar("T")


@dataclass(frozen=True)
class LabelBias:
    """How many labelled candidates sit in the heuristic's top `top` share of all candidates."""

    labelled: int
    in_top: int
    candidates: int
    top: float

    def message(self) -> str:
        share = self.in_top / self.labelled
        return (
            f"{self.in_top} of {self.labelled} labelled candidates ({share:.0%})"
            f" are in the heuristic's top {self.top:.0%} of all {self.candidates:,} candidates, "
            f"where a random sample would hold about {self.top:.0%}: labels taken from the top "
            "of a shortlist flatter every ranker and cannot show whom the ranking misses; "
            f"{SAMPLE_HINT}."
        )


def label_bias(X: pd.DataFrame, labelled: Any, config: RankingConfig) -> LabelBias | None:
    """The bias of labels on candidates `labelled` (ids in X's index), or None when they look
    like a fair sample (or cover so many candidates that the question does not arise).

    The top share widens with the labels (200 labels of 1,000 candidates are judged against
    the top 40%), so a random sample is never flagged for being large.
    """
    ids = pd.Index(labelled).intersection(X.index)
    n, labels = len(X), len(ids)
    if labels == 0 or labels > MAX_COVERAGE * n:
        return None
    top = max(TOP_SHARE, 2 * labels / n)
    prior = pd.Series(heuristic_from(config).score_samples(X[list(config.features)]), index=X.index)
    # method="max": candidates tied at the edge of the top share count as outside it.
    rank = prior.rank(ascending=False, method="max")
    in_top = int((rank.loc[ids] <= top * n).sum())
    if in_top < BIASED_SHARE * labels:
        return None
    return LabelBias(labels, in_top, n, top)


def labelled_ids(session: Session) -> set[int]:
    return set(session.scalars(select(FeedbackLabel.candidate_id).distinct()))


def random_sample(
    session: Session, picked: list[tuple[int, T, Any]], n: int, seed: int | None = None
) -> list[tuple[int, T, Any]]:
    """`n` of the `picked` candidates at random, none already labelled, in random order (so a
    recruiter who labels from the top and stops anywhere still labels a random sample)."""
    done = labelled_ids(session)
    pool = [row for row in picked if row[0] not in done]
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(pool))[: min(n, len(pool))]
    return [pool[i] for i in chosen]
