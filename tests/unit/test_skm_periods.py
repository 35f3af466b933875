"""The SKM figures' pure parts: an IKM on a half hundredth rounds up exactly, a sample never exceeds its population,
semesters and their defaults, a period's months (the sample's population), series steps, months back and forth."""

from __future__ import annotations

import datetime as dt

import pytest

from service.domain import skm_index, skm_stats
from service.domain.errors import Invalid
from service.models.skm import ELEMENTS

D = dt.date


def test_an_index_on_a_half_hundredth_rounds_up_whatever_the_floats_say():
    # 40 respondents whose answers sum to 1071: 25 x 1071 / 360 = 74.375 exactly.
    totals = dict(zip(ELEMENTS, (118, 115, 97, 143, 116, 126, 131, 110, 115), strict=True))
    assert sum(totals.values()) == 1071
    index = skm_index.compute(40, totals)
    assert index is not None and index.ikm == 74.38 and index.quality == "C" and index.weakest == "u3"
    assert skm_index.compute(1, dict.fromkeys(ELEMENTS, 4)).ikm == 100.0
    assert skm_index.compute(3, dict.fromkeys(ELEMENTS, 3 + 3 + 4)).ikm == 83.33
    assert skm_index.compute(0, dict.fromkeys(ELEMENTS, 0)) is None


def test_a_sample_never_exceeds_the_people_served():
    assert [skm_index.sample_needed(n) for n in (None, 0, 5, 10, 12, 60, 100_000, 2_000_000)] == [
        None, None, 5, 10, 12, 52, 384, 384
    ]  # fmt: skip


def test_periods_default_to_the_semester():
    assert skm_stats.period(None, None, D(2026, 3, 9)) == (D(2026, 1, 1), D(2026, 6, 30))
    assert skm_stats.period(None, None, D(2026, 7, 1)) == (D(2026, 7, 1), D(2026, 12, 31))
    assert skm_stats.period(D(2025, 8, 15), None, D(2026, 3, 9)) == (D(2025, 8, 15), D(2025, 12, 31))
    assert skm_stats.period(None, D(2025, 2, 10), D(2026, 3, 9)) == (D(2025, 1, 1), D(2025, 2, 10))
    with pytest.raises(Invalid):
        skm_stats.period(D(2025, 2, 10), D(2025, 2, 9), D(2026, 3, 9))
    with pytest.raises(Invalid):
        skm_stats.period(D(2020, 1, 1), D(2025, 2, 9), D(2026, 3, 9))


def test_months_steps_and_month_arithmetic():
    assert skm_stats.months_in(D(2026, 1, 1), D(2026, 6, 30)) == pytest.approx(6)
    assert skm_stats.months_in(D(2026, 2, 15), D(2026, 3, 31)) == pytest.approx(14 / 28 + 1)
    assert skm_stats.steps_of(D(2025, 5, 3), D(2026, 1, 31), "semester") == [
        ("2025-S1", D(2025, 5, 3), D(2025, 6, 30)),
        ("2025-S2", D(2025, 7, 1), D(2025, 12, 31)),
        ("2026-S1", D(2026, 1, 1), D(2026, 1, 31)),
    ]
    assert [label for label, _, _ in skm_stats.steps_of(D(2025, 11, 20), D(2026, 1, 5), "month")] == [
        "2025-11", "2025-12", "2026-01"
    ]  # fmt: skip
    assert skm_stats.add_months(D(2026, 8, 31), -6) == D(2026, 2, 28)
    assert skm_stats.add_months(D(2026, 1, 15), -12) == D(2025, 1, 15)
    assert skm_stats.add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
