"""Business-time arithmetic: socialcare.ServiceWindow against businesstimedelta and pandas.

Run: ``python benchmarks/sla_benchmark.py`` (needs ``pip install -e '.[bench]'``: pandas,
businesstimedelta and holidays are benchmark-only, never runtime dependencies).

The window is the one all three can express: Monday to Friday, 09:00-17:00 in
America/New_York, no holidays. Starts are 100,000 random whole-second instants in 2020-2030;
ends are 0-10 days later. Timed, in the same run:

- ``add(start, 15 minutes)`` and ``elapsed(start, end)``: ours per call (a Python loop over
  ``ServiceWindow.add``/``elapsed``), ours batch (``add_many``/``elapsed_many``) on
  ``datetime64`` arrays, on lists of aware UTC datetimes and on lists of aware datetimes in
  the window's zone (``zoneinfo``, pytz and dateutil tzinfos), businesstimedelta
  (``start + BusinessTimeDelta`` and ``rules.difference``);
- ``add(start, 1 hour)``: pandas ``DatetimeIndex + CustomBusinessHour(1)`` (pandas cannot add
  15 business minutes: ``CustomBusinessHour`` takes whole hours; it has no business-time
  difference either).

- ``is_open`` and ``next_open``: ours per call against ``is_open_many``/``next_open_many`` on
  the list (no competitor has them).

The slow competitors run on the first N_SLOW starts and are compared per item. Then every
answer is checked against ours, and a second, small section shows why answers differ on DST
nights. The machine is shared and noisy (2 cores): times are CPU time of this process; read
ratios, not absolute times.
"""

from __future__ import annotations

import sys
import time
import warnings
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from typing import Any

import numpy as np
import pytz
from dateutil import tz as dateutil_tz

from socialcare import ServiceWindow

