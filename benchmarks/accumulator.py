"""Benchmark: report over partitions with metrics.Accumulator + merge, against the whole.

Run: python benchmarks/accumulator.py  (needs pandas: pip install pandas)
     python benchmarks/accumulator.py --sketch-libraries  (the measurements behind the sketch
     choice; needs pip install ddsketch pytdigest crick tdigest)

The same seeded 1,000,000 synthetic conversations as metrics_benchmark.py, cut into K = 16
partitions. Times, in one run: ``metrics.report`` on the whole columns; one ``Accumulator``
per partition (``add``), then ``merge`` (all at once, and as a pairwise tree as a scheduler
would), then ``report``; the same in sketch mode (``relative_error=0.01``); and the pandas
groupby a user would write for the same duration medians and percentiles on the whole frame.
Checks that the merged exact report equals ``report`` on the whole, and measures the sketch's
largest relative error over every group and quantile. Memory: the pickled size of the merged
accumulator (what a scheduler ships) and the peak traced allocation while accumulating.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import pickle
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _common import machine_note
from metrics_benchmark import synthetic

from socialcare import metrics
from socialcare.metrics import Accumulator, Report

N = 1_000_000
K = 16
TZ = "America/New_York"
BY = ["platform", "period"]
DURATIONS = ("first_response_time", "next_response_time", "reply_wait_time", "time_to_resolution")


def best_of(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def accumulate(parts: Sequence[metrics.Columns], relative_error: float | None) -> list[Accumulator]:
    return [Accumulator(by=BY, tz=TZ, relative_error=relative_error).add(part) for part in parts]


def tree(accumulators: list[Accumulator]) -> Accumulator:
    """Pairwise merges, level by level, as a scheduler's tree reduction does."""
    level = accumulators
    while len(level) > 1:
        level = [
            level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0]


def largest_error(approximate: Report, exact: Report) -> float:
    """The largest relative error of any duration median/p90/p95 in any group."""
    worst = 0.0
    for row, want in zip(approximate.rows, exact.rows, strict=True):
        for name in DURATIONS:
            got_summary, want_summary = getattr(row, name), getattr(want, name)
            for q in ("median", "p90", "p95"):
                got, truth = getattr(got_summary, q), getattr(want_summary, q)
                if truth is not None and truth.total_seconds() > 0:
                    worst = max(worst, abs((got - truth) / truth))
    return worst


def traced_peak(fn: Callable[[], Any]) -> tuple[float, Any]:
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, result


def pandas_medians(pd: Any, raw: dict[str, Any]) -> Callable[[], Any]:
    """The groupby a notebook user writes for the same duration medians and percentiles."""
    codes, cats = raw["platform"]
    frame = pd.DataFrame(
        {
            "platform": pd.Categorical.from_codes(codes, categories=cats),
            "first_customer_at": raw["first_customer_at"],
            "frt": raw["first_human_response_at"] - raw["first_customer_at"],
            "ttr": raw["resolved_at"] - raw["first_customer_at"],
        }
    )
    local = frame["first_customer_at"].dt.tz_localize("UTC").dt.tz_convert(TZ)
    frame["week"] = local.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    turns = pd.DataFrame(
        {
            "conv": raw["exchange_conv"],
            "wait": raw["exchange_reply_at"] - raw["exchange_customer_at"],
        }
    )
    turns["first"] = ~turns["conv"].duplicated()
    keys = ["platform", "week"]

    def run() -> Any:
        def stats(grouped: Any, prefix: str) -> Any:
            q = grouped.quantile([0.5, 0.9, 0.95]).unstack()
            q.columns = [f"{prefix}_{c}" for c in ("median", "p90", "p95")]
            return q

        g = frame.groupby(keys, observed=True, sort=True)
        t = turns.merge(frame[keys], left_on="conv", right_index=True)
        tg = t.groupby(keys, observed=True, sort=True)
        later = t[~t["first"]].groupby(keys, observed=True, sort=True)
        return pd.concat(
            [
                stats(g["frt"], "frt"),
                stats(g["ttr"], "ttr"),
                stats(tg["wait"], "reply_wait"),
                stats(later["wait"], "nrt"),
            ],
            axis=1,
        )

    return run


