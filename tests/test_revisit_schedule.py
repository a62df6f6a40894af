"""The revisit schedule: parsing the setting, and when an article is checked next."""

from __future__ import annotations

import datetime as dt

import pytest

from newscrawler import config
from newscrawler.store.revisits import check_interval, next_check_at, parse_duration, parse_schedule

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
D = dt.timedelta(days=1)
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone.utc)


def test_the_default_schedule_is_newsdiffs():
    schedule = parse_schedule(config.DEFAULTS["REVISIT_SCHEDULE"])
    assert schedule == [(3 * H, 15 * M), (D, 30 * M), (7 * D, 2 * H), (30 * D, D), (None, 7 * D)]


@pytest.mark.parametrize("since_change, every", [
    (dt.timedelta(0), 15 * M), (2 * H + 59 * M, 15 * M), (3 * H, 30 * M), (23 * H, 30 * M),
    (D, 2 * H), (6 * D, 2 * H), (7 * D, D), (29 * D, D), (30 * D, 7 * D), (3650 * D, 7 * D),
])
def test_checks_thin_out_with_the_time_since_the_last_change(since_change, every):
    schedule = parse_schedule(config.DEFAULTS["REVISIT_SCHEDULE"])
    assert check_interval(since_change, schedule) == every
    assert next_check_at(NOW - since_change, NOW, schedule) == NOW + every


def test_an_unknown_or_future_change_counts_as_now():
    schedule = parse_schedule("1h:5m, *:1d")
    assert next_check_at(None, NOW, schedule) == NOW + 5 * M
    assert next_check_at(NOW + H, NOW, schedule) == NOW + 5 * M  # clocks disagree: not negative


def test_durations():
    assert parse_duration("90s") == dt.timedelta(seconds=90)
    assert parse_duration(" 1.5h ") == 90 * M
    assert parse_duration("2w") == 14 * D


@pytest.mark.parametrize("text", ["", "3h:15m", "*:1d, 3h:15m", "1d:1h, 3h:15m, *:1d", "3h, *:1d",
                                  "3x:15m, *:1d", "3h:0m, *:1d"])
def test_bad_schedules_are_refused(text):
    with pytest.raises(ValueError):
        parse_schedule(text)
