"""stats progress: count decisions lazily instead of on every write

Decisions are no longer added to ``daily_stats`` in their own transaction; the
counters catch up from the receipts (see ``consent_server.stats``). Databases made
before this revision counted every receipt on write, so their progress starts now.

Revision ID: 5c3e9a1f0b27
Revises: 721daed5dda7
Create Date: 2026-11-29

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c3e9a1f0b27'
down_revision = '721daed5dda7'
branch_labels = None
depends_on = None


def upgrade():
    progress = op.create_table('stats_progress',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('counted_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stats_progress'))
    )
    # Every receipt stored so far was counted when it was written.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # as models.UTCDateTime stores it
    op.bulk_insert(progress, [{'name': 'daily', 'counted_until': now}])


def downgrade():
    op.drop_table('stats_progress')
