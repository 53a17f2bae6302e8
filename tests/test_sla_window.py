"""Service windows: the rules of business time, checked by property and by example."""

from __future__ import annotations

import pickle
import threading
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
import pytz
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla_strategies import (
    PATTERNS,
    ZONES,
    durations,
    instants,
    reference_is_open,
    windows,
)
from socialcare import InvalidInputError, ServiceWindow, SocialcareError, TimezoneError

UTC = timezone.utc
US = timedelta(microseconds=1)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def local(zone: str, *args: int) -> datetime:
    """An unambiguous local wall time in ``zone`` as an aware datetime."""
    return pytz.timezone(zone).localize(datetime(*args), is_dst=None)


def wall(window: ServiceWindow, at: datetime) -> str:
    return window.to_local(at).strftime("%a %Y-%m-%d %H:%M")


# Properties -----------------------------------------------------------------------------------


@PROPERTY
@given(windows(), instants, durations)
def test_add_then_elapsed_gives_the_duration_back(
    window: ServiceWindow, start: datetime, duration: timedelta
) -> None:
    due = window.add(start, duration)
    assert due >= start
    assert window.elapsed(start, due) == duration
    if duration > timedelta(0):  # earliest such instant: a microsecond less is not enough
        assert window.elapsed(start, due - US) < duration


@PROPERTY
@given(windows(), instants, durations, durations)
def test_add_is_additive(
    window: ServiceWindow, start: datetime, a: timedelta, b: timedelta
) -> None:
    assert window.add(window.add(start, a), b) == window.add(start, a + b)


@PROPERTY
@given(windows(), instants, instants, durations, durations)
def test_add_is_monotonic(
    window: ServiceWindow, t1: datetime, t2: datetime, d1: timedelta, d2: timedelta
) -> None:
    t1, t2 = min(t1, t2), max(t1, t2)
    d1, d2 = min(d1, d2), max(d1, d2)
    assert window.add(t1, d1) <= window.add(t2, d1)
    assert window.add(t1, d1) <= window.add(t1, d2)


@PROPERTY
@given(windows(), instants, instants, instants)
def test_elapsed_is_bounded_by_wall_time_and_additive(
    window: ServiceWindow, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc = window.elapsed(a, b), window.elapsed(b, c)
    assert timedelta(0) <= ab <= b - a
    assert ab + bc == window.elapsed(a, c)


@PROPERTY
@given(windows(), instants)
def test_is_open_follows_the_local_wall_clock(window: ServiceWindow, at: datetime) -> None:
    expected = reference_is_open(window, at)
    assume(expected is not None)
    assert window.is_open(at) is expected
    # Open means business time runs right now.
    assert (window.elapsed(at, at + US) == US) is expected


@PROPERTY
@given(windows(), instants)
def test_next_open_is_the_first_open_instant(window: ServiceWindow, at: datetime) -> None:
    opens = window.next_open(at)
    assert opens >= at
    assert window.is_open(opens)
    assert window.elapsed(at, opens) == timedelta(0)
    assert window.add(at, US) == opens + US


@PROPERTY
@given(instants, durations, instants)
def test_always_is_plain_arithmetic(start: datetime, duration: timedelta, end: datetime) -> None:
    window = ServiceWindow.always()
    assert window.add(start, duration) == start + duration
    a, b = sorted((start, end))
    assert window.elapsed(a, b) == b - a
    assert window.is_open(start)
    assert window.next_open(start) == start


@PROPERTY
@given(windows(), st.lists(instants, min_size=1, max_size=8), durations, st.data())
def test_batch_forms_equal_the_scalar_ones(
    window: ServiceWindow,
    starts: list[datetime],
    duration: timedelta,
    data: st.DataObject,
) -> None:
    ends = [s + data.draw(durations) for s in starts]
    due = window.add_many(starts, duration)
    assert due.dtype == np.dtype("datetime64[us]")
    assert [window.add(s, duration) for s in starts] == [
        x.replace(tzinfo=UTC) for x in due.astype(datetime).tolist()
    ]
    spent = window.elapsed_many(starts, ends)
    assert spent.dtype == np.dtype("timedelta64[us]")
    assert spent.astype(timedelta).tolist() == [
        window.elapsed(s, e) for s, e in zip(starts, ends, strict=True)
    ]
    # The same through datetime64 input, and per-row durations.
    as64 = np.array([s.replace(tzinfo=None) for s in starts], dtype="datetime64[us]")
    assert np.array_equal(window.add_many(as64, duration), due)
    per_row = np.array([duration] * len(starts), dtype="timedelta64[us]")
    assert np.array_equal(window.add_many(as64, per_row), due)


def test_batch_of_many_rows_matches_scalar_spot_checks() -> None:
    window = ServiceWindow.weekly(
        "Australia/Sydney", {"mon-fri": "08:30-17:30", "sat": "20:00-02:00"}, {date(2024, 12, 25)}
    )
    rng = np.random.default_rng(7)
    base = np.datetime64("2020-01-01T00:00", "us")
    starts = base + rng.integers(0, 16 * 365 * 86_400_000_000, 5000).astype("timedelta64[us]")
    due = window.add_many(starts, timedelta(hours=30))
    spent = window.elapsed_many(starts, due)
    assert (spent == np.timedelta64(30 * 3600 * 10**6, "us")).all()
    for index in rng.integers(0, len(starts), 50).tolist():
        start = starts[index].astype(datetime).replace(tzinfo=UTC)
        assert window.add(start, timedelta(hours=30)) == due[index].astype(datetime).replace(
            tzinfo=UTC
        )


# DST ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2024, 3, 10), 1), (date(2024, 11, 3), 3), (date(2024, 6, 2), 2)],
)
def test_new_york_night_opening_lasts_real_time(day: date, hours: int) -> None:
    window = ServiceWindow.weekly("America/New_York", {"daily": "01:00-03:00"})
    noon_before = local("America/New_York", day.year, day.month, day.day) - timedelta(hours=12)
    noon_after = noon_before + timedelta(hours=30)
    assert window.elapsed(noon_before, noon_after) == timedelta(hours=hours)


