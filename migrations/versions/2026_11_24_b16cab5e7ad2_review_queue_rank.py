"""review queue rank: a stored, indexed sort key for the expert queue

Listings gain `queue_rank` (priority with age, see app.models.listings.queue_rank). The
queue reads it through two indexes: a partial one over the open listings (pending,
in review, needs info) in queue order, and (status, queue_rank, id) for any one status.
They replace ix_listings_queue, whose ascending priority could not serve the queue's
"highest priority first, then oldest" order.

Revision ID: b16cab5e7ad2
Revises: a4991fcb90cb
Created: 2026-11-24 17:03:45.343385+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.types import UTCDateTime

revision: str = 'b16cab5e7ad2'
down_revision: str | None = 'a4991fcb90cb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATUSES = sa.text("status IN ('pending', 'in_review', 'needs_info')")
AGE_SECONDS_PER_POINT = 86_400


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_rank', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.drop_index(batch_op.f('ix_listings_queue'))
        batch_op.create_index('ix_listings_open_queue', ['queue_rank', 'id'], unique=False,
                              sqlite_where=OPEN_STATUSES, postgresql_where=OPEN_STATUSES)
        batch_op.create_index('ix_listings_status_queue', ['status', 'queue_rank', 'id'], unique=False)
    _rank_existing_listings()
    # The default only served the rows above: from now on a listing written without a rank is an error.
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.alter_column('queue_rank', server_default=None)


def _rank_existing_listings() -> None:
    # The formula of app.models.listings.queue_rank, in Python so that it reads alike on both engines.
    listings = sa.table(
        'listings',
        sa.column('id', sa.Integer()),
        sa.column('priority', sa.Integer()),
        sa.column('first_reported_at', UTCDateTime()),
        sa.column('queue_rank', sa.BigInteger()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(listings.c.id, listings.c.priority, listings.c.first_reported_at)).all()
    for listing_id, priority, first_reported_at in rows:
        rank = int(first_reported_at.timestamp()) - (priority or 0) * AGE_SECONDS_PER_POINT
        connection.execute(sa.update(listings).where(listings.c.id == listing_id).values(queue_rank=rank))


def downgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_status_queue')
        batch_op.drop_index('ix_listings_open_queue', sqlite_where=OPEN_STATUSES, postgresql_where=OPEN_STATUSES)
        batch_op.create_index(batch_op.f('ix_listings_queue'), ['status', 'priority', 'first_reported_at', 'id'],
                              unique=False)
        batch_op.drop_column('queue_rank')
