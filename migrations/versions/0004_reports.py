"""reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:11:50.074576
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('kecamatan_code', sa.String(length=16), nullable=False),
    sa.Column('desa_code', sa.String(length=20), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('finding_id', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_reports_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['desa_code'], ['desa.code'], name=op.f('fk_reports_desa_code_desa')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_reports_finding_id_findings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kecamatan_code'], ['kecamatan.code'], name=op.f('fk_reports_kecamatan_code_kecamatan')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_reports_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_reports_client_uuid'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_reports_desa_captured', ['desa_code', 'captured_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index('ix_reports_kecamatan_captured', ['kecamatan_code', 'captured_at', 'id'], unique=False)
        batch_op.create_index('ix_reports_updated', ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_visit_id'))
        batch_op.drop_index('ix_reports_updated')
        batch_op.drop_index('ix_reports_kecamatan_captured')
        batch_op.drop_index(batch_op.f('ix_reports_finding_id'))
        batch_op.drop_index('ix_reports_desa_captured')
        batch_op.drop_index(batch_op.f('ix_reports_author_id'))

    op.drop_table('reports')
