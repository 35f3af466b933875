"""Canned answers (jawaban siap pakai): ready-made notes for the complaint workflow, kept by the coordinators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit
from service.domain.access import Principal
from service.domain.errors import Invalid, NotFound
from service.models import CannedAnswer
from service.models.complaints import CANNED_USES

TITLE_MAX = 120
BODY_MAX = 2000  # as a reason or note of the workflow, which the answer fills


def answers(session: Session, principal: Principal) -> list[CannedAnswer]:
    """The active answers, by title: what the workflow's forms offer."""
    access.require(principal, "canned_answers.read")
    return list(session.scalars(_by_title().where(CannedAnswer.active.is_(True))))


def kept(session: Session, principal: Principal) -> list[CannedAnswer]:
    """Every answer, the inactive ones too, for who keeps them (to edit, deactivate, bring back)."""
    access.require(principal, "canned_answers.manage")
    return list(session.scalars(_by_title()))


def _by_title():
    return select(CannedAnswer).order_by(CannedAnswer.title, CannedAnswer.id)


def for_use(session: Session, principal: Principal, use: str) -> list[CannedAnswer]:
    """The active answers that suit a step of the workflow (those for no step in particular suit every step)."""
    return [answer for answer in answers(session, principal) if answer.use in (None, use)]


def _clean(data: dict) -> dict:
    """title and body required and not too long, use one of CANNED_USES or none (422 with each field's problem)."""
    title, body, use = (data.get("title") or "").strip(), (data.get("body") or "").strip(), data.get("use") or None
    errors = {}
    if not 1 <= len(title) <= TITLE_MAX:
        errors["title"] = [f"1 to {TITLE_MAX} characters."]
    if not 1 <= len(body) <= BODY_MAX:
        errors["body"] = [f"1 to {BODY_MAX} characters."]
    if use is not None and use not in CANNED_USES:
        errors["use"] = [f"One of {', '.join(CANNED_USES)}, or none."]
    if errors:
        raise Invalid("Invalid canned answer.", errors)
    return {"title": title, "body": body, "use": use}


def get(session: Session, principal: Principal, answer_id: int) -> CannedAnswer:
    access.require(principal, "canned_answers.manage")
    answer = session.get(CannedAnswer, answer_id)
    if answer is None:
        raise NotFound("Canned answer not found.")
    return answer


def create(session: Session, principal: Principal, data: dict) -> CannedAnswer:
    access.require(principal, "canned_answers.manage")
    values = _clean(data)
    now = utcnow()
    answer = CannedAnswer(
        **values,
        active=True,
        created_by=principal.user_id,
        updated_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(answer)
    session.flush()
    audit.record(session, principal.user_id, "canned_answer.create", "canned_answer", answer.id, values)
    return answer


def update(session: Session, principal: Principal, answer_id: int, data: dict) -> CannedAnswer:
    """Change its title, body and use."""
    answer = get(session, principal, answer_id)
    values = _clean(data)
    changes = {key: value for key, value in values.items() if getattr(answer, key) != value}
    _apply(session, principal, answer, changes, "canned_answer.update")
    return answer


def set_active(session: Session, principal: Principal, answer_id: int, active: bool) -> CannedAnswer:
    """Deactivate an answer nobody should use any more (it stays, for the record), or bring it back."""
    answer = get(session, principal, answer_id)
    if answer.active != active:
        _apply(
            session,
            principal,
            answer,
            {"active": active},
            "canned_answer.activate" if active else "canned_answer.deactivate",
        )
    return answer


def _apply(session: Session, principal: Principal, answer: CannedAnswer, changes: dict, action: str) -> None:
    if not changes:
        return
    for key, value in changes.items():
        setattr(answer, key, value)
    answer.updated_by, answer.updated_at = principal.user_id, utcnow()
    audit.record(session, principal.user_id, action, "canned_answer", answer.id, changes)
