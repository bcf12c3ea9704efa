"""profile gone_at: accounts their source no longer has (deleted or suspended)

`scout refresh github` asks for each profile by account id; a 404 means the account was deleted
or suspended. The profile is marked with the time that was last found (not deleted: its raw
records, shortlists and feedback stay), left out of new rankings and shortlists, and unmarked
when the account is found again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("gone_at")
