"""the satisfaction survey (SKM): service units, answers, and the unit type of a complaint category

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_units",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("opd_code", sa.String(length=40), nullable=True),
        sa.Column("kecamatan_code", sa.String(length=16), nullable=False),
        sa.Column("desa_code", sa.String(length=20), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("served_per_month", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("managed_by", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["desa_code"], ["desa.code"], name=op.f("fk_service_units_desa_code_desa")),
        sa.ForeignKeyConstraint(
            ["kecamatan_code"], ["kecamatan.code"], name=op.f("fk_service_units_kecamatan_code_kecamatan")
        ),
        sa.ForeignKeyConstraint(["opd_code"], ["opd.code"], name=op.f("fk_service_units_opd_code_opd")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_units")),
    )
    with op.batch_alter_table("service_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_units_kecamatan_code"), ["kecamatan_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_units_opd_code"), ["opd_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_units_type"), ["type"], unique=False)
    op.create_table(
        "skm_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        *(sa.Column(f"u{i}", sa.SmallInteger(), nullable=False) for i in range(1, 10)),
        sa.Column("age_band", sa.String(length=16), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("occupation", sa.String(length=16), nullable=True),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["service_units.code"],
            name=op.f("fk_skm_responses_unit_code_service_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skm_responses")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_skm_responses_client_uuid")),
        sa.UniqueConstraint("unit_code", "answered_on", "device_hash", name="uq_skm_responses_device_day"),
    )
    with op.batch_alter_table("skm_responses", schema=None) as batch_op:
        batch_op.create_index("ix_skm_responses_created", ["created_at"], unique=False)
        batch_op.create_index("ix_skm_responses_unit_created", ["unit_code", "created_at"], unique=False)
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_type", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint_categories", schema=None) as batch_op:
        batch_op.drop_column("unit_type")
    op.drop_table("skm_responses")
    op.drop_table("service_units")
