"""visits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:40:55.692429
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('per_month', sa.Integer(), nullable=False),
    sa.Column('min_gap_days', sa.Integer(), nullable=False),
    sa.Column('first_kecamatan_code', sa.String(length=16), nullable=True),
    sa.Column('blackout_dates', sa.JSON(), nullable=False),
    sa.Column('priorities', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_programs_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_kecamatan_code'], ['kecamatan.code'], name=op.f('fk_programs_first_kecamatan_code_kecamatan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('kecamatan_code', sa.String(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('not_before', sa.Date(), nullable=True),
    sa.Column('agenda', sa.JSON(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kecamatan_code'], ['kecamatan.code'], name=op.f('fk_visits_kecamatan_code_kecamatan')),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_visits_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('program_id', 'kecamatan_code', name=op.f('uq_visits_program_id'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_date', ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_kecamatan_code'), ['kecamatan_code'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('kecamatan_code', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('opd_code', sa.String(length=40), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_findings_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kecamatan_code'], ['kecamatan.code'], name=op.f('fk_findings_kecamatan_code_kecamatan')),
    sa.ForeignKeyConstraint(['opd_code'], ['opd.code'], name=op.f('fk_findings_opd_code_opd')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_findings_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_kecamatan_code'), ['kecamatan_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_opd_code'), ['opd_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token'), ['calendar_token'])



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_visit_id'))
        batch_op.drop_index(batch_op.f('ix_findings_opd_code'))
        batch_op.drop_index(batch_op.f('ix_findings_kecamatan_code'))

    op.drop_table('findings')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_kecamatan_code'))
        batch_op.drop_index('ix_visits_date')

    op.drop_table('visits')
    op.drop_table('programs')
