"""transparency log: tiles of hashes, receipt ids and salts; signed tree heads
(issue #12)

Nothing in the receipts table changes: existing receipts are not in the log yet,
and the first `consent log seal` appends them. Erasures get their log index.

Revision ID: 1defacdbeef2
Revises: 9b1f4e2a7c30
Create Date: 2026-12-03 07:52:21.451588

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1defacdbeef2'
down_revision = '9b1f4e2a7c30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('log_heads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_heads')),
    sa.UniqueConstraint('tree_size', name=op.f('uq_log_heads_tree_size'))
    )
    with op.batch_alter_table('log_heads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_heads_created_at'), ['created_at'], unique=False)

    op.create_table('log_id_tiles',
    sa.Column('index', sa.BigInteger(), nullable=False),
    sa.Column('receipt_ids', sa.LargeBinary(), nullable=False),
    sa.Column('first_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('index', name=op.f('pk_log_id_tiles'))
    )
    with op.batch_alter_table('log_id_tiles', schema=None) as batch_op:
        batch_op.create_index('ix_log_id_tiles_span', ['last_created_at', 'first_created_at'], unique=False)

    op.create_table('log_salt_tiles',
    sa.Column('index', sa.BigInteger(), nullable=False),
    sa.Column('salts', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('index', name=op.f('pk_log_salt_tiles'))
    )
    op.create_table('log_tiles',
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('index', sa.BigInteger(), nullable=False),
    sa.Column('hashes', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_log_tiles'))
    )
    op.create_table('log_erased_leaves',
    sa.Column('log_index', sa.BigInteger(), nullable=False),
    sa.Column('erasure_id', sa.Integer(), nullable=False),
    sa.Column('salted', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['erasure_id'], ['erasures.id'], name=op.f('fk_log_erased_leaves_erasure_id_erasures')),
    sa.PrimaryKeyConstraint('log_index', name=op.f('pk_log_erased_leaves'))
    )
    with op.batch_alter_table('log_erased_leaves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_erased_leaves_erasure_id'), ['erasure_id'], unique=False)

    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('log_index', sa.BigInteger(), nullable=True))



def downgrade():
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_column('log_index')

    with op.batch_alter_table('log_erased_leaves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_erased_leaves_erasure_id'))

    op.drop_table('log_erased_leaves')
    op.drop_table('log_tiles')
    op.drop_table('log_salt_tiles')
    with op.batch_alter_table('log_id_tiles', schema=None) as batch_op:
        batch_op.drop_index('ix_log_id_tiles_span')

    op.drop_table('log_id_tiles')
    with op.batch_alter_table('log_heads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_heads_created_at'))

    op.drop_table('log_heads')
