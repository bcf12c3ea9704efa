"""location city: the city and first-level subdivision of a resolved location, as columns

Identity linking compares the cities of two profiles. It used to read the city back out of
the English reason the resolver writes ("city 'Kyiv' (pop. 2.8M) in Ukraine"), which missed
"L'Aquila, Italy" and "Ukraine, Kyiv". `locations` (the resolver's cache) and
`profile_locations` now store `city` (the gazetteer's name) and `admin1` (its geonames
first-level subdivision code) beside the country.

Rows from before are left NULL: the resolver version was raised with this release, so the
next `scout enrich` resolves every stored location again and fills them. Downgrading drops
the columns.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("locations", "profile_locations")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("city", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("admin1", sa.String(length=20), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("admin1")
            batch_op.drop_column("city")
