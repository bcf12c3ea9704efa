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


def test_ml_native_evidence_outranks_an_equal_candidate_and_is_named(tmp_path):
    from ml_native_people import BASE, CONTRIB, HUB, MODEL, PACKAGE, PROJECT, PYPI, store_people

    from storage.db import open_database

    engine = open_database(f"sqlite:///{tmp_path / 'ml.db'}")
    with session_scope(engine) as s:
        store_people(s)
        rank_all(s, load_ranking(), now=NOW)
        got = {
            int(c): (sc, e)
            for c, sc, e in s.execute(select(Score.candidate_id, Score.score, Score.explanation))
        }
        ml = dict(s.execute(select(Score.candidate_id, Score.mlops_activity)).all())
    engine.dispose()
    for cid in (HUB, PYPI, CONTRIB):
        assert got[cid][0] > got[BASE][0], cid
    assert f"published model {MODEL} (text-generation, 12,400 downloads)" in got[HUB][1]["text"]
    assert f"1 ML package maintained on PyPI: {PACKAGE}" in got[PYPI][1]["text"]
    assert f"14 merged PRs in major MLOps projects: {PROJECT} (14)" in got[CONTRIB][1]["text"]
    assert "Hub" not in got[BASE][1]["text"] and "someone/blog" not in got[BASE][1]["text"]
    assert ml[CONTRIB] and not ml[BASE]  # merged MLflow work is MLOps activity (--skill mlops)
