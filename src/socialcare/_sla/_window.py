"""Service windows: when a brand promises to answer, and business time inside those hours.

All arithmetic runs on integer microseconds since the Unix epoch in UTC. The local rules of a
window (openings by weekday, holidays) are turned into a sorted array of UTC open intervals
and a running total of open time, built lazily for the range of dates a query needs and
extended on demand. Business time up to an instant is then one binary search, so a whole
array of instants is answered with `numpy.searchsorted` and no per-item Python loop.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from socialcare import _compat
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._time import resolve_timezone

if TYPE_CHECKING:  # numpy is imported when a window first computes, not with socialcare
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]

__all__ = ["ServiceWindow"]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_MIN_US = 60_000_000
_DAY_US = 86_400_000_000
_DAY_MIN = 1440
_NEG_INF = -(2**62)
_POS_INF = 2**62
_NAT = -(2**63)  # numpy's NaT as int64
# Local dates the engine can work with (datetime's range, with room for the two-day look-back).
_FIRST_DAY = date(1, 1, 4).toordinal() - _EPOCH_ORDINAL
_LAST_DAY = date(9999, 12, 28).toordinal() - _EPOCH_ORDINAL
# UTC instants the batch methods compute for (a day inside those dates, whatever the zone);
# a row outside, or whose due time falls outside, gives NaT instead of sinking the batch.
_BATCH_LO = (_FIRST_DAY + 1) * _DAY_US
_BATCH_HI = (_LAST_DAY - 1) * _DAY_US
# datetime.max as microseconds since the epoch: the latest instant 24/7 arithmetic gives.
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US
# Build at least this many days around the first instant asked about, and grow by at least
# this much when a query falls outside: few rebuilds, small arrays.
_MARGIN_DAYS = 400
# A forward search that finds no open time in this many days gives up instead of looping.
_GIVE_UP_DAYS = 3660

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(_DAY_NAMES)},
    "monday": 0,
    "tuesday": 1,
    "tues": 1,
    "wednesday": 2,
    "thursday": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_CLOSED = frozenset({"", "closed", "off", "none"})
_OPENING = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Openings = tuple[tuple[int, int], ...]  # (start minute, end minute); end > 1440 runs overnight


# Input ---------------------------------------------------------------------------------------


def _to_us(value: Any, what: str) -> int:
    """An aware datetime as integer microseconds since the epoch (UTC)."""
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{what} must be an aware datetime, got {type(value).__name__}")
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:  # naive: no offset to subtract
        raise TimezoneError(
            f"{what} {value!r} is naive: attach a zone, e.g. datetime(..., tzinfo=timezone.utc)"
        ) from None


def _in_zone(at: datetime, zone: tzinfo) -> datetime:
    """``at`` on ``zone``'s clock; an instant whose local reading leaves datetime's range is
    an InvalidInputError, not an OverflowError."""
    try:
        return at.astimezone(zone)
    except OverflowError:
        raise InvalidInputError(
            f"{at.isoformat()} cannot be shown in {zone}: the reading would fall outside the "
            "years 1 to 9999"
        ) from None


class _BeyondRangeError(InvalidInputError):
    """A result lies past the last date the engine handles (the end of the year 9999)."""


def _from_us(value: int) -> datetime:
    try:
        return _EPOCH + timedelta(0, value // 1_000_000, value % 1_000_000)
    except OverflowError:
        raise InvalidInputError(
            "the result is outside the range of datetime (years 1 to 9999)"
        ) from None


def _duration_us(duration: Any) -> int:
    if not isinstance(duration, timedelta):
        raise InvalidInputError(
            f"a duration must be a datetime.timedelta, got {type(duration).__name__}"
        )
    value: int = duration // _ONE_US
    if value < 0:
        raise InvalidInputError(
            f"a duration cannot be negative, got {duration!r}: business time only runs forward"
        )
    return value


def _instants_us(values: Any, what: str) -> Int64Array:
    """Instants as int64 microseconds (UTC); missing values (NaT, None) become ``_NAT``.

    numpy ``datetime64`` arrays are read as UTC (numpy has no zones) with no Python loop;
    anything else is a sequence of aware datetimes (or ``None``).
    """
    import numpy as np

    if isinstance(values, np.ndarray):
        if np.issubdtype(values.dtype, np.datetime64):
            out: Int64Array = values.astype("datetime64[us]").view(np.int64).ravel()
            return out
        if values.dtype != object:
            raise InvalidInputError(
                f"{what} must hold datetime64 values or aware datetimes, got dtype {values.dtype}"
            )
    elif isinstance(values, (str, bytes, datetime)) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"{what} must be a sequence of aware datetimes or a datetime64 array, "
            f"got {type(values).__name__}"
        )
    items = list(values)
    out = np.empty(len(items), dtype=np.int64)
    for index, item in enumerate(items):
        if item is None or (isinstance(item, np.datetime64) and np.isnat(item)):
            out[index] = _NAT
        elif isinstance(item, np.datetime64):
            out[index] = item.astype("datetime64[us]").astype(np.int64)
        else:
            out[index] = _to_us(item, f"{what}[{index}]")
    return out


# Parsing the weekly hours ---------------------------------------------------------------------


def _parse_days(spec: Any) -> list[int]:
    if not isinstance(spec, str):
        raise InvalidInputError(f"a day spec is text such as 'mon-fri', got {spec!r}")
    days: list[int] = []
    text = spec.strip().lower()
    if text in ("daily", "every day", "mon-sun"):
        return list(range(7))
    for part in text.split(","):
        piece = part.strip()
        names = [name.strip() for name in piece.split("-")]
        if len(names) > 2 or not all(names):
            raise InvalidInputError(
                f"cannot read day spec {spec!r}: use a day ('mon'), a range ('mon-fri') or a "
                "list ('sat,sun')"
            )
        for name in names:
            if name not in _DAY_ALIASES:
                raise InvalidInputError(
                    f"unknown day name {name!r} in {spec!r}: use one of "
                    f"{', '.join(_DAY_NAMES)} (or full names)"
                )
        first = _DAY_ALIASES[names[0]]
        last = _DAY_ALIASES[names[-1]]
        day = first
        days.append(day)
        while day != last:  # ranges may wrap: 'fri-mon' is fri, sat, sun, mon
            day = (day + 1) % 7
            days.append(day)
    return days


def _parse_minute(hours: str, minutes: str, spec: str, *, end: bool) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and (m != 0 or not end)):
        raise InvalidInputError(
            f"invalid time {hours}:{minutes} in opening {spec!r}: hours run 00-23 (24:00 only "
            "as an end) and minutes 00-59"
        )
    return h * 60 + m


def _parse_openings(spec: Any) -> list[tuple[int, int]]:
    if isinstance(spec, str):
        if spec.strip().lower() in _CLOSED:
            return []
        parts = spec.split(",")
    elif isinstance(spec, Sequence):
        parts = list(spec)
    else:
        raise InvalidInputError(
            f"openings are text such as '09:00-17:00' or '09:00-12:00,13:00-17:00', got {spec!r}"
        )
    out: list[tuple[int, int]] = []
    for part in parts:
        if not isinstance(part, str):
            raise InvalidInputError(f"an opening is text such as '09:00-17:00', got {part!r}")
        match = _OPENING.match(part.strip())
        if match is None:
            raise InvalidInputError(
                f"cannot read opening {part.strip()!r}: write it as 'HH:MM-HH:MM' in 24-hour "
                "time, e.g. '09:00-17:00', '20:00-04:00' (runs past midnight) or '00:00-24:00'"
            )
        start = _parse_minute(match[1], match[2], part, end=False)
        end = _parse_minute(match[3], match[4], part, end=True)
        if end == start:
            raise InvalidInputError(
                f"opening {part.strip()!r} is empty: its end must differ from its start "
                "(use '00:00-24:00' for a whole day)"
            )
        if end < start:
            end += _DAY_MIN  # runs past midnight into the next day
        out.append((start, end))
    return out


def _fmt_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _fmt_openings(openings: Openings) -> str:
    parts = []
    for start, end in openings:
        end_text = "24:00" if end == _DAY_MIN else _fmt_minute(end % _DAY_MIN)
        parts.append(f"{_fmt_minute(start)}-{end_text}")
    return ",".join(parts)


def _parse_hours(hours: Any) -> tuple[Openings, ...]:
    if not isinstance(hours, Mapping):
        raise InvalidInputError(
            "hours must map day specs to openings, e.g. {'mon-fri': '09:00-17:00'}, "
            f"got {type(hours).__name__}"
        )
    by_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for day_spec, opening_spec in hours.items():
        openings = _parse_openings(opening_spec)
        for day in _parse_days(day_spec):
            by_day[day].extend(openings)
    week: list[Openings] = []
    for day, day_openings in enumerate(by_day):
        day_openings.sort()
        for (s1, e1), (s2, e2) in pairwise(day_openings):
            if s2 < e1:
                raise InvalidInputError(
                    f"openings overlap on {_DAY_NAMES[day]}: {_fmt_openings(((s1, e1),))} and "
                    f"{_fmt_openings(((s2, e2),))}; merge them into one opening"
                )
        week.append(tuple(day_openings))
    for day, current in enumerate(week):
        following = week[(day + 1) % 7]
        if current and following:
            tail = current[-1][1] - _DAY_MIN
            if tail > following[0][0]:
                raise InvalidInputError(
                    f"the overnight opening {_fmt_openings(current[-1:])} of "
                    f"{_DAY_NAMES[day]} runs into {_DAY_NAMES[(day + 1) % 7]}'s opening "
                    f"{_fmt_openings(following[:1])}; end it where the next one starts"
                )
    return tuple(week)


def _canonical_hours(week: tuple[Openings, ...]) -> dict[str, str]:
    """Group consecutive weekdays with the same openings: {'mon-fri': '09:00-17:00'}."""
    out: dict[str, str] = {}
    day = 0
    while day < 7:
        openings = week[day]
        last = day
        while last + 1 < 7 and week[last + 1] == openings:
            last += 1
        if openings:
            if last == day:
                key = _DAY_NAMES[day]
            elif last == day + 1:
                key = f"{_DAY_NAMES[day]},{_DAY_NAMES[last]}"
            else:
                key = f"{_DAY_NAMES[day]}-{_DAY_NAMES[last]}"
            out[key] = _fmt_openings(openings)
        day = last + 1
    return out


def _parse_holidays(holidays: Any) -> tuple[frozenset[date], Container[Any] | None]:
    """Split ``holidays`` into dates known now and, for a live calendar, a membership test.

    A mapping (such as a ``holidays`` package calendar, which fills in a year when asked
    about it) or any other container that is not a plain collection is asked ``day in
    holidays`` for each date the engine needs. Plain collections and iterables are read once.
    """
    if holidays is None:
        return frozenset(), None
    if isinstance(holidays, (str, bytes)):
        raise InvalidInputError("holidays must be a collection of dates, not one string")
    if isinstance(holidays, Mapping) or (
        isinstance(holidays, Container) and not isinstance(holidays, Collection)
    ):
        if isinstance(holidays, Iterable):
            for day in holidays:  # validate what it holds now; ask it again for each date
                _as_date(day)
        return frozenset(), holidays
    if not isinstance(holidays, Iterable):
        raise InvalidInputError(
            f"holidays must be an iterable or container of dates, got {type(holidays).__name__}"
        )
    return frozenset(_as_date(d) for d in holidays), None


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise InvalidInputError(
            f"holidays are dates, got the datetime {value!r}: use its .date() (the local date)"
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInputError(
        f"a holiday must be a datetime.date or ISO text 'YYYY-MM-DD', got {value!r}"
    )


def _zone_name(zone: Any) -> str:
    if isinstance(zone, str):
        name = zone.strip()
    elif isinstance(zone, tzinfo):
        found = getattr(zone, "zone", None) or getattr(zone, "key", None)
        if not isinstance(found, str):
            raise TimezoneError(
                f"cannot tell the IANA name of {zone!r}: pass the name, e.g. 'Europe/Paris'"
            )
        name = found
    else:
        raise TimezoneError(f"a time zone is an IANA name such as 'Europe/Paris', got {zone!r}")
    resolve_timezone(name)  # raises TimezoneError for unknown names
    return name


# Local wall time to UTC ----------------------------------------------------------------------


class _ZoneClock:
    """Turns local wall times of one zone into UTC instants, vectorised.

    A wall time ``w`` maps to the first instant at which the local clock shows ``w`` or later:
    in a fold (a wall time shown twice) that is the first occurrence; in a gap (a wall time
    skipped when clocks go forward) it is the instant the clocks jump, the first instant after
    the gap. The map never decreases, so openings that do not overlap on the wall clock never
    overlap in UTC.
    """

    __slots__ = ("local_ends", "offsets", "starts")

    def __init__(self, name: str) -> None:
        import numpy as np

        tz = resolve_timezone(name)
        transitions = _compat.utc_transitions(tz)
        if transitions is not None:
            times, infos = transitions
            starts = [_NEG_INF] + [(t - _EPOCH_NAIVE) // _ONE_US for t in times[1:]]
            offsets = [info[0] // _ONE_US for info in infos]
        else:
            offset = tz.utcoffset(datetime(2000, 1, 1))
            starts, offsets = [_NEG_INF], [(offset or timedelta(0)) // _ONE_US]
        self.starts: Int64Array = np.array(starts, dtype=np.int64)
        self.offsets: Int64Array = np.array(offsets, dtype=np.int64)
        # The local clock reading at the end of each period (exclusive).
        ends = np.append(self.starts[1:], _POS_INF)
        self.local_ends: Int64Array = ends + self.offsets
        # Real zones change offset by hours, months apart: the readings keep increasing.
        self.local_ends = np.maximum.accumulate(self.local_ends)

    def to_utc(self, wall: Int64Array) -> Int64Array:
        import numpy as np

        period = np.searchsorted(self.local_ends, wall, side="right")
        result: Int64Array = np.maximum(self.starts[period], wall - self.offsets[period])
        return result


# The open intervals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """The open intervals (UTC microseconds) of a window, exact for instants in [lo, hi]."""

    first_day: int
    end_day: int
    lo: int
    hi: int
    starts: Int64Array
    ends: Int64Array
    before: Int64Array  # open time before each interval (from an arbitrary origin)
    after: Int64Array  # open time up to the end of each interval
    starts_list: list[int]
    ends_list: list[int]
    before_list: list[int]
    after_list: list[int]

    def business(self, at: int) -> int:
        index = bisect_right(self.starts_list, at) - 1
        if index < 0:
            return 0
        return self.before_list[index] + min(at, self.ends_list[index]) - self.starts_list[index]

    def business_many(self, at: Int64Array) -> Int64Array:
        import numpy as np

        index = np.searchsorted(self.starts, at, side="right") - 1
        safe = np.maximum(index, 0)
        if len(self.starts) == 0:
            return np.zeros_like(at)
        value = self.before[safe] + np.minimum(at, self.ends[safe]) - self.starts[safe]
        result: Int64Array = np.where(index >= 0, value, 0)
        return result


class ServiceWindow:
    """When a brand promises to be there, in a time zone, and business time inside it.

    Build one with `always` (24/7), `weekly` (openings per weekday in an IANA zone,
    minus holidays), or the presets `twelve_hours` and `office_hours`.

    The rules, exactly:

    - the window is open at instant ``t`` when ``t``'s local wall-clock time lies in an opening
      of its local date, or in the after-midnight part of an overnight opening (``"20:00-04:00"``)
      that started on the previous local date; openings are half-open: open at 09:00, closed at
      17:00;
    - a holiday removes the openings that *start* on that local date (an overnight opening that
      starts the evening before a holiday still runs past midnight);
    - business time is real elapsed time while open: an opening of 01:00-03:00 in New York lasts
      1 hour on the night clocks spring forward and 3 hours on the night they fall back;
    - an opening boundary whose wall time is skipped by a DST gap moves to the first instant
      after the gap (the instant of the jump); one whose wall time occurs twice (a DST fold) is
      its first occurrence;
    - `add` gives the earliest instant ``u >= t`` with ``elapsed(t, u) == d``: a clock that
      starts while closed starts at the next opening, and a due time that lands exactly on a
      closing time is that closing time.

    Instants in are aware datetimes in any zone; instants out are aware UTC datetimes (use
    `to_local` for the window's wall clock). numpy ``datetime64`` values are UTC by
    convention (numpy has no zones). Zone data is pytz's IANA database, whose transitions stop
    in 2037: later years keep the offset in force then.

    A window is immutable, hashable and safe to share between threads; it builds its UTC
    intervals lazily for the dates queries need and keeps them.

    >>> from datetime import datetime, timedelta, timezone
    >>> w = ServiceWindow.office_hours("America/New_York")
    >>> friday = datetime(2024, 5, 3, 20, 45, tzinfo=timezone.utc)  # 16:45 in New York
    >>> w.to_local(w.add(friday, timedelta(minutes=30))).strftime("%a %H:%M")
    'Mon 09:15'
    """

    __slots__ = (
        "_clock",
        "_holiday_dates",
        "_holiday_lookup",
        "_lock",
        "_never_open",
        "_span",
        "_week",
        "_zone",
    )

    def __init__(
        self,
        zone: str | None,
        week: tuple[Openings, ...],
        holiday_dates: frozenset[date] = frozenset(),
        holiday_lookup: Container[Any] | None = None,
    ) -> None:
        """Use `always`, `weekly` or a preset instead of calling this."""
        self._zone = zone
        self._week = week
        self._never_open = zone is not None and not any(week)
        self._holiday_dates = holiday_dates
        self._holiday_lookup = holiday_lookup
        self._lock = threading.Lock()
        self._span: _Span | None = None
        self._clock: _ZoneClock | None = None

    # Constructors ------------------------------------------------------------------------------

    @classmethod
    def always(cls) -> ServiceWindow:
        """A window that is always open (24/7): business time is plain elapsed time.

        >>> ServiceWindow.always().is_open(datetime(2024, 12, 25, 3, tzinfo=timezone.utc))
        True
        """
        return cls(None, ())

    @classmethod
    def weekly(cls, timezone: Any, hours: Mapping[str, Any], holidays: Any = ()) -> ServiceWindow:
        """A window of openings per weekday in an IANA time zone, minus holidays.

        Args:
            timezone: an IANA zone name such as ``"Europe/London"``.
            hours: day specs (``"mon"``, ``"mon-fri"``, ``"sat,sun"``, ``"fri-mon"``,
                ``"daily"``) mapped to openings: ``"09:00-17:00"``,
                ``"09:00-12:00,13:00-17:00"`` (or a list of them), ``"20:00-04:00"`` for one
                that runs past midnight into the next day, ``"00:00-24:00"`` for a whole day,
                ``"closed"`` for none. A day named by several specs gets all their openings;
                openings may not overlap.
            holidays: ``datetime.date`` values (or ISO ``"YYYY-MM-DD"`` text) in any iterable or
                container. A mapping such as a calendar of the ``holidays`` package is used
                as is and asked ``day in holidays`` for each local date needed.

        Raises:
            TimezoneError: the zone is unknown.
            InvalidInputError: a day spec or an opening is malformed, or openings overlap.

        >>> ServiceWindow.weekly("Europe/London", {"mon-fri": "09:00-17:00", "sat": "10:00-14:00"})
        ServiceWindow.weekly('Europe/London', {'mon-fri': '09:00-17:00', 'sat': '10:00-14:00'})
        """
        name = _zone_name(timezone)
        week = _parse_hours(hours)
        dates, lookup = _parse_holidays(holidays)
        return cls(name, week, dates, lookup)

    @classmethod
    def twelve_hours(cls, timezone: Any, start: str = "08:00", holidays: Any = ()) -> ServiceWindow:
        """Twelve hours every day from ``start`` local time (08:00-20:00 by default).

        >>> ServiceWindow.twelve_hours("Asia/Kolkata").to_dict()["hours"]
        {'mon-sun': '08:00-20:00'}
        """
        if not isinstance(start, str) or not re.match(r"^\d{1,2}:\d{2}$", start.strip()):
            raise InvalidInputError(f"start must be 'HH:MM', got {start!r}")
        h, m = start.strip().split(":")
        begin = _parse_minute(h, m, start, end=False)
        end = (begin + 720) % _DAY_MIN
        return cls.weekly(timezone, {"daily": f"{start}-{_fmt_minute(end)}"}, holidays)

    @classmethod
    def office_hours(
        cls, timezone: Any, holidays: Any = (), start: str = "09:00", end: str = "17:00"
    ) -> ServiceWindow:
        """Monday to Friday, 09:00-17:00 local time by default, minus holidays.

        >>> ServiceWindow.office_hours("Europe/Paris").to_dict()["hours"]
        {'mon-fri': '09:00-17:00'}
        """
        return cls.weekly(timezone, {"mon-fri": f"{start}-{end}"}, holidays)

    @classmethod
    def from_dict(cls, data: Any) -> ServiceWindow:
        """Build a window from its plain form: ``"always"``, ``{"always": true}`` or
        ``{"timezone": ..., "hours": {...}, "holidays": [...]}`` (holidays optional).

        >>> ServiceWindow.from_dict({"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}})
        ServiceWindow.weekly('UTC', {'mon-fri': '09:00-17:00'})
        """
        if isinstance(data, ServiceWindow):
            return data
        if isinstance(data, str) and data.strip().lower() in ("always", "24/7"):
            return cls.always()
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                "a service window is 'always' or a mapping with 'timezone', 'hours' and "
                f"optionally 'holidays', got {data!r}"
            )
        if data.get("always") is True and set(data) == {"always"}:
            return cls.always()
        unknown = set(data) - {"timezone", "hours", "holidays"}
        missing = {"timezone", "hours"} - set(data)
        if unknown or missing:
            raise InvalidInputError(
                f"a service window mapping needs 'timezone' and 'hours' (and optionally "
                f"'holidays'); missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        return cls.weekly(data["timezone"], data["hours"], data.get("holidays", ()))

    def to_dict(self) -> dict[str, Any]:
        """The plain form `from_dict` reads (holidays as ISO dates).

        A live calendar (such as one of the ``holidays`` package) is written as the dates it
        holds at the time of the call.

        >>> ServiceWindow.always().to_dict()
        {'always': True}
        """
        if self._zone is None:
            return {"always": True}
        out: dict[str, Any] = {"timezone": self._zone, "hours": _canonical_hours(self._week)}
        dates = set(self._holiday_dates)
        if isinstance(self._holiday_lookup, Iterable):
            dates.update(_as_date(day) for day in self._holiday_lookup)
        if dates:
            out["holidays"] = [day.isoformat() for day in sorted(dates)]
        return out

    # Value behaviour ---------------------------------------------------------------------------

    @property
    def timezone(self) -> str | None:
        """The IANA zone name, or ``None`` for `always`."""
        return self._zone

    @property
    def is_always(self) -> bool:
        """Whether the window is open 24/7."""
        return self._zone is None

    @property
    def never_open(self) -> bool:
        """Whether the weekly pattern has no opening at all (adding time to it fails)."""
        return self._never_open

    def _key(self) -> tuple[Any, ...]:
        return (self._zone, self._week, self._holiday_dates, id(self._holiday_lookup))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServiceWindow):
            return NotImplemented
        return self._key()[:3] == other._key()[:3] and (
            self._holiday_lookup is other._holiday_lookup
        )

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self._zone is None:
            return "ServiceWindow.always()"
        text = f"ServiceWindow.weekly({self._zone!r}, {_canonical_hours(self._week)!r}"
        if self._holiday_lookup is not None:
            text += f", holidays={type(self._holiday_lookup).__name__}(...)"
        elif self._holiday_dates:
            count = len(self._holiday_dates)
            text += f", holidays=<{count} date{'' if count == 1 else 's'}>"
        return text + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ServiceWindow, (self._zone, self._week, self._holiday_dates, self._holiday_lookup))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a window or its plain form; serialise to `to_dict`."""
        return core_schema.no_info_plain_validator_function(
            cls.from_dict,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda window: window.to_dict()
            ),
        )

    def to_local(self, at: datetime) -> datetime:
        """``at`` on the window's wall clock (UTC for `always`).

        >>> w = ServiceWindow.office_hours("Asia/Kathmandu")
        >>> w.to_local(datetime(2024, 1, 1, tzinfo=timezone.utc)).strftime("%H:%M")
        '05:45'
        """
        _to_us(at, "at")
        if self._zone is None:
            return _in_zone(at, UTC)
        return _in_zone(at, resolve_timezone(self._zone))

    # The interval arrays -----------------------------------------------------------------------

    def _zone_clock(self) -> _ZoneClock:
        clock = self._clock
        if clock is None:
            assert self._zone is not None
            clock = _ZoneClock(self._zone)
            self._clock = clock
        return clock

    def _is_holiday_mask(self, days: Int64Array) -> npt.NDArray[np.bool_]:
        import numpy as np

        mask = np.zeros(len(days), dtype=bool)
        if self._holiday_dates:
            known = np.array(
                sorted(d.toordinal() - _EPOCH_ORDINAL for d in self._holiday_dates),
                dtype=np.int64,
            )
            mask |= np.isin(days, known)
        lookup = self._holiday_lookup
        if lookup is not None:
            for index, day in enumerate(days.tolist()):
                if date.fromordinal(day + _EPOCH_ORDINAL) in lookup:
                    mask[index] = True
        return mask

    def _build(self, first_day: int, end_day: int) -> _Span:
        """Intervals for local dates [first_day, end_day), exact for UTC instants in [lo, hi]."""
        import numpy as np

        clock = self._zone_clock()
        days = np.arange(first_day - 2, end_day, dtype=np.int64)
        open_days = days[~self._is_holiday_mask(days)]
        weekday = (open_days + 3) % 7  # 1970-01-01 was a Thursday
        wall_starts: list[Int64Array] = []
        wall_ends: list[Int64Array] = []
        for day_index, openings in enumerate(self._week):
            if not openings:
                continue
            base = open_days[weekday == day_index] * _DAY_US
            for start, end in openings:
                wall_starts.append(base + start * _MIN_US)
                wall_ends.append(base + end * _MIN_US)
        if wall_starts:
            all_starts = np.concatenate(wall_starts)
            order = np.argsort(all_starts, kind="stable")
            starts = clock.to_utc(all_starts[order])
            ends = clock.to_utc(np.concatenate(wall_ends)[order])
            keep = ends > starts  # an opening swallowed by a DST gap is empty
            starts, ends = starts[keep], ends[keep]
            if len(starts):
                separate = starts[1:] > ends[:-1]  # merge touching intervals
                starts = starts[np.concatenate(([True], separate))]
                ends = ends[np.concatenate((separate, [True]))]
        else:
            starts = ends = np.empty(0, dtype=np.int64)
        lengths = ends - starts
        after = np.cumsum(lengths)
        before = after - lengths
        bounds = clock.to_utc(np.array([first_day, end_day], dtype=np.int64) * _DAY_US)
        return _Span(
            first_day,
            end_day,
            int(bounds[0]),
            int(bounds[1]),
            starts,
            ends,
            before,
            after,
            starts.tolist(),
            ends.tolist(),
            before.tolist(),
            after.tolist(),
        )

    def _span_for(self, lo: int, hi: int, *, grow_to: int | None = None) -> _Span:
        """A span exact for every instant in [lo, hi], built or widened as needed."""
        need_end = grow_to if grow_to is not None else _FIRST_DAY
        span = self._span
        if span is not None and span.lo <= lo and hi <= span.hi and span.end_day >= need_end:
            return span
        with self._lock:
            span = self._span
            if span is not None and span.lo <= lo and hi <= span.hi and span.end_day >= need_end:
                return span
            # Local dates of lo and hi are within a day of their UTC dates (offsets < 24 h).
            first = lo // _DAY_US - 2
            end = hi // _DAY_US + 3
            if span is None:
                first, end = first - _MARGIN_DAYS, end + _MARGIN_DAYS
            else:
                width = span.end_day - span.first_day
                if first < span.first_day:
                    first = min(first, span.first_day - max(width, _MARGIN_DAYS))
                if end > span.end_day:
                    end = max(end, span.end_day + max(width, _MARGIN_DAYS))
                first, end = min(first, span.first_day), max(end, span.end_day)
            if grow_to is not None:
                end = max(end, grow_to)
            first, end = max(first, _FIRST_DAY), min(end, _LAST_DAY)
            if lo < first * _DAY_US - _DAY_US or hi > end * _DAY_US + _DAY_US:
                raise InvalidInputError(
                    "instants must lie between the years 1 and 9999 for business-time arithmetic"
                )
            span = self._build(first, end)
            self._span = span
            return span

    def _grow(self, span: _Span, needed_end_us: int | None = None) -> _Span:
        """Widen ``span`` forward (for additions that run past its end)."""
        if span.end_day >= _LAST_DAY:
            raise _BeyondRangeError("the result lies beyond the year 9999")
        width = span.end_day - span.first_day
        end = span.end_day + max(width, _MARGIN_DAYS)
        if needed_end_us is not None:
            end = max(end, needed_end_us // _DAY_US + 3)
        return self._span_for(span.lo, span.hi, grow_to=min(end, _LAST_DAY))

    def _require_open_sometime(self) -> None:
        if self.never_open:
            raise InvalidInputError(
                f"{self!r} has no opening on any weekday, so no business time ever passes; "
                "give it at least one opening (e.g. {'mon-fri': '09:00-17:00'})"
            )

    def _forward(self, at: int, duration: int, span: _Span) -> tuple[_Span, int, int]:
        """Find where ``duration`` (> 0) of business time after ``at`` is used up.

        Returns the span, the index of the interval the due instant lies in, and the target
        (cumulative business time at the due instant, in the span's origin). Grows the span
        forward as needed; gives up when no open time appears for ``_GIVE_UP_DAYS`` days.
        """
        progress_day, seen = span.end_day, -1
        while True:
            target = span.business(at) + duration
            index = bisect_left(span.after_list, target)
            if index < len(span.starts_list) and span.starts_list[index] < span.hi:
                return span, index, target
            open_after = (span.after_list[-1] if span.after_list else 0) - span.business(at)
            if open_after > seen:
                progress_day, seen = span.end_day, open_after
            elif span.end_day - progress_day > _GIVE_UP_DAYS:
                raise InvalidInputError(
                    f"{self!r} has no opening in the {_GIVE_UP_DAYS} days after "
                    f"{_from_us(at + seen).isoformat()} or so (are all its days holidays?)"
                )
            span = self._grow(span)

    # Per-call API ------------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the window is open at the instant ``at`` (closing times are closed).

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.is_open(datetime(2024, 5, 3, 16, 59, tzinfo=timezone.utc))
        True
        >>> w.is_open(datetime(2024, 5, 3, 17, 0, tzinfo=timezone.utc))
        False
        """
        t = _to_us(at, "at")
        if self._zone is None:
            return True
        span = self._span_for(t, t)
        index = bisect_right(span.starts_list, t) - 1
        return index >= 0 and t < span.ends_list[index]

    def is_holiday(self, at: datetime | date) -> bool:
        """Whether ``at`` (an aware instant, read on the window's clock, or a local date) is a
        holiday of the window.

        >>> w = ServiceWindow.office_hours("Europe/Madrid", holidays=["2026-12-25"])
        >>> w.is_holiday(datetime(2026, 12, 24, 23, 30, tzinfo=timezone.utc))
        True
        """
        if isinstance(at, datetime):
            _to_us(at, "at")
            day = self.to_local(at).date()
        elif isinstance(at, date):
            day = at
        else:
            raise InvalidInputError(
                f"is_holiday takes an aware datetime or a date, got {type(at).__name__}"
            )
        if day in self._holiday_dates:
            return True
        lookup = self._holiday_lookup
        return lookup is not None and day in lookup

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if the window is open then, otherwise the next opening (UTC).

        Raises:
            InvalidInputError: the window is never open.

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.next_open(datetime(2024, 5, 4, 12, tzinfo=timezone.utc)).isoformat()
        '2024-05-06T09:00:00+00:00'
        """
        t = _to_us(at, "at")
        if self._zone is None:
            return _in_zone(at, UTC)
        self._require_open_sometime()
        span = self._span_for(t, t)
        index = bisect_right(span.starts_list, t) - 1
        if index >= 0 and t < span.ends_list[index]:
            return _in_zone(at, UTC)
        # The next opening is where business time first grows past its value at t.
        span, index, _ = self._forward(t, 1, span)
        return _from_us(span.starts_list[index])

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``u >= start`` with ``elapsed(start, u) == duration`` (UTC).

        Raises:
            InvalidInputError: ``duration`` is negative, or the window is never open.
            TimezoneError: ``start`` is naive.

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.add(datetime(2024, 5, 3, 16, 30, tzinfo=timezone.utc), timedelta(minutes=30))
        datetime.datetime(2024, 5, 3, 17, 0, tzinfo=datetime.timezone.utc)
        """
        t = _to_us(start, "start")
        d = _duration_us(duration)
        if self._zone is None or d == 0:
            return _from_us(t + d)
        if self._never_open:
            self._require_open_sometime()
        span = self._span
        if span is None or not span.lo <= t <= span.hi:
            span = self._span_for(t, t)
        # Fast path: the due instant lies in the intervals already built.
        starts = span.starts_list
        index = bisect_right(starts, t) - 1
        target = d
        if index >= 0:
            target += span.before_list[index] + min(t, span.ends_list[index]) - starts[index]
        found = bisect_left(span.after_list, target)
        if found < len(starts) and starts[found] < span.hi:
            return _from_us(starts[found] + target - span.before_list[found])
        span, found, target = self._forward(t, d, span)
        return _from_us(span.starts_list[found] + target - span.before_list[found])

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants: the real time the window is open in between.

        Raises:
            InvalidInputError: ``end`` is before ``start``.

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.elapsed(datetime(2024, 5, 3, 16, tzinfo=timezone.utc),
        ...           datetime(2024, 5, 6, 10, tzinfo=timezone.utc))
        datetime.timedelta(seconds=7200)
        """
        a = _to_us(start, "start")
        b = _to_us(end, "end")
        if b < a:
            raise InvalidInputError(
                f"end {end.isoformat()} is before start {start.isoformat()}; swap them"
            )
        if self._zone is None:
            return timedelta(microseconds=b - a)
        span = self._span
        if span is None or not (span.lo <= a and b <= span.hi):
            span = self._span_for(a, b)
        spent = span.business(b) - span.business(a)
        return timedelta(0, spent // 1_000_000, spent % 1_000_000)

    # Batch API ---------------------------------------------------------------------------------

    def add_many(self, starts: Any, duration: Any) -> npt.NDArray[np.datetime64]:
        """`add` for many starts at once: a ``datetime64[us]`` array (UTC).

        Args:
            starts: aware datetimes (``None`` for missing), or a ``datetime64`` array (UTC).
            duration: one ``timedelta`` for all, or a ``timedelta64`` array (one per start).

        Missing starts (``None``, ``NaT``) and missing durations give ``NaT``, and so does a
        row whose due time cannot be represented: past ``datetime.max`` for `always`,
        or, for a weekly window, a start or due time outside the dates the engine handles
        (0001-01-05 to 9999-12-27 UTC), as `elapsed_many` does for such instants. The
        other rows are computed as usual.

        >>> import numpy as np
        >>> w = ServiceWindow.office_hours("UTC")
        >>> starts = np.array(["2024-05-03T16:45", "2024-05-04T12:00"], dtype="datetime64[us]")
        >>> w.add_many(starts, timedelta(minutes=30)).astype(str).tolist()
        ['2024-05-06T09:15:00.000000', '2024-05-06T09:30:00.000000']
        """
        import numpy as np

        t = _instants_us(starts, "starts")
        if isinstance(duration, np.ndarray):
            if not np.issubdtype(duration.dtype, np.timedelta64) or duration.shape != t.shape:
                raise InvalidInputError(
                    "duration must be a timedelta or a timedelta64 array as long as starts"
                )
            d = duration.astype("timedelta64[us]").view(np.int64)
            missing = (t == _NAT) | (d == _NAT)
            if np.any((d < 0) & ~missing):
                raise InvalidInputError("durations cannot be negative")
        else:
            d = np.full(t.shape, _duration_us(duration), dtype=np.int64)
            missing = t == _NAT
        out = np.full(t.shape, _NAT, dtype=np.int64)
        if self._zone is None:
            ok = ~missing & (d <= _MAX_US - np.maximum(t, 0))  # past datetime.max: NaT
            out[ok] = t[ok] + d[ok]
            return out.view("datetime64[us]")
        ok = ~missing & (t >= _BATCH_LO) & (t <= _BATCH_HI)
        if not ok.any():
            return out.view("datetime64[us]")
        tv, dv = t[ok], d[ok]
        if np.any(dv > 0):
            self._require_open_sometime()
        span = self._span_for(int(tv.min()), int(tv.max()))
        result = tv.copy()  # a zero duration ends where it starts
        pending = np.flatnonzero(dv > 0)
        at_end = False
        while len(pending):
            target = span.business_many(tv[pending]) + dv[pending]
            index = np.searchsorted(span.after, target, side="left")
            count = len(span.starts)
            if count:
                safe = np.minimum(index, count - 1)
                found = (index < count) & (span.starts[safe] < span.hi)
                chosen = safe[found]
                result[pending[found]] = span.starts[chosen] + target[found] - span.before[chosen]
                pending, target = pending[~found], target[~found]
            if len(pending) and at_end:  # due after the last date the engine handles
                result[pending] = _NAT
                break
            if len(pending):
                # The slowest row leads the growth (and raises if the window stays closed).
                slowest = int(pending[np.argmax(target)])
                try:
                    span = self._forward(int(tv[slowest]), int(dv[slowest]), span)[0]
                except _BeyondRangeError:
                    span, at_end = self._span_for(span.lo, span.hi, grow_to=_LAST_DAY), True
        out[ok] = result
        return out.view("datetime64[us]")

    def elapsed_many(
        self, starts: Any, ends: Any, *, on_error: Literal["nat", "raise"] = "nat"
    ) -> npt.NDArray[np.timedelta64]:
        """`elapsed` for many pairs at once: a ``timedelta64[us]`` array.

        Args:
            starts: aware datetimes (``None`` for missing), or a ``datetime64`` array (UTC).
            ends: the same, as many as ``starts``.
            on_error: a pair whose end is before its start gives ``NaT`` (``"nat"``, the
                default: one bad row never sinks a batch) or raises (``"raise"``).

        Missing values give ``NaT``, and so do instants outside the dates a weekly window
        handles (0001-01-05 to 9999-12-27 UTC); the other rows are computed as usual.

        >>> import numpy as np
        >>> w = ServiceWindow.office_hours("UTC")
        >>> a = np.array(["2024-05-03T16:00", "2024-05-03T12:00"], dtype="datetime64[us]")
        >>> b = np.array(["2024-05-06T10:00", "2024-05-03T11:00"], dtype="datetime64[us]")
        >>> w.elapsed_many(a, b).astype("timedelta64[m]").tolist()
        [datetime.timedelta(seconds=7200), None]
        """
        import numpy as np

        if on_error not in ("nat", "raise"):
            raise InvalidInputError(f"on_error must be 'nat' or 'raise', got {on_error!r}")
        a = _instants_us(starts, "starts")
        b = _instants_us(ends, "ends")
        if a.shape != b.shape:
            raise InvalidInputError(
                f"starts and ends must be as long as each other, got {len(a)} and {len(b)}"
            )
        missing = (a == _NAT) | (b == _NAT)
        reversed_ = ~missing & (b < a)
        if on_error == "raise" and reversed_.any():
            first = int(np.flatnonzero(reversed_)[0])
            raise InvalidInputError(
                f"{int(reversed_.sum())} pairs end before they start (first at index {first})"
            )
        ok = ~(missing | reversed_)
        if self._zone is not None:
            ok &= (a >= _BATCH_LO) & (b <= _BATCH_HI)
        out = np.full(a.shape, _NAT, dtype=np.int64)
        if ok.any():
            av, bv = a[ok], b[ok]
            if self._zone is None:
                out[ok] = bv - av
            else:
                span = self._span_for(int(av.min()), int(bv.max()))
                out[ok] = span.business_many(bv) - span.business_many(av)
        return out.view("timedelta64[us]")
