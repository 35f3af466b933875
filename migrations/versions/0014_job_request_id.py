"""job intents remember the request that deferred them (its id is on the job's log lines)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_intents", schema=None) as batch_op:
        batch_op.drop_column("request_id")
