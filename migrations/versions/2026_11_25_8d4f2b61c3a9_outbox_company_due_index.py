"""outbox company index in claim order: each endpoint's first due messages

A claim on PostgreSQL reads, for each company with room, its first few due messages
(a LATERAL subquery per company) instead of the oldest due messages of all companies,
most of which belonged to endpoints with no free place. The index on (company_id, status)
becomes (company_id, status, next_attempt_at, id): every read of the old one still uses
its first two columns, and each company's due messages come in claim order.

Revision ID: 8d4f2b61c3a9
Revises: 5c1e0a7d9b42
Created: 2026-11-25 03:45:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '8d4f2b61c3a9'
down_revision: str | None = '5c1e0a7d9b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_outbox_messages_company_due', 'outbox_messages',
                    ['company_id', 'status', 'next_attempt_at', 'id'], unique=False)
    op.drop_index('ix_outbox_messages_company', table_name='outbox_messages')


def downgrade() -> None:
    op.create_index('ix_outbox_messages_company', 'outbox_messages', ['company_id', 'status'], unique=False)
    op.drop_index('ix_outbox_messages_company_due', table_name='outbox_messages')