def test_southern_hemisphere_dst_sydney() -> None:
    window = ServiceWindow.weekly("Australia/Sydney", {"daily": "01:00-04:00"})
    # Clocks go back 03:00 -> 02:00 on 2024-04-07 and forward 02:00 -> 03:00 on 2024-10-06.
    back = local("Australia/Sydney", 2024, 4, 6, 12)
    fwd = local("Australia/Sydney", 2024, 10, 5, 12)
    assert window.elapsed(back, back + timedelta(days=1)) == timedelta(hours=4)
    assert window.elapsed(fwd, fwd + timedelta(days=1)) == timedelta(hours=2)


def test_boundary_in_a_gap_moves_to_the_end_of_the_gap() -> None:
    window = ServiceWindow.weekly("America/New_York", {"sun": "02:30-05:00"})
    start = datetime(2024, 3, 9, tzinfo=UTC)
    opens = window.next_open(start)
    assert opens == datetime(2024, 3, 10, 7, tzinfo=UTC)  # 03:00 EDT, the jump
    assert wall(window, opens) == "Sun 2024-03-10 03:00"
    assert window.elapsed(start, start + timedelta(days=2)) == timedelta(hours=2)


def test_boundary_in_a_fold_is_its_first_occurrence() -> None:
    window = ServiceWindow.weekly("America/New_York", {"sun": "00:00-01:30"})
    start = datetime(2024, 11, 2, tzinfo=UTC)
    # 01:30 EDT (05:30 UTC) ends it, not 01:30 EST an hour later.
    assert window.add(start, timedelta(hours=1, minutes=30)) == datetime(
        2024, 11, 3, 5, 30, tzinfo=UTC
    )
    assert not window.is_open(datetime(2024, 11, 3, 6, 15, tzinfo=UTC))  # 01:15 EST


