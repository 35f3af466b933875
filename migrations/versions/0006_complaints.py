"""complaints

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:06:14.858356
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_categories',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('opd_code', sa.String(length=40), nullable=True),
    sa.Column('sla_class', sa.String(length=24), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('managed_by', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opd_code'], ['opd.code'], name=op.f('fk_complaint_categories_opd_code_opd')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_complaint_categories'))
    )
    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_open311_keys_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash'))
    )
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('tracking_code', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=120), nullable=True),
    sa.Column('reporter_contact', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('kecamatan_code', sa.String(length=16), nullable=True),
    sa.Column('desa_code', sa.String(length=20), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('privacy', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opd_code', sa.String(length=40), nullable=True),
    sa.Column('sla_class', sa.String(length=24), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_on_time', sa.Boolean(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_code'], ['complaint_categories.code'], name=op.f('fk_complaints_category_code_complaint_categories')),
    sa.ForeignKeyConstraint(['desa_code'], ['desa.code'], name=op.f('fk_complaints_desa_code_desa')),
    sa.ForeignKeyConstraint(['kecamatan_code'], ['kecamatan.code'], name=op.f('fk_complaints_kecamatan_code_kecamatan')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['complaints.id'], name=op.f('fk_complaints_merged_into_id_complaints'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opd_code'], ['opd.code'], name=op.f('fk_complaints_opd_code_opd')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_complaints_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_complaints_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('client_uuid', name=op.f('uq_complaints_client_uuid')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_complaints_tracking_code'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_category_created', ['category_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_complaints_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_complaints_due', ['due_at'], unique=False)
        batch_op.create_index('ix_complaints_kecamatan_created', ['kecamatan_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_complaints_opd_created', ['opd_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_complaints_place', ['category_code', 'lat', 'lon'], unique=False)
        batch_op.create_index('ix_complaints_reporter_created', ['reporter_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_complaints_status_created', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_visit_id'), ['visit_id'], unique=False)

    op.create_table('complaint_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_complaint_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_events_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_events_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_supporters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_supporters_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_complaint_supporters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_supporters')),
    sa.UniqueConstraint('complaint_id', 'user_id', name=op.f('uq_complaint_supporters_complaint_id'))
    )
    with op.batch_alter_table('complaint_supporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_supporters_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_supporters_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_head', sa.Boolean(), server_default=sa.false(), nullable=False))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_head')

    with op.batch_alter_table('complaint_supporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_supporters_user_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_supporters_complaint_id'))

    op.drop_table('complaint_supporters')
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_events_complaint_id'))

    op.drop_table('complaint_events')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_visit_id'))
        batch_op.drop_index('ix_complaints_status_created')
        batch_op.drop_index('ix_complaints_reporter_created')
        batch_op.drop_index('ix_complaints_place')
        batch_op.drop_index('ix_complaints_opd_created')
        batch_op.drop_index('ix_complaints_kecamatan_created')
        batch_op.drop_index('ix_complaints_due')
        batch_op.drop_index('ix_complaints_created')
        batch_op.drop_index('ix_complaints_category_created')

    op.drop_table('complaints')
    op.drop_table('open311_keys')
    op.drop_table('complaint_categories')
    # ### end Alembic commands ###
