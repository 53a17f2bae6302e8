"""The batch forms of ServiceWindow: list inputs in any zone, and is_open_many/next_open_many.

Every batch form must give, row by row, what the one-at-a-time form gives for the same instant.
"""

from __future__ import annotations

import io
import struct
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
import pytz
from dateutil import tz as dateutil_tz
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sla_strategies import PATTERNS, day_openings
from socialcare import InvalidInputError, ServiceWindow, TimezoneError
from socialcare._compat import utc_transitions
from socialcare._sla._batch import _GROUP_US, _groups
from socialcare._sla._instants import _PROBE_MIN_ROWS, _STEP_US
from socialcare._sla._intervals import _CACHE_DAYS, _Lookup

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Zones with a DST history worth testing: Madrid (02:00/03:00 switches, and a 1940s past),
# Sao Paulo (switches at midnight until 2019), Lord Howe (30-minute DST), Chatham (45-minute
# offset), Kathmandu (a 15-minute offset change in 1986), New York, Dublin (negative DST).
ZONE_NAMES = (
    "Europe/Madrid",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/New_York",
    "Europe/Dublin",
)


def switches(name: str) -> list[datetime]:
    """The zone's offset changes from 1900 to 2037, as naive UTC datetimes."""
    found = utc_transitions(pytz.timezone(name))
    assert found is not None
    return [t for t in found[0] if 1900 <= t.year <= 2037]


TRANSITIONS = {name: switches(name) for name in ZONE_NAMES}


def as_us(at: datetime) -> int:
    """Microseconds since the epoch, by integer arithmetic (the reference)."""
    return (at - EPOCH) // US


def zone_in(kind: str, name: str) -> tzinfo:
    if kind == "pytz":
        return pytz.timezone(name)
    if kind == "zoneinfo":
        return zoneinfo.ZoneInfo(name)
    found = dateutil_tz.gettz(name)
    assert found is not None
    return found


@st.composite
def aware_instants(draw: st.DrawFn) -> datetime:
    """An aware datetime in any kind of tzinfo, often next to a DST switch, any fold."""
    kind = draw(st.sampled_from(["utc", "fixed", "pytz", "zoneinfo", "dateutil"]))
    if kind in ("utc", "fixed"):
        naive = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
        if kind == "utc":
            return naive.replace(tzinfo=UTC)
        offset = draw(
            st.timedeltas(
                min_value=-timedelta(hours=23, minutes=59),
                max_value=timedelta(hours=23, minutes=59),
            )
        )
        return naive.replace(tzinfo=timezone(offset))
    name = draw(st.sampled_from(ZONE_NAMES))
    zone = zone_in(kind, name)
    if draw(st.booleans()):  # an instant near a switch, read on the zone's clock
        switch = draw(st.sampled_from(TRANSITIONS[name])).replace(tzinfo=UTC)
        at = switch + draw(
            st.timedeltas(min_value=-timedelta(hours=6), max_value=timedelta(hours=6))
        )
        return at.astimezone(zone)
    naive = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
    if kind == "pytz":  # pytz's own offsets: localised, either reading of a repeated hour
        try:
            return pytz.timezone(name).localize(naive, is_dst=draw(st.booleans()))
        except (pytz.NonExistentTimeError, pytz.AmbiguousTimeError):  # pragma: no cover
            return pytz.timezone(name).localize(naive)
    return naive.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))


def scalar_next_open(window: ServiceWindow, at: datetime | None) -> datetime | None:
    return None if at is None else window.next_open(at)


def as_datetimes(values: np.ndarray) -> list[datetime | None]:  # type: ignore[type-arg]
    return [None if v is None else v.replace(tzinfo=UTC) for v in values.astype(datetime).tolist()]


# List input -----------------------------------------------------------------------------------


@PROPERTY
@given(st.lists(st.one_of(aware_instants(), st.none()), max_size=30))
@example([datetime(1833, 11, 25, tzinfo=UTC), datetime(2106, 2, 7, 6, 28, 15, 999_999, UTC)])
@example(
    [EPOCH + timedelta(seconds=s, microseconds=u) for s in (2**32, -(2**32)) for u in (-1, 0, 1)]
)
@example([datetime(1, 1, 2, 0, 0, 0, 1, UTC), datetime(9999, 12, 30, 23, 59, 59, 999_999, UTC)])
def test_a_list_is_read_exactly_in_any_zone(items: list[datetime | None]) -> None:
    # always().next_open is the identity: its batch form shows the conversion itself.
    got = ServiceWindow.always().next_open_many(items)
    assert got.dtype == np.dtype("datetime64[us]")
    expected = [_NAT if item is None else as_us(item) for item in items]
    assert got.view(np.int64).tolist() == expected
    assert as_datetimes(got) == [None if x is None else x.astimezone(UTC) for x in items]


_NAT = np.iinfo(np.int64).min


