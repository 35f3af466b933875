"""The schedule page's reading: a program's visits by month and as a list, what the caller may do, the plan preview."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from service.domain import access, programs, visits
from service.domain.access import Principal
from service.domain.calendar import holiday_name
from service.models import AuditEvent, Kecamatan, Program, User, Visit

HISTORY_LIMIT = 50  # changes shown on the page; the count says how many there are


@dataclass
class Day:
    date: dt.date
    in_month: bool
    visits: list[Visit] = field(default_factory=list)
    blackout: str | None = None  # the reason ("" when none was given); None: not a blackout date
    holiday: str | None = None


@dataclass
class Change:
    """One recorded change of the program or one of its visits: who, when, what and why."""

    at: dt.datetime
    actor: str | None  # None: the system (a command on the server)
    action: str
    kecamatan: str | None  # the visit's kecamatan; None for a change of the program
    why: str
    status: str | None = None  # the visit's new status, when the change set one
    day: dt.date | None = None  # the day it concerns: a visit's new day, a blocked day
    kept_free: bool = False  # a postponement that kept the Bupati's day free


@dataclass
class Schedule:
    programs: list[Program]
    program: Program | None
    visits: list[Visit]  # the program's, as the caller may see them, by date
    month: dt.date  # the first day of the month shown
    weeks: list[list[Day]]
    moves: dict[int, list[str]]  # visit id -> what the caller may do with it now
    can_plan: bool  # create, plan and change programs
    history: list[Change]
    history_count: int
    kecamatan_only: str | None  # an area official sees his kecamatan's visits only
    kecamatan_names: dict[str, str] = field(default_factory=dict)  # code -> name (public reference data)


def schedule(
    session: Session, principal: Principal, today: dt.date, program_id: int | None = None, month: dt.date | None = None
) -> Schedule:
    """The programs in use; one of them (the given one, else the one running today, else the latest) with its visits
    in the caller's view: regency-wide roles every visit, a camat or kepala desa his kecamatan's only, the others
    the public schedule (as the API's list)."""
    access.require(principal, "console.use")
    listed = list(session.scalars(programs.programs_query(principal).order_by(Program.start_date, Program.id)))
    program = _choose(session, principal, listed, program_id, today)
    area = access.home_area(principal)
    if program is None:
        first = (month or today).replace(day=1)
        return Schedule(listed, None, [], first, _weeks(first, [], None), {}, _can_plan(principal), [], 0, None)
    stmt = visits.visits_query(principal, {"program_id": program.id, "archived": True})
    if area is not None:
        stmt = stmt.where(access.scope_filter(principal, kecamatan=Visit.kecamatan_code))
    rows = list(session.scalars(stmt.order_by(Visit.date.is_(None), Visit.date, Visit.kecamatan_code)))
    if month is None:
        month = today if program.start_date <= today <= program.end_date else program.start_date
    first = month.replace(day=1)
    history, count = _history(session, principal, program, rows)
    return Schedule(
        programs=listed,
        program=program,
        visits=rows,
        month=first,
        weeks=_weeks(first, rows, program),
        moves={visit.id: visits.allowed_actions(principal, visit) for visit in rows},
        can_plan=_can_plan(principal),
        history=history,
        history_count=count,
        kecamatan_only=area.kecamatan_code if area else None,
        kecamatan_names=_kecamatan_names(session),
    )


def _can_plan(principal: Principal) -> bool:
    return access.can(principal, "programs.manage")


def _kecamatan_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Kecamatan.code, Kecamatan.name).order_by(Kecamatan.code)).all())


def _choose(session, principal, listed: list[Program], program_id: int | None, today: dt.date) -> Program | None:
    if program_id is not None:
        return programs.get_program(session, principal, program_id)  # an archived one too, when asked by its id
    running = [p for p in listed if p.start_date <= today <= p.end_date]
    if running:
        return running[-1]
    return max(listed, key=lambda p: (p.start_date, p.id), default=None)


