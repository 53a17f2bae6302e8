"""The weekly rules of a service window: day specs, openings, holidays and the zone name.

Turns what a user writes (``{"mon-fri": "09:00-17:00"}``, ISO holiday dates, an IANA name) into
the plain values `ServiceWindow` keeps, and back into the canonical form `to_dict` writes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from itertools import pairwise
from typing import Any

from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._time import resolve_timezone

_DAY_MIN = 1440
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
