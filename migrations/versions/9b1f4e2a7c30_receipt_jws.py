"""receipt jws: each receipt also signed as an Ed25519 JWS (issue #12)

Receipts recorded before have none (null); they keep their HMAC token.

Revision ID: 9b1f4e2a7c30
Revises: c5f0d21c55dd
Create Date: 2026-12-03 07:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9b1f4e2a7c30"
down_revision = "c5f0d21c55dd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jws", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("jws")
