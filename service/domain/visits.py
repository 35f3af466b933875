"""The visit rotation: programs, planning and re-planning, the visit status flow, reminders and announcements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from service.db import utcnow
from service.domain import access, audit, lookup, notifications, outbox, programs
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.domain.shown import Shown
from service.domain.texts import date_params
from service.models import Desa, Finding, Kecamatan, Program, User, Visit
from service.models.visits import CANCELLED, CONFIRMED, DONE, PLANNED, POSTPONED

REMINDER_DAYS = (7, 1)  # H-7 and H-1
REMINDER_TIME = dt.time(8, 0)  # WIB
PUBLIC = (CONFIRMED, DONE)  # the public schedule: what everyone signed in may see

# (status, action) -> new status. Every other move is refused with 409.
TRANSITIONS = {
    (PLANNED, "confirm"): CONFIRMED,
    (PLANNED, "postpone"): POSTPONED,
    (CONFIRMED, "postpone"): POSTPONED,
    (CONFIRMED, "complete"): DONE,
    (PLANNED, "cancel"): CANCELLED,
    (CONFIRMED, "cancel"): CANCELLED,
    (POSTPONED, "cancel"): CANCELLED,
}
# What each action does to a visit, for the 409 text (not built from the verb).
DONE_TO_IT = {"confirm": "confirmed", "postpone": "postponed", "complete": "completed", "cancel": "cancelled"}
PERMISSION_OF_ACTION = {
    "confirm": "visits.confirm",
    "postpone": "visits.manage",
    "complete": "visits.manage",
    "cancel": "visits.manage",
}


# --- planning


@dataclass
class PlannedVisit:
    kecamatan_code: str
    kecamatan_name: str
    date: dt.date | None
    status: str
    score: float
    rank: int
    reason: str
    visit_id: int | None = None


@dataclass
class PlanOutcome:
    program_id: int
    dry_run: bool
    status: str  # the solver's: OPTIMAL or FEASIBLE
    travel_km: float
    inversions: int
    visits: list[PlannedVisit] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    months: dict[str, int] = field(default_factory=dict)  # "2025-04" -> visits that month, fixed ones included
    warnings: list[str] = field(default_factory=list)


def plan(session: Session, principal: Principal, program_id: int, today: dt.date, dry_run: bool = False) -> PlanOutcome:
    """(Re)plan a program for a caller who manages programs (see plan_program)."""
    access.require(principal, "programs.manage")
    return plan_program(session, principal.user_id, program_id, today, dry_run=dry_run)


def plan_program(
    session: Session, actor_id: int | None, program_id: int, today: dt.date, dry_run: bool = False, why: str = ""
) -> PlanOutcome:
    """(Re)plan a program, for callers already authorised (plan, a postponement, the command line): confirmed
    and done visits stay; planned and postponed ones (and kecamatan without a visit yet) get the planner's dates.
    What does not fit before the end date is listed, never dropped."""
    # Imported here, not at the top: OR-Tools adds about 70 MB to every process that loads it, and only planning
    # needs it (the API's and the workers' other paths stay lean).
    from service.domain import planner

    program = programs.load(session, program_id)
    if program.archived:
        raise Conflict("The program is archived; restore it (archived: false) to plan it again.")
    kecamatan = {k.code: k for k in session.scalars(select(Kecamatan))}
    names = {code: k.name for code, k in kecamatan.items()}
    visits = {v.kecamatan_code: v for v in session.scalars(select(Visit).where(Visit.program_id == program.id))}
    scores = programs.challenge_scores(session, program, today, kecamatan)
    started = any(v.status != PLANNED or v.date for v in visits.values())
    # Once a rotation runs, only days from tomorrow on can change; what lies before stays as it is.
    earliest = max(program.start_date, today + dt.timedelta(days=1)) if started else program.start_date
    fixed, free = [], []
    for code, kec in kecamatan.items():
        visit = visits.get(code)
        site = planner.Site(code, kec.lat, kec.lon, scores[code].value, visit.not_before if visit else None)
        if (
            visit is not None
            and visit.date
            and (visit.status in (CONFIRMED, DONE) or (visit.status == PLANNED and visit.date < earliest))
        ):
            fixed.append((site, visit.date))
        elif visit is None or visit.status in (PLANNED, POSTPONED):
            free.append(site)
    first = program.first_kecamatan_code if not any(d for _, d in fixed) else None
    request = planner.PlanRequest(
        sites=tuple(free),
        start=earliest,
        end=program.end_date,
        per_month=program.per_month,
        min_gap_days=program.min_gap_days,
        first_code=first,
        blackout=frozenset(program.blackout_dates),
        fixed=tuple(fixed),
    )
    result = planner.plan(request)
    outcome = PlanOutcome(program.id, dry_run, result.status, result.travel_km, result.inversions)
    for site in sorted(free, key=lambda s: (result.dates.get(s.code) or dt.date.max, s.code)):
        day = result.dates.get(site.code)
        reason = (
            f"rank {result.ranks[site.code]} (score {site.score:g}, {scores[site.code].why})"
            if day
            else f"does not fit between {earliest} and {program.end_date}"
        )
        if site.code == first and day:
            reason = f"pinned first; {reason}"
        planned = PlannedVisit(
            site.code, names[site.code], day, PLANNED if day else POSTPONED, site.score, result.ranks[site.code], reason
        )
        outcome.visits.append(planned)
        if not day:
            outcome.unplaced.append(site.code)
        if not dry_run:
            planned.visit_id = _apply(session, actor_id, program, visits.get(site.code), planned, why, today).id
    for site, day in fixed:
        visit = visits[site.code]
        outcome.visits.append(
            PlannedVisit(
                site.code,
                names[site.code],
                day,
                visit.status,
                site.score,
                result.ranks[site.code],
                visit.reason,
                visit.id,
            )
        )
    outcome.visits.sort(key=lambda v: (v.date or dt.date.max, v.kecamatan_code))
    for planned in outcome.visits:
        if planned.date:
            month = planned.date.strftime("%Y-%m")
            outcome.months[month] = outcome.months.get(month, 0) + 1
    past = [v for v in outcome.visits if v.date and v.date < today and v.status == PLANNED]
    if past:
        outcome.warnings.append(
            f"{len(past)} visit(s) fall before today ({today.isoformat()}): the plan records a past rotation; "
            "nobody is notified or reminded of those."
        )
    if outcome.unplaced:
        outcome.warnings.append(f"{len(outcome.unplaced)} kecamatan do not fit before {program.end_date.isoformat()}.")
    if not dry_run:
        audit.record(
            session,
            actor_id,
            "program.plan",
            "program",
            program.id,
            {"status": result.status, "unplaced": outcome.unplaced, "why": why},
        )
    return outcome


def _apply(session, actor_id, program, visit: Visit | None, planned: PlannedVisit, why: str, today: dt.date) -> Visit:
    """Save one planned visit; tell the kecamatan when its date is new or moved (unless it lies in the past: a
    past rotation being recorded); move its reminders."""
    if visit is None:
        visit = Visit(program_id=program.id, kecamatan_code=planned.kecamatan_code, status=planned.status)
        session.add(visit)
        session.flush()
    before = (visit.status, visit.date)
    visit.score, visit.rank = planned.score, planned.rank
    if before == (planned.status, planned.date):
        return visit
    visit.status, visit.date = planned.status, planned.date
    visit.reason = why or planned.reason
    visit.sequence += 1
    audit.record(
        session,
        actor_id,
        "visit.plan",
        "visit",
        visit.id,
        {
            "from": [before[0], before[1] and before[1].isoformat()],
            "to": [visit.status, visit.date and visit.date.isoformat()],
            "why": visit.reason,
        },
    )
    if visit.date is None or visit.date >= today:
        kind = (
            "visit_planned"
            if before[1] is None and visit.date
            else "visit_moved"
            if visit.date
            else "visit_unscheduled"
        )
        _tell_kecamatan(session, visit, kind, reason=why)
    _schedule_reminders(session, visit)
    return visit


# --- the status flow


def transition(
    session: Session,
    principal: Principal,
    visit_id: int,
    action: str,
    today: dt.date,
    reason: str = "",
    not_before: dt.date | None = None,
    block_date: bool = True,
) -> Visit:
    """Move a visit along its status flow. Postponing frees its day; with `block_date` (the default: the Bupati
    is away that day) the day becomes a blackout date of the program, so re-planning puts nobody else on it."""
    visit = get_visible_visit(session, principal, visit_id)
    access.require(principal, PERMISSION_OF_ACTION[action])
    if not access.covers(principal, kecamatan_code=visit.kecamatan_code):  # a camat: his kecamatan's visit only
        raise Forbidden("Only the camat of this kecamatan may confirm its visit.")
    target = TRANSITIONS.get((visit.status, action))
    if target is None:
        raise Conflict(f"The visit is {visit.status}: it cannot be {DONE_TO_IT[action]}.")
    archived = programs.load(session, visit.program_id).archived
    if archived and action == "confirm":
        raise Conflict("The program is archived: restore it (archived: false) to confirm its visits.")
    if action in ("postpone", "cancel") and not reason.strip():
        raise Invalid("Say why.", {"reason": ["Required to postpone or cancel a visit."]})
    before, old_date = visit.status, visit.date
    visit.status = target
    visit.reason = reason or visit.reason
    change: dict[str, object] = {"from": before, "to": target, "reason": reason}
    if action == "postpone":
        visit.not_before = not_before or (old_date + dt.timedelta(days=1) if old_date else None)
        blocked_day = old_date if block_date else None
        change.update(not_before=visit.not_before and visit.not_before.isoformat(), block_date=blocked_day is not None)
        if blocked_day is not None:
            program = programs.load(session, visit.program_id, lock=True)
            programs.block_day(session, principal.user_id, program, blocked_day, f"{visit.kecamatan_code}: {reason}")
    audit.record(session, principal.user_id, f"visit.{action}", "visit", visit.id, change)
    if action == "confirm":
        kec = lookup.get(session, Kecamatan, visit.kecamatan_code)
        notifications.broadcast(
            session,
            principal.user_id,
            visit.kecamatan_code,
            "visit_confirmed",
            {"kecamatan": kec.name, **date_params(visit.date)},
            {"type": "visit", "id": visit.id},
        )
    if action in ("postpone", "cancel"):
        visit.sequence += 1
        if action == "cancel":
            _tell_kecamatan(session, visit, "visit_cancelled", reason=reason)
            _schedule_reminders(session, visit)
        session.flush()
        # Postponing or cancelling frees a day: the other planned visits (and this postponed one) move; an archived
        # program is not planned again (its restoration is).
        if not archived:
            plan_program(session, principal.user_id, visit.program_id, today, why=f"{visit.kecamatan_code}: {reason}")
    return visit


def allowed_actions(principal: Principal, visit: Visit) -> list[str]:
    """The moves the caller may make on a visit as it is now, for offering them (transition decides again)."""
    if not access.covers(principal, kecamatan_code=visit.kecamatan_code):
        return []
    return [
        action
        for (status, action) in TRANSITIONS
        if status == visit.status and access.can(principal, PERMISSION_OF_ACTION[action])
    ]


# --- removing a program


def remove_program(session: Session, principal: Principal, program_id: int, today: dt.date) -> Program | None:
    """Delete a program that never ran (no confirmed or done visit, no finding): its visits, their reminders and
    pending jobs go with it, and kecamatan whose coming visit had been announced are told it is off. A program with
    history is archived instead (hidden from lists, plans and feeds) and returned; None when deleted."""
    access.require(principal, "programs.manage")
    program = programs.load(session, program_id)
    rows = list(session.scalars(select(Visit).where(Visit.program_id == program.id)))
    ran = any(v.status in (CONFIRMED, DONE) for v in rows) or session.scalar(
        select(Finding.id).join(Visit).where(Visit.program_id == program.id).limit(1)
    )
    if ran:
        if not program.archived:
            program.archived = True
            audit.record(session, principal.user_id, "program.archive", "program", program.id, {"why": "has history"})
        return program
    for visit in rows:
        if visit.status == PLANNED and visit.date and visit.date >= today:
            _tell_kecamatan(session, visit, "visit_cancelled")
        for days in REMINDER_DAYS:
            outbox.cancel(session, _reminder_key(visit.id, days))
    audit.record(
        session,
        principal.user_id,
        "program.delete",
        "program",
        program.id,
        {"name": program.name, "visits": {v.kecamatan_code: v.date and v.date.isoformat() for v in rows}},
    )
    session.delete(program)
    return None


# --- notifications of a visit


def _recipients(session: Session, kecamatan_code: str) -> list[int]:
    return list(
        session.scalars(
            select(User.id).where(
                User.kecamatan_code == kecamatan_code,
                User.role.in_(access.AREA_OFFICIALS),
                User.is_active.is_(True),
            )
        )
    )


def _tell_kecamatan(session: Session, visit: Visit, kind: str, reason: str = "") -> None:
    kec = lookup.get(session, Kecamatan, visit.kecamatan_code)
    params = {
        "kecamatan": kec.name,
        "reason": reason,
        **(date_params(visit.date) if visit.date else {"date": "-", "date_en": "-"}),
    }
    for user_id in _recipients(session, visit.kecamatan_code):
        notifications.notify(session, user_id, kind, params, {"type": "visit", "id": visit.id})


def _reminder_key(visit_id: int, days: int) -> str:
    return f"visits.remind-{visit_id}-{days}"


def _schedule_reminders(session: Session, visit: Visit) -> None:
    """H-7 and H-1 at 08:00 WIB; they move with the visit and vanish when it is cancelled or unscheduled."""
    for days in REMINDER_DAYS:
        key = _reminder_key(visit.id, days)
        if visit.status not in (PLANNED, CONFIRMED) or visit.date is None:
            outbox.cancel(session, key)
            continue
        at = dt.datetime.combine(visit.date - dt.timedelta(days=days), REMINDER_TIME, tzinfo=WIB).astimezone(dt.UTC)
        if at <= utcnow():
            outbox.cancel(session, key)
            continue
        outbox.defer(session, "visits.remind", visit.id, days, key=key, run_at=at)


def remind(session: Session, visit_id: int, days: int) -> None:
    """The reminder job: only for a visit still on, and still that many days ahead."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.status not in (PLANNED, CONFIRMED) or visit.date is None:
        return
    if lookup.get(session, Program, visit.program_id).archived:
        return  # kept: restoring the program brings its reminders back
    kec = lookup.get(session, Kecamatan, visit.kecamatan_code)
    params = {"kecamatan": kec.name, "days": days, **date_params(visit.date)}
    for user_id in _recipients(session, visit.kecamatan_code):
        notifications.notify(session, user_id, "visit_reminder", params, {"type": "visit", "id": visit.id}, urgent=True)