def test_europe_london_spring_forward_with_office_hours() -> None:
    window = ServiceWindow.office_hours("Europe/London")
    friday = local("Europe/London", 2024, 3, 29, 16, 0)  # Good Friday, not a holiday here
    due = window.add(friday, timedelta(hours=2))
    assert wall(window, due) == "Mon 2024-04-01 10:00"  # BST from Sunday
    assert due == datetime(2024, 4, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "utc_hour", "utc_minute"),
    [("Asia/Kolkata", 3, 30), ("Asia/Kathmandu", 3, 15), ("Pacific/Chatham", 20, 15)],
)
def test_half_and_quarter_hour_zones(zone: str, utc_hour: int, utc_minute: int) -> None:
    window = ServiceWindow.weekly(zone, {"daily": "09:00-10:00"})
    opens = window.next_open(datetime(2024, 7, 1, 0, 0, tzinfo=UTC) - timedelta(days=1))
    assert (opens.hour, opens.minute) == (utc_hour, utc_minute)
    assert wall(window, opens).endswith("09:00")


# Overnight openings and holidays ---------------------------------------------------------------


def test_overnight_opening_runs_into_the_next_day() -> None:
    window = ServiceWindow.weekly("Europe/London", {"fri": "20:00-04:00"})
    assert window.is_open(local("Europe/London", 2024, 5, 4, 3, 59))  # Saturday 03:59
    assert not window.is_open(local("Europe/London", 2024, 5, 4, 4, 0))
    assert not window.is_open(local("Europe/London", 2024, 5, 3, 3, 0))  # Friday 03:00
    start = local("Europe/London", 2024, 5, 3, 12)
    assert window.elapsed(start, start + timedelta(days=7)) == timedelta(hours=8)
    due = window.add(local("Europe/London", 2024, 5, 4, 3, 0), timedelta(hours=2))
    assert wall(window, due) == "Fri 2024-05-10 21:00"


def test_holiday_removes_openings_starting_that_day_only() -> None:
    hours = {"daily": "20:00-04:00"}
    christmas = date(2024, 12, 25)
    window = ServiceWindow.weekly("America/New_York", hours, holidays={christmas})
    # Christmas Eve's opening runs past midnight into the holiday.
    assert window.is_open(local("America/New_York", 2024, 12, 25, 3, 0))
    # Christmas evening's opening is gone, and so is its after-midnight part.
    assert not window.is_open(local("America/New_York", 2024, 12, 25, 21, 0))
    assert not window.is_open(local("America/New_York", 2024, 12, 26, 2, 0))
    assert window.is_open(local("America/New_York", 2024, 12, 26, 21, 0))
    start = local("America/New_York", 2024, 12, 24, 12)
    assert window.elapsed(start, start + timedelta(days=3)) == timedelta(hours=16)


def test_holidays_package_calendar_works_as_is() -> None:
    holidays = pytest.importorskip("holidays")
    calendar = holidays.US(years=[])  # empty: it fills in the years it is asked about
    window = ServiceWindow.office_hours("America/New_York", holidays=calendar)
    eve = local("America/New_York", 2030, 12, 24, 16, 45)
    due = window.add(eve, timedelta(minutes=30))
    assert wall(window, due) == "Thu 2030-12-26 09:15"
    assert window.to_dict()["holidays"]  # the dates it knows now
    assert window == window
    assert window != ServiceWindow.office_hours("America/New_York")


def test_plain_dates_and_iso_text_holidays() -> None:
    with_dates = ServiceWindow.office_hours("UTC", holidays=[date(2024, 5, 6)])
    with_text = ServiceWindow.office_hours("UTC", holidays=("2024-05-06",))
    assert with_dates == with_text
    assert hash(with_dates) == hash(with_text)
    friday = datetime(2024, 5, 3, 16, 45, tzinfo=UTC)
    assert with_dates.add(friday, timedelta(minutes=30)) == datetime(2024, 5, 7, 9, 15, tzinfo=UTC)
    assert ServiceWindow.office_hours("UTC", holidays=(d for d in [date(2024, 5, 6)])) == with_dates


# Boundaries and golden cases -------------------------------------------------------------------


def test_hootsuite_golden_case() -> None:
    window = ServiceWindow.office_hours("America/New_York")
    friday = local("America/New_York", 2024, 5, 3, 16, 45)
    due = window.add(friday, timedelta(minutes=30))
    assert wall(window, due) == "Mon 2024-05-06 09:15"
    assert window.elapsed(friday, due) == timedelta(minutes=30)


