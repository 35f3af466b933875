"""complaint filer and escalation time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:31:30.696305
"""

from alembic import op
import sqlalchemy as sa

from service.db import UTCDateTime
from service.domain.calendar import deadline


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaints_escalate_at'), ['escalate_at'], unique=False)
        batch_op.create_index('ix_complaints_opd_status_created', ['opd_code', 'status', 'created_at', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaints_filed_by_id_users'), 'users', ['filed_by_id'], ['id'], ondelete='SET NULL')

    # Who filed is who was recorded as the reporter so far; staff filed for citizens, so they are not reporters.
    op.execute("UPDATE complaints SET filed_by_id = reporter_id")
    op.execute(
        "UPDATE complaints SET reporter_id = NULL "
        "WHERE reporter_id IN (SELECT id FROM users WHERE role <> 'resident')"
    )
    # The next escalation step: at the deadline (step 1), or a working day after it (step 2).
    op.execute("UPDATE complaints SET escalate_at = due_at WHERE escalation_level = 0 AND due_at IS NOT NULL")
    connection = op.get_bind()
    complaints = sa.table("complaints", sa.column("id"), sa.column("due_at", UTCDateTime()),
                          sa.column("escalation_level"), sa.column("escalate_at", UTCDateTime()))
    rows = connection.execute(
        sa.select(complaints.c.id, complaints.c.due_at).where(
            complaints.c.escalation_level == 1, complaints.c.due_at.is_not(None)
        )
    ).all()
    for complaint_id, due_at in rows:
        connection.execute(
            complaints.update().where(complaints.c.id == complaint_id).values(escalate_at=deadline(due_at, 1))
        )
    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_filed_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_complaints_opd_status_created')
        batch_op.drop_index(batch_op.f('ix_complaints_escalate_at'))
        batch_op.drop_column('escalate_at')
        batch_op.drop_column('filed_by_id')

    # ### end Alembic commands ###