def run_mode(
    parts: list[metrics.Columns],
    label: str,
    error: float | None,
    whole: Report,
    t_whole: float,
) -> float:
    """Accumulate, merge and report in one mode; print the figures; return the total time."""
    t_add, accumulators = best_of(lambda: accumulate(parts, error))
    t_merge, merged = best_of(lambda: accumulators[0].merge(*accumulators[1:]))
    t_tree, treed = best_of(lambda: tree(accumulators))
    t_report, result = best_of(merged.report)
    total = t_add + t_merge + t_report
    size = len(pickle.dumps(merged)) / 2**20
    part_size = max(len(pickle.dumps(a)) for a in accumulators) / 2**20
    print(
        f"  {label}: add {K} partitions {t_add:.3f} s, merge(*all) {t_merge:.3f} s "
        f"(pairwise tree {t_tree:.3f} s), report {t_report:.3f} s; total {total:.3f} s = "
        f"{total / t_whole:.2f}x report on the whole"
    )
    print(f"    pickled: merged {size:.1f} MiB, largest partition accumulator {part_size:.1f} MiB")
    if error is None:
        same = result == whole and treed.report() == whole
        print(f"    merged report == report on the whole (every field): {same}")
        if not same:
            sys.exit("the merged exact report differs from report(): a bug")
    else:
        worst = largest_error(result, whole)
        rest = all(
            r.conversations == w.conversations
            and r.reply_rate == w.reply_rate
            and r.first_response_time.mean == w.first_response_time.mean
            and r.unique_customers == w.unique_customers
            for r, w in zip(result.rows, whole.rows, strict=True)
        )
        print(
            f"    largest relative error of any median/p90/p95 over {len(result)} groups x "
            f"4 durations: {worst:.4%} (stated bound {error:.0%}); counts, rates, means equal "
            f"the exact report: {rest}"
        )
    return total


