"""The standard-library fast path for plain ISO 8601 text reads what dateutil reads."""

from __future__ import annotations

from datetime import timezone

import pytest
from dateutil import parser as dateutil_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import parse_timestamp

UTC = timezone.utc


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(),
    st.sampled_from(("", ".5", ".123", ".123456", ".1234")),
    st.sampled_from(("Z", "+00:00", "-05:30", "+14:00", "+02:00", "-00:00", "+23:59")),
    st.sampled_from(("T", " ")),
)
def test_plain_iso_text_reads_as_dateutil_reads_it(
    moment: object, fraction: str, offset: str, separator: str
) -> None:
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S") + fraction + offset  # type: ignore[attr-defined]
    try:
        expected = dateutil_parser.isoparse(text).astimezone(UTC)
    except (ValueError, OverflowError):
        expected = None
    try:
        got = parse_timestamp(text)
    except ValueError:
        got = None
    assert got == expected
    if got is not None:
        assert got.tzinfo is UTC


def test_text_the_fast_path_refuses_still_reads_or_fails_as_before() -> None:
    assert parse_timestamp("2024-05-01T24:00:00Z").isoformat() == "2024-05-02T00:00:00+00:00"
    for bad in ("2024-13-01T10:00:00Z", "2024-02-30T10:00:00Z", "2024-05-01T10:00:61Z"):
        with pytest.raises(ValueError, match="cannot read"):
            parse_timestamp(bad)


@pytest.mark.parametrize(
    "offset", ["+00:60", "+05:75", "-01:99", "+24:00", "+99:99", "+23:59", "-00:00", "+05:30"]
)
def test_offsets_out_of_range_fail_as_dateutil_fails(offset: str) -> None:
    from socialcare._time import _PLAIN_ISO

    text = f"2024-05-01T09:30:00{offset}"
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    assert bool(_PLAIN_ISO.match(text)) == (hours < 24 and minutes < 60)
    try:
        expected = dateutil_parser.isoparse(text).astimezone(UTC)
    except (ValueError, OverflowError):
        expected = None
    if expected is None:
        with pytest.raises(ValueError, match="cannot read"):
            parse_timestamp(text)
    else:
        assert parse_timestamp(text) == expected