@PROPERTY
@given(
    st.sampled_from(["zoneinfo", "dateutil", "fixed"]),
    st.sampled_from(ZONE_NAMES),
    st.lists(
        st.tuples(
            st.one_of(
                st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29)),
                st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2040, 1, 1)),
            ),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_a_list_in_one_zone_is_read_exactly(
    kind: str, name: str, readings: list[tuple[datetime, int]]
) -> None:
    # All rows share one tzinfo object: the path that reads wall clocks and offsets apart.
    zone = timezone(timedelta(hours=-3, seconds=7)) if kind == "fixed" else zone_in(kind, name)
    items = [naive.replace(tzinfo=zone, fold=fold) for naive, fold in readings]
    got = ServiceWindow.always().next_open_many(items)
    assert got.view(np.int64).tolist() == [as_us(item) for item in items]


@PROPERTY
@given(
    st.sampled_from(ZONE_NAMES),
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(["localize", "astimezone", "utc", "fixed"]),
                st.one_of(
                    st.datetimes(min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29)),
                    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2040, 1, 1)),
                ),
                st.booleans(),
                st.integers(-1439, 1439),
            ),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_a_list_of_pytz_datetimes_is_read_exactly(
    name: str, rows: list[tuple[str, datetime, bool, int] | None]
) -> None:
    # pytz rows carry one tzinfo instance per period: their offsets are read once an instance.
    zone = pytz.timezone(name)
    items: list[datetime | None] = []
    for row in rows:
        if row is None:
            items.append(None)
            continue
        how, naive, is_dst, minutes = row
        try:
            if how == "localize":  # either reading of a repeated hour, a gap moved by pytz
                items.append(zone.localize(naive, is_dst=is_dst))
            elif how == "astimezone":
                items.append(naive.replace(tzinfo=UTC).astimezone(zone))
            elif how == "utc":
                items.append(naive.replace(tzinfo=pytz.utc))
            else:
                items.append(pytz.FixedOffset(minutes).localize(naive))
        except OverflowError:  # the reading leaves datetime's range: not a row to test
            continue
    got = ServiceWindow.always().next_open_many(items)
    assert got.view(np.int64).tolist() == [_NAT if x is None else as_us(x) for x in items]
    window = ServiceWindow.office_hours(name)
    inside = [x for x in items if x is not None and 1900 <= x.year <= 2100]
    assert window.is_open_many(inside).tolist() == [window.is_open(x) for x in inside]


