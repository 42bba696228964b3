"""outbox due index in claim order: (status, next_attempt_at, id)

The dispatcher claims the due messages in order (next_attempt_at, then id). With the index
on (status, next_attempt_at) alone, SQLite and PostgreSQL read every due message, joined
them with their companies and sorted them all to keep the first few: a claim cost grew with
the backlog (6 ms with 1,700 due messages on SQLite). With the id in the index, a claim
reads the due messages in order and stops when it has enough.

Revision ID: e070e7e46ea2
Revises: 014fefe7cf91
Created: 2026-11-24 20:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'e070e7e46ea2'
down_revision: str | None = '014fefe7cf91'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_messages_due', table_name='outbox_messages')
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at'], unique=False)
