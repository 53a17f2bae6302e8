"""Instants: parsing the timestamp shapes real exports carry, and never guessing a zone.

Every instant socialcare stores is an aware `datetime.datetime` in UTC. Conversion to a
local zone happens only where local wall-clock time matters (service windows).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import pytz
from dateutil import parser as _dateutil_parser

from socialcare._errors import InvalidInputError, TimezoneError

__all__ = ["parse_timestamp", "resolve_timezone"]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch values at or above this magnitude are milliseconds: 1e11 seconds is the year 5138,
# while 1e11 milliseconds is March 1973, so no plausible post is misread either way.
_MILLISECONDS_FROM = 100_000_000_000
_EPOCH_TEXT = re.compile(r"^[+-]?\d+(\.\d+)?$")
# The shape exports write most (``2024-05-01T09:30:00Z``, ``...+02:00``): read by the standard
# library, many times faster than dateutil; anything it refuses goes to dateutil as before.
_PLAIN_ISO = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z"
)
_TWITTER_SHAPE = re.compile(
    r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$"
)
_FIX = (
    "attach a zone (for example datetime(..., tzinfo=timezone.utc)), write the offset in the "
    "text ('2024-05-01T09:30:00+02:00' or a trailing 'Z'), or name the zone explicitly with "
    "assume_tz='Europe/Paris'"
)


def resolve_timezone(zone: str | tzinfo) -> tzinfo:
    """Return the tzinfo for an IANA zone name (or pass a tzinfo through).

    Raises:
        TimezoneError: the name is not in the IANA database.

    >>> resolve_timezone("Asia/Kolkata").zone
    'Asia/Kolkata'
    """
    if isinstance(zone, tzinfo):
        return zone
    if not isinstance(zone, str):
        raise TimezoneError(
            f"a time zone must be an IANA name such as 'Europe/Paris', got {zone!r}"
        )
    try:
        return pytz.timezone(zone)
    except pytz.UnknownTimeZoneError:
        raise TimezoneError(
            f"unknown time zone {zone!r}: use an IANA name such as 'America/New_York' "
            "(see pytz.all_timezones)"
        ) from None


def _localize(naive: datetime, zone: tzinfo) -> datetime:
    """Attach ``zone`` to a naive wall time; ambiguous times take the first occurrence."""
    localize = getattr(zone, "localize", None)
    if localize is not None:  # a pytz zone: never pass it as tzinfo= (local mean time trap)
        try:
            aware: datetime = localize(naive, is_dst=None)
        except pytz.AmbiguousTimeError:
            aware = localize(naive, is_dst=True)
        except pytz.NonExistentTimeError:
            raise TimezoneError(
                f"{naive.isoformat()} does not exist in {zone} (the clocks skip it when daylight "
                "saving starts); give the instant with an explicit UTC offset instead"
            ) from None
        return aware
    return naive.replace(tzinfo=zone, fold=0)


def _from_epoch(value: float) -> datetime:
    try:
        if not math.isfinite(value):
            raise ValueError(f"an epoch timestamp must be a finite number, got {value!r}")
        seconds = value / 1000.0 if abs(value) >= _MILLISECONDS_FROM else float(value)
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:  # too big for a float, a timedelta or a datetime
        shown = value if abs(value) < 10**30 else f"a {len(str(abs(int(value))))}-digit number"
        raise InvalidInputError(
            f"epoch timestamp {shown} is out of range: instants must lie in the years 1 to 9999 "
            "(epoch seconds, or milliseconds from 1e11 up)"
        ) from None


def _parse_text(text: str) -> datetime:
    stripped = text.strip()
    if not stripped:
        raise ValueError("a timestamp cannot be empty")
    if _EPOCH_TEXT.match(stripped):
        return _from_epoch(float(stripped))
    if _TWITTER_SHAPE.match(stripped):
        return _parse_twitter(stripped, text)
    if _PLAIN_ISO.match(stripped):
        try:
            return datetime.fromisoformat(stripped)
        except ValueError:
            pass  # e.g. "Z" before Python 3.11, or hour 24: dateutil decides
    try:
        return _dateutil_parser.isoparse(stripped)
    except (ValueError, OverflowError):
        raise ValueError(
            f"cannot read {text!r} as a timestamp: use ISO 8601 with an offset "
            "('2024-05-01T09:30:00+02:00' or '...Z'), epoch seconds or milliseconds, or "
            "Twitter's 'Tue Oct 31 22:10:47 +0000 2017'"
        ) from None


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _parse_twitter(stripped: str, text: str) -> datetime:
    """Read ``Tue Oct 31 22:10:47 +0000 2017`` (shape already checked) without strptime.

    strptime consults the locale on every call; this is several times faster, and strict:
    the month and weekday names must be English and the weekday must match the date.
    """
    weekday, month_name, day, clock, offset, year = stripped.split(" ")
    month = _MONTHS.get(month_name)
    try:
        if month is None or weekday not in _WEEKDAYS:
            raise ValueError
        hours, minutes, seconds = (int(part) for part in clock.split(":"))
        sign = -1 if offset[0] == "-" else 1
        shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        zone = UTC if not shift else timezone(sign * shift)
        parsed = datetime(int(year), month, int(day), hours, minutes, seconds, tzinfo=zone)
    except ValueError:
        raise ValueError(f"{text!r} looks like a Twitter timestamp but is not valid") from None
    if _WEEKDAYS[parsed.weekday()] != weekday:
        raise ValueError(
            f"{text!r}: {weekday} does not match the date (it was a {_WEEKDAYS[parsed.weekday()]})"
        )
    return parsed


def parse_timestamp(value: Any, *, assume_tz: str | tzinfo | None = None) -> datetime:
    """Read an instant from the shapes exports use and return it as an aware UTC datetime.

    Accepted: aware ``datetime``; ISO 8601 text with an offset or ``Z``; epoch seconds or
    milliseconds (numbers or digit strings; magnitudes of 1e11 and above are milliseconds);
    Twitter's ``Tue Oct 31 22:10:47 +0000 2017``.

    Args:
        value: the timestamp.
        assume_tz: the zone of naive values. Without it a naive value is refused: socialcare
            never guesses a zone. Ambiguous wall times (a DST fold) take the first occurrence;
            wall times in a DST gap are refused.

    Raises:
        TimezoneError: the value is naive and no ``assume_tz`` was named, or the zone is unknown.
        InvalidInputError: the instant lies outside the years 1 to 9999 once in UTC (also a
            ``ValueError``).
        ValueError: the value is not a timestamp.

    >>> parse_timestamp("Tue Oct 31 22:10:47 +0000 2017").isoformat()
    '2017-10-31T22:10:47+00:00'
    >>> parse_timestamp(1509487847000).isoformat()
    '2017-10-31T22:10:47+00:00'
    >>> parse_timestamp("2024-03-31 02:30", assume_tz="UTC").isoformat()
    '2024-03-31T02:30:00+00:00'
    """
    if isinstance(value, bool):
        raise ValueError(f"a timestamp cannot be a boolean, got {value!r}")
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)):
        return _from_epoch(value)
    elif isinstance(value, str):
        parsed = _parse_text(value)
    else:
        raise ValueError(
            f"a timestamp must be a datetime, ISO 8601 text or an epoch number, "
            f"got {type(value).__name__}"
        )
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        if assume_tz is None:
            raise TimezoneError(f"naive timestamp {value!r} has no time zone: {_FIX}")
        zone = resolve_timezone(assume_tz)
        try:
            parsed = _localize(parsed.replace(tzinfo=None), zone)
        except OverflowError:
            raise TimezoneError(
                f"{value!r} in {zone} falls outside the years 1 to 9999 once in UTC; "
                "give it with an explicit UTC offset"
            ) from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise _out_of_range(value) from None


def _out_of_range(value: Any) -> InvalidInputError:
    """The error for an instant outside the years 1 to 9999 in UTC."""
    return InvalidInputError(
        f"{value!r} falls outside the years 1 to 9999 once in UTC: socialcare stores "
        "instants in UTC, so they must lie between 0001-01-01 and 9999-12-31 there"
    )