def test_list_input_agrees_with_each_tzinfo_on_a_fold() -> None:
    # 02:30 on 2023-10-29 happens twice in Madrid: fold picks the occurrence (CEST, then CET).
    first = datetime(2023, 10, 29, 0, 30, tzinfo=UTC)
    readings = [
        datetime(2023, 10, 29, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Madrid")),
        datetime(2023, 10, 29, 2, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("Europe/Madrid")),
        datetime(2023, 10, 29, 2, 30, tzinfo=zone_in("dateutil", "Europe/Madrid")),
        datetime(2023, 10, 29, 2, 30, fold=1, tzinfo=zone_in("dateutil", "Europe/Madrid")),
        pytz.timezone("Europe/Madrid").localize(datetime(2023, 10, 29, 2, 30), is_dst=True),
        pytz.timezone("Europe/Madrid").localize(datetime(2023, 10, 29, 2, 30), is_dst=False),
    ]
    # The opening runs from 02:45 CEST (00:45 UTC) to the first 03:00 shown, 03:00 CET (02:00
    # UTC): 02:30 CEST is before it, 02:30 CET inside it.
    window = ServiceWindow.weekly("Europe/Madrid", {"daily": "02:45-03:00"})
    cest, cet = first, first + timedelta(hours=1)
    assert [as_us(r) for r in readings] == [as_us(cest), as_us(cet)] * 3
    assert window.is_open_many(readings).tolist() == [False, True] * 3
    assert as_datetimes(window.next_open_many(readings)) == [cest + timedelta(minutes=15), cet] * 3
    due = window.add_many(readings, timedelta(minutes=5))
    assert as_datetimes(due) == [window.add(r, timedelta(minutes=5)) for r in readings]
    assert as_datetimes(due) == [cest + timedelta(minutes=20), cet + timedelta(minutes=5)] * 3


# Offsets read per step (_instants._offsets_us) -----------------------------------------------
# A list of 64 or more rows in one tz database zone reads the zone's offset every three days,
# locates each change by bisection and asks rows one by one only near a change. These tests pin
# the tz database property it relies on, and compare it with each row's own utcoffset() around
# every change of zones chosen for their history.

# Changes closest together (Freetown 1939: four days), a 24-hour jump (Apia 2011, Kwajalein
# 1993), a 30-minute DST (Lord Howe), changes a week apart (Boa Vista 2000, Gaza 2040s),
# repeated or skipped clock times that span a midnight that starts a step (Lagos 1905, Buenos
# Aires 1920).
EDGE_ZONES = (
    *ZONE_NAMES,
    "Africa/Lagos",
    "America/Argentina/Buenos_Aires",
    "Africa/Freetown",
    "Pacific/Apia",
    "Pacific/Kwajalein",
    "America/Boa_Vista",
    "Asia/Gaza",
    "America/Juneau",
)


def offset_changes(zone: Any) -> list[tuple[datetime, timedelta]]:
    """A pytz zone's offset changes as (UTC instant, size), skipping name-only transitions."""
    found = utc_transitions(zone)
    if found is None:
        return []
    times, infos = found
    changes = []
    for at, before, after in zip(times[1:], infos, infos[1:], strict=False):
        if after[0] != before[0]:
            changes.append((at, abs(after[0] - before[0])))
    return changes


def closest_changes(changes: list[tuple[datetime, timedelta]]) -> timedelta:
    """The least time between two consecutive changes, less both of their sizes."""
    closest = timedelta.max
    for (first, size), (second, size2) in pairwise(changes):
        closest = min(closest, second - first - size - size2)
    return closest


def test_the_tz_database_never_changes_an_offset_twice_within_a_step() -> None:
    # What _offsets_us needs: any two changes lie further apart than a step plus both changes,
    # and no change exceeds a step. Checked on every zone pytz knows (its copy of the tz
    # database) and, below, on the copy zoneinfo and dateutil read.
    step = timedelta(microseconds=_STEP_US)
    for name in pytz.all_timezones:
        changes = offset_changes(pytz.timezone(name))
        assert all(size < step for _, size in changes), name
        assert closest_changes(changes) > step, name


def tzif_offset_changes(data: bytes) -> list[tuple[datetime, timedelta]]:
    """The offset changes of a TZif file (its 64-bit block when it has one) as (UTC, size)."""

    def block(at: int, time_size: int) -> tuple[int, list[int], list[int], int]:
        counts = struct.unpack(">6l", data[at + 20 : at + 44])
        isut, isstd, leap, times, types, chars = counts
        at += 44
        moments = list(
            struct.unpack(
                f">{times}{'q' if time_size == 8 else 'l'}", data[at : at + times * time_size]
            )
        )
        at += times * time_size
        kinds = list(data[at : at + times])
        at += times
        offsets = [struct.unpack(">l", data[at + 6 * k : at + 6 * k + 4])[0] for k in range(types)]
        at += 6 * types + chars + leap * (time_size + 4) + isstd + isut
        return at, moments, [offsets[k] for k in kinds], offsets[0] if offsets else 0

    assert data[:4] == b"TZif"
    end, moments, offsets, first = block(0, 4)
    if data[4:5] >= b"2":
        _, moments, offsets, first = block(end, 8)
    changes = []
    before = first
    for moment, offset in zip(moments, offsets, strict=True):
        if offset != before:
            changes.append(
                (EPOCH + timedelta(seconds=moment), timedelta(seconds=abs(offset - before)))
            )
        before = offset
    return changes


def system_zone_files() -> dict[str, bytes]:
    """The TZif data zoneinfo reads for each of its zones (the system's or the tzdata package's)."""
    from importlib import resources
    from pathlib import Path

    found = {}
    for name in sorted(zoneinfo.available_timezones()):
        for root in zoneinfo.TZPATH:
            path = Path(root) / name
            if path.is_file():
                found[name] = path.read_bytes()
                break
        else:
            package, _, leaf = f"tzdata.zoneinfo.{name}".replace("/", ".").rpartition(".")
            try:
                found[name] = resources.files(package).joinpath(leaf).read_bytes()
            except (ModuleNotFoundError, FileNotFoundError):
                continue
    return found


def test_the_system_tz_database_never_changes_an_offset_twice_within_a_step() -> None:
    step = timedelta(microseconds=_STEP_US)
    files = system_zone_files()
    assert len(files) > 300  # the zones zoneinfo and dateutil read were found
    closest = timedelta.max
    for name, data in files.items():
        changes = tzif_offset_changes(data)
        assert all(size < step for _, size in changes), name
        closest = min(closest, closest_changes(changes))
    assert step < closest < timedelta(days=60)  # the reader found close changes at all


def test_the_tzif_reader_finds_a_known_change() -> None:
    data = tzif([(1_000_000, 1), (2_000_000, 0)], [3600, 0])
    assert tzif_offset_changes(data) == [
        (EPOCH + timedelta(seconds=1_000_000), timedelta(hours=1)),
        (EPOCH + timedelta(seconds=2_000_000), timedelta(hours=1)),
    ]


def rows_around_changes(kind: str, name: str) -> list[datetime]:
    """Wall clocks every 25 minutes from 27 hours before to 27 hours after each of the zone's
    offset changes from 1900 to 2037, both folds, in a zone of ``kind``."""
    zone = zone_in(kind, name)
    rows = []
    for at, _ in offset_changes(pytz.timezone(name)):
        if not 1900 <= at.year <= 2037:
            continue
        wall = at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        for minutes in range(-27 * 60, 27 * 60, 25):
            for fold in (0, 1):
                rows.append((wall + timedelta(minutes=minutes)).replace(tzinfo=zone, fold=fold))
    return rows


@pytest.mark.parametrize("kind", ["zoneinfo", "dateutil"])
@pytest.mark.parametrize("name", EDGE_ZONES)
def test_rows_around_every_offset_change_are_read_exactly(kind: str, name: str) -> None:
    rows = rows_around_changes(kind, name)
    assert len(rows) >= _PROBE_MIN_ROWS
    got = ServiceWindow.always().next_open_many(rows)
    assert got.view(np.int64).tolist() == [as_us(row) for row in rows]


@pytest.mark.parametrize("kind", ["zoneinfo", "dateutil"])
@pytest.mark.parametrize("name", ["America/New_York", "Australia/Lord_Howe", "Pacific/Apia"])
def test_a_dense_list_over_decades_is_read_exactly(kind: str, name: str) -> None:
    # Rows on most steps of the span: the steps are read as one range (no np.unique).
    zone = zone_in(kind, name)
    rng = np.random.default_rng(7)
    lo = as_us(datetime(1995, 1, 1, tzinfo=UTC))
    hi = as_us(datetime(2035, 1, 1, tzinfo=UTC))
    walls = rng.integers(lo, hi, 20_000).tolist()
    rows = [
        (datetime(1970, 1, 1) + timedelta(microseconds=wall)).replace(tzinfo=zone, fold=wall % 2)
        for wall in walls
    ]
    rows += rows_around_changes(kind, name)[:2_000]
    got = ServiceWindow.always().next_open_many(rows)
    assert got.view(np.int64).tolist() == [as_us(row) for row in rows]


def tzif(changes: list[tuple[int, int]], offsets: list[int]) -> bytes:
    """A version 1 TZif file: ``changes`` are (UTC seconds, index into ``offsets``)."""
    names = b"".join(b"Z%d\0" % k for k in range(len(offsets)))
    header = (
        b"TZif" + bytes(16) + struct.pack(">6l", 0, 0, 0, len(changes), len(offsets), len(names))
    )
    times = b"".join(struct.pack(">l", at) for at, _ in changes) + bytes(i for _, i in changes)
    kinds = b"".join(struct.pack(">lBB", offset, 0, 3 * k) for k, offset in enumerate(offsets))
    return header + times + kinds + names


@pytest.mark.parametrize("kind", ["zoneinfo", "dateutil"])
def test_a_repeated_or_skipped_hour_across_the_midnight_that_starts_a_step(kind: str) -> None:
    # The clock falls back an hour at 23:30 UTC (00:30 on the clock: 23:30-00:30 repeats) and,
    # 30 days on, springs forward at 23:30 (23:30-00:30 is skipped). Both midnights start a
    # step: the step before reads the same offset at both of its ends, and only its neighbour
    # shows that its last half hour has another offset for fold=1 (or in the gap).
    step = timedelta(microseconds=_STEP_US)
    midnight = EPOCH + (datetime(2024, 1, 2, tzinfo=UTC) - EPOCH) // step * step
    assert midnight.time() == time(0)
    assert (midnight - EPOCH) % step == timedelta(0)
    first = int(midnight.timestamp()) - 1800
    data = tzif([(first, 1), (first + 30 * 86_400, 0)], [3600, 0])
    zone: tzinfo = (
        zoneinfo.ZoneInfo.from_file(io.BytesIO(data), key="Test/Straddle")
        if kind == "zoneinfo"
        else dateutil_tz.tzfile(io.BytesIO(data))
    )
    rows = []
    for day in (midnight, midnight + timedelta(days=30)):
        for minutes in range(-180, 180, 5):
            wall = day.replace(tzinfo=None) + timedelta(minutes=minutes)
            rows += [wall.replace(tzinfo=zone), wall.replace(tzinfo=zone, fold=1)]
    got = ServiceWindow.always().next_open_many(rows)
    assert got.view(np.int64).tolist() == [as_us(row) for row in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_long_list_of_mixed_zones_is_read_exactly(data: st.DataObject) -> None:
    # Groups of rows per tzinfo object, each long enough to be read per step, interleaved.
    rows: list[datetime | None] = []
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["zoneinfo", "dateutil", "pytz", "fixed", "utc"]))
        name = data.draw(st.sampled_from(EDGE_ZONES))
        count = data.draw(st.integers(_PROBE_MIN_ROWS, 150))
        near = data.draw(st.booleans())
        changes = [at for at, _ in offset_changes(pytz.timezone(name)) if at.year >= 1900]
        for _ in range(count):
            if near and changes:
                at = data.draw(st.sampled_from(changes)).replace(tzinfo=UTC) + timedelta(
                    minutes=data.draw(st.integers(-30 * 60, 30 * 60))
                )
            else:
                at = data.draw(
                    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2050, 1, 1))
                ).replace(tzinfo=UTC)
            if kind == "pytz":
                rows.append(at.astimezone(pytz.timezone(name)))
            elif kind == "fixed":
                rows.append(at.astimezone(timezone(timedelta(hours=5, minutes=45))))
            elif kind == "utc":
                rows.append(at)
            else:
                fold = data.draw(st.integers(0, 1))
                local = at.astimezone(zone_in(kind, name)).replace(fold=fold)
                rows.append(local)
        if data.draw(st.booleans()):
            rows.append(None)
    order = data.draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    got = ServiceWindow.always().next_open_many(rows)
    assert got.view(np.int64).tolist() == [_NAT if x is None else as_us(x) for x in rows]


