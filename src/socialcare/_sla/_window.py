"""Service windows: when a brand promises to answer, and business time inside those hours.

`ServiceWindow` is the public face: constructors, value behaviour and the per-call and batch
API. The weekly rules are read in `_hours`, the UTC interval engine lives in `_intervals`, and
the batch forms' input handling and arithmetic in `_batch`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from socialcare._errors import InvalidInputError
from socialcare._sla import _batch
from socialcare._sla._hours import (
    _DAY_MIN,
    Openings,
    _as_date,
    _canonical_hours,
    _fmt_minute,
    _parse_holidays,
    _parse_hours,
    _parse_minute,
    _zone_name,
)
from socialcare._sla._instants import _duration_us, _to_us
from socialcare._sla._intervals import _Engine, _from_us
from socialcare._time import resolve_timezone

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["ServiceWindow"]

UTC = timezone.utc


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


class ServiceWindow(_Engine):
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
    intervals lazily for the dates queries need and keeps a bounded part of them (at most two
    stretches of about 41 years).

    >>> from datetime import datetime, timedelta, timezone
    >>> w = ServiceWindow.office_hours("America/New_York")
    >>> friday = datetime(2024, 5, 3, 20, 45, tzinfo=timezone.utc)  # 16:45 in New York
    >>> w.to_local(w.add(friday, timedelta(minutes=30))).strftime("%a %H:%M")
    'Mon 09:15'
    """

    __slots__ = ()

    def __init__(
        self,
        zone: str | None,
        week: tuple[Openings, ...],
        holiday_dates: frozenset[date] = frozenset(),
        holiday_lookup: Container[Any] | None = None,
    ) -> None:
        """Use `always`, `weekly` or a preset instead of calling this."""
        super().__init__(zone, week, holiday_dates, holiday_lookup)

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
        if span is not None and span.lo <= a and b <= span.hi:
            spent = span.business(b) - span.business(a)
        else:
            spent = self._elapsed_us(a, b)
        return timedelta(0, spent // 1_000_000, spent % 1_000_000)

    # Batch API ---------------------------------------------------------------------------------
    # Every batch form takes instants as a sequence of aware datetimes in any zone (``None`` for
    # missing; so is ``NaT`` or any value not equal to itself) or a numpy ``datetime64`` array
    # (UTC), and answers each row without a Python loop.
    # A naive datetime is refused with a TimezoneError naming its row.

    def is_open_many(self, instants: Any) -> npt.NDArray[np.bool_]:
        """`is_open` for many instants at once: a ``bool`` array.

        Args:
            instants: aware datetimes in any zone (``None`` for missing), or a ``datetime64`` array
                (UTC).

        A missing instant reads ``False``, as numpy compares ``NaT``; so does one outside the
        dates a weekly window handles (0001-01-05 to 9999-12-27 UTC), where `is_open` raises.

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.is_open_many([datetime(2024, 5, 3, 16, 59, tzinfo=timezone.utc),
        ...                 datetime(2024, 5, 3, 17, 0, tzinfo=timezone.utc), None]).tolist()
        [True, False, False]
        """
        return _batch.is_open_many(self, instants)

    def next_open_many(self, instants: Any) -> npt.NDArray[np.datetime64]:
        """`next_open` for many instants at once: a ``datetime64[us]`` array (UTC).

        Args:
            instants: aware datetimes in any zone (``None`` for missing), or a ``datetime64`` array
                (UTC).

        Missing instants give ``NaT``, and so do instants outside the dates a weekly window
        handles (0001-01-05 to 9999-12-27 UTC) and rows whose next opening lies after them;
        the other rows are computed as usual.

        Raises:
            InvalidInputError: the window is never open (and some instant is given), or it
                stays closed for ten years after an instant, as `next_open` does.

        >>> w = ServiceWindow.office_hours("UTC")
        >>> w.next_open_many([datetime(2024, 5, 4, 12, tzinfo=timezone.utc),
        ...                   datetime(2024, 5, 6, 10, tzinfo=timezone.utc)]).astype(str).tolist()
        ['2024-05-06T09:00:00.000000', '2024-05-06T10:00:00.000000']
        """
        return _batch.next_open_many(self, instants)

    def add_many(self, starts: Any, duration: Any) -> npt.NDArray[np.datetime64]:
        """`add` for many starts at once: a ``datetime64[us]`` array (UTC).

        Args:
            starts: aware datetimes in any zone (``None`` for missing), or a ``datetime64`` array
                (UTC).
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
        return _batch.add_many(self, starts, duration)

    def elapsed_many(
        self, starts: Any, ends: Any, *, on_error: Literal["nat", "raise"] = "nat"
    ) -> npt.NDArray[np.timedelta64]:
        """`elapsed` for many pairs at once: a ``timedelta64[us]`` array.

        Args:
            starts: aware datetimes in any zone (``None`` for missing), or a ``datetime64`` array
                (UTC).
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
        return _batch.elapsed_many(self, starts, ends, on_error)
