"""Working days in Indonesia: Monday to Friday, not a national holiday nor cuti bersama (the `holidays` package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from functools import cache
from zoneinfo import ZoneInfo

import holidays

WIB = ZoneInfo("Asia/Jakarta")  # the regency's time; times are stored in UTC


def today() -> dt.date:
    """Today's date in WIB, the regency's time."""
    return dt.datetime.now(WIB).date()


@cache
def _indonesia(year: int) -> holidays.HolidayBase:
    # "public" are the national holidays, "government" the cuti bersama (joint leave days) of civil servants.
    return holidays.Indonesia(years=year, categories=("public", "government"), language="id")


def holiday_name(day: dt.date) -> str | None:
    return _indonesia(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def working_days(start: dt.date, end: dt.date, exclude: Container[dt.date] = frozenset()) -> list[dt.date]:
    """Working days from start to end inclusive, without the excluded (blackout) dates."""
    days, day = [], start
    while day <= end:
        if is_working_day(day) and day not in exclude:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (which itself does not count)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def deadline(at: dt.datetime, days: int) -> dt.datetime:
    """End (23:59:59 WIB) of the `days`-th working day after the day of `at`, in UTC."""
    due = add_working_days(at.astimezone(WIB).date(), days)
    return dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=WIB).astimezone(dt.UTC)
