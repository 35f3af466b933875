"""anonymous "me too" supports: one per complaint and browser (the hash of a random cookie)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_anonymous_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_anonymous_supports_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_anonymous_supports")),
        sa.UniqueConstraint(
            "complaint_id", "browser_hash", name=op.f("uq_complaint_anonymous_supports_complaint_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("complaint_anonymous_supports")
