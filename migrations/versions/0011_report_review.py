"""report review: a review state per report, its comment thread, withdrawal, dismissed photo flags

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_state", sa.String(length=16), server_default="received", nullable=False))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdraw_reason", sa.Text(), nullable=True))
    op.create_table(
        "report_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("review_state", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_report_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_comments_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_comments")),
    )
    with op.batch_alter_table("report_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_comments_report_id"), ["report_id"], unique=False)
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_flags", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("dismissed_flags")
    with op.batch_alter_table("report_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_comments_report_id"))
    op.drop_table("report_comments")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("withdraw_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("review_state")
