"""SLA classes, the state of a deadline (on time, due soon, overdue) and the reset of the escalation ladder."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from service.domain.calendar import WIB
from service.domain.deadlines import class_days, set_deadline, sla_state
from service.settings import Settings


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def test_sla_days_of_a_class_come_from_the_settings_and_a_partial_setting_keeps_the_rest():
    settings = Settings.from_env({"SECRET_KEY": "k" * 40, "SLA_DAYS": "lapangan=30"})
    assert class_days(settings, "lapangan") == 30
    assert class_days(settings, "informasi") == class_days(Settings(), "informasi")
    with pytest.raises(KeyError):
        class_days(settings, "tidak_ada")


@pytest.mark.parametrize(
    ("now", "due", "state"),
    [
        (wib(2025, 1, 6, 9), wib(2025, 1, 6, 23, 59, 59), "due_soon"),  # due today
        (wib(2025, 1, 6, 9), wib(2025, 1, 7, 23, 59, 59), "due_soon"),  # the next working day
        (wib(2025, 1, 6, 9), wib(2025, 1, 8, 23, 59, 59), "on_time"),
        (wib(2025, 1, 10, 9), wib(2025, 1, 13, 23, 59, 59), "due_soon"),  # Friday: Monday is the next working day
        (wib(2025, 3, 27, 9), wib(2025, 4, 8, 23, 59, 59), "due_soon"),  # the Lebaran break counts for nothing
        (wib(2025, 1, 8, 0, 0, 0), wib(2025, 1, 7, 23, 59, 59), "overdue"),  # a second late
    ],
)
def test_the_state_of_an_open_deadline(now, due, state):
    assert sla_state(due.astimezone(dt.UTC), None, now.astimezone(dt.UTC)) == state


def test_a_finished_item_keeps_whether_it_finished_in_time():
    now = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
    assert sla_state(None, False, now) == "overdue"
    assert sla_state(None, True, now) == "on_time"
    assert sla_state(None, None, now) == "on_time"  # never had a deadline


def test_a_new_deadline_starts_a_new_escalation_ladder():
    item = SimpleNamespace(due_at=None, escalate_at=None, escalation_level=2, escalated_due_at=wib(2025, 1, 1))
    due = wib(2025, 2, 3, 23, 59, 59)
    set_deadline(item, due)
    assert (item.due_at, item.escalate_at, item.escalation_level, item.escalated_due_at) == (due, due, 0, None)
