"""The moves a page offers on a visit (visits.allowed_actions) are the ones `transition` would accept from that caller:
the status table, the permission of each action, and a camat's own kecamatan."""

from __future__ import annotations

import pytest

from service.domain import access, visits
from service.models import Visit
from service.models.visits import CANCELLED, CONFIRMED, DONE, PLANNED, POSTPONED, VISIT_STATUSES

SUMBER, KRAKSAAN = "35.13.02", "35.13.14"
OFFICE = access.Principal(role=access.BUPATI_OFFICE, user_id=1)
CAMAT = access.Principal(role=access.CAMAT, user_id=2, kecamatan_code=SUMBER)
COORDINATOR = access.Principal(role=access.COORDINATOR, user_id=3)


def visit(status: str, code: str = SUMBER) -> Visit:
    return Visit(status=status, kecamatan_code=code)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (PLANNED, ["confirm", "postpone", "cancel"]),
        (CONFIRMED, ["postpone", "complete", "cancel"]),
        (POSTPONED, ["cancel"]),
        (DONE, []),
        (CANCELLED, []),
    ],
)
def test_the_office_may_make_every_move_of_the_table(status, expected):
    assert visits.allowed_actions(OFFICE, visit(status)) == expected


def test_a_camat_may_confirm_his_own_kecamatans_planned_visit_only():
    assert visits.allowed_actions(CAMAT, visit(PLANNED)) == ["confirm"]
    assert visits.allowed_actions(CAMAT, visit(PLANNED, KRAKSAAN)) == []
    assert visits.allowed_actions(CAMAT, visit(CONFIRMED)) == []


@pytest.mark.parametrize("status", VISIT_STATUSES)
@pytest.mark.parametrize("principal", [OFFICE, CAMAT, COORDINATOR, access.NOBODY], ids=lambda p: p.role)
def test_only_moves_of_the_table_are_offered(principal, status):
    offered = visits.allowed_actions(principal, visit(status))
    assert all((status, action) in visits.TRANSITIONS for action in offered)
    if principal in (COORDINATOR, access.NOBODY):
        assert offered == []