def test_due_time_on_closing_time_is_that_closing_time() -> None:
    window = ServiceWindow.office_hours("Europe/Paris")
    start = local("Europe/Paris", 2024, 5, 2, 16, 30)
    due = window.add(start, timedelta(minutes=30))
    assert wall(window, due) == "Thu 2024-05-02 17:00"
    assert not window.is_open(due)
    assert window.add(start, timedelta(minutes=30, microseconds=1)) == window.add(
        local("Europe/Paris", 2024, 5, 3, 9), US
    )


def test_clock_starting_while_closed_starts_at_next_opening() -> None:
    window = ServiceWindow.office_hours("UTC")
    saturday = datetime(2024, 5, 4, 12, tzinfo=UTC)
    assert window.add(saturday, timedelta(minutes=15)) == datetime(2024, 5, 6, 9, 15, tzinfo=UTC)
    assert window.add(saturday, timedelta(0)) == saturday


def test_presets() -> None:
    twelve = ServiceWindow.twelve_hours("Asia/Tehran", start="20:00")
    assert twelve.to_dict()["hours"] == {"mon-sun": "20:00-08:00"}
    assert twelve.is_open(local("Asia/Tehran", 2024, 1, 2, 7, 59))
    office = ServiceWindow.office_hours("UTC", start="08:00", end="18:00")
    assert office.elapsed(
        datetime(2024, 5, 6, tzinfo=UTC), datetime(2024, 5, 13, tzinfo=UTC)
    ) == timedelta(hours=50)


def test_far_future_and_long_durations_extend_lazily() -> None:
    window = ServiceWindow.office_hours("Australia/Adelaide")
    start = local("Australia/Adelaide", 2021, 1, 4, 9)  # a Monday
    due = window.add(start, timedelta(hours=8 * 5 * 520))  # 520 full weeks
    assert wall(window, due) == wall(window, start + timedelta(weeks=520, days=-3, hours=8))
    assert window.elapsed(datetime(2020, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)) > (
        timedelta(days=1300)
    )


def test_missing_and_reversed_rows_in_batches() -> None:
    window = ServiceWindow.office_hours("UTC")
    a = [datetime(2024, 5, 3, 16, tzinfo=UTC), None, datetime(2024, 5, 3, 16, tzinfo=UTC)]
    b = [datetime(2024, 5, 3, 17, tzinfo=UTC), datetime(2024, 5, 3, 17, tzinfo=UTC), a[0]]
    b[2] = datetime(2024, 5, 3, 15, tzinfo=UTC)
    spent = window.elapsed_many(a, b)
    assert spent[0] == np.timedelta64(1, "h")
    assert np.isnat(spent[1])
    assert np.isnat(spent[2])
    with pytest.raises(InvalidInputError, match="index 2"):
        window.elapsed_many(a, b, on_error="raise")
    assert np.isnat(window.add_many(a, timedelta(hours=1))[1])


# Values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", PATTERNS)
def test_round_trip_through_dict_equality_hash_pickle(hours: dict[str, str]) -> None:
    window = ServiceWindow.weekly("Asia/Kolkata", hours, holidays=[date(2025, 1, 26)])
    again = ServiceWindow.from_dict(window.to_dict())
    assert again == window
    assert hash(again) == hash(window)
    assert pickle.loads(pickle.dumps(window)) == window
    assert "Asia/Kolkata" in repr(window)
    assert ServiceWindow.from_dict("always") == ServiceWindow.always()
    assert ServiceWindow.from_dict(ServiceWindow.always().to_dict()) == ServiceWindow.always()


def test_threads_share_one_window() -> None:
    window = ServiceWindow.weekly("Asia/Kathmandu", {"mon-sat": "10:00-18:00"})
    starts = [datetime(2020 + i, 1, 1, tzinfo=UTC) for i in range(16)]
    expected = [
        ServiceWindow.weekly("Asia/Kathmandu", {"mon-sat": "10:00-18:00"}).add(s, timedelta(9))
        for s in starts
    ]
    results: dict[int, datetime] = {}

    def work(index: int) -> None:
        results[index] = window.add(starts[index], timedelta(9))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(16)] == expected


# Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "hours", "message"),
    [
        ("Mars/Olympus", {"mon": "09:00-17:00"}, "unknown time zone"),
        ("UTC", {"mon": "9-5"}, "HH:MM-HH:MM"),
        ("UTC", {"mon": "09:00-25:00"}, "invalid time"),
        ("UTC", {"mon": "24:00-05:00"}, "invalid time"),
        ("UTC", {"mon": "09:60-10:00"}, "invalid time"),
        ("UTC", {"funday": "09:00-17:00"}, "unknown day name"),
        ("UTC", {"mon-": "09:00-17:00"}, "day spec"),
        ("UTC", {"mon": "09:00-12:00,11:00-13:00"}, "overlap"),
        ("UTC", {"mon-fri": "09:00-17:00", "wed": "16:00-18:00"}, "overlap"),
        ("UTC", {"mon": "20:00-04:00", "tue": "03:00-05:00"}, "runs into"),
        ("UTC", {"mon": "09:00-09:00"}, "empty"),
        ("UTC", ["09:00-17:00"], "map day specs"),
        ("UTC", {"mon": 9}, "openings are text"),
    ],
)
def test_malformed_windows_are_refused(zone: str, hours: object, message: str) -> None:
    with pytest.raises(SocialcareError, match=message):
        ServiceWindow.weekly(zone, hours)  # type: ignore[arg-type]


def test_unknown_zone_is_a_timezone_error() -> None:
    with pytest.raises(TimezoneError):
        ServiceWindow.office_hours("Europe/Atlantis")


def test_bad_holidays_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="datetime"):
        ServiceWindow.office_hours("UTC", holidays=[datetime(2024, 1, 1)])
    with pytest.raises(InvalidInputError, match="YYYY-MM-DD"):
        ServiceWindow.office_hours("UTC", holidays=["Christmas"])
    with pytest.raises(InvalidInputError, match="not one string"):
        ServiceWindow.office_hours("UTC", holidays="2024-12-25")


def test_bad_arguments_are_refused() -> None:
    window = ServiceWindow.office_hours("UTC")
    now = datetime(2024, 5, 3, tzinfo=UTC)
    with pytest.raises(TimezoneError, match="naive"):
        window.add(datetime(2024, 5, 3), timedelta(1))
    with pytest.raises(TimezoneError):
        ServiceWindow.always().is_open(datetime(2024, 5, 3))
    with pytest.raises(InvalidInputError, match="negative"):
        window.add(now, timedelta(minutes=-1))
    with pytest.raises(InvalidInputError, match="negative"):
        window.add_many([now], np.array([-1], dtype="timedelta64[m]"))
    with pytest.raises(InvalidInputError, match="timedelta"):
        window.add(now, 15)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="before start"):
        window.elapsed(now, now - timedelta(1))
    with pytest.raises(InvalidInputError, match="as long as"):
        window.elapsed_many([now], [now, now])
    with pytest.raises(TimezoneError):
        window.add_many([datetime(2024, 5, 3)], timedelta(1))
    with pytest.raises(InvalidInputError):
        window.add_many("2024-05-03", timedelta(1))
    with pytest.raises(InvalidInputError):
        ServiceWindow.from_dict({"timezone": "UTC"})


def test_never_open_window_raises_at_once() -> None:
    never = ServiceWindow.weekly("UTC", {"mon-sun": "closed"})
    assert never.never_open
    now = datetime(2024, 5, 3, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="no opening"):
        never.add(now, timedelta(minutes=1))
    with pytest.raises(InvalidInputError, match="no opening"):
        never.add_many([now], timedelta(minutes=1))
    with pytest.raises(InvalidInputError, match="no opening"):
        never.next_open(now)
    assert never.elapsed(now, now + timedelta(days=30)) == timedelta(0)
    assert not never.is_open(now)


def test_window_closed_forever_by_a_calendar_gives_up() -> None:
    class EveryDay:
        def __contains__(self, day: object) -> bool:
            return True

    window = ServiceWindow.office_hours("UTC", holidays=EveryDay())
    with pytest.raises(InvalidInputError, match="no opening in the"):
        window.add(datetime(2024, 5, 3, tzinfo=UTC), timedelta(minutes=1))


