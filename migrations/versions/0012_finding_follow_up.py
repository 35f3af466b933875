"""finding follow-up: a timeline of events, the open -> in_progress -> done -> verified workflow with deadlines and
escalation, photos on timeline updates, the OPD's resolution photos on complaints

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:00:00.000000
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

WIB = dt.timezone(dt.timedelta(hours=7))


def upgrade() -> None:
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=24), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("report_ids", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_finding_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_events_finding_id_findings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_events")),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_events_finding_id"), ["finding_id"], unique=False)

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desa_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("sla_class", sa.String(length=24), server_default="lapangan", nullable=False))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("escalated_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("done_on_time", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_findings_escalate", ["escalate_at"], unique=False)
        batch_op.create_index("ix_findings_updated", ["updated_at", "id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_findings_desa_code_desa"), "desa", ["desa_code"], ["code"])

    # Existing findings: "closed" becomes "verified"; open ones get their deadline at the end of their due date.
    # Those already past it start with their ladder climbed: the first sweep must not send every old finding's
    # two escalation notices at once (they were never promised; the overdue lists show them).
    bind = op.get_bind()
    findings = sa.table(
        "findings",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("due_date", sa.Date),
        sa.column("closed_at", sa.DateTime(timezone=True)),
        sa.column("verified_at", sa.DateTime(timezone=True)),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("escalate_at", sa.DateTime(timezone=True)),
        sa.column("escalation_level", sa.Integer),
        sa.column("escalated_due_at", sa.DateTime(timezone=True)),
    )
    bind.execute(
        findings.update()
        .where(findings.c.status == "closed")
        .values(status="verified", verified_at=findings.c.closed_at)
    )
    now = dt.datetime.now(dt.UTC)
    for row in bind.execute(sa.select(findings.c.id, findings.c.due_date).where(findings.c.status != "verified")):
        due = dt.datetime.combine(row.due_date, dt.time(23, 59, 59), tzinfo=WIB).astimezone(dt.UTC)
        late = due < now
        stored = due.replace(tzinfo=None) if bind.dialect.name == "sqlite" else due
        values = {"due_at": stored, "escalate_at": None if late else stored}
        if late:
            values.update(escalation_level=2, escalated_due_at=stored)
        bind.execute(findings.update().where(findings.c.id == row.id).values(**values))
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("closed_at")

    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finding_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_photos_finding_event_id"), ["finding_event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_photos_finding_event_id_finding_events"),
            "finding_events",
            ["finding_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint("one_owner", type_="check")
        batch_op.create_check_constraint(
            "one_owner",
            "(CASE WHEN report_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN complaint_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN finding_event_id IS NULL THEN 0 ELSE 1 END) = 1",
        )

    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finding_event_id", sa.Integer(), nullable=True))
        batch_op.alter_column("report_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_uploads_finding_event_id_finding_events"),
            "finding_events",
            ["finding_event_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    # Lossy: photos and uploads of findings' updates have no place in the older schema.
    op.execute("DELETE FROM uploads WHERE finding_event_id IS NOT NULL")
    op.execute("DELETE FROM photos WHERE finding_event_id IS NOT NULL")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_uploads_finding_event_id_finding_events"), type_="foreignkey")
        batch_op.alter_column("report_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("finding_event_id")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_constraint("one_owner", type_="check")
        batch_op.create_check_constraint("one_owner", "(report_id IS NULL) <> (complaint_id IS NULL)")
        batch_op.drop_constraint(batch_op.f("fk_photos_finding_event_id_finding_events"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photos_finding_event_id"))
        batch_op.drop_column("resolution")
        batch_op.drop_column("finding_event_id")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    findings = sa.table(
        "findings",
        sa.column("status", sa.String),
        sa.column("closed_at", sa.DateTime(timezone=True)),
        sa.column("verified_at", sa.DateTime(timezone=True)),
    )
    bind.execute(
        findings.update()
        .where(findings.c.status.in_(("done", "verified")))
        .values(status="closed", closed_at=findings.c.verified_at)
    )
    bind.execute(findings.update().where(findings.c.status == "reopened").values(status="in_progress"))
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_findings_desa_code_desa"), type_="foreignkey")
        batch_op.drop_index("ix_findings_updated")
        batch_op.drop_index("ix_findings_escalate")
        for name in ("verified_at", "done_on_time", "done_at", "progress", "escalated_due_at", "escalation_level",
                     "escalate_at", "due_at", "sla_class", "lon", "lat", "desa_code"):  # fmt: skip
            batch_op.drop_column(name)
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_events_finding_id"))
    op.drop_table("finding_events")