def test_naive_rows_are_refused_by_row() -> None:
    window = ServiceWindow.office_hours("Europe/Madrid")
    aware = datetime(2024, 5, 3, 12, tzinfo=UTC)
    naive = datetime(2024, 5, 3, 12)
    with pytest.raises(TimezoneError, match=r"starts\[2\] .* is naive"):
        window.add_many([aware, None, naive], timedelta(hours=1))
    with pytest.raises(TimezoneError, match=r"ends\[0\] .* is naive"):
        window.elapsed_many([aware], [naive])
    with pytest.raises(TimezoneError, match=r"instants\[1\] .* is naive"):
        window.is_open_many([aware, naive])
    with pytest.raises(TimezoneError, match=r"instants\[0\] .* is naive"):
        window.next_open_many([naive])

    class NoOffset(tzinfo):  # aware in name only: its utcoffset() is None, so naive
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    with pytest.raises(TimezoneError, match=r"instants\[1\]"):
        window.is_open_many([aware, datetime(2024, 5, 3, tzinfo=NoOffset())])
    with pytest.raises(InvalidInputError, match=r"instants\[1\] must be an aware datetime"):
        window.is_open_many([aware, "2024-05-03T12:00Z"])


def test_missing_rows_and_other_item_kinds_in_a_list() -> None:
    window = ServiceWindow.office_hours("America/Sao_Paulo")
    friday = datetime(2024, 5, 3, 19, 30, tzinfo=UTC)  # 16:30 in Sao Paulo
    items = [friday, None, np.datetime64("NaT"), np.datetime64("2024-05-03T19:30", "us")]
    due = window.add_many(items, timedelta(hours=1))
    assert np.isnat(due).tolist() == [False, True, True, False]
    assert due[0] == due[3] == np.datetime64("2024-05-06T12:30", "us")
    assert window.is_open_many(items).tolist() == [True, False, False, True]
    assert np.isnat(window.next_open_many(items)).tolist() == [False, True, True, False]
    spent = window.elapsed_many(items, [friday + timedelta(days=3)] * 4)
    assert (
        spent.astype(timedelta).tolist()[::3] == [timedelta(hours=8)] * 2
    )  # 30 min Friday, 7.5 h Monday
    # Tuples and other iterables read like lists.
    assert np.array_equal(window.add_many(tuple(items), timedelta(hours=1)), due, equal_nan=True)
    assert np.array_equal(window.add_many(iter(items), timedelta(hours=1)), due, equal_nan=True)


