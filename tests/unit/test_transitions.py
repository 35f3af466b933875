"""The status tables of findings, complaints, visits and report reviews, read as graphs: every status can be
reached, nothing still owed an answer is a dead end, final states stay final, and each module's diagram says what
its table does."""

from __future__ import annotations

import re

import pytest

from service.domain import complaint_flow, findings, report_review, visits
from service.models import complaints as complaint_model
from service.models import reports as report_model
from service.models import visits as visit_model


def edges_of_moves(table) -> set[tuple[str, str, str | None]]:
    return {(source, action, move.target) for action, move in table.items() for source in move.sources}


def reachable(edges, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        here = todo.pop()
        for source, _, target in edges:
            if source == here and target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def diagram(module) -> set[tuple[str, str, str]]:
    """(source, action, target) of the `a|b -action-> c` arrows in a module's docstring."""
    arrows = re.findall(r"(?<![a-z_|])(?=([a-z_]+(?:\|[a-z_]+)*) -([a-z_]+)-> ([a-z_]+))", module.__doc__)
    return {(source, action, target) for sources, action, target in arrows for source in sources.split("|")}


FINDINGS = edges_of_moves(findings.TRANSITIONS)
COMPLAINTS = edges_of_moves(complaint_flow.TRANSITIONS)
# reroute's target depends on who reroutes (the OPD: back to verified; a coordinator: another OPD, dispatched).
COMPLAINTS_RESOLVED = {e for e in COMPLAINTS if e[2] is not None} | {
    (source, "reroute", target)
    for source in complaint_flow.TRANSITIONS["reroute"].sources
    for target in (complaint_model.VERIFIED, complaint_model.DISPATCHED)
}
VISITS = {(source, action, target) for (source, action), target in visits.TRANSITIONS.items()}
REVIEWS = {(source, "review", target) for source, targets in report_review.REVIEW_MOVES.items() for target in targets}


@pytest.mark.parametrize(
    ("edges", "statuses", "start"),
    [
        (FINDINGS, visit_model.FINDING_STATUSES, visit_model.OPEN),
        (COMPLAINTS_RESOLVED, complaint_model.STATUSES, complaint_model.SUBMITTED),
        (VISITS, visit_model.VISIT_STATUSES, visit_model.PLANNED),
        (REVIEWS, (*report_review.REVIEW_MOVES,), report_model.RECEIVED),
    ],
    ids=["findings", "complaints", "visits", "reviews"],
)
def test_every_status_is_known_and_reachable_from_the_first(edges, statuses, start):
    named = {source for source, _, _ in edges} | {target for _, _, target in edges}
    assert named <= set(statuses), "a move names a status the model does not have"
    assert reachable(edges, start) == set(statuses)


def test_findings_the_opd_owes_can_always_be_finished_and_only_a_verdict_closes_them():
    for status in visit_model.FINDING_OPEN:
        assert (status, "done", visit_model.FINDING_DONE) in FINDINGS
    assert {(s, a) for s, a, _ in FINDINGS if s == visit_model.FINDING_DONE} == {
        (visit_model.FINDING_DONE, "verify"),
        (visit_model.FINDING_DONE, "reopen"),
    }
    assert not [e for e in FINDINGS if e[0] == visit_model.VERIFIED], "verified is final"
    assert (visit_model.REOPENED, "update", visit_model.IN_PROGRESS) in FINDINGS, "a reopened finding is worked again"


def test_open_complaints_are_no_dead_ends_and_closed_ones_only_take_a_rating():
    for status in complaint_model.OPEN_STATUSES:
        assert [e for e in COMPLAINTS if e[0] == status], f"{status} has no way forward"
    for final in (complaint_model.REJECTED, complaint_model.DUPLICATE):
        assert not [e for e in COMPLAINTS if e[0] == final]
    assert {(a, t) for s, a, t in COMPLAINTS if s == complaint_model.CLOSED} == {("rate", complaint_model.CLOSED)}
    # Only what reached a resolution can be reopened, and a reopened complaint goes back to an OPD.
    assert {s for s, a, _ in COMPLAINTS if a == "reopen"} == {complaint_model.RESOLVED}
    assert (complaint_model.REOPENED, "dispatch", complaint_model.DISPATCHED) in COMPLAINTS


def test_done_and_cancelled_visits_are_final_and_a_postponed_visit_can_only_be_cancelled():
    assert not [e for e in VISITS if e[0] in (visit_model.DONE, visit_model.CANCELLED)]
    assert {a for s, a, _ in VISITS if s == visit_model.POSTPONED} == {"cancel"}
    assert {s for s, a, _ in VISITS if a == "complete"} == {visit_model.CONFIRMED}, "only a confirmed visit is done"


def test_a_review_verdict_is_final_and_has_issues_may_be_said_again():
    assert report_review.REVIEW_MOVES[report_model.APPROVED] == frozenset()
    assert report_review.REVIEW_MOVES[report_model.REJECTED] == frozenset()
    assert report_model.HAS_ISSUES in report_review.REVIEW_MOVES[report_model.HAS_ISSUES]


@pytest.mark.parametrize(
    ("module", "edges"), [(findings, FINDINGS), (complaint_flow, COMPLAINTS_RESOLVED)], ids=["findings", "complaints"]
)
def test_the_module_diagram_draws_the_table(module, edges):
    drawn = diagram(module)
    assert drawn <= edges, f"the diagram shows moves the table does not make: {sorted(drawn - edges)}"
    assert {a for _, a, _ in edges} == {a for _, a, _ in drawn}, "an action of the table is missing from the diagram"