# --- reading, scoped


def visible(principal: Principal) -> Select:
    """Visits the caller may see: everything regency-wide; a camat or kepala desa his kecamatan's visits; and
    everyone signed in the public schedule (confirmed and done visits)."""
    access.require(principal, "visits.read")
    if access.is_regency_wide(principal):
        return select(Visit)
    mine = access.scope_filter(principal, kecamatan=Visit.kecamatan_code)
    return select(Visit).where(or_(mine, Visit.status.in_(PUBLIC)))


def get_visible_visit(session: Session, principal: Principal, visit_id: int) -> Visit:
    visit = session.scalar(visible(principal).where(Visit.id == visit_id))
    if visit is None:
        raise NotFound("Visit not found.")
    return visit


def visits_query(principal: Principal, filters: dict) -> Select:
    stmt = visible(principal)
    if not filters.get("archived"):
        stmt = stmt.where(Visit.program_id.in_(programs.in_use().with_only_columns(Program.id)))
    if filters.get("program_id"):
        stmt = stmt.where(Visit.program_id == filters["program_id"])
    if filters.get("kecamatan_code"):
        stmt = stmt.where(Visit.kecamatan_code == filters["kecamatan_code"])
    if filters.get("status"):
        stmt = stmt.where(Visit.status == filters["status"])
    if filters.get("month"):
        year, month = map(int, filters["month"].split("-"))
        first = dt.date(year, month, 1)
        stmt = stmt.where(Visit.date >= first, Visit.date < (first + dt.timedelta(days=32)).replace(day=1))
    if filters.get("from"):
        stmt = stmt.where(Visit.date >= filters["from"])
    if filters.get("to"):
        stmt = stmt.where(Visit.date <= filters["to"])
    return stmt


