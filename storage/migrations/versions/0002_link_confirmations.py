"""link confirmations: links a user made by hand with `scout link`

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "link_confirmations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("profile_a_id", _ID, nullable=False),
        sa.Column("profile_b_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_a_id"],
            ["profiles.id"],
            name=op.f("fk_link_confirmations_profile_a_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_b_id"],
            ["profiles.id"],
            name=op.f("fk_link_confirmations_profile_b_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_confirmations")),
        sa.UniqueConstraint(
            "profile_a_id",
            "profile_b_id",
            name=op.f("uq_link_confirmations_profile_a_id_profile_b_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("link_confirmations")
