"""program life cycle: archived programs, reasons for blackout dates and manual scores, a visit's hours

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blackout_reasons", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("priority_reasons", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("end_time", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("end_time")
        batch_op.drop_column("start_time")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("archived")
        batch_op.drop_column("priority_reasons")
        batch_op.drop_column("blackout_reasons")
