"""Vectorised per-group statistics: counts, sums, sort-based medians and percentiles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["GroupDurations", "dense_codes", "group_durations"]


def dense_codes(
    codes: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Like ``np.unique(codes, return_inverse=True)``, in linear time for compact ranges.

    Returns the sorted distinct codes and each row's index into them.

    >>> values, inverse = dense_codes(np.array([7, 3, 7, 9]))
    >>> values.tolist(), inverse.tolist()
    ([3, 7, 9], [1, 0, 1, 2])
    """
    if len(codes) == 0:
        return codes.copy(), codes.copy()
    low, high = int(codes.min()), int(codes.max())
    span = high - low + 1
    if span > 4 * len(codes) + 1_000_000:
        unique, inverse = np.unique(codes, return_inverse=True)
        return unique.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    shifted = codes - low
    present = np.bincount(shifted, minlength=span) > 0
    remap = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64) + low, remap[shifted].astype(np.int64)


def _sorted_by_group(
    values: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], n_groups: int
) -> npt.NDArray[np.int64]:
    """``values`` ordered by (group, value): one integer sort of a packed key when it fits."""
    if n_groups == 1:
        return np.sort(values)
    low = int(values.min())
    span = int(values.max()) - low + 1
    if n_groups * span < 2**62:
        packed = np.sort(groups * span + (values - low))
        return packed % span + low
    return values[np.lexsort((values, groups))]


@dataclass(frozen=True, slots=True)
class GroupDurations:
    """Per-group statistics of durations in microseconds (NaN where a group has none)."""

    count: npt.NDArray[np.int64]
    mean: npt.NDArray[np.float64]
    median: npt.NDArray[np.float64]
    p90: npt.NDArray[np.float64]
    p95: npt.NDArray[np.float64]
    minimum: npt.NDArray[np.float64]
    maximum: npt.NDArray[np.float64]


def group_durations(
    values: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], n_groups: int
) -> GroupDurations:
    """Statistics of ``values`` per group code in ``0..n_groups-1``, without a loop over rows.

    One sort by (group, value) puts each group's values in order; each quantile is then an
    index computation per group (linear interpolation, numpy's and pandas' default).

    >>> s = group_durations(np.array([5, 1, 3, 10]), np.array([0, 0, 0, 1]), 3)
    >>> s.count.tolist(), s.median.tolist()[:2], s.mean.tolist()[:2]
    ([3, 1, 0], [3.0, 10.0], [3.0, 10.0])
    """
    count = np.bincount(groups, minlength=n_groups).astype(np.int64)
    nan = np.full(n_groups, np.nan)
    if len(values) == 0:
        return GroupDurations(count, nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan)
    ordered = _sorted_by_group(values, groups, n_groups)
    ends = np.cumsum(count)
    starts = ends - count
    has = count > 0
    # reduceat needs in-range starts, so only for non-empty groups.
    sums = np.zeros(n_groups, dtype=np.float64)
    # Integer sums are exact unless they could overflow int64; then sum in float64.
    exact = int(np.abs(ordered).max()) * len(ordered) < 2**62
    addends = ordered if exact else ordered.astype(np.float64)
    sums[has] = np.add.reduceat(addends, starts[has]).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(has, sums / np.maximum(count, 1), np.nan)
    safe_first = np.minimum(starts, len(ordered) - 1)
    safe_last = np.clip(ends - 1, 0, len(ordered) - 1)
    as_float = ordered.astype(np.float64)

    def quantile(q: float) -> npt.NDArray[np.float64]:
        # The rank within the group, so a group's quantile does not depend on the size of the
        # groups sorted before it (an absolute float position would round differently).
        rank = q * (np.maximum(count, 1) - 1)
        below = np.floor(rank)
        low = np.minimum(starts + below.astype(np.int64), len(ordered) - 1)
        high = np.minimum(starts + np.ceil(rank).astype(np.int64), len(ordered) - 1)
        frac = rank - below
        result = as_float[low] + (as_float[high] - as_float[low]) * frac
        return np.where(has, result, np.nan)

    return GroupDurations(
        count=count,
        mean=mean,
        median=quantile(0.5),
        p90=quantile(0.9),
        p95=quantile(0.95),
        minimum=np.where(has, as_float[safe_first], np.nan),
        maximum=np.where(has, as_float[safe_last], np.nan),
    )
