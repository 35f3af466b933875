"""an index on complaints.merged_into_id: deleting a complaint sets its duplicates' link to NULL

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_complaints_merged_into",
        "complaints",
        ["merged_into_id"],
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
        sqlite_where=sa.text("merged_into_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_merged_into", table_name="complaints")
