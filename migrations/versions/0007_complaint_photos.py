"""complaint photos

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:12:55.174992
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.alter_column('report_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_photos_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_photos_complaint_id_complaints'), 'complaints', ['complaint_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint('one_owner', '(report_id IS NULL) <> (complaint_id IS NULL)')

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint('one_owner', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_photos_complaint_id_complaints'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_photos_complaint_id'))
        batch_op.alter_column('report_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('complaint_id')

    # ### end Alembic commands ###
