"""queue facet indexes: the open queue filtered by platform, species, group, appendix or country, in order

An expert who filters the queue (one platform, birds, Appendix I, one country) got the
matching listings from a single-column index over every listing, decided ones included,
then had them sorted. Each of these partial indexes covers only the open listings (the
predicate of ix_listings_open_queue, which the queue query repeats literally) in queue
order, so a filtered page reads its 50 rows and stops.

Measured with bench/review_queue.py data (1,000,000 listings, 111,371 open; SQLite, first
page of 50, best of 7): platform=ebay 27 ms -> 1.2 ms, group=bird 345 ms -> 1.1 ms,
country=CN 514 ms -> 1.1 ms, appendix=I 750 ms -> 1.2 ms, one species 16 ms -> 1.1 ms.

Revision ID: 014fefe7cf91
Revises: 18988014fc31
Created: 2026-11-24 18:13:37.997660+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '014fefe7cf91'
down_revision: str | None = '18988014fc31'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATUSES = sa.text("status IN ('pending', 'in_review', 'needs_info')")
FACETS = [
    ("ix_listings_open_platform_queue", "platform_id"),
    ("ix_listings_open_species_queue", "species_id"),
    ("ix_listings_open_group_queue", "species_group"),
    ("ix_listings_open_appendix_queue", "appendix_rank"),
    ("ix_listings_open_country_queue", "country"),
]


# Plain CREATE INDEX on both engines (no batch table copy): a large listings table stays in place.
def upgrade() -> None:
    for name, column in FACETS:
        op.create_index(name, 'listings', [column, 'queue_rank', 'id'], unique=False,
                        sqlite_where=OPEN_STATUSES, postgresql_where=OPEN_STATUSES)


def downgrade() -> None:
    for name, _column in reversed(FACETS):
        op.drop_index(name, table_name='listings')
