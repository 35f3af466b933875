"""Recording state changes in the audit trail (same transaction as the change)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent


def record(
    session: Session, actor_id: int | None, action: str, entity_type: str, entity_id, data: dict | None = None
) -> None:
    session.add(
        AuditEvent(actor_id=actor_id, action=action, entity_type=entity_type, entity_id=str(entity_id), data=data or {})
    )


def history(session: Session, entity_type: str, entity_id) -> list[AuditEvent]:
    """Every recorded change of one thing, oldest first: who, when, what."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
