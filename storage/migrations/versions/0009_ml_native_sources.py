"""ML-native sources: Hugging Face Hub items, PyPI packages, contributions to major projects

Issue 19 adds three kinds of evidence none of the other sources carry:
- `hub_items`: the models, datasets and Spaces a Hub account published (downloads, likes,
  library, pipeline tag), children of a `huggingface` profile like a GitHub profile's
  repositories;
- `pypi_packages`: the PyPI projects a `pypi` account has a role on (releases, source
  repository), children of the `pypi` profile;
- `contributions`: a GitHub profile's commits and merged pull requests in a major ML/MLOps
  repository, replaced per repository by the contributors crawl (not part of the profile's
  content hash).

Downgrading drops the three tables.

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _owned(table: str, *columns: sa.Column[object], key: str) -> None:
    """A table of rows owned by a profile, unique on (profile_id, key)."""
    op.create_table(
        table,
        sa.Column("id", _ID, nullable=False),
        sa.Column("profile_id", _ID, nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f(f"fk_{table}_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("profile_id", key, name=op.f(f"uq_{table}_profile_id_{key}")),
    )


def upgrade() -> None:
    _owned(
        "hub_items",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("library", sa.String(length=100), nullable=True),
        sa.Column("pipeline_tag", sa.String(length=100), nullable=True),
        sa.Column("tags", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=True),
        key="name",
    )
    _owned(
        "pypi_packages",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.Column("first_release", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_release", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_repo", sa.String(length=200), nullable=True),
        sa.Column("classifiers", _JSON, nullable=False),
        sa.Column("keywords", _JSON, nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=True),
        key="name",
    )
    _owned(
        "contributions",
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("commits", sa.Integer(), nullable=False),
        sa.Column("merged_prs", sa.Integer(), nullable=False),
        sa.Column("last_merged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        key="repo",
    )
    op.create_index(op.f("ix_contributions_repo"), "contributions", ["repo"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_contributions_repo"), table_name="contributions")
    op.drop_table("contributions")
    op.drop_table("pypi_packages")
    op.drop_table("hub_items")
