"""Programs (rotations): creating and changing them, blackout dates with their reasons, challenge scores (computed
from the data, or set by the Bupati's office in JSON or a spreadsheet's CSV) and archiving."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from service.domain import access, audit, reports
from service.domain.access import Principal
from service.domain.calendar import WIB
from service.domain.errors import Invalid, NotFound, TooLarge
from service.models import Complaint, Finding, Kecamatan, Program, Report
from service.models.complaints import OPEN_STATUSES
from service.models.visits import FINDING_OPEN

MAX_PROGRAM_DAYS = 3 * 366
NOT_PROBLEMS = ("persiapan_kunjungan", "tindak_lanjut")  # report categories that do not raise the score
MAX_SCORE = 1000.0
MAX_REASON = 500
MAX_PRIORITY_ROWS = 1000
MAX_CSV_BYTES = 256 * 1024  # 24 lines need a few hundred bytes; a bigger file is a mistake
CSV_COLUMNS = ("kecamatan_code", "score", "reason")


def programs_query(principal: Principal, archived: bool = False) -> Select:
    """Programs in use; `archived=True` lists the archived ones too."""
    access.require(principal, "programs.read")
    return in_use(archived)


def in_use(archived: bool = False) -> Select:
    """Programs in use (and archived ones with `archived`), for queries already scoped for their caller."""
    stmt = select(Program)
    return stmt if archived else stmt.where(Program.archived.is_(False))


def get_program(session: Session, principal: Principal, program_id: int) -> Program:
    """One program, archived ones too, for whoever may read programs."""
    access.require(principal, "programs.read")
    return load(session, program_id)


def load(session: Session, program_id: int, lock: bool = False) -> Program:
    """A program, for callers already authorised; `lock` for a change: its row is locked and read afresh, so two
    changes of its lists (blackout dates from two postponements at once) cannot overwrite each other."""
    program = session.get(Program, program_id, with_for_update=lock, populate_existing=lock)
    if program is None:
        raise NotFound("Program not found.")
    return program


def create_program(session: Session, principal: Principal, data: dict) -> Program:
    access.require(principal, "programs.manage")
    program = Program(
        created_by=principal.user_id,
        blackout_dates=[],
        blackout_reasons={},
        priorities={},
        priority_reasons={},
        archived=False,
    )
    _apply_fields(session, program, data)
    session.add(program)
    session.flush()
    audit.record(session, principal.user_id, "program.create", "program", program.id, _jsonable(data))
    return program


def update_program(session: Session, principal: Principal, program_id: int, changes: dict) -> Program:
    access.require(principal, "programs.manage")
    program = load(session, program_id, lock=True)
    _apply_fields(session, program, changes)
    audit.record(session, principal.user_id, "program.update", "program", program.id, _jsonable(changes))
    return program


def _apply_fields(session: Session, program: Program, data: dict) -> None:
    """Check the whole program as it would be after the change, then change it."""
    start, end = data.get("start_date", program.start_date), data.get("end_date", program.end_date)
    if end < start:
        raise Invalid("The program ends before it starts.", {"end_date": ["Must be on or after start_date."]})
    if (end - start).days > MAX_PROGRAM_DAYS:
        raise Invalid("A rotation spans at most three years.", {"end_date": ["At most 3 years after start_date."]})
    _check_codes(session, {c for c in [data.get("first_kecamatan_code"), *data.get("priorities", {})] if c})
    blackout = set(data.get("blackout_dates", program.blackout_dates))
    reasons = {**program.blackout_reasons, **data.get("blackout_reasons", {})}
    strays = sorted(d.isoformat() for d in data.get("blackout_reasons", {}) if d not in blackout)
    if strays:
        raise Invalid(
            "A reason for a day that is not blocked.",
            {"blackout_reasons": [f"Not in blackout_dates: {', '.join(strays)}."]},
        )
    for name in ("name", "start_date", "end_date", "per_month", "min_gap_days", "first_kecamatan_code", "archived"):
        if name in data:
            setattr(program, name, data[name])
    program.blackout_dates = sorted(blackout)
    program.blackout_reasons = {d: r for d, r in reasons.items() if d in blackout and r}
    if "priorities" in data:  # a partial change: a score sets or replaces one, null removes it (and its reason)
        scores = {**program.priorities, **data["priorities"]}
        program.priorities = {code: score for code, score in scores.items() if score is not None}
        program.priority_reasons = {c: r for c, r in program.priority_reasons.items() if c in program.priorities}


def _check_codes(session: Session, codes: set[str]) -> None:
    known = set(session.scalars(select(Kecamatan.code).where(Kecamatan.code.in_(codes))))
    if codes - known:
        raise Invalid("Unknown kecamatan.", {"kecamatan": [f"Unknown code(s): {', '.join(sorted(codes - known))}."]})


def _jsonable(data: dict) -> dict:
    """A change as the audit trail keeps it (dates as ISO strings)."""

    def plain(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {plain(k): plain(v) for k, v in value.items()}
        return value

    return plain(data)


def block_day(session: Session, actor_id: int | None, program: Program, day: dt.date, reason: str) -> None:
    """Make a day a blackout date of the program (the Bupati is away): re-planning leaves it free."""
    program.blackout_dates = sorted({*program.blackout_dates, day})
    program.blackout_reasons = {**program.blackout_reasons, day: reason}
    audit.record(
        session, actor_id, "program.block_day", "program", program.id, {"date": day.isoformat(), "reason": reason}
    )


# --- manual challenge scores


def set_priorities(
    session: Session, principal: Principal, program_id: int, read_rows: Callable[[], list[dict]]
) -> Program:
    """Replace every manual score of a program with the rows `read_rows` gives ({kecamatan_code, score, reason});
    a kecamatan without a row goes back to its computed score. All rows are checked first: one bad row stores
    nothing, and every bad row is named by its line. The body is read only once the caller may set the scores:
    an outsider hears 403, never what is wrong with his body."""
    access.require(principal, "programs.manage")
    rows = read_rows()
    program = load(session, program_id, lock=True)
    known = set(session.scalars(select(Kecamatan.code)))
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for row in rows:
        line, problems = str(row["line"]), [row["problem"]] if row.get("problem") else []
        code = row["kecamatan_code"]
        if code not in known:
            problems.append(f"Unknown kecamatan code {code!r}.")
        elif code in seen:
            problems.append(f"{code} is already on line {seen[code]}.")
        else:
            seen[code] = row["line"]
        score = row["score"]  # None when unreadable: its problem is already said
        if score is not None and not (math.isfinite(score) and 0 <= score <= MAX_SCORE):
            problems.append(f"The score must be a number from 0 to {MAX_SCORE:g}.")
        if len(row["reason"]) > MAX_REASON:
            problems.append(f"The reason is longer than {MAX_REASON} characters.")
        if any(ord(c) < 32 and c not in "\t\r\n" for c in row["reason"] + code):
            problems.append("A control character in the line.")
        if problems:
            errors[line] = problems
    if errors:
        raise Invalid(f"{len(errors)} line(s) cannot be used; nothing was stored.", {"lines": errors})
    program.priorities = {row["kecamatan_code"]: row["score"] for row in rows}
    program.priority_reasons = {row["kecamatan_code"]: row["reason"] for row in rows if row["reason"]}
    audit.record(
        session,
        principal.user_id,
        "program.priorities",
        "program",
        program.id,
        {"scores": program.priorities, "reasons": program.priority_reasons},
    )
    return program


def parse_priorities_csv(raw: bytes) -> list[dict]:
    """Rows of a CSV as spreadsheets write it: UTF-8 with or without a byte-order mark, comma- or (as Excel does
    where the decimal mark is a comma) semicolon-separated, an optional header row `kecamatan_code,score,reason`.
    With semicolons a score may be written with a decimal comma. Lines are numbered as a text editor shows them."""
    if len(raw) > MAX_CSV_BYTES:
        raise TooLarge(f"A priorities file holds at most {MAX_CSV_BYTES // 1024} KB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Invalid(
            "The file is not UTF-8 text; save it as 'CSV UTF-8'.", {"lines": {str(line): ["Not UTF-8."]}}
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[dict[str, object]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field beyond the csv module's limit, a NUL byte...
            raise Invalid("The file is not a readable CSV.", {"lines": {str(reader.line_num): [str(exc)]}}) from None
        cells = [c.strip() for c in cells]
        number = reader.line_num  # the physical line the record ends on (a quoted field may span lines)
        if not any(cells):
            continue
        if not rows and cells[0].lower() in ("kecamatan_code", "kode", "kode_kecamatan"):
            continue  # the header row
        row = {"line": number, "kecamatan_code": cells[0], "score": None, "reason": ""}
        rows.append(row)
        if len(rows) > MAX_PRIORITY_ROWS:
            raise Invalid(f"At most {MAX_PRIORITY_ROWS} lines.", {"lines": {str(number): ["Too many lines."]}})
        if not 2 <= len(cells) <= 3:
            row["problem"] = "Expected kecamatan_code, score and an optional reason."
            continue
        row["reason"] = cells[2] if len(cells) > 2 else ""
        try:
            row["score"] = float(cells[1].replace(",", ".") if delimiter == ";" else cells[1])
        except ValueError:
            row["problem"] = f"The score {cells[1]!r} is not a number."
    if not rows:
        raise Invalid("The file holds no scores.", {"lines": {"1": ["Expected kecamatan_code,score,reason lines."]}})
    return rows


# --- challenge scores


@dataclass(frozen=True)
class Score:
    value: float
    why: str  # the manual reason, or what the computed score counts


def challenge_scores(session: Session, program: Program, today: dt.date, codes) -> dict[str, Score]:
    """How much a kecamatan needs the Bupati, from what the system holds (higher = earlier):

        score = 2 x open findings + 3 x overdue findings (open past their due date)
              + 1 x field reports of a problem (not visit preparation or follow-up) of the last 90 days
              + 1 x open complaints + 3 x overdue complaints (past their deadline)

    over the kecamatan's findings of every visit. A score set by the Bupati's office in the program's `priorities`
    replaces the computed one, with its reason.
    """
    counts = {
        code: {"open findings": 0, "overdue findings": 0, "reports": 0, "open complaints": 0, "overdue complaints": 0}
        for code in codes
    }
    now = dt.datetime.combine(today, dt.time(), tzinfo=WIB)
    rows = session.execute(select(Finding.kecamatan_code, Finding.due_at).where(Finding.status.in_(FINDING_OPEN))).all()
    for code, due in rows:
        if code in counts:
            counts[code]["open findings"] += 1
            counts[code]["overdue findings"] += due is not None and due < now
    problems = session.execute(
        select(Report.kecamatan_code, func.count())
        .where(
            Report.captured_at >= reports.recent_since(today),
            Report.category.not_in(NOT_PROBLEMS),
            Report.withdrawn_at.is_(None),
        )
        .group_by(Report.kecamatan_code)
    ).all()
    for code, count in problems:
        if code in counts:
            counts[code]["reports"] += count
    complaints = session.execute(
        select(Complaint.kecamatan_code, func.count(), func.sum(case((Complaint.due_at < now, 1), else_=0)))
        .where(Complaint.status.in_(OPEN_STATUSES), Complaint.kecamatan_code.in_(list(counts)))
        .group_by(Complaint.kecamatan_code)
    ).all()
    for code, count, overdue in complaints:
        counts[code]["open complaints"] += count
        counts[code]["overdue complaints"] += overdue or 0
    weights = {"open findings": 2, "overdue findings": 3, "reports": 1, "open complaints": 1, "overdue complaints": 3}
    scores = {}
    for code, counted in counts.items():
        if code in program.priorities:
            reason = program.priority_reasons.get(code, "")
            scores[code] = Score(
                float(program.priorities[code]), f"set by the Bupati's office{': ' + reason if reason else ''}"
            )
            continue
        value = float(sum(weights[name] * n for name, n in counted.items()))
        parts = [f"{n} {name}" for name, n in counted.items() if n]
        scores[code] = Score(value, f"computed from {', '.join(parts)}" if parts else "computed: nothing open")
    return scores
