"""Tests for timestamp parsing: the shapes exports carry, and never guessing a zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import pytz
from hypothesis import given
from hypothesis import strategies as st

from socialcare import InvalidInputError, TimezoneError, parse_timestamp, resolve_timezone

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-10-31T22:10:47Z", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("2017-10-31T23:10:47+01:00", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("2017-10-31T17:40:47-04:30", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("2017-10-31T22:10:47.250Z", datetime(2017, 10, 31, 22, 10, 47, 250000, tzinfo=UTC)),
        ("Tue Oct 31 22:10:47 +0000 2017", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("Wed Nov 01 00:10:47 +0200 2017", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        (1509487847, datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        (1509487847.5, datetime(2017, 10, 31, 22, 10, 47, 500000, tzinfo=UTC)),
        (1509487847000, datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("1509487847", datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)),
        ("1509487847123", datetime(2017, 10, 31, 22, 10, 47, 123000, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_accepted_shapes(value: object, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_aware_datetime_is_normalised_to_utc() -> None:
    paris = pytz.timezone("Europe/Paris").localize(datetime(2024, 7, 1, 12, 0))
    parsed = parse_timestamp(paris)
    assert parsed == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["2024-05-01T09:30:00", "2024-05-01 09:30", datetime(2024, 5, 1)])
def test_naive_values_are_refused_with_a_fix(value: object) -> None:
    with pytest.raises(TimezoneError, match="assume_tz"):
        parse_timestamp(value)


def test_naive_value_with_named_zone() -> None:
    parsed = parse_timestamp("2024-07-01 12:00", assume_tz="Europe/Paris")
    assert parsed == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)


def test_ambiguous_wall_time_takes_first_occurrence() -> None:
    # 01:30 happens twice in New York on 2024-11-03: first at EDT (-4), then at EST (-5).
    parsed = parse_timestamp("2024-11-03 01:30", assume_tz="America/New_York")
    assert parsed == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)


def test_wall_time_in_dst_gap_is_refused() -> None:
    with pytest.raises(TimezoneError, match="does not exist"):
        parse_timestamp("2024-03-10 02:30", assume_tz="America/New_York")


def test_unknown_zone() -> None:
    with pytest.raises(TimezoneError, match="unknown time zone 'Mars/Olympus'"):
        parse_timestamp("2024-01-01 00:00", assume_tz="Mars/Olympus")
    with pytest.raises(TimezoneError):
        resolve_timezone(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "yesterday",
        "2024-13-01T00:00Z",
        "Tue Oct 32 22:10:47 +0000 2017",
        True,
        None,
        float("nan"),
        float("inf"),
        [2024],
        1e300,
    ],
)
def test_bad_values_are_clear_errors(value: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - InvalidInputError or plain ValueError
        parse_timestamp(value)


def test_errors_belong_to_the_family() -> None:
    with pytest.raises(InvalidInputError):
        parse_timestamp("2024-05-01T09:30:00")


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_iso_round_trip(moment: datetime) -> None:
    assert parse_timestamp(moment.isoformat()) == moment


@given(st.integers(min_value=100_000_000, max_value=4_000_000_000))
def test_epoch_seconds_and_milliseconds_agree(seconds: int) -> None:
    # Milliseconds are told apart by magnitude: any instant after March 1973 reads either way.
    as_seconds = parse_timestamp(seconds)
    assert parse_timestamp(seconds * 1000) == as_seconds
    assert parse_timestamp(str(seconds)) == as_seconds
    assert as_seconds.timestamp() == seconds


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0))
)
def test_twitter_format_round_trip(moment: datetime) -> None:
    text = moment.strftime("%a %b %d %H:%M:%S +0000 %Y")
    assert parse_timestamp(text) == moment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon Oct 31 22:10:47 +0000 2017", "does not match"),
        ("Tue Okt 31 22:10:47 +0000 2017", "not valid"),
        ("Tue Oct 31 25:10:47 +0000 2017", "not valid"),
        ("Xyz Oct 31 22:10:47 +0000 2017", "not valid"),
    ],
)
def test_twitter_format_is_strict(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_timestamp(text)


def test_twitter_format_with_offset() -> None:
    parsed = parse_timestamp("Wed Nov 01 05:40:47 +0730 2017")
    assert parsed == datetime(2017, 10, 31, 22, 10, 47, tzinfo=UTC)


# Instants outside datetime's range once in UTC (issue #15) ------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00+05:00",  # the year 0 in UTC
        "9999-12-31T23:00-05:00",  # the year 10000 in UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        10**400,  # too big for a float
        -(10**400),
        10**20,  # a float, but beyond any datetime
        "1" + "0" * 30,
    ],
    ids=["year-0", "year-10000", "aware-datetime", "huge-int", "huge-negative", "1e20", "text"],
)
def test_out_of_range_instants_are_invalid_input_not_overflow(value: object) -> None:
    with pytest.raises(InvalidInputError, match=r"out of range|outside the years 1 to 9999"):
        parse_timestamp(value)


@pytest.mark.parametrize(
    ("value", "zone"),
    [("0001-01-01T00:00", "Asia/Kolkata"), ("9999-12-31T23:00", "America/New_York")],
)
def test_out_of_range_in_the_named_zone_is_a_timezone_error(value: str, zone: str) -> None:
    with pytest.raises(TimezoneError, match="outside the years 1 to 9999"):
        parse_timestamp(value, assume_tz=zone)


def test_edges_of_the_range_still_parse() -> None:
    assert parse_timestamp("0001-01-01T05:00+05:00") == datetime(1, 1, 1, tzinfo=UTC)
    assert parse_timestamp("9999-12-31T18:59-05:00") == datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
