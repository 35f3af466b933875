"""uploads of a complaint's photos (an OPD officer's result photos from the browser)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-11 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_uploads_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_uploads_complaint_id_complaints"), "complaints", ["complaint_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    # Lossy: unfinished uploads of complaints' photos have no place in the older schema.
    op.execute("DELETE FROM uploads WHERE complaint_id IS NOT NULL")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_uploads_complaint_id_complaints"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_uploads_complaint_id"))
        batch_op.drop_column("complaint_id")
