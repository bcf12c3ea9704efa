"""profile site: the Stack Exchange site of each stackoverflow profile

Every Stack Exchange site numbers its users from 1, so two sites crawled into one database
overwrote each other's users. Profiles now carry their site (`profiles.site`), and a user of a
site other than stackoverflow has the external id "site:id" (config.sites), so the key
(source, external_id) stays unique and everything keyed by it before (suppression hashes,
identity links, references, raw-record keys) keeps meaning Stack Overflow.

Existing stackoverflow profiles move to site `stackoverflow`, except a profile whose stored
link is another site's user page (crawled with SCOUT_STACKEXCHANGE_SITE before this release):
it moves to that site and its namespaced id, and the next crawl of stackoverflow finds the
user it may have overwritten again. Downgrading drops the column and leaves namespaced ids as
they are (still unique).

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from config.sites import DEFAULT_SITE, user_key, user_of_url

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

profiles = sa.table(
    "profiles",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("external_id", sa.String),
    sa.column("profile_url", sa.String),
    sa.column("site", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_profiles_source_site", ["source", "site"], unique=False)
    so = profiles.c.source == "stackoverflow"
    op.execute(profiles.update().where(so).values(site=DEFAULT_SITE))
    conn = op.get_bind()
    elsewhere = conn.execute(
        sa.select(profiles.c.id, profiles.c.external_id, profiles.c.profile_url).where(
            so,
            profiles.c.profile_url.is_not(None),
            profiles.c.profile_url.not_like("https://stackoverflow.com/%"),
            profiles.c.external_id.not_like("%:%"),
        )
    ).all()
    for pid, external_id, url in elsewhere:
        found = user_of_url(str(url))
        if found is None or found[0] == DEFAULT_SITE or str(found[1]) != external_id:
            continue
        site = found[0]
        conn.execute(
            profiles.update()
            .where(profiles.c.id == pid)
            .values(site=site, external_id=user_key(site, external_id))
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_profiles_source_site")
        batch_op.drop_column("site")