def _weeks(first: dt.date, rows: list[Visit], program: Program | None) -> list[list[Day]]:
    """The month's weeks, Monday first, with the days of the neighbouring months that complete them."""
    start = first - dt.timedelta(days=first.weekday())
    following = (first + dt.timedelta(days=32)).replace(day=1)
    end = following + dt.timedelta(days=(7 - following.weekday()) % 7)
    by_day: dict[dt.date, list[Visit]] = {}
    for visit in rows:
        if visit.date:
            by_day.setdefault(visit.date, []).append(visit)
    blackout = program.blackout_reasons if program else {}
    blocked = set(program.blackout_dates) if program else set()
    weeks: list[list[Day]] = []
    day = start
    while day < end:
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(
            Day(
                day,
                day.month == first.month,
                by_day.get(day, []),
                blackout.get(day, "") if day in blocked else None,
                holiday_name(day),
            )
        )
        day += dt.timedelta(days=1)
    return weeks


def visit_history(session: Session, principal: Principal, visit: Visit) -> tuple[list[Change], int]:
    """The newest changes of one visit the caller may see (the caller has it from visits.get_visible_visit)."""
    return _history(session, principal, None, [visit])


def _history(
    session: Session, principal: Principal, program: Program | None, rows: list[Visit]
) -> tuple[list[Change], int]:
    """The newest changes of the visits the caller sees (and of the program itself, for those who manage it)."""
    names = {str(v.id): v.kecamatan_name for v in rows}
    condition = and_(AuditEvent.entity_type == "visit", AuditEvent.entity_id.in_(list(names)))
    if program is not None and _can_plan(principal):
        condition = or_(condition, and_(AuditEvent.entity_type == "program", AuditEvent.entity_id == str(program.id)))
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    if not count:
        return [], 0
    events = session.execute(
        select(AuditEvent, User.display_name, User.username)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(condition)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    changes = [
        Change(
            at=event.at,
            actor=(display or username) if username else None,
            action=event.action,
            kecamatan=names.get(event.entity_id) if event.entity_type == "visit" else None,
            why=str((event.data or {}).get("reason") or (event.data or {}).get("why") or ""),
            **_what(event.action, event.data or {}),
        )
        for event, display, username in events
    ]
    return changes, count


def _what(action: str, data: dict) -> dict:
    """What a change did, from its recorded data (the audit trail keeps dates as ISO strings)."""
    if action == "visit.plan" and isinstance(data.get("to"), list) and len(data["to"]) == 2:
        status, day = data["to"]
        return {"status": status, "day": _date(day)}
    if action == "visit.postpone":
        return {"status": data.get("to"), "kept_free": bool(data.get("block_date"))}
    if action in ("visit.confirm", "visit.complete", "visit.cancel"):
        return {"status": data.get("to")}
    if action == "program.block_day":
        return {"day": _date(data.get("date"))}
    return {}


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- the plan preview


@dataclass
class PreviewRow:
    kecamatan_code: str
    kecamatan_name: str
    date: dt.date | None
    status: str
    rank: int
    score: float
    reason: str  # the planner's (rank, score and where the score comes from)
    kept: bool  # confirmed or done: keeps its day
    was: dt.date | None  # its day before this plan (None: none yet)
    is_new: bool  # no visit yet

    @property
    def moves(self) -> bool:
        return not self.is_new and not self.kept and self.was != self.date


@dataclass
class Preview:
    program: Program
    rows: list[PreviewRow]
    unplaced: list[PreviewRow]
    months: dict[str, int]
    past: int  # planned days before today (a past rotation being recorded)
    solver_status: str


def preview(session: Session, principal: Principal, program_id: int, today: dt.date) -> Preview:
    """What planning the program would do, saving nothing (the API's dry run): each kecamatan's day and why, which
    planned days would move, what does not fit."""
    outcome = visits.plan(session, principal, program_id, today, dry_run=True)
    program = programs.load(session, program_id)
    current = {v.kecamatan_code: v for v in session.scalars(select(Visit).where(Visit.program_id == program.id))}
    rows = []
    for planned in outcome.visits:
        visit = current.get(planned.kecamatan_code)
        rows.append(
            PreviewRow(
                planned.kecamatan_code,
                planned.kecamatan_name,
                planned.date,
                planned.status,
                planned.rank,
                planned.score,
                planned.reason,
                kept=planned.visit_id is not None,  # a dry run names only the visits that keep their day
                was=visit.date if visit else None,
                is_new=visit is None,
            )
        )
    return Preview(
        program=program,
        rows=[r for r in rows if r.date],
        unplaced=[r for r in rows if not r.date],
        months=outcome.months,
        past=sum(1 for r in rows if r.date and r.date < today and not r.kept),
        solver_status=outcome.status,
    )