# is_open_many and next_open_many ------------------------------------------------------------


@st.composite
def history_windows(draw: st.DrawFn) -> ServiceWindow:
    """A window in a zone with DST history: fixed patterns, random ones, whole days, holidays."""
    zone = draw(st.sampled_from(ZONE_NAMES))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        hours = draw(st.sampled_from(PATTERNS))
    elif choice == 1:
        hours = {"daily": "00:00-24:00"}
    else:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        hours = {name: draw(day_openings()) for name in names}
        if all(v == "closed" for v in hours.values()):
            hours["sun"] = "02:00-02:30"
    holidays = draw(
        st.sets(st.dates(min_value=date(1970, 1, 1), max_value=date(2040, 12, 31)), max_size=40)
    )
    return ServiceWindow.weekly(zone, hours, holidays)


@PROPERTY
@given(history_windows(), st.lists(st.one_of(aware_instants(), st.none()), min_size=1, max_size=20))
def test_is_open_many_and_next_open_many_equal_the_scalar_forms(
    window: ServiceWindow, items: list[datetime | None]
) -> None:
    items = [x if x is None or 1900 <= x.year <= 2100 else x.replace(year=2000) for x in items]
    opened = window.is_open_many(items)
    assert opened.dtype == np.dtype(bool)
    assert opened.tolist() == [x is not None and window.is_open(x) for x in items]
    following = window.next_open_many(items)
    assert as_datetimes(following) == [scalar_next_open(window, x) for x in items]
    # The same through a datetime64 array (UTC), and through the other batch forms.
    as64 = np.array(
        [np.datetime64("NaT") if x is None else np.datetime64(as_us(x), "us") for x in items],
        dtype="datetime64[us]",
    )
    assert np.array_equal(window.is_open_many(as64), opened)
    assert np.array_equal(window.next_open_many(as64), following, equal_nan=True)
    due = window.add_many(items, timedelta(minutes=45))
    assert as_datetimes(due) == [
        None if x is None else window.add(x, timedelta(minutes=45)) for x in items
    ]
    later = [None if x is None else x + timedelta(days=3, minutes=7) for x in items]
    spent = window.elapsed_many(items, later)
    assert [None if np.isnat(s) else s.astype(timedelta) for s in spent] == [
        None if x is None or y is None else window.elapsed(x, y)
        for x, y in zip(items, later, strict=True)
    ]