def update_agenda(session: Session, principal: Principal, visit_id: int, data: dict) -> Visit:
    """Replace the agenda (facilities and desa to visit) and the day's hours, when given (WIB)."""
    agenda = data["agenda"]
    start, end = data.get("start_time"), data.get("end_time")
    if (start is None) != (end is None) or (start and start >= end):
        raise Invalid("Give both hours, the start before the end.", {"end_time": ["Must follow start_time."]})
    visit = get_visible_visit(session, principal, visit_id)
    access.require(principal, "visits.agenda")
    if not access.covers(principal, kecamatan_code=visit.kecamatan_code):  # a camat: his kecamatan's visit only
        raise Forbidden("Only the camat of this kecamatan may edit its agenda.")
    if visit.status in (DONE, CANCELLED):
        raise Conflict(f"The agenda of a {visit.status} visit is closed.")
    codes = {item["desa_code"] for item in agenda if item.get("desa_code")}
    ours = set(session.scalars(select(Desa.code).where(Desa.kecamatan_code == visit.kecamatan_code)))
    if codes - ours:
        raise Invalid("Desa outside this kecamatan.", {"agenda": [f"Unknown here: {', '.join(sorted(codes - ours))}."]})
    visit.agenda = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()} for item in agenda]
    visit.start_time, visit.end_time = start, end
    visit.sequence += 1
    audit.record(
        session,
        principal.user_id,
        "visit.agenda",
        "visit",
        visit.id,
        {"items": len(agenda), "hours": [start.isoformat(), end.isoformat()] if start and end else None},
    )
    return visit


def visit_detail(session: Session, principal: Principal, visit_id: int) -> Shown:
    """A visit with its history: every change, who made it, when and why (from the audit trail)."""
    visit = get_visible_visit(session, principal, visit_id)
    return Shown(visit, history=audit.history(session, "visit", visit.id))
