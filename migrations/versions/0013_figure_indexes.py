"""figure indexes: findings by recording time, field reports by capture time (the figures of a period)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:00:00.000000
"""

from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_created", ["created_at"], unique=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_captured", ["captured_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_captured")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_created")