def main() -> None:
    import pandas as pd

    print(f"accumulator benchmark: {N:,} conversations in {K} partitions, by={BY}, {TZ}")
    print(machine_note())
    raw = synthetic(N)
    cols = metrics.from_columns(**raw)
    bounds = np.linspace(0, N, K + 1).astype(np.int64)
    by_row = [cols.take(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]
    order = np.argsort(cols.first_customer_at, kind="stable")
    # Sorted positions: take() keeps each partition's exchange table in conversation order.
    by_time = [cols.take(np.sort(order[a:b])) for a, b in itertools.pairwise(bounds)]

    t_whole, whole = best_of(lambda: metrics.report(cols, by=BY, tz=TZ))
    print(f"report on the whole columns: {t_whole:.3f} s, {len(whole)} rows")

    figures: dict[str, float] = {}
    for scenario, parts in (
        ("partitions by time (about 6 days each)", by_time),
        ("partitions by row (each spans all 90 days)", by_row),
    ):
        print(scenario)
        for label, error in (("exact", None), ("sketch 1%", 0.01)):
            total = run_mode(parts, label, error, whole, t_whole)
            figures.setdefault(label, total)
    parts = by_time
    peak_cols, _ = traced_peak(lambda: metrics.from_columns(**raw))
    peak_exact, _ = traced_peak(lambda: tree(accumulate(parts, None)))
    peak_sketch, _ = traced_peak(lambda: tree(accumulate(parts, 0.01)))
    print(
        f"peak traced memory: building the whole columns {peak_cols:.0f} MiB; accumulating and "
        f"merging the partitions exact {peak_exact:.0f} MiB, sketch {peak_sketch:.0f} MiB"
    )
    run = pandas_medians(pd, raw)
    t_pd, out = best_of(run)
    print(
        f"pandas {pd.__version__} groupby quantiles (median/p90/p95 of the 4 durations, whole "
        f"frame prebuilt): {t_pd:.3f} s, {len(out)} rows"
    )
    key = next(iter(whole.rows))
    mine = key.first_response_time.median
    theirs = out.loc[(key.keys["platform"], pd.Timestamp(key.keys["period"])), "frt_median"]
    assert abs(mine - theirs.to_pytimedelta()).total_seconds() <= 1e-6, (mine, theirs)
    print(
        f"ratios (partitions by time): accumulate+merge+report / report on the whole: exact "
        f"{figures['exact'] / t_whole:.2f}x, sketch {figures['sketch 1%'] / t_whole:.2f}x; "
        f"pandas quantiles alone / report on the whole {t_pd / t_whole:.2f}x, / accumulate+"
        f"merge+report exact {t_pd / figures['exact']:.2f}x"
    )


# -- the measurements behind the sketch choice ---------------------------------------------


def response_times(n: int, seed: int = 1) -> np.ndarray:
    """Realistic response times in µs: seconds (bots), minutes to hours, and days."""
    rng = np.random.default_rng(seed)
    kind = rng.random(n)
    seconds = np.where(
        kind < 0.25,
        rng.lognormal(np.log(20), 0.8, n),
        np.where(
            kind < 0.9, rng.lognormal(np.log(1800), 1.3, n), rng.lognormal(np.log(172800), 0.9, n)
        ),
    )
    return np.rint(seconds * 1e6).astype(np.int64)


def sketch_libraries() -> None:
    import importlib

    from socialcare.metrics._accumulator import _Sketch

    n, parts_count = 1_000_000, 16
    values = response_times(n)
    grid = np.arange(1, 100) / 100

    def measure(
        name: str,
        build: Callable[[np.ndarray], Any],
        merge: Callable[[list[Any]], Any],
        quantile: Callable[[Any, float], float],
        size: int,
    ) -> None:
        data = values[:size]
        exact = np.quantile(data.astype(np.float64), grid)
        chunks = np.array_split(data, parts_count)
        start = time.perf_counter()
        sketches = [build(c) for c in chunks]
        t_build = (time.perf_counter() - start) / size * 1e9
        start = time.perf_counter()
        merged = merge(sketches)
        t_merge = (time.perf_counter() - start) * 1e3
        estimates = np.array([quantile(merged, q) for q in grid])
        errors = np.abs(estimates - exact) / exact
        whole = build(data)
        same = all(quantile(whole, q) == e for q, e in zip(grid, estimates, strict=True))
        try:
            kib = f"{len(pickle.dumps(merged)) / 1024:.1f} KiB"
        except Exception:
            kib = "not picklable"
        p50, p90, p99 = (errors[round(q * 100) - 1] for q in (0.5, 0.9, 0.99))
        print(
            f"{name:32s} {t_build:7.0f} ns/value  merge {t_merge:7.2f} ms  rel.err p50 "
            f"{p50:.3%} p90 {p90:.3%} p99 {p99:.3%} worst p1..p99 {errors.max():.3%}  "
            f"{kib:>14s}  merged == sketch of whole: {same}"
        )

    print(f"{n:,} response times (seconds to days), {parts_count} partitions merged")

    def ours(error: float) -> None:
        def build(chunk: np.ndarray) -> Any:
            sketch = _Sketch(error)
            sketch.add_values(chunk, np.zeros(len(chunk), dtype=np.int64), 1)
            return sketch

        def merge(sketches: list[Any]) -> Any:
            out = _Sketch(error)
            for sketch in sketches:
                out.absorb(sketch, np.zeros(1, dtype=np.int64), 1)
            return out

        def quantile(sketch: Any, q: float) -> float:
            return float(sketch.quantile(q, 1)[0])

        measure(f"socialcare (numpy) a={error}", build, merge, quantile, n)

    ours(0.01)
    ours(0.005)
    try:
        ddsketch = importlib.import_module("ddsketch")

        def dd_build(chunk: np.ndarray) -> Any:
            sketch = ddsketch.DDSketch(relative_accuracy=0.01)
            for v in chunk.tolist():
                sketch.add(v)
            return sketch

        def dd_merge(sketches: list[Any]) -> Any:
            out = ddsketch.DDSketch(relative_accuracy=0.01)
            for sketch in sketches:
                out.merge(sketch)
            return out

        measure(
            "ddsketch a=0.01 (n/10)",
            dd_build,
            dd_merge,
            lambda s, q: s.get_quantile_value(q),
            n // 10,
        )
    except ImportError:
        print("ddsketch not installed: skipped")
    try:
        pytdigest = importlib.import_module("pytdigest")
        for c in (100, 500):
            measure(
                f"pytdigest compression={c}",
                lambda chunk, c=c: pytdigest.TDigest.compute(chunk.astype(float), compression=c),
                lambda ss: functools.reduce(pytdigest.TDigest.combine, ss),
                lambda s, q: float(s.inverse_cdf(q)),
                n,
            )
    except ImportError:
        print("pytdigest not installed: skipped")
    try:
        crick = importlib.import_module("crick")
        for c in (100, 500):

            def crick_build(chunk: np.ndarray, c: int = c) -> Any:
                digest = crick.TDigest(compression=c)
                digest.update(chunk.astype(float))
                return digest

            def crick_merge(digests: list[Any], c: int = c) -> Any:
                out = crick.TDigest(compression=c)
                out.merge(*digests)
                return out

            measure(
                f"crick TDigest compression={c}",
                crick_build,
                crick_merge,
                lambda s, q: float(s.quantile(q)),
                n,
            )
    except ImportError:
        print("crick not installed: skipped")
    try:
        tdigest = importlib.import_module("tdigest")

        def td_build(chunk: np.ndarray) -> Any:
            digest = tdigest.TDigest()
            digest.batch_update(chunk.tolist())
            return digest

        measure(
            "tdigest (n/100)",
            td_build,
            lambda ds: functools.reduce(lambda a, b: a + b, ds),
            lambda s, q: s.percentile(q * 100),
            n // 100,
        )
    except ImportError:
        print("tdigest not installed: skipped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sketch-libraries", action="store_true")
    if parser.parse_args().sketch_libraries:
        sketch_libraries()
    else:
        main()
