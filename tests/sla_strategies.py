"""Hypothesis strategies and reference checks shared by the SLA tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytz
from hypothesis import strategies as st

from socialcare._sla._window import ServiceWindow

UTC = timezone.utc

ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Asia/Tehran",
    "UTC",
)

# Fixed patterns that stress the rules: overnight openings, split days, whole days, openings
# around the usual DST switch hours (01:00-03:00), odd minutes.
PATTERNS: tuple[dict[str, str], ...] = (
    {"mon-fri": "09:00-17:00"},
    {"mon-fri": "09:00-12:00,13:00-17:00", "sat": "10:00-14:00"},
    {"daily": "01:00-03:00"},
    {"fri": "20:00-04:00", "sat": "10:00-11:00"},
    {"daily": "22:00-06:00"},
    {"mon,wed": "00:00-24:00", "thu": "02:30-02:45"},
    {"sun": "23:59-00:01"},
    {"tue-thu": "00:00-01:30,02:00-02:30,03:00-24:00"},
)

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
durations = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=12)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    st.integers(0, 96).map(lambda q: timedelta(minutes=15 * q)),
)


@st.composite
def day_openings(draw: st.DrawFn) -> str:
    """One day's openings: up to two non-overlapping 'HH:MM-HH:MM' pieces on 15-minute steps."""
    count = draw(st.integers(0, 2))
    if count == 0:
        return "closed"
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2 * count, max_size=2 * count)))
    parts = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=True):
        end_text = "24:00" if end == 96 else f"{end * 15 // 60:02d}:{end * 15 % 60:02d}"
        parts.append(f"{start * 15 // 60:02d}:{start * 15 % 60:02d}-{end_text}")
    return ",".join(parts)


@st.composite
def windows(draw: st.DrawFn) -> ServiceWindow:
    """A weekly window in one of ZONES, with a fixed or random pattern and maybe holidays."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        hours = draw(st.sampled_from(PATTERNS))
    else:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        hours = {name: draw(day_openings()) for name in names}
        if all(v == "closed" for v in hours.values()):
            hours["wed"] = "10:00-11:00"
    holidays = draw(
        st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2036, 1, 31)), max_size=30)
    )
    return ServiceWindow.weekly(zone, hours, holidays)


def reference_is_open(window: ServiceWindow, at: datetime) -> bool | None:
    """Whether ``window`` is open at ``at``, read off the local wall clock, or ``None``.

    This is the rule as written (openings of the local date, or the after-midnight part of an
    overnight opening of the previous date, minus openings starting on holidays), computed
    without the engine. It cannot say which occurrence a repeated wall time belongs to, so it
    answers ``None`` for instants whose wall time occurs twice (a DST fold).
    """
    data = window.to_dict()
    zone = pytz.timezone(data["timezone"])
    local = at.astimezone(zone)
    naive = local.replace(tzinfo=None)
    try:
        zone.localize(naive, is_dst=None)
    except pytz.AmbiguousTimeError:
        return None
    holidays = {date.fromisoformat(day) for day in data.get("holidays", [])}
    week = _week(data["hours"])
    minute = naive.hour * 60 + naive.minute + (naive.second + naive.microsecond / 1e6) / 60
    today = naive.date()
    yesterday = today - timedelta(days=1)
    if today not in holidays:
        for start, end in week[today.weekday()]:
            if start <= minute < end:
                return True
    if yesterday not in holidays:
        for start, end in week[yesterday.weekday()]:
            if start <= minute + 1440 < end:
                return True
    return False


def _week(hours: dict[str, str]) -> list[list[tuple[int, int]]]:
    """Parse canonical hours (as written by to_dict) independently of the engine's parser."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    week: list[list[tuple[int, int]]] = [[] for _ in names]
    for spec, openings in hours.items():
        days: list[int] = []
        for part in spec.split(","):
            if "-" in part:
                first, last = part.split("-")
                days.extend(range(names.index(first), names.index(last) + 1))
            else:
                days.append(names.index(part))
        for piece in openings.split(","):
            start_text, end_text = piece.split("-")
            sh, sm = map(int, start_text.split(":"))
            eh, em = map(int, end_text.split(":"))
            start, end = sh * 60 + sm, eh * 60 + em
            if end <= start:
                end += 1440
            for day in days:
                week[day].append((start, end))
    return week