N = 100_000
N_SLOW = 10_000
ZONE = "America/New_York"
UTC = timezone.utc
FIFTEEN = timedelta(minutes=15)
HOUR = timedelta(hours=1)


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds of this process's CPU time) and the last result.

    CPU time, not wall time: on a shared machine other jobs' time would count otherwise, and
    everything timed here runs on one thread.
    """
    times, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = func()
        times.append(time.process_time() - started)
    return min(times), result


def per_item_us(seconds: float, count: int) -> float:
    return seconds / count * 1e6


def main() -> None:
    try:
        import businesstimedelta as btd
        import pandas as pd
    except ImportError:
        sys.exit("install the benchmark extra first: pip install -e '.[bench]'")

    rng = np.random.default_rng(2024)
    lo = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    seconds = rng.integers(lo, hi, N)
    lengths = rng.integers(0, 10 * 86_400, N)
    starts64 = (seconds * 1_000_000).astype("datetime64[us]")
    ends64 = ((seconds + lengths) * 1_000_000).astype("datetime64[us]")
    starts = [datetime.fromtimestamp(int(s), UTC) for s in seconds]
    ends = [datetime.fromtimestamp(int(s + n), UTC) for s, n in zip(seconds, lengths, strict=True)]
    local_zone = zoneinfo.ZoneInfo(ZONE)
    starts_local = [s.astimezone(local_zone) for s in starts]
    ends_local = [e.astimezone(local_zone) for e in ends]
    # The same instants in the other kinds of tzinfo a list may hold.
    pytz_zone = pytz.timezone(ZONE)
    dateutil_zone = dateutil_tz.gettz(ZONE)
    starts_pytz = [s.astimezone(pytz_zone) for s in starts]
    ends_pytz = [e.astimezone(pytz_zone) for e in ends]
    starts_dateutil = [s.astimezone(dateutil_zone) for s in starts]
    ends_dateutil = [e.astimezone(dateutil_zone) for e in ends]

    window = ServiceWindow.office_hours(ZONE)
    tz = pytz.timezone(ZONE)
    rules = btd.WorkDayRule(
        start_time=dtime(9), end_time=dtime(17), working_days=[0, 1, 2, 3, 4], tz=tz
    )
    btd_15 = btd.BusinessTimeDelta(rules, seconds=900)
    cbh = pd.offsets.CustomBusinessHour(start="09:00", end="17:00", weekmask="Mon Tue Wed Thu Fri")
    window.add(starts[0], FIFTEEN)  # build the interval cache once (it is kept)

    print(f"socialcare SLA benchmark: mon-fri 09:00-17:00 {ZONE}; python {sys.version.split()[0]}")
    print(f"n = {N:,} (ours), {N_SLOW:,} (businesstimedelta, pandas); best of 3 (slow: 1)")
    print("machine: 2 shared cores, noisy; CPU time; ratios are per item, measured in this run\n")

    rows: list[tuple[str, str, float]] = []

    # add(start, 15 minutes) ---------------------------------------------------------------------
    t, ours_add = best_of(3, lambda: [window.add(s, FIFTEEN) for s in starts])
    rows.append(("add 15m", "ours, per call", per_item_us(t, N)))
    t, ours_add64 = best_of(3, lambda: window.add_many(starts64, FIFTEEN))
    rows.append(("add 15m", "ours, batch", per_item_us(t, N)))
    t, ours_add_list = best_of(3, lambda: window.add_many(starts, FIFTEEN))
    rows.append(("add 15m", "ours, batch, list UTC", per_item_us(t, N)))
    t, ours_add_local = best_of(3, lambda: window.add_many(starts_local, FIFTEEN))
    rows.append(("add 15m", "ours, batch, list zoneinfo", per_item_us(t, N)))
    t, ours_add_pytz = best_of(3, lambda: window.add_many(starts_pytz, FIFTEEN))
    rows.append(("add 15m", "ours, batch, list pytz", per_item_us(t, N)))
    t, ours_add_du = best_of(3, lambda: window.add_many(starts_dateutil, FIFTEEN))
    rows.append(("add 15m", "ours, batch, list dateutil", per_item_us(t, N)))
    slow = starts[:N_SLOW]
    t, btd_add = best_of(1, lambda: [s + btd_15 for s in slow])
    rows.append(("add 15m", "businesstimedelta", per_item_us(t, N_SLOW)))

    # elapsed(start, end) ------------------------------------------------------------------------
    t, ours_el = best_of(
        3, lambda: [window.elapsed(a, b) for a, b in zip(starts, ends, strict=True)]
    )
    rows.append(("elapsed", "ours, per call", per_item_us(t, N)))
    t, ours_el64 = best_of(3, lambda: window.elapsed_many(starts64, ends64))
    rows.append(("elapsed", "ours, batch", per_item_us(t, N)))
    t, ours_el_list = best_of(3, lambda: window.elapsed_many(starts, ends))
    rows.append(("elapsed", "ours, batch, list UTC", per_item_us(t, N)))
    t, ours_el_local = best_of(3, lambda: window.elapsed_many(starts_local, ends_local))
    rows.append(("elapsed", "ours, batch, list zoneinfo", per_item_us(t, N)))
    t, ours_el_pytz = best_of(3, lambda: window.elapsed_many(starts_pytz, ends_pytz))
    rows.append(("elapsed", "ours, batch, list pytz", per_item_us(t, N)))
    t, ours_el_du = best_of(3, lambda: window.elapsed_many(starts_dateutil, ends_dateutil))
    rows.append(("elapsed", "ours, batch, list dateutil", per_item_us(t, N)))
    t, btd_el = best_of(
        1, lambda: [rules.difference(a, b).timedelta for a, b in zip(slow, ends, strict=False)]
    )
    rows.append(("elapsed", "businesstimedelta", per_item_us(t, N_SLOW)))

    # add(start, 1 hour): pandas can only add whole business hours ------------------------------
    t, _ = best_of(3, lambda: [window.add(s, HOUR) for s in starts])
    rows.append(("add 1h", "ours, per call", per_item_us(t, N)))
    t, ours_add_h64 = best_of(3, lambda: window.add_many(starts64, HOUR))
    rows.append(("add 1h", "ours, batch", per_item_us(t, N)))
    index = pd.DatetimeIndex(starts64[:N_SLOW]).tz_localize("UTC").tz_convert(ZONE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Non-vectorized DateOffset being applied"
        t, pandas_add = best_of(1, lambda: index + cbh)
    rows.append(("add 1h", "pandas CustomBusinessHour", per_item_us(t, N_SLOW)))

    # is_open / next_open: no competitor; the loop a user would write against the batch form.
    t, ours_open = best_of(3, lambda: [window.is_open(s) for s in starts])
    rows.append(("is_open", "ours, per call", per_item_us(t, N)))
    t, ours_open_list = best_of(3, lambda: window.is_open_many(starts))
    rows.append(("is_open", "ours, batch, list UTC", per_item_us(t, N)))
    t, ours_next = best_of(3, lambda: [window.next_open(s) for s in starts])
    rows.append(("next_open", "ours, per call", per_item_us(t, N)))
    t, ours_next_list = best_of(3, lambda: window.next_open_many(starts))
    rows.append(("next_open", "ours, batch, list UTC", per_item_us(t, N)))

    print(f"{'operation':<9} {'implementation':<27} {'µs/item':>9}   speed-up over")
    by_op: dict[str, dict[str, float]] = {}
    for op, name, us in rows:
        by_op.setdefault(op, {})[name] = us
    for op, name, us in rows:
        per_call = by_op[op]["ours, per call"]
        theirs = [(n, v) for n, v in by_op[op].items() if not n.startswith("ours")]
        if not name.startswith("ours"):
            print(f"{op:<9} {name:<27} {us:>9.3f}")
        elif name == "ours, per call":
            vs = "".join(f"   {n} {v / us:.1f}x" for n, v in theirs)
            print(f"{op:<9} {name:<27} {us:>9.3f}{vs}")
        else:
            vs = "".join(f"   {n} {v / us:.0f}x" for n, v in theirs)
            print(f"{op:<9} {name:<27} {us:>9.3f}{vs}   per-call loop {per_call / us:.1f}x")
    print("targets: per call >= 10x businesstimedelta, batch (arrays and lists) >= 100x")

    # Agreement ----------------------------------------------------------------------------------
    print("\nagreement with ours:")
    same = all(
        a == b.astype(datetime).replace(tzinfo=UTC)
        for a, b in zip(ours_add, ours_add64, strict=True)
    ) and all(a == b for a, b in zip(ours_el, ours_el64.tolist(), strict=True))
    same = same and all(
        np.array_equal(ours_add64, x)
        for x in (ours_add_list, ours_add_local, ours_add_pytz, ours_add_du)
    )
    same = same and all(
        np.array_equal(ours_el64, x)
        for x in (ours_el_list, ours_el_local, ours_el_pytz, ours_el_du)
    )
    same = same and ours_open_list.tolist() == ours_open
    same = same and all(
        a == b.astype(datetime).replace(tzinfo=UTC)
        for a, b in zip(ours_next, ours_next_list, strict=True)
    )
    print(f"  ours per call == ours batch (arrays and lists) on all {N:,} rows: {same}")
    diff_add = [i for i in range(N_SLOW) if btd_add[i] != ours_add[i]]
    print(f"  businesstimedelta add 15m: {N_SLOW - len(diff_add):,}/{N_SLOW:,} equal")
    for i in diff_add[:3]:
        print(
            f"    start {starts[i].astimezone(tz)} -> theirs {btd_add[i]}, ours "
            f"{ours_add[i].astimezone(tz)}"
        )
    diff_el = [i for i in range(N_SLOW) if btd_el[i] != ours_el[i]]
    print(f"  businesstimedelta elapsed: {N_SLOW - len(diff_el):,}/{N_SLOW:,} equal")
    for i in diff_el[:3]:
        print(
            f"    {starts[i].astimezone(tz)} .. {ends[i].astimezone(tz)}: theirs {btd_el[i]}, "
            f"ours {ours_el[i]}"
        )
    ours_h = ours_add_h64[:N_SLOW].astype("datetime64[us]")
    theirs_h = pandas_add.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]")
    diff_pd = np.flatnonzero(ours_h != theirs_h)
    print(f"  pandas CustomBusinessHour add 1h: {N_SLOW - len(diff_pd):,}/{N_SLOW:,} equal")
    for i in diff_pd[:3].tolist():
        print(
            f"    start {starts[i].astimezone(tz)} -> theirs {pandas_add[i]}, ours "
            f"{ours_add_h64[i].astype(datetime).replace(tzinfo=UTC).astimezone(tz)}"
        )

    # Where answers differ: DST nights and sub-hour targets -------------------------------------
    print(
        "\nwhy answers differ (a window that touches the DST switch: daily 01:00-03:00 New York):"
    )
    night = ServiceWindow.weekly(ZONE, {"daily": "01:00-03:00"})
    night_rules = btd.WorkDayRule(
        start_time=dtime(1), end_time=dtime(3), working_days=list(range(7)), tz=tz
    )
    for label, day in (("spring forward", (2024, 3, 10)), ("fall back", (2024, 11, 3))):
        before = tz.localize(datetime(*day) - timedelta(hours=12))
        after = before + timedelta(hours=30)
        theirs = night_rules.difference(before, after).timedelta
        print(
            f"  {label} night {day}: real open time ours {night.elapsed(before, after)}, "
            f"businesstimedelta {theirs}"
        )
    start = tz.localize(datetime(2024, 11, 3, 0, 0), is_dst=True)
    span = timedelta(hours=2, minutes=30)
    theirs_due = start + btd.BusinessTimeDelta(night_rules, timedelta=span)
    print(
        f"  00:00 on the fall-back night + 2h30m: ours {night.add(start, span).astimezone(tz)}, "
        f"businesstimedelta {theirs_due.astimezone(tz)}"
    )
    print(
        "    businesstimedelta localises 01:00 with pytz's default is_dst=False: the second"
        " 01:00, so the night it counts lasts 2h instead of 3h"
    )
    every_day = "Mon Tue Wed Thu Fri Sat Sun"
    pd_night = pd.offsets.CustomBusinessHour(n=1, start="01:00", end="03:00", weekmask=every_day)
    start = pd.Timestamp("2024-11-03 00:30", tz=ZONE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_pd = start + pd_night
    ours_pd = night.add(start.to_pydatetime(), HOUR).astimezone(tz)
    print(f"  00:30 on the fall-back night + 1h: ours {ours_pd}, pandas {theirs_pd}")
    print("    pandas counts wall-clock hours: its 1h ends 2h of real time after opening")

    print("\nwhy answers differ (closing-time boundary, the office-hours window):")
    friday = tz.localize(datetime(2024, 5, 3, 16, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_close = pd.Timestamp(friday) + cbh
    print(
        f"  Friday 16:00 + 1h: ours {window.add(friday, HOUR).astimezone(tz)}, pandas "
        f"{theirs_close}, businesstimedelta {friday + btd.BusinessTimeDelta(rules, hours=1)}"
    )
    print(
        "    pandas rolls a result that lands on closing time to the next opening; the SLA "
        "rule is that closing time is the due time"
    )
    print("  sub-hour targets: pandas CustomBusinessHour takes whole hours only (no 15m SLA)")


if __name__ == "__main__":
    main()
