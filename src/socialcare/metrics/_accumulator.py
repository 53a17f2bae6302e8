"""Combining partitions: an Accumulator whose merged report equals `report` over the union."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt
import pytz

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._time import resolve_timezone
from socialcare.metrics._columns import BusinessClock, Columns, Labels, to_columns
from socialcare.metrics._durations import (
    DURATION_METRICS,
    DurationMetric,
    DurationSummary,
    samples,
)
from socialcare.metrics._labels import Period, SentimentShares, check_period
from socialcare.metrics._rates import RATE_METRICS, Rate, check_zero_division, rate_masks
from socialcare.metrics._report import (
    Report,
    ReportRow,
    _groups,
    _sort_key,
    check_breakdown,
)
from socialcare.metrics._sla import SLA_STATES, SlaAttainment
from socialcare.metrics._stats import GroupDurations, _sorted_by_group, group_durations
from socialcare.metrics._surveys import CsatResult, NpsResult, score_counts

__all__ = ["Accumulator"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Key = tuple[str | date | None, ...]

# The per-group counters, one column each of an int64 table (rows are groups).
_COUNTERS: tuple[str, ...] = (
    "conversations",
    "needing_reply",
    *(f"{rate}_{part}" for rate in RATE_METRICS for part in ("num", "den")),
    *(f"{metric}_{part}" for metric in DURATION_METRICS for part in ("pending", "excluded")),
    "csat_top",
    "csat_bottom",
    "csat_invalid",
    "nps_top",
    "nps_middle",
    "nps_bottom",
    "nps_invalid",
    "negative",
    "neutral",
    "positive",
)
_COL = {name: index for index, name in enumerate(_COUNTERS)}
_TABLES = ("exchanges", "csat", "nps")
_TURN_METRICS = ("next_response_time", "reply_wait_time")
_MAX_US = float(np.iinfo(np.int64).max)
_MAX_CHUNKS = 64  # customer chunks kept before pooling them (bounds repeated pairs)
_CHUNK_CAP = 1 << 16  # exact-mode sample chunks are concatenated up to this many durations


def _grow_rows(table: IntArray, rows: int) -> IntArray:
    if table.shape[0] >= rows:
        return table
    extra = np.zeros((rows - table.shape[0], *table.shape[1:]), dtype=table.dtype)
    return np.concatenate([table, extra])


def _grow_cols(table: IntArray, cols: int) -> IntArray:
    if table.shape[1] >= cols:
        return table
    extra = np.zeros((table.shape[0], cols - table.shape[1]), dtype=table.dtype)
    return np.concatenate([table, extra], axis=1)


def _distinct(values: IntArray) -> IntArray:
    """Sorted distinct values (a sort; faster here than ``np.unique``'s hash table)."""
    if len(values) == 0:
        empty: IntArray = values.copy()
        return empty
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    out: IntArray = ordered[keep]
    return out


@dataclass(frozen=True)
class _Customers:
    """Distinct (group, customer) pairs; ``codes`` index ``categories`` (shared, never copied:
    a tuple cannot change, and partitions of one export usually share one)."""

    categories: tuple[str, ...]
    groups: IntArray
    codes: IntArray


def _pool_customers(chunks: Sequence[_Customers]) -> _Customers:
    """One chunk with every distinct pair of ``chunks``, customers matched by their text."""
    if not chunks:
        return _Customers((), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    base = chunks[0].categories
    lookup: dict[str, int] | None = None
    extra: list[str] = []
    groups, codes = [], []
    for chunk in chunks:
        groups.append(chunk.groups)
        if chunk.categories is base or chunk.categories == base:
            codes.append(chunk.codes)
            continue
        if lookup is None:  # only when partitions label customers differently
            lookup = {name: i for i, name in enumerate(base)}
        present, inverse = np.unique(chunk.codes, return_inverse=True)
        ids = np.empty(len(present), dtype=np.int64)
        for position, code in enumerate(present.tolist()):
            name = chunk.categories[code]
            found = lookup.get(name)
            if found is None:
                found = lookup[name] = len(base) + len(extra)
                extra.append(name)
            ids[position] = found
        codes.append(ids[inverse.reshape(-1)])
    categories = (*base, *extra) if extra else base
    width = max(len(categories), 1)
    pairs = _distinct(np.concatenate(groups) * width + np.concatenate(codes))
    pair_groups, pair_codes = np.divmod(pairs, width)
    return _Customers(categories, pair_groups, pair_codes)


def _settle_chunks(values: list[IntArray], groups: list[IntArray]) -> None:
    """Concatenate the last two chunks while the next-to-last is under twice the last.

    Many small ``add`` calls would otherwise keep one pair of small arrays per call (about
    200 bytes of array headers each, for a few 16-byte durations). Chunks of up to
    ``_CHUNK_CAP`` durations end up at least halving in size along the list (so there are
    about ``log2`` of them), and a duration is copied a logarithmic number of times; larger
    chunks are never copied, so an ``add`` costs what its partition costs, not what came
    before. Order is kept, so results do not change.
    """
    while len(values) > 1:
        if len(values[-1]) == 0:  # nothing measured in that partition
            del values[-1], groups[-1]
        elif (
            len(values[-2]) < 2 * len(values[-1])
            and len(values[-2]) + len(values[-1]) <= _CHUNK_CAP
        ):
            values[-2:] = [np.concatenate(values[-2:])]
            groups[-2:] = [np.concatenate(groups[-2:])]
        else:
            break


def _sum_by_sorted_key(keys: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct ``keys`` (sorted) and the summed ``counts`` of each (exact integers)."""
    if len(keys) == 0:
        return keys.copy(), counts.copy()
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    return ordered[starts], np.add.reduceat(counts[order], starts).astype(np.int64)


class _Sketch:
    """Per-group log-bucket counts of one duration metric (DDSketch's mapping, on numpy).

    A duration ``v`` >= 1 µs falls in bucket ``ceil(log(v) / log(gamma)) + 1`` with
    ``gamma = (1 + a) / (1 - a)``; 0 has bucket 0. Every value of bucket ``b`` >= 1 is within
    relative error ``a`` of ``2 * gamma**(b - 1) / (gamma + 1)``. Buckets are stored sparsely
    as packed ``group * width + bucket`` keys with their counts; merging adds counts, so the
    sketch of a union is the merge of the sketches, whatever the order. Count, sum, minimum
    and maximum per group are kept exactly beside the buckets.
    """

    def __init__(self, relative_error: float) -> None:
        self.relative_error = relative_error
        self.gamma = (1.0 + relative_error) / (1.0 - relative_error)
        self.log_gamma = math.log(self.gamma)
        self.width = math.ceil(math.log(_MAX_US) / self.log_gamma) + 3
        self.keys = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)
        self.count = np.zeros(0, dtype=np.int64)
        self.total: npt.NDArray[np.object_] = np.zeros(0, dtype=object)  # exact Python ints
        self.low = np.zeros(0, dtype=np.int64)
        self.high = np.zeros(0, dtype=np.int64)

    def buckets(self, values: IntArray) -> IntArray:
        out = np.zeros(len(values), dtype=np.int64)
        positive = values > 0
        logs = np.log(values[positive].astype(np.float64)) / self.log_gamma
        out[positive] = np.ceil(logs).astype(np.int64) + 1
        return out

    def grow(self, rows: int) -> None:
        have = len(self.count)
        if rows <= have:
            return
        extra = rows - have
        self.count = np.concatenate([self.count, np.zeros(extra, dtype=np.int64)])
        self.total = np.concatenate([self.total, np.array([0] * extra, dtype=object)])
        self.low = np.concatenate([self.low, np.full(extra, np.iinfo(np.int64).max)])
        self.high = np.concatenate([self.high, np.full(extra, -1, dtype=np.int64)])

    def add_values(self, values: IntArray, groups: IntArray, rows: int) -> None:
        """Add durations (µs, >= 0) of groups in ``0..rows-1``: one sort by (group, value)."""
        self.grow(rows)
        if len(values) == 0:
            return
        count = np.bincount(groups, minlength=rows).astype(np.int64)
        ordered = _sorted_by_group(values, groups, rows)
        has = count > 0
        ends = np.cumsum(count)
        starts = (ends - count)[has]
        present = np.flatnonzero(has)
        self.count[present] += count[present]
        if int(ordered.max()) * len(ordered) < 2**62:
            sums = np.add.reduceat(ordered, starts).astype(object)
        else:  # could overflow int64: add Python integers
            sums = np.add.reduceat(ordered.astype(object), starts)
        self.total[present] = self.total[present] + sums
        self.low[present] = np.minimum(self.low[present], ordered[starts])
        self.high[present] = np.maximum(self.high[present], ordered[ends[has] - 1])
        # Buckets grow with values, so (group, bucket) keys come out sorted: count the runs.
        keys = np.repeat(np.arange(rows, dtype=np.int64), count) * self.width
        keys += self.buckets(ordered)
        first = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        runs = np.diff(np.append(first, len(keys))).astype(np.int64)
        self._add_buckets(keys[first], runs)

    def _add_buckets(self, keys: IntArray, counts: IntArray) -> None:
        self.keys, self.counts = _sum_by_sorted_key(
            np.concatenate([self.keys, keys]), np.concatenate([self.counts, counts])
        )

    def absorb(self, other: _Sketch, remap: IntArray, rows: int) -> None:
        """Add ``other``'s groups, group ``i`` of it becoming group ``remap[i]`` here."""
        self.grow(rows)
        n = len(other.count)
        target = remap[:n]
        self.count[target] += other.count
        self.total[target] = self.total[target] + other.total
        self.low[target] = np.minimum(self.low[target], other.low)
        self.high[target] = np.maximum(self.high[target], other.high)
        groups, buckets = np.divmod(other.keys, other.width)
        self._add_buckets(remap[groups] * self.width + buckets, other.counts.copy())

    def stats(self, rows: int) -> GroupDurations:
        """Exact count, mean, min, max; median and percentiles from the buckets."""
        self.grow(rows)
        count = self.count[:rows]
        has = count > 0
        sums = np.array([float(s) for s in self.total[:rows].tolist()], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(has, sums / np.maximum(count, 1), np.nan)
        low = np.where(has, self.low[:rows].astype(np.float64), np.nan)
        high = np.where(has, self.high[:rows].astype(np.float64), np.nan)
        return GroupDurations(
            count=count.copy(),
            mean=mean,
            median=self.quantile(0.5, rows),
            p90=self.quantile(0.9, rows),
            p95=self.quantile(0.95, rows),
            minimum=low,
            maximum=high,
        )

    def quantile(self, q: float, rows: int) -> FloatArray:
        """Quantile ``q`` of each group, interpolated between ranks as the exact one is.

        The values at the two ranks around ``q * (count - 1)`` are each within the relative
        error of the true ones (clipping to the exact minimum and maximum only brings them
        closer), so their linear interpolation is within it of the exact quantile too.
        """
        self.grow(rows)
        count = self.count[:rows]
        has = count > 0
        low = np.where(has, self.low[:rows].astype(np.float64), np.nan)
        high = np.where(has, self.high[:rows].astype(np.float64), np.nan)
        cumulative = np.cumsum(self.counts)
        base = np.cumsum(count) - count
        buckets = self.keys % self.width
        rep = np.where(buckets == 0, 0.0, 2.0 * self.gamma ** (buckets - 1.0) / (self.gamma + 1.0))

        def at_rank(rank: IntArray) -> FloatArray:
            if len(cumulative) == 0:
                return np.full(rows, np.nan)
            index = np.searchsorted(cumulative, base + rank, side="right")
            index = np.minimum(index, len(cumulative) - 1)
            value: FloatArray = np.clip(rep[index], low, high)
            return value

        position = q * (np.maximum(count, 1) - 1)
        below = np.floor(position).astype(np.int64)
        above = np.ceil(position).astype(np.int64)
        lo, hi = at_rank(below), at_rank(above)
        result: FloatArray = np.where(has, lo + (hi - lo) * (position - below), np.nan)
        return result


@dataclass
class _State:
    """Everything an accumulator holds about the conversations added so far."""

    keys: list[Key] = field(default_factory=list)
    key_index: dict[Key, int] = field(default_factory=dict)
    counts: IntArray = field(default_factory=lambda: np.zeros((0, len(_COUNTERS)), np.int64))
    tables: dict[str, bool] = field(default_factory=dict)
    customers: list[_Customers] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    intent_index: dict[str, int] = field(default_factory=dict)
    intent_counts: IntArray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    sla: dict[str, IntArray] = field(default_factory=dict)
    # Exact mode: per metric, chunks of (durations in µs, group of each).
    sample_values: dict[str, list[IntArray]] = field(default_factory=dict)
    sample_groups: dict[str, list[IntArray]] = field(default_factory=dict)
    # Sketch mode: per metric, one sketch.
    sketches: dict[str, _Sketch] = field(default_factory=dict)

    def group_ids(self, keys: Sequence[Key]) -> IntArray:
        """The row of each key, adding rows for new keys."""
        out = np.empty(len(keys), dtype=np.int64)
        for position, key in enumerate(keys):
            index = self.key_index.get(key)
            if index is None:
                index = self.key_index[key] = len(self.keys)
                self.keys.append(key)
            out[position] = index
        self.counts = _grow_rows(self.counts, len(self.keys))
        self.intent_counts = _grow_rows(self.intent_counts, len(self.keys))
        for metric, table in self.sla.items():
            self.sla[metric] = _grow_rows(table, len(self.keys))
        return out

    def intent_ids(self, names: Sequence[str]) -> IntArray:
        """The column of each intent, adding columns for new ones."""
        out = np.empty(len(names), dtype=np.int64)
        for position, name in enumerate(names):
            found = self.intent_index.get(name)
            if found is None:
                found = self.intent_index[name] = len(self.intents)
                self.intents.append(name)
            out[position] = found
        self.intent_counts = _grow_cols(self.intent_counts, len(self.intents))
        return out


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:  # an object whose == fails is not the same setting
        return False


def _iana_key(zone: tzinfo) -> str | None:
    """The IANA name of ``zone`` (pytz, zoneinfo or a dateutil zone file), else ``None``."""
    names = [getattr(zone, attribute, None) for attribute in ("zone", "key")]
    filename = getattr(zone, "_filename", None)  # dateutil.tz.tzfile: its path or name
    if isinstance(filename, str):
        parts = filename.replace("\\", "/").split("/")
        names.extend("/".join(parts[i:]) for i in range(len(parts)))  # longest suffix first
    for name in names:
        if isinstance(name, str) and name in pytz.all_timezones_set:
            return name
    return None


def _fixed_offset(zone: tzinfo) -> timedelta | None:
    """The offset of a fixed-offset zone (``datetime.timezone``, pytz, dateutil), else None."""
    if isinstance(zone, timezone) or type(zone).__name__ in _FIXED_CLASSES:
        return zone.utcoffset(None)
    return None


_FIXED_CLASSES = frozenset({"_FixedOffset", "tzutc", "tzoffset"})  # pytz, dateutil


def _offset_text(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _zone_identity(zone: tzinfo | None) -> Any:
    """What decides the periods of ``zone``: merging compares this, not the zone's name.

    An IANA zone is its name (``pytz``, ``zoneinfo`` and ``dateutil`` zones of one name are
    one zone); an IANA zone that never changes offset (``UTC``, ``Etc/GMT-1``) and a fixed
    offset (``datetime.timezone``, whatever name it was given) are their offset, as
    ``"UTC+01:00"``. A fixed offset is never a zone with daylight saving. Other tzinfo
    objects are themselves (compared with ``==``).
    """
    if zone is None:
        return None
    key = _iana_key(zone)
    if key is not None:
        named = pytz.timezone(key)
        if named is pytz.utc or isinstance(named, pytz.tzinfo.StaticTzInfo):
            return _offset_text(named.utcoffset(None) or timedelta(0))
        return key
    offset = _fixed_offset(zone)
    if offset is not None:
        return _offset_text(offset)
    return zone


def _normal_zone(zone: tzinfo) -> tzinfo:
    """``zone``, or the pytz zone of its IANA name (so every partition computes alike)."""
    key = _iana_key(zone)
    return zone if key is None else resolve_timezone(key)


def _zone_name(zone: tzinfo | None) -> str | None:
    """A name `from_dict` reads back as the same zone, or None when there is none."""
    if zone is None:
        return None
    key = _iana_key(zone)
    if key is not None:
        return key
    offset = _fixed_offset(zone)
    if offset is not None:
        seconds = int(offset.total_seconds())
        if seconds == 0:
            return "UTC"
        hours, rest = divmod(seconds, 3600)
        if rest == 0 and -12 <= hours <= 14:  # IANA's fixed zones; Etc/GMT signs are inverted
            return f"Etc/GMT{-hours:+d}"
    return None


class Accumulator:
    """Metrics of conversations added a partition at a time; merged, it equals `report`.

    Build one accumulator per partition (``add`` it the partition's conversations or
    `Columns`), ``merge`` them, and ``report()``: the result is exactly
    ``report(union, **settings)``, every field, medians and percentiles included. Exact mode
    keeps every measured duration (8 bytes each plus 8 for its group); counts, rates, CSAT,
    NPS, sentiment, intents and SLA states are kept as per-group counters and customers as
    distinct (group, customer) pairs.

    With ``relative_error=a`` (sketch mode), durations are kept as log-bucket counts
    (DDSketch's mapping) instead: memory per group no longer grows with the data (at most
    about ``log(max / min duration) / (2 a)`` buckets), and the median, p90 and p95 of
    each duration summary are within relative error ``a`` of the exact ones (plus rounding to
    the microsecond). Counts, rates, means, minima and maxima stay exact. The report says so:
    ``Report.quantile_error`` is ``a`` (``None`` in exact mode).

    ``add`` returns the accumulator itself; ``merge(*others)`` returns a new accumulator and
    leaves its inputs untouched (safe when a scheduler hands the same object to several
    tasks); it shares no array with them. Accumulators pickle, and ``to_dict`` /
    ``from_dict`` give a JSON-friendly form. Settings are those of `report`; accumulators
    merge only with equal settings (``window`` and ``policy`` are compared with ``==``:
    `socialcare.ServiceWindow` and `socialcare.SLAPolicy` compare by value; ``tz`` by the
    zone it is, not its name), otherwise
    [InvalidInputError][socialcare.InvalidInputError]. See docs/metrics.md, "Combining
    partitions".

    Args:
        by: breakdown keys, as for `report`.
        window: a service window: durations in business time.
        policy: an SLA policy; applied to conversations as they are added (with ``now``).
            Columns carry SLA states in ``from_columns(sla=...)`` instead.
        now: the instant SLA states are evaluated at (aware).
        period: ``"day"``, ``"week"`` or ``"month"`` (with ``"period"`` in ``by``).
        tz: the zone whose local midnight starts a period (required with ``"period"``).
        include_automated: count automated replies as responses.
        zero_division: value of a rate with a zero denominator (default None).
        relative_error: ``None`` (exact, the default) or the relative error bound ``a`` of
            the sketch, from 1e-6 to 0.5 (0.01: 1%).

    >>> import numpy as np
    >>> from socialcare import metrics
    >>> def part(first, reply, platform):
    ...     return metrics.from_columns(first_customer_at=np.array(first, "M8[us]"),
    ...                                 first_response_at=np.array(reply, "M8[us]"),
    ...                                 platform=platform)
    >>> a = metrics.Accumulator(by=["platform"]).add(
    ...     part(["2024-05-01T09:00"], ["2024-05-01T09:10"], ["x"]))
    >>> b = metrics.Accumulator(by=["platform"]).add(
    ...     part(["2024-05-01T09:00", "2024-05-01T09:00"], ["2024-05-01T09:30", "NaT"], ["x", "x"]))
    >>> (row,) = a.merge(b).report()
    >>> row.conversations, str(row.first_response_time.median), row.reply_rate.value
    (3, '0:20:00', 0.6666666666666666)
    """

    def __init__(
        self,
        *,
        by: Sequence[str] | None = (),
        window: BusinessClock | None = None,
        policy: Any = None,
        now: datetime | None = None,
        period: Period = "week",
        tz: str | tzinfo | None = None,
        include_automated: bool = False,
        zero_division: float | None = None,
        relative_error: float | None = None,
    ) -> None:
        keys = check_breakdown(by)
        if not isinstance(include_automated, bool):
            raise InvalidInputError("include_automated must be True or False")
        if window is not None and not callable(getattr(window, "elapsed_many", None)):
            raise InvalidInputError(
                f"window must have elapsed_many(starts, ends) (a socialcare.ServiceWindow), got "
                f"{type(window).__name__}"
            )
        if policy is not None:
            if not callable(getattr(policy, "evaluate", None)):
                raise InvalidInputError(
                    f"policy must have evaluate(conversation, now) (a socialcare.SLAPolicy), "
                    f"got {type(policy).__name__}"
                )
            if not isinstance(now, datetime) or now.tzinfo is None:
                raise TimezoneError("to evaluate an SLA policy give now= as an aware datetime")
        if now is not None and (not isinstance(now, datetime) or now.tzinfo is None):
            raise TimezoneError("now must be an aware datetime (or None)")
        if relative_error is not None and (
            isinstance(relative_error, bool)
            or not isinstance(relative_error, (int, float))
            or not 1e-6 <= relative_error <= 0.5
        ):
            raise InvalidInputError(
                "relative_error is None (exact quantiles) or a number from 1e-6 to 0.5 "
                f"(0.01 for 1%), got {relative_error!r}"
            )
        self._by: tuple[str, ...] = tuple(keys)
        self._window = window
        self._policy = policy
        self._now = now
        self._zero_division = check_zero_division(zero_division)
        self._include_automated = include_automated
        self._period: Period | None = None
        self._zone: tzinfo | None = None
        if "period" in keys:
            self._period, zone = check_period(period, tz)
            self._zone = _normal_zone(zone)
        self._relative_error = None if relative_error is None else float(relative_error)
        self._state = _State()

    # -- settings ------------------------------------------------------------------------

    @property
    def by(self) -> tuple[str, ...]:
        """The breakdown keys."""
        return self._by

    @property
    def relative_error(self) -> float | None:
        """``None`` in exact mode; in sketch mode the relative error bound of the quantiles."""
        return self._relative_error

    @property
    def groups(self) -> int:
        """How many groups (report rows) have been seen."""
        return len(self._state.keys)

    def _settings(self) -> tuple[tuple[str, Any], ...]:
        return (
            ("by", self._by),
            ("window", self._window),
            ("policy", self._policy),
            ("now", self._now),
            ("period", self._period),
            ("tz", _zone_identity(self._zone)),
            ("include_automated", self._include_automated),
            ("zero_division", self._zero_division),
            ("relative_error", self._relative_error),
        )

    def _check_compatible(self, other: Any) -> None:
        if not isinstance(other, Accumulator):
            raise InvalidInputError(
                f"merge takes Accumulator objects, got {type(other).__name__}; add() "
                "conversations or columns instead"
            )
        for (name, mine), (_, theirs) in zip(self._settings(), other._settings(), strict=True):
            if not _same(mine, theirs):
                raise InvalidInputError(
                    f"cannot merge accumulators with different {name} ({mine!r} and {theirs!r}): "
                    "build every partition's accumulator with the same settings"
                )
        for table in _TABLES:
            mine_has = self._state.tables.get(table)
            theirs_has = other._state.tables.get(table)
            if mine_has is not None and theirs_has is not None and mine_has != theirs_has:
                raise InvalidInputError(_table_message(table))

    def _empty(self) -> Accumulator:
        out = Accumulator.__new__(Accumulator)
        out.__dict__.update(self.__dict__)
        out._state = _State()
        return out

    # -- adding ----------------------------------------------------------------------------

    def add(self, conversations: Columns | Iterable[Conversation]) -> Accumulator:
        """Add one partition (conversations or `Columns`); returns this accumulator.

        The partition is read whole before anything changes: a partition that raises
        leaves the accumulator as it was.
        """
        if isinstance(conversations, Columns):
            if self._policy is not None:
                raise InvalidInputError(
                    "with columns, give SLA states as from_columns(sla={metric: states}), "
                    "not policy="
                )
            cols = conversations
        else:
            cols = to_columns(conversations, policy=self._policy, now=self._now)
        part = self._partition(cols)
        for table in _TABLES:
            mine = self._state.tables.get(table)
            if mine is not None and mine != part.tables[table]:
                raise InvalidInputError(_table_message(table))
        self._absorb(part, copy=False)
        return self

    def _partition(self, cols: Columns) -> _State:
        """The state of an accumulator holding just ``cols`` (validated, nothing shared)."""
        for key in (*self._by, "intent"):
            if key != "period":
                labels: Labels = getattr(cols, key)
                if len(set(labels.categories)) != len(labels.categories):
                    raise InvalidInputError(
                        f"the {key} labels repeat a category: give each label once"
                    )
        for metric, states in cols.sla.items():
            unknown = set(states.categories) - set(SLA_STATES)
            if unknown:
                raise InvalidInputError(
                    f"sla[{metric!r}]: unknown SLA states {sorted(unknown)}; states are "
                    f"{list(SLA_STATES)}"
                )
        groups, keys = _groups(cols, self._by, self._period or "week", self._zone)
        k = len(keys)
        part = _State()
        part.keys = list(keys)
        part.key_index = {key: i for i, key in enumerate(keys)}
        counts = np.zeros((k, len(_COUNTERS)), dtype=np.int64)
        automated = self._include_automated

        def put(name: str, mask: npt.NDArray[np.bool_] | None = None) -> None:
            chosen = groups if mask is None else groups[mask]
            counts[:, _COL[name]] = np.bincount(chosen, minlength=k)[:k]

        put("conversations")
        put("needing_reply", cols.needs_reply)
        for rate in RATE_METRICS:
            num, den = rate_masks(cols, rate, include_automated=automated)
            put(f"{rate}_num", num)
            put(f"{rate}_den", den)
        turns = cols.exchanges if automated else cols.human_exchanges
        part.tables = {
            "exchanges": turns is not None,
            "csat": cols.csat is not None,
            "nps": cols.nps is not None,
        }
        for metric in DURATION_METRICS:
            if metric in _TURN_METRICS and turns is None:
                continue
            found = samples(cols, metric, window=self._window, include_automated=automated)
            counts[:, _COL[f"{metric}_pending"]] = np.bincount(
                groups[found.pending_conv], minlength=k
            )[:k]
            counts[:, _COL[f"{metric}_excluded"]] = np.bincount(
                groups[found.excluded_conv], minlength=k
            )[:k]
            sample_groups = groups[found.conv]
            if self._relative_error is None:
                part.sample_values[metric] = [found.values]
                part.sample_groups[metric] = [sample_groups]
            else:
                sketch = _Sketch(self._relative_error)
                sketch.add_values(found.values, sample_groups, k)
                part.sketches[metric] = sketch
        if cols.csat is not None:
            top, _, bottom, bad = score_counts(cols.csat, "csat", groups, k)
            for name, values in (("csat_top", top), ("csat_bottom", bottom), ("csat_invalid", bad)):
                counts[:, _COL[name]] = values[:k]
        if cols.nps is not None:
            top, middle, bottom, bad = score_counts(cols.nps, "nps", groups, k)
            for name, values in (
                ("nps_top", top),
                ("nps_middle", middle),
                ("nps_bottom", bottom),
                ("nps_invalid", bad),
            ):
                counts[:, _COL[name]] = values[:k]
        for name in ("negative", "neutral", "positive"):
            put(name, cols.sentiment.codes == cols.sentiment.code_of(name))
        part.counts = counts
        # Distinct (group, customer) pairs; customers are matched by text only on merging.
        customer = cols.customer
        keep = customer.codes >= 0
        width = max(len(customer.categories), 1)
        pairs = _distinct(groups[keep] * width + customer.codes[keep])
        pair_groups, pair_codes = np.divmod(pairs, width)
        part.customers = [_Customers(tuple(customer.categories), pair_groups, pair_codes)]
        # Intent counts per group.
        intent = cols.intent
        part.intents = list(intent.categories)
        part.intent_index = {name: i for i, name in enumerate(part.intents)}
        width = len(part.intents)
        table = np.zeros((k, width), dtype=np.int64)
        if width and k:
            has = intent.codes >= 0
            flat = np.bincount(groups[has] * width + intent.codes[has], minlength=k * width)
            table = flat[: k * width].reshape(k, width).astype(np.int64)
        part.intent_counts = table
        for metric, states in cols.sla.items():
            sla_table = np.zeros((k, len(SLA_STATES)), dtype=np.int64)
            for column, state in enumerate(SLA_STATES):
                mask = states.codes == states.code_of(state)
                sla_table[:, column] = np.bincount(groups[mask], minlength=k)[:k]
            part.sla[str(metric)] = sla_table
        return part

    def _absorb(self, part: _State, *, copy: bool) -> None:
        """Add another state's groups to this one (``copy``: never keep its arrays)."""
        state = self._state
        for table_name, has in part.tables.items():
            state.tables.setdefault(table_name, has)
        remap = state.group_ids(part.keys)
        state.counts[remap] += part.counts
        for chunk in part.customers:
            state.customers.append(
                _Customers(
                    chunk.categories,
                    remap[chunk.groups],
                    chunk.codes.copy() if copy else chunk.codes,
                )
            )
        if len(state.customers) > _MAX_CHUNKS:
            state.customers = [_pool_customers(state.customers)]
        if part.intents:
            ids = state.intent_ids(part.intents)
            state.intent_counts[np.ix_(remap, ids)] += part.intent_counts
        for sla_metric, table in part.sla.items():
            mine = state.sla.get(sla_metric)
            if mine is None:
                mine = np.zeros((len(state.keys), len(SLA_STATES)), dtype=np.int64)
            mine[remap] += table
            state.sla[sla_metric] = mine
        for metric, values in part.sample_values.items():
            chunks = state.sample_values.setdefault(metric, [])
            group_chunks = state.sample_groups.setdefault(metric, [])
            chunks.extend(v.copy() if copy else v for v in values)
            group_chunks.extend(remap[g] for g in part.sample_groups[metric])
            _settle_chunks(chunks, group_chunks)
        for metric, sketch in part.sketches.items():
            mine_sketch = state.sketches.get(metric)
            if mine_sketch is None:
                mine_sketch = state.sketches[metric] = _Sketch(sketch.relative_error)
            mine_sketch.absorb(sketch, remap, len(state.keys))

    # -- merging ---------------------------------------------------------------------------

    def merge(self, *others: Accumulator) -> Accumulator:
        """A new accumulator holding this one's conversations and the others'.

        Neither this accumulator nor the others change, and the result shares no array with
        them. Settings must be equal; an accumulator with exchange or survey tables does not
        merge with one built from columns without them.
        """
        for other in others:
            self._check_compatible(other)
        out = self._empty()
        out._absorb(self._state, copy=True)
        for other in others:
            out._check_compatible(other)  # table presence, now known
            out._absorb(other._state, copy=True)
        out._compact()
        return out

    def _compact(self) -> None:
        state = self._state
        for metric in list(state.sample_values):
            values, groups = state.sample_values[metric], state.sample_groups[metric]
            if len(values) > 1:
                state.sample_values[metric] = [np.concatenate(values)]
                state.sample_groups[metric] = [np.concatenate(groups)]
        if len(state.customers) > 1:
            state.customers = [_pool_customers(state.customers)]

    # -- reporting -------------------------------------------------------------------------

    def report(self) -> Report:
        """The report over every conversation added or merged in (see `report`)."""
        state = self._state
        keys = list(state.keys)
        if not keys and not self._by:
            keys = [()]
        k = len(keys)
        counts = _grow_rows(state.counts, k)

        def column(name: str) -> IntArray:
            return counts[:, _COL[name]]

        policy = self._zero_division
        durations: dict[str, list[DurationSummary] | None] = {}
        for metric in DURATION_METRICS:
            if metric in _TURN_METRICS and not state.tables.get("exchanges", True):
                durations[metric] = None
                continue
            durations[metric] = DurationSummary.from_stats(
                self._duration_stats(metric, k),
                column(f"{metric}_pending"),
                column(f"{metric}_excluded"),
            )
        rates = {
            rate: Rate.many(column(f"{rate}_num"), column(f"{rate}_den"), zero_division=policy)
            for rate in RATE_METRICS
        }
        customers = self._unique_customers(k)
        top_intents = self._top_intents(k)
        sla_tables = {metric: _grow_rows(t, k) for metric, t in sorted(state.sla.items())}
        total = column("conversations")
        rows = []
        for g in range(k):
            csat = None
            if state.tables.get("csat", True):
                top, bottom = int(column("csat_top")[g]), int(column("csat_bottom")[g])
                csat = CsatResult.of(top + bottom, top, int(column("csat_invalid")[g]))
            nps = None
            if state.tables.get("nps", True):
                nps = NpsResult.of(
                    int(column("nps_top")[g]),
                    int(column("nps_middle")[g]),
                    int(column("nps_bottom")[g]),
                    int(column("nps_invalid")[g]),
                )
            neg, neu, pos = (int(column(name)[g]) for name in ("negative", "neutral", "positive"))
            sla: dict[str, SlaAttainment] = {}
            for sla_metric, table in sla_tables.items():
                met, breached, pending, at_risk, paused = (
                    int(table[g, SLA_STATES.index(s)])
                    for s in ("met", "breached", "pending", "at_risk", "paused")
                )
                sla[sla_metric] = SlaAttainment(
                    met=met,
                    breached=breached,
                    pending=pending,
                    at_risk=at_risk,
                    paused=paused,
                    missing=int(total[g]) - int(table[g].sum()),
                    rate=Rate.of(met, met + breached, zero_division=policy),
                )
            frt, nrt, rwt, ttr = (durations[m] for m in DURATION_METRICS)
            assert frt is not None
            assert ttr is not None
            rows.append(
                ReportRow(
                    keys=dict(zip(self._by, keys[g], strict=True)),
                    conversations=int(total[g]),
                    needing_reply=int(column("needing_reply")[g]),
                    unique_customers=int(customers[g]),
                    first_response_time=frt[g],
                    next_response_time=None if nrt is None else nrt[g],
                    reply_wait_time=None if rwt is None else rwt[g],
                    time_to_resolution=ttr[g],
                    reply_rate=rates["reply_rate"][g],
                    resolution_rate=rates["resolution_rate"][g],
                    one_touch_resolution_rate=rates["one_touch_resolution_rate"][g],
                    reopen_rate=rates["reopen_rate"][g],
                    csat=csat,
                    nps=nps,
                    sentiment=SentimentShares.of(neg, neu, pos, int(total[g]) - neg - neu - pos),
                    top_intent=top_intents[g],
                    sla=sla,
                )
            )
        rows.sort(key=lambda row: _sort_key(tuple(row.keys.values())))
        return Report(by=self._by, rows=tuple(rows), quantile_error=self._relative_error)

    def _duration_stats(self, metric: DurationMetric, k: int) -> GroupDurations:
        state = self._state
        if self._relative_error is not None:
            sketch = state.sketches.get(metric)
            if sketch is None:
                sketch = _Sketch(self._relative_error)
            return sketch.stats(k)
        chunks = state.sample_values.get(metric, [])
        values = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        group_chunks = state.sample_groups.get(metric, [])
        groups = np.concatenate(group_chunks) if group_chunks else np.zeros(0, dtype=np.int64)
        return group_durations(values, groups, k)

    def _unique_customers(self, k: int) -> IntArray:
        pooled = _pool_customers(self._state.customers)
        return np.bincount(pooled.groups, minlength=k).astype(np.int64)

    def _top_intents(self, k: int) -> list[str | None]:
        state = self._state
        if not state.intents or k == 0:
            return [None] * k
        table = _grow_rows(state.intent_counts, k)
        order = np.argsort(np.array(state.intents, dtype=object), kind="stable")
        best = order[np.argmax(table[:, order], axis=1)]
        has = table.sum(axis=1) > 0
        return [
            state.intents[b] if h else None
            for b, h in zip(best.tolist(), has.tolist(), strict=True)
        ]

    # -- plain form ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (lists, numbers, text) that `from_dict` turns back.

        ``window`` and ``policy`` are written with their own ``to_dict`` (a
        `socialcare.ServiceWindow`, a `socialcare.SLAPolicy`); other objects cannot be
        written: pickle the accumulator instead.

        >>> import json
        >>> from socialcare import metrics
        >>> a = metrics.Accumulator(by=["route"]).add([])
        >>> again = metrics.Accumulator.from_dict(json.loads(json.dumps(a.to_dict())))
        >>> again.report() == a.report()
        True
        """
        zone = _zone_name(self._zone)
        if self._zone is not None and zone is None:
            raise InvalidInputError(
                f"cannot write the zone {self._zone!r} by name; use an IANA zone such as "
                "'Europe/Paris' or a whole-hour fixed offset (or pickle the accumulator)"
            )
        zero = self._zero_division
        state = self._state
        pooled = _pool_customers(state.customers)
        present, codes = np.unique(pooled.codes, return_inverse=True)
        names = [pooled.categories[c] for c in present.tolist()]
        k = len(state.keys)
        counts = _grow_rows(state.counts, k)
        data: dict[str, Any] = {
            "format": "socialcare.metrics.Accumulator/1",
            "settings": {
                "by": list(self._by),
                "window": _plain(self._window, "window"),
                "policy": _plain(self._policy, "policy"),
                "now": None if self._now is None else self._now.isoformat(),
                "period": self._period,
                "tz": zone,
                "include_automated": self._include_automated,
                "zero_division": "nan" if zero is not None and math.isnan(zero) else zero,
                "relative_error": self._relative_error,
            },
            "keys": [
                [v.isoformat() if isinstance(v, date) else v for v in key] for key in state.keys
            ],
            "counts": {name: counts[:, i].tolist() for i, name in enumerate(_COUNTERS)},
            "tables": dict(state.tables),
            "customers": {
                "names": names,
                "groups": pooled.groups.tolist(),
                "codes": codes.reshape(-1).tolist(),
            },
            "intents": list(state.intents),
            "intent_counts": _grow_rows(state.intent_counts, k).tolist(),
            "sla": {metric: _grow_rows(t, k).tolist() for metric, t in state.sla.items()},
            "samples": {},
            "sketches": {},
        }
        for metric, chunks in state.sample_values.items():
            data["samples"][metric] = {
                "values": np.concatenate(chunks).tolist() if chunks else [],
                "groups": np.concatenate(state.sample_groups[metric]).tolist() if chunks else [],
            }
        for metric, sketch in state.sketches.items():
            sketch.grow(k)  # zero rows for groups it never saw (a no-op after any report)
            data["sketches"][metric] = {
                "keys": sketch.keys.tolist(),
                "counts": sketch.counts.tolist(),
                "count": sketch.count.tolist(),
                "total": [int(t) for t in sketch.total.tolist()],
                "low": sketch.low.tolist(),
                "high": sketch.high.tolist(),
            }
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Accumulator:
        """Rebuild an accumulator from `to_dict`'s form (after a JSON round trip too).

        The whole form is checked here: a corrupt one raises
        [InvalidInputError][socialcare.InvalidInputError] naming the field and item at fault.
        """
        if not isinstance(data, dict) or data.get("format") != "socialcare.metrics.Accumulator/1":
            raise InvalidInputError(
                "not an Accumulator.to_dict() form: expected a mapping with "
                "format='socialcare.metrics.Accumulator/1'"
            )
        try:
            return cls._from_plain(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            if isinstance(exc, InvalidInputError):
                raise
            raise InvalidInputError(
                f"malformed Accumulator.to_dict() form ({type(exc).__name__}: {exc})"
            ) from None

    @classmethod
    def _from_plain(cls, data: dict[str, Any]) -> Accumulator:
        from socialcare._sla._policy import SLAPolicy
        from socialcare._sla._window import ServiceWindow

        _fields(data, "the form", _PLAIN_FIELDS, optional={"format"})
        settings = _mapping(data["settings"], "settings")
        _fields(settings, "settings", _SETTINGS)
        zero = settings["zero_division"]
        now = settings["now"]
        if now is not None and not isinstance(now, str):
            raise _malformed("settings.now", f"must be an ISO 8601 instant or null, got {now!r}")
        out = cls(
            by=_list(settings["by"], "settings.by"),
            window=None
            if settings["window"] is None
            else ServiceWindow.from_dict(settings["window"]),
            policy=None if settings["policy"] is None else SLAPolicy.from_dict(settings["policy"]),
            now=None if now is None else datetime.fromisoformat(now),
            period=settings["period"] or "week",
            tz=settings["tz"],
            include_automated=settings["include_automated"],
            zero_division=math.nan if zero == "nan" else zero,
            relative_error=settings["relative_error"],
        )
        state = out._state
        for index, raw in enumerate(_list(data["keys"], "keys")):
            where = f"keys[{index}]"
            if not isinstance(raw, list) or len(raw) != len(out._by):
                raise _malformed(
                    where, f"must be a list of {len(out._by)} labels (by={list(out._by)})"
                )
            key = tuple(_key_value(name, v, where) for name, v in zip(out._by, raw, strict=True))
            if key in state.key_index:
                raise _malformed(where, f"repeats keys[{state.key_index[key]}] ({raw!r})")
            state.key_index[key] = len(state.keys)
            state.keys.append(key)
        k = len(state.keys)
        counts = _mapping(data["counts"], "counts")
        _fields(counts, "counts", _COUNTERS)
        state.counts = np.zeros((k, len(_COUNTERS)), dtype=np.int64)
        for column, name in enumerate(_COUNTERS):
            state.counts[:, column] = _ints(counts[name], f"counts.{name}", length=k)
        tables = _mapping(data["tables"], "tables")
        for name, has in tables.items():
            if name not in _TABLES or not isinstance(has, bool):
                raise _malformed(
                    f"tables.{name}", f"must map {list(_TABLES)} to true or false, got {has!r}"
                )
        state.tables = dict(tables)
        customers = _mapping(data["customers"], "customers")
        _fields(customers, "customers", ("names", "groups", "codes"))
        names = tuple(_texts(customers["names"], "customers.names"))
        groups = _ints(customers["groups"], "customers.groups", high=k, what="a group")
        codes = _ints(
            customers["codes"],
            "customers.codes",
            length=len(groups),
            high=len(names),
            what="an index of customers.names",
        )
        state.customers = [_Customers(names, groups, codes)]
        state.intents = _texts(data["intents"], "intents")
        state.intent_index = {name: i for i, name in enumerate(state.intents)}
        state.intent_counts = _table(data["intent_counts"], "intent_counts", k, len(state.intents))
        for metric, rows in _mapping(data["sla"], "sla").items():
            state.sla[metric] = _table(rows, f"sla.{metric}", k, len(SLA_STATES))
        samples_ = _mapping(data["samples"], "samples")
        if samples_ and out._relative_error is not None:
            raise _malformed(
                "samples", "must be empty in a sketch accumulator (relative_error set)"
            )
        for metric, sample in samples_.items():
            where = f"samples.{metric}"
            if metric not in DURATION_METRICS:
                raise _malformed(
                    where, f"is not a duration metric; they are {list(DURATION_METRICS)}"
                )
            _fields(_mapping(sample, where), where, ("values", "groups"))
            values = _ints(sample["values"], f"{where}.values", what="a duration (µs)")
            sample_groups = _ints(
                sample["groups"], f"{where}.groups", length=len(values), high=k, what="a group"
            )
            state.sample_values[metric] = [values]
            state.sample_groups[metric] = [sample_groups]
        sketches = _mapping(data["sketches"], "sketches")
        if sketches and out._relative_error is None:
            raise _malformed(
                "sketches", "must be empty in an exact accumulator (no relative_error)"
            )
        for metric, plain in sketches.items():
            where = f"sketches.{metric}"
            if metric not in DURATION_METRICS:
                raise _malformed(
                    where, f"is not a duration metric; they are {list(DURATION_METRICS)}"
                )
            assert out._relative_error is not None
            state.sketches[metric] = _sketch(plain, where, out._relative_error, k)
        return out

    def __repr__(self) -> str:
        mode = "exact" if self._relative_error is None else f"relative_error={self._relative_error}"
        return f"Accumulator(by={list(self._by)}, groups={self.groups}, {mode})"


def _plain(value: Any, name: str) -> Any:
    if value is None:
        return None
    to_dict = getattr(value, "to_dict", None)
    if not callable(to_dict):
        raise InvalidInputError(
            f"cannot write this {name} ({type(value).__name__}) in to_dict(): give a "
            f"socialcare {'ServiceWindow' if name == 'window' else 'SLAPolicy'}, or pickle the "
            "accumulator instead"
        )
    return to_dict()


def _table_message(table: str) -> str:
    what = {
        "exchanges": "an exchange table (next response / reply wait times)",
        "csat": "a CSAT table",
        "nps": "an NPS table",
    }[table]
    return (
        f"partitions disagree on {what}: some have it and some not, so the merged report "
        "cannot be the report of their union; build every partition the same way (to_columns, "
        "or from_columns with the same tables)"
    )


_PLAIN_FIELDS = (
    "settings",
    "keys",
    "counts",
    "tables",
    "customers",
    "intents",
    "intent_counts",
    "sla",
    "samples",
    "sketches",
)
_SETTINGS = (
    "by",
    "window",
    "policy",
    "now",
    "period",
    "tz",
    "include_automated",
    "zero_division",
    "relative_error",
)
_INT64_MAX = int(np.iinfo(np.int64).max)


def _malformed(where: str, what: str) -> InvalidInputError:
    return InvalidInputError(
        f"malformed Accumulator.to_dict() form: {where} {what}; pass what to_dict() wrote, "
        "unchanged"
    )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(name, str) for name in value):
        raise _malformed(where, f"must be a mapping with text keys, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _malformed(where, f"must be a list, got {type(value).__name__}")
    return value


def _fields(
    value: dict[str, Any], where: str, names: Sequence[str], optional: set[str] | None = None
) -> None:
    missing = [name for name in names if name not in value]
    unknown = sorted(set(value) - set(names) - (optional or set()))
    if missing or unknown:
        raise _malformed(
            where, f"must have the fields {list(names)}; missing {missing}, unknown {unknown}"
        )


def _texts(value: Any, where: str) -> list[str]:
    """A list of distinct strings."""
    items = _list(value, where)
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise _malformed(f"{where}[{index}]", f"must be text, got {item!r}")
        if item in seen:
            raise _malformed(f"{where}[{index}]", f"repeats {where}[{seen[item]}] ({item!r})")
        seen[item] = index
    return list(items)


def _key_value(name: str, value: Any, where: str) -> str | date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _malformed(where, f"must hold text or null labels, got {value!r}")
    if name != "period":
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _malformed(where, f"must hold a period start as an ISO date, got {value!r}") from None


def _ints(
    value: Any,
    where: str,
    *,
    length: int | None = None,
    low: int = 0,
    high: int | None = None,
    what: str = "a count",
) -> IntArray:
    """A list of integers ``low <= v < high`` (``high``: int64 range) as an int64 array."""
    items = _list(value, where)
    if length is not None and len(items) != length:
        raise _malformed(where, f"has {len(items)} items; it must have {length}")
    try:
        array = np.array(items)
    except (ValueError, TypeError, OverflowError):
        array = np.array(items, dtype=object)
    if len(items) == 0:
        return np.zeros(0, dtype=np.int64)
    too_big = array.dtype.kind == "u" and int(array.max()) > _INT64_MAX
    bools = array.dtype.kind in "iu" and any(item.__class__ is bool for item in items)
    if array.ndim != 1 or array.dtype.kind not in "iu" or too_big or bools:
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, int):
                raise _malformed(f"{where}[{index}]", f"must be {what}: an integer, got {item!r}")
            if not -_INT64_MAX - 1 <= item <= _INT64_MAX:
                raise _malformed(f"{where}[{index}]", f"must be {what}: {item} is out of range")
    out: IntArray = array.astype(np.int64)
    bad_low = np.flatnonzero(out < low)
    bad_high = np.zeros(0, np.int64) if high is None else np.flatnonzero(out >= high)
    if len(bad_low) or len(bad_high):
        i = int(min([*bad_low[:1].tolist(), *bad_high[:1].tolist()]))
        if high is None:
            bounds = f">= {low}"
        else:
            bounds = f"from {low} to {high - 1}" if high > low else "(there is none here)"
        raise _malformed(f"{where}[{i}]", f"must be {what} {bounds}, got {items[i]!r}")
    return out


def _table(value: Any, where: str, rows: int, cols: int) -> IntArray:
    """A ``rows`` x ``cols`` table of non-negative counts, given as a list of rows."""
    items = _list(value, where)
    if len(items) != rows:
        raise _malformed(where, f"has {len(items)} rows; it must have one per key ({rows})")
    out = np.zeros((rows, cols), dtype=np.int64)
    for index, row in enumerate(items):
        out[index] = _ints(row, f"{where}[{index}]", length=cols)
    return out


def _sketch(plain: Any, where: str, relative_error: float, k: int) -> _Sketch:
    """A sketch from its plain form, checked against itself and ``k`` groups."""
    _fields(_mapping(plain, where), where, ("keys", "counts", "count", "total", "low", "high"))
    sketch = _Sketch(relative_error)
    sketch.keys = _ints(plain["keys"], f"{where}.keys", high=k * sketch.width, what="a bucket")
    if len(sketch.keys) > 1 and not bool(np.all(sketch.keys[1:] > sketch.keys[:-1])):
        raise _malformed(f"{where}.keys", "must be increasing (sorted by group, then bucket)")
    sketch.counts = _ints(plain["counts"], f"{where}.counts", length=len(sketch.keys), low=1)
    sketch.count = _ints(plain["count"], f"{where}.count", length=k)
    total = _list(plain["total"], f"{where}.total")
    if len(total) != k:
        raise _malformed(f"{where}.total", f"has {len(total)} items; it must have {k}")
    for index, value in enumerate(total):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _malformed(
                f"{where}.total[{index}]",
                f"must be a sum of durations (an integer >= 0), got {value!r}",
            )
    sketch.total = np.array([*total, None], dtype=object)[:-1]
    sketch.low = _ints(plain["low"], f"{where}.low", length=k, what="a minimum duration")
    sketch.high = _ints(plain["high"], f"{where}.high", length=k, low=-1, what="a maximum")
    per_group = np.zeros(k, dtype=np.int64)
    np.add.at(per_group, sketch.keys // sketch.width, sketch.counts)
    has = sketch.count > 0
    count, low, high = sketch.count.tolist(), sketch.low.tolist(), sketch.high.tolist()
    total_ok = [lo * n <= t <= hi * n for t, n, lo, hi in zip(total, count, low, high, strict=True)]
    for name, bad in (
        ("count", per_group != sketch.count),
        ("low", np.where(has, sketch.low > sketch.high, sketch.low != _INT64_MAX)),
        ("high", ~has & (sketch.high != -1)),
        ("total", has & ~np.array(total_ok, dtype=bool)),
        ("total", ~has & np.array([t != 0 for t in total], dtype=bool)),
    ):
        found = np.flatnonzero(bad)
        if len(found):
            raise _malformed(
                f"{where}.{name}[{int(found[0])}]", "disagrees with the sketch's buckets"
            )
    return sketch