@pytest.mark.parametrize("zone", ZONES)
def test_every_zone_builds(zone: str) -> None:
    window = ServiceWindow.office_hours(zone)
    start = datetime(2030, 6, 14, tzinfo=UTC)
    assert window.elapsed(start, start + timedelta(weeks=1)) == timedelta(hours=40)


# Batch rows beyond the year 9999 (issue #15) --------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Chatham", "America/New_York"])
def test_add_many_gives_nat_for_a_due_time_past_9999_and_computes_the_rest(zone: str) -> None:
    window = ServiceWindow.office_hours(zone)
    starts = [
        datetime(9990, 5, 3, 12, tzinfo=UTC),  # (years away from the others: a cheap span)
        datetime(9999, 12, 20, tzinfo=UTC),  # due after the last date the engine handles
        datetime(9999, 12, 30, tzinfo=UTC),  # starts there
        None,
        datetime(9999, 11, 1, tzinfo=UTC),  # due in December 9999: still computed
    ]
    due = window.add_many(starts, timedelta(hours=60))  # seven and a half working days
    assert np.isnat(due).tolist() == [False, True, True, True, False]
    for index in (0, 4):
        start = starts[index]
        assert start is not None
        expected = window.add(start, timedelta(hours=60))
        assert due[index] == np.datetime64(expected.replace(tzinfo=None), "us")
    with pytest.raises(InvalidInputError, match="9999"):
        window.add(datetime(9999, 12, 20, tzinfo=UTC), timedelta(hours=60))


def test_add_many_per_row_durations_past_9999() -> None:
    window = ServiceWindow.office_hours("UTC")
    starts = np.array(["9990-05-03T12:00", "9990-05-03T12:00"], dtype="datetime64[us]")
    durations = np.array([3_600_000_000, 10**15], dtype="timedelta64[us]")  # 1 h; 31 years
    due = window.add_many(starts, durations)
    assert due.astype(str).tolist() == ["9990-05-03T13:00:00.000000", "NaT"]


def test_always_add_many_gives_nat_past_datetime_max() -> None:
    window = ServiceWindow.always()
    starts = [datetime(2024, 1, 1, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)]
    due = window.add_many(starts, timedelta(days=3))
    assert due.astype(str).tolist() == ["2024-01-04T00:00:00.000000", "NaT"]
    huge = np.array([2**62, 1], dtype="timedelta64[us]")  # would wrap around int64
    assert np.isnat(window.add_many(starts, huge)).tolist() == [True, False]


def test_elapsed_many_gives_nat_near_the_end_of_the_range() -> None:
    window = ServiceWindow.office_hours("UTC")
    starts = [datetime(2024, 1, 1, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)]
    ends = [datetime(2024, 2, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)]
    elapsed = window.elapsed_many(starts, ends)
    assert np.isnat(elapsed).tolist() == [False, True]
    assert elapsed[0] == np.timedelta64(window.elapsed(starts[0], ends[0]), "us")


EDGES = [
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # the year 0 in UTC
    datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),  # the year 10000 in UTC
]


@pytest.mark.parametrize(
    "window", [ServiceWindow.always(), ServiceWindow.office_hours("Asia/Tokyo")]
)
@pytest.mark.parametrize("at", EDGES)
def test_edges_of_datetime_give_results_or_our_errors_never_overflow(
    window: ServiceWindow, at: datetime
) -> None:
    calls = [
        lambda: window.add(at, timedelta(hours=1)),
        lambda: window.elapsed(at, at),
        lambda: window.is_open(at),
        lambda: window.next_open(at),
        lambda: window.to_local(at),
        lambda: window.add_many([at], timedelta(hours=1)),
        lambda: window.elapsed_many([at], [at]),
    ]
    errors: list[str] = []
    for call in calls:  # a result, or our error saying why; an OverflowError fails the test
        try:
            call()
        except SocialcareError as exc:
            errors.append(str(exc))
    assert all("9999" in message for message in errors), errors