def test_empty_batches() -> None:
    for window in (
        ServiceWindow.office_hours("Europe/Madrid"),
        ServiceWindow.always(),
        ServiceWindow.weekly("UTC", {"daily": "closed"}),
    ):
        for instants in ([], np.array([], dtype="datetime64[us]")):
            assert window.add_many(instants, timedelta(hours=1)).shape == (0,)
            assert window.elapsed_many(instants, instants).shape == (0,)
            assert window.is_open_many(instants).dtype == np.dtype(bool)
            assert window.is_open_many(instants).shape == (0,)
            assert window.next_open_many(instants).dtype == np.dtype("datetime64[us]")
            assert window.next_open_many(instants).shape == (0,)


def test_24_7_windows() -> None:
    instants = [datetime(2024, 3, 31, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Madrid")), None]
    for window in (
        ServiceWindow.always(),
        ServiceWindow.weekly("Europe/Madrid", {"daily": "00:00-24:00"}),
    ):
        assert window.is_open_many(instants).tolist() == [True, False]
        assert as_datetimes(window.next_open_many(instants)) == [
            window.next_open(instants[0]),  # type: ignore[arg-type]
            None,
        ]


def test_never_open_window() -> None:
    never = ServiceWindow.weekly("Europe/Madrid", {"daily": "closed"})
    now = datetime(2024, 5, 3, tzinfo=UTC)
    assert never.is_open_many([now, None]).tolist() == [False, False]
    with pytest.raises(InvalidInputError, match="no opening"):
        never.next_open(now)
    with pytest.raises(InvalidInputError, match="no opening"):
        never.next_open_many([now, None])
    assert np.isnat(never.next_open_many([None, None])).all()  # nothing to answer: no error


def test_next_opening_beyond_the_built_span_and_beyond_9999() -> None:
    # Sunday openings, but every Sunday of 2030-2032 is a holiday: the next opening after a
    # day in 2030 lies years past the intervals first built around it.
    sundays = [date(2029, 12, 30) + timedelta(weeks=k) for k in range(160)]
    window = ServiceWindow.weekly("America/Sao_Paulo", {"sun": "10:00-11:00"}, sundays)
    at = [datetime(2030, 1, 2, tzinfo=UTC), datetime(2029, 12, 30, 13, 30, tzinfo=UTC)]
    expected = [window.next_open(x) for x in at]
    fresh = ServiceWindow.weekly("America/Sao_Paulo", {"sun": "10:00-11:00"}, sundays)
    assert as_datetimes(fresh.next_open_many(at)) == expected
    assert expected[0] > datetime(2033, 1, 1, tzinfo=UTC)
    # Past the last date the engine handles: NaT in batch (the scalar form raises).
    late = ServiceWindow.weekly(
        "UTC", {"mon": "09:00-10:00"}, [date(9999, 12, 20), date(9999, 12, 27)]
    )
    end = datetime(9999, 12, 20, 12, tzinfo=UTC)  # Mondays left are holidays: none opens
    with pytest.raises(InvalidInputError):
        late.next_open(end)
    result = late.next_open_many([end, datetime(9999, 12, 13, 9, 30, tzinfo=UTC), None])
    assert np.isnat(result).tolist() == [True, False, True]
    assert late.is_open_many([datetime(1, 1, 1, tzinfo=UTC), end]).tolist() == [False, False]


def test_a_large_batch_agrees_with_the_scalar_forms() -> None:
    window = ServiceWindow.weekly(
        "Europe/Madrid",
        {"mon-fri": "08:30-14:00,15:00-18:30", "sat": "02:00-03:30"},
        {date(2024, 12, 25), date(1986, 3, 29)},
    )
    rng = np.random.default_rng(11)
    seconds = rng.integers(-10 * 365 * 86_400, 60 * 365 * 86_400, 4000)
    instants = [EPOCH + timedelta(seconds=int(s)) for s in seconds]
    zones = [zoneinfo.ZoneInfo("Europe/Madrid"), pytz.timezone("America/Sao_Paulo"), UTC]
    mixed = [x.astimezone(zones[i % 3]) for i, x in enumerate(instants)]
    opened = window.is_open_many(mixed)
    following = window.next_open_many(mixed)
    due = window.add_many(mixed, timedelta(hours=20))
    for index in rng.integers(0, len(mixed), 200).tolist():
        at = mixed[index]
        assert opened[index] == window.is_open(at)
        assert following[index].astype(datetime).replace(tzinfo=UTC) == window.next_open(at)
        assert due[index].astype(datetime).replace(tzinfo=UTC) == window.add(
            at, timedelta(hours=20)
        )


# The bucket lookup behind the batch forms ----------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(2**61), 2**61), min_size=0, max_size=60, unique=True),
    st.lists(st.integers(-(2**61), 2**61), min_size=1, max_size=60),
    st.integers(0, 3),
)
def test_lookup_is_searchsorted(values: list[int], queries: list[int], cluster: int) -> None:
    ordered = np.sort(np.array(values, dtype=np.int64))
    if cluster and len(ordered):  # crowd some values together to force narrow buckets
        ordered = np.unique(np.concatenate((ordered, ordered[0] + np.arange(10**cluster))))
    x = np.array(queries + ordered.tolist() + (ordered - 1).tolist(), dtype=np.int64)
    assert np.array_equal(_Lookup(ordered).right(x), np.searchsorted(ordered, x, side="right"))


# Far-apart rows: answered from spans of their own, and the kept spans stay small ---------------


def kept_intervals(window: ServiceWindow) -> int:
    """How many open intervals the window keeps between calls."""
    spans = (window._span, window._spare)
    return sum(len(span.starts_list) for span in spans if span is not None)


def batch_equals_scalar(window: ServiceWindow, items: list[datetime | None]) -> None:
    """Every batch form equals its scalar form row by row (NaT where the scalar one raises)."""

    def scalar(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except InvalidInputError:
            return None

    assert window.is_open_many(items).tolist() == [
        x is not None and bool(scalar(lambda x=x: window.is_open(x))) for x in items
    ]
    assert as_datetimes(window.next_open_many(items)) == [
        None if x is None else scalar(lambda x=x: window.next_open(x)) for x in items
    ]
    assert as_datetimes(window.add_many(items, timedelta(hours=3))) == [
        None if x is None else scalar(lambda x=x: window.add(x, timedelta(hours=3))) for x in items
    ]
    later = [None if x is None else x + timedelta(days=2, minutes=7) for x in items]
    spent = window.elapsed_many(items, later)
    assert [None if np.isnat(s) else s.astype(timedelta) for s in spent] == [
        None if x is None or y is None else scalar(lambda x=x, y=y: window.elapsed(x, y))
        for x, y in zip(items, later, strict=True)
    ]


def test_far_apart_rows_equal_the_scalar_forms_and_keep_the_window_small() -> None:
    hours = {"mon-fri": "09:00-12:00,13:00-17:00", "sat": "22:00-02:00"}
    holidays = [date(2026, 1, 6), date(9999, 1, 11), date(3000, 1, 13)]
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    items: list[datetime | None] = [
        datetime(2026, 1, 5, 10, tzinfo=UTC),
        datetime(9999, 1, 10, 23, 30, tzinfo=UTC),
        None,
        datetime(2026, 1, 6, 10, tzinfo=paris),
        datetime(3000, 1, 13, 10, tzinfo=UTC),
        datetime(1, 1, 10, 12, tzinfo=UTC),
        datetime(1700, 3, 1, 10, 0, 0, 1, tzinfo=paris),
        datetime(2026, 3, 29, 1, 30, tzinfo=paris),
        datetime(9999, 12, 20, tzinfo=UTC),
        datetime(2027, 6, 1, 16, 59, tzinfo=pytz.timezone("Europe/Paris")),
    ]
    batch_equals_scalar(ServiceWindow.weekly("Europe/Paris", hours, holidays), items)
    # The batch forms, on a fresh window: one row in 9999 among rows of 2026 keeps no
    # millennia of intervals (it built 4.2 million of them before: 1.1 GB).
    window = ServiceWindow.weekly("Europe/Paris", hours, holidays)
    window.is_open_many(items)
    window.next_open_many(items)
    window.add_many(items, timedelta(hours=3))
    window.elapsed_many(items, items)
    assert kept_intervals(window) < 10_000
    # The scalar forms too: a query in 2026, then one in 2999.
    scalar = ServiceWindow.weekly("Europe/Paris", hours)
    scalar.is_open(datetime(2026, 1, 5, 10, tzinfo=UTC))
    first = scalar._span
    scalar.is_open(datetime(2999, 1, 5, 10, tzinfo=UTC))
    assert scalar._span is first  # the span of the bulk of queries stays
    assert kept_intervals(scalar) < 10_000
    assert scalar.is_open(datetime(2026, 1, 5, 10, tzinfo=UTC))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history_windows(),
    st.lists(
        st.one_of(
            st.none(),
            st.builds(
                lambda year, seconds: datetime(year, 1, 6, tzinfo=UTC) + timedelta(seconds=seconds),
                st.sampled_from([1, 2, 1800, 1950, 2026, 2028, 2070, 2150, 3000, 9999]),
                st.integers(0, 340 * 86_400),  # inside the batch range
            ),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_rows_years_apart_equal_the_scalar_forms(
    window: ServiceWindow, items: list[datetime | None]
) -> None:
    batch_equals_scalar(window, items)
    assert kept_intervals(window) < 30_000


def test_groups_cover_each_row_once() -> None:
    rng = np.random.default_rng(5)
    day = 86_400_000_000
    lo = np.concatenate(
        (rng.integers(0, 900 * day, 500), rng.integers(-700_000 * day, 2_900_000 * day, 60))
    )
    hi = lo + rng.integers(0, 5 * day, len(lo))
    hi[3] = lo[3] + 30_000 * day  # one pair wider than a group
    groups = _groups(lo, hi)
    rows = np.concatenate([g[0] for g in groups if g[0] is not None])
    assert sorted(rows.tolist()) == list(range(len(lo)))
    assert len(groups[0][0]) >= 500  # type: ignore[arg-type]  # the bulk first
    for found, first, last in groups:
        assert found is not None
        assert first == lo[found].min()
        assert last == hi[found].max()
        assert lo[found].max() - first <= _GROUP_US
    near = lo[:500]
    assert _groups(near, near + day) == [(None, int(near.min()), int(near.max()) + day)]


def test_not_a_time_in_a_list_is_a_missing_row_and_refused_by_the_scalar_forms() -> None:
    pd = pytest.importorskip("pandas")
    window = ServiceWindow.office_hours("Europe/Paris")
    friday = datetime(2024, 5, 3, 14, tzinfo=UTC)
    items = [friday, pd.NaT, np.datetime64("NaT"), float("nan"), None, pd.Timestamp(friday)]
    assert window.is_open_many(items).tolist() == [True, False, False, False, False, True]
    missing = [False, True, True, True, True, False]
    assert np.isnat(window.next_open_many(items)).tolist() == missing
    assert np.isnat(window.add_many(items, timedelta(hours=1))).tolist() == missing
    assert np.isnat(window.elapsed_many(items, [friday] * 6)).tolist() == missing
    assert np.isnat(window.elapsed_many([friday] * 6, items)).tolist() == missing
    assert window.is_open_many([pd.NaT]).tolist() == [False]
    for name, call in (
        ("at", lambda: window.is_open(pd.NaT)),
        ("at", lambda: window.next_open(pd.NaT)),
        ("at", lambda: window.to_local(pd.NaT)),
        ("at", lambda: ServiceWindow.always().is_open(pd.NaT)),
        ("start", lambda: window.add(pd.NaT, timedelta(hours=1))),
        ("start", lambda: window.elapsed(pd.NaT, friday)),
        ("end", lambda: window.elapsed(friday, pd.NaT)),
    ):
        with pytest.raises(InvalidInputError, match=rf"^{name} is missing"):
            call()


def test_business_time_across_centuries_is_summed_exactly_in_small_stretches() -> None:
    hours = {"mon-fri": "09:00-12:00,13:00-17:00", "sat": "22:00-02:00"}
    holidays = [date(2026, 12, 25), date(2101, 3, 28), date(2300, 1, 1)]
    window = ServiceWindow.weekly("America/New_York", hours, holidays)
    start = datetime(2026, 1, 5, 10, 17, 3, 5, tzinfo=UTC)
    end = datetime(2400, 6, 1, 12, 30, tzinfo=UTC)
    # The reference: one span over the whole stretch, built directly.
    first, last = as_us(start) // DAY_US - 3, as_us(end) // DAY_US + 3
    whole = ServiceWindow.weekly("America/New_York", hours, holidays)._build(first, last)
    expected = whole.business(as_us(end)) - whole.business(as_us(start))
    assert window.elapsed(start, end) == timedelta(microseconds=expected)
    spent = window.elapsed_many([start, start, None], [end, start + timedelta(days=9), end])
    assert spent[0].astype(timedelta) == timedelta(microseconds=expected)
    assert spent[1].astype(timedelta) == window.elapsed(start, start + timedelta(days=9))
    assert np.isnat(spent[2])
    # To the year 9999: the sum does not depend on where it is cut.
    far = datetime(9999, 11, 30, 8, tzinfo=UTC)
    middle = datetime(5003, 7, 9, 13, 1, tzinfo=UTC)
    total = window.elapsed(start, far)
    assert total == window.elapsed(start, middle) + window.elapsed(middle, far)
    assert window.elapsed_many([start], [far])[0].astype(timedelta) == total
    kept = [span for span in (window._span, window._spare) if span is not None]
    assert all(span.end_day - span.first_day <= _CACHE_DAYS for span in kept)


DAY_US = 86_400_000_000
