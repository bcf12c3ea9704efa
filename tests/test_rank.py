"""`scout rank`: scores stored with the columns a shortlist filters on, rewritten only when
their inputs change."""

from __future__ import annotations

import pytest
from shortlist_people import HOSTILE, NOW, people_db
from sqlalchemy import func, select, update

from scoring.rank import rank_all
from scoring.ranking import load_ranking
from storage.db import session_scope
from storage.models import Score


@pytest.fixture
def engine(tmp_path):
    engine = people_db(tmp_path)
    yield engine
    engine.dispose()


def test_rank_is_incremental(engine):
    with session_scope(engine) as s:
        stats = rank_all(s, load_ranking(), now=NOW)
    assert stats.scored == 0 and stats.unchanged == stats.candidates == len(HOSTILE) + 2


def _columns(engine):
    with session_scope(engine) as s:
        stmt = select(
            Score.candidate_id, Score.last_activity, Score.ml_activity, Score.mlops_activity
        )
        return {int(cid): rest for cid, *rest in s.execute(stmt)}


def test_each_score_stores_the_last_activity_and_the_ml_work_a_shortlist_filters_on(engine):
    got = _columns(engine)
    assert got[21] == [NOW, False, False]  # "No Ml": a profile, no ML repository
    assert got[20] == [NOW, True, False]  # pytorch repositories are ML work, not MLOps
    assert all(got[i][1] for i in range(1, len(HOSTILE) + 1))


def test_a_score_stored_before_the_filter_columns_is_rewritten_on_the_next_run(engine):
    want = _columns(engine)
    with session_scope(engine) as s:
        s.execute(update(Score).values(last_activity=None, ml_activity=None, mlops_activity=None))
        stats = rank_all(s, load_ranking(), now=NOW)
        assert s.scalar(select(func.count()).where(Score.ml_activity.is_(None))) == 0
    assert stats.scored == stats.candidates == len(want)
    assert _columns(engine) == want
