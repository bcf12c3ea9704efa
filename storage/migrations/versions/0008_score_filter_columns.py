"""score filter columns: what a shortlist filters on, as typed columns of `scores`

`scout shortlist --active-since` compared the ISO text of `explanation.last_activity` with the
date typed, and `--skill ml` / `--skill mlops` read the ML counts back out of the `features`
JSON by name. Each score now stores them as columns, written with the score (scoring.rank):
`last_activity` (timestamp, UTC), `ml_activity` and `mlops_activity` (whether the features
declared as ML / MLOps work show any: ML repositories or Stack Overflow answers in ML tags;
MLOps repositories).

Existing rows are filled here from the JSON they hold (the values the shortlist read until
now). A row left NULL is rewritten by the next `scout rank` or `scout shortlist`. Downgrading
drops the columns.

Revision ID: 0008
Revises: 0006
Create Date: 2027-01-27 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The features that counted as ML / MLOps activity when this revision was written
# (scoring/feature_defs.py's `group`); a migration keeps the rules of its day.
_ML = ("ml_repos", "so_ml_answers")
_MLOPS = ("mlops_repos",)
_BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ml_activity", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("mlops_activity", sa.Boolean(), nullable=True))
    _fill(op.get_bind())


def _fill(bind: sa.engine.Connection) -> None:
    scores = sa.table(
        "scores",
        sa.column("id", sa.Integer),
        sa.column("features", sa.JSON),
        sa.column("explanation", sa.JSON),
        sa.column("last_activity", sa.DateTime(timezone=True)),
        sa.column("ml_activity", sa.Boolean),
        sa.column("mlops_activity", sa.Boolean),
    )
    done: Any = 0
    while True:
        rows = bind.execute(
            sa.select(scores.c.id, scores.c.features, scores.c.explanation)
            .where(scores.c.id > done)
            .order_by(scores.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        values = [_columns(row[0], row[1], row[2]) for row in rows]
        bind.execute(
            sa.update(scores)
            .where(scores.c.id == sa.bindparam("row_id"))
            .values(
                last_activity=sa.bindparam("last"),
                ml_activity=sa.bindparam("ml"),
                mlops_activity=sa.bindparam("mlops"),
            ),
            values,
        )
        done = rows[-1][0]


def _columns(row_id: Any, features: Any, explanation: Any) -> dict[str, Any]:
    feats = features if isinstance(features, dict) else {}
    said = explanation if isinstance(explanation, dict) else {}
    last: datetime | None = None
    if isinstance(said.get("last_activity"), str):
        try:
            last = datetime.fromisoformat(said["last_activity"])
        except ValueError:
            last = None
    if last is not None:  # UTC, as the application writes it (SQLite keeps it as naive text)
        last = last.replace(tzinfo=UTC) if last.tzinfo is None else last.astimezone(UTC)
    return {
        "row_id": row_id,
        "last": last,
        "ml": any(float(feats.get(f) or 0) > 0 for f in _ML),
        "mlops": any(float(feats.get(f) or 0) > 0 for f in _MLOPS),
    }


def downgrade() -> None:
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.drop_column("mlops_activity")
        batch_op.drop_column("ml_activity")
        batch_op.drop_column("last_activity")
