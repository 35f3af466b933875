"""The working-day calendar: weekends, national holidays and cuti bersama are not working days; deadlines end at
23:59:59 WIB of a working day, counted from the WIB date."""

from __future__ import annotations

import datetime as dt

from service.domain.calendar import WIB, add_working_days, deadline, holiday_name, is_working_day, working_days

D = dt.date


def test_weekends_holidays_and_cuti_bersama_are_not_working_days():
    assert is_working_day(D(2025, 4, 8))  # the Tuesday after Lebaran
    assert not is_working_day(D(2025, 4, 12))  # a Saturday
    assert not is_working_day(D(2026, 8, 17))  # Independence Day, a Monday
    assert not is_working_day(D(2025, 4, 2)) and "Cuti Bersama" in holiday_name(D(2025, 4, 2))  # joint leave


def test_adding_working_days_jumps_weekends_and_the_whole_lebaran_break():
    assert add_working_days(D(2025, 1, 10), 1) == D(2025, 1, 13)  # Friday + 1: Monday
    # Thursday 27 March 2025: cuti bersama Nyepi (Fri 28), the weekend, Idul Fitri and its cuti bersama up to
    # Mon 7 April: the next working day is Tuesday 8 April.
    assert add_working_days(D(2025, 3, 27), 1) == D(2025, 4, 8)
    assert add_working_days(D(2025, 3, 27), 3) == D(2025, 4, 10)


def test_zero_days_is_the_start_itself_and_the_start_never_counts():
    assert add_working_days(D(2025, 4, 12), 0) == D(2025, 4, 12)  # even a Saturday
    assert add_working_days(D(2025, 4, 12), 1) == D(2025, 4, 14)  # Saturday + 1: Monday, not Saturday itself


def test_working_days_are_inclusive_and_leave_out_blackout_dates():
    week = working_days(D(2025, 1, 6), D(2025, 1, 10))
    assert week == [D(2025, 1, 6 + i) for i in range(5)]
    assert working_days(D(2025, 1, 6), D(2025, 1, 10), {D(2025, 1, 8)}) == [D(2025, 1, d) for d in (6, 7, 9, 10)]
    assert working_days(D(2025, 1, 11), D(2025, 1, 12)) == []


def test_a_deadline_counts_from_the_date_in_probolinggo_not_in_utc():
    # 20:00 UTC on Monday 6 January is already Tuesday 03:00 WIB: one working day later is Wednesday.
    late_monday_utc = dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC)
    due = deadline(late_monday_utc, 1)
    assert due == dt.datetime(2025, 1, 8, 23, 59, 59, tzinfo=WIB)
    assert due.utcoffset() == dt.timedelta(0) and due.hour == 16  # kept in UTC
    assert deadline(dt.datetime(2025, 1, 6, 10, 0, tzinfo=dt.UTC), 1).date() == D(2025, 1, 7)
