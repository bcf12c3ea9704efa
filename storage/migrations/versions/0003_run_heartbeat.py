"""run heartbeat: who runs a crawl and when it last said it was alive

A `running` crawl_runs row whose process died (kill -9, power cut) stays `running` forever
unless something can tell it is gone: the pid and host name of the process that started it,
and a heartbeat renewed while it runs. The next command that reads crawl_runs marks it `lost`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
        batch_op.drop_column("heartbeat_at")
