"""The breakdown report: every metric per group of platform, intent, route, agent and period."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, SocialcareError
from socialcare.metrics._columns import BusinessClock, Columns, Labels, to_columns
from socialcare.metrics._durations import DURATION_METRICS, DurationSummary, summaries
from socialcare.metrics._labels import (
    Period,
    SentimentShares,
    check_period,
    period_codes,
    period_starts,
    sentiment_counts,
    unique_per_group,
)
from socialcare.metrics._rates import RATE_METRICS, Rate, check_zero_division, rate_masks
from socialcare.metrics._sla import SlaAttainment, attainment_counts
from socialcare.metrics._stats import dense_codes
from socialcare.metrics._surveys import CsatResult, NpsResult, score_counts

__all__ = ["BREAKDOWNS", "MissingDependencyError", "Report", "ReportRow", "report"]

Breakdown = Literal["platform", "intent", "route", "agent", "period"]
BREAKDOWNS: tuple[Breakdown, ...] = ("platform", "intent", "route", "agent", "period")
IntArray = npt.NDArray[np.int64]


class MissingDependencyError(SocialcareError, ImportError):
    """An optional dependency (such as pandas) is needed for this call and is not installed."""


@dataclass(frozen=True, slots=True)
class ReportRow:
    """All metrics of one group; ``keys`` maps each breakdown to its value (None: unlabelled).

    Durations and CSAT/NPS are ``None`` when the columns lack the table they need
    (exchanges, surveys).
    """

    keys: Mapping[str, str | date | None]
    conversations: int
    needing_reply: int
    unique_customers: int
    first_response_time: DurationSummary
    next_response_time: DurationSummary | None
    reply_wait_time: DurationSummary | None
    time_to_resolution: DurationSummary
    reply_rate: Rate
    resolution_rate: Rate
    one_touch_resolution_rate: Rate
    reopen_rate: Rate
    csat: CsatResult | None
    nps: NpsResult | None
    sentiment: SentimentShares
    top_intent: str | None
    sla: Mapping[str, SlaAttainment]

    def to_dict(self) -> dict[str, Any]:
        """One flat dict: keys, then ``<metric>_<field>`` entries (durations as timedelta)."""
        out: dict[str, Any] = dict(self.keys)
        out.update(
            conversations=self.conversations,
            needing_reply=self.needing_reply,
            unique_customers=self.unique_customers,
        )
        for name in DURATION_METRICS:
            summary: DurationSummary | None = getattr(self, name)
            for part in ("count", "mean", "median", "p90", "p95", "min", "max", "pending"):
                out[f"{name}_{part}"] = None if summary is None else getattr(summary, part)
            out[f"{name}_excluded"] = None if summary is None else summary.excluded
        for rate_name in RATE_METRICS:
            rate: Rate = getattr(self, rate_name)
            out[rate_name] = rate.value
            out[f"{rate_name}_numerator"] = rate.numerator
            out[f"{rate_name}_denominator"] = rate.denominator
        c, n = self.csat, self.nps
        out["csat"] = None if c is None else c.value
        out["csat_responses"] = None if c is None else c.responses
        out["csat_low"] = None if c is None or c.interval is None else c.interval[0]
        out["csat_high"] = None if c is None or c.interval is None else c.interval[1]
        out["csat_invalid"] = None if c is None else c.invalid
        out["nps"] = None if n is None else n.score
        out["nps_responses"] = None if n is None else n.responses
        out["nps_invalid"] = None if n is None else n.invalid
        out["negative_share"] = self.sentiment.negative_share
        out["positive_share"] = self.sentiment.positive_share
        out["top_intent"] = self.top_intent
        for metric, result in sorted(self.sla.items()):
            out[f"sla_{metric}"] = result.rate.value
            out[f"sla_{metric}_met"] = result.met
            out[f"sla_{metric}_breached"] = result.breached
            out[f"sla_{metric}_open"] = result.pending + result.at_risk + result.paused
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """Rows of metrics, one per group, sorted by their keys (missing labels last).

    ``quantile_error`` is ``None`` when every median and percentile is exact; a report from a
    sketching `Accumulator` sets it to the relative error bound of its duration medians and
    percentiles (counts, rates, means, minima and maxima stay exact).
    """

    by: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    quantile_error: float | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ReportRow]:
        return iter(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Plain dicts, one per row (see `ReportRow.to_dict`)."""
        return [row.to_dict() for row in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame with one row per group (needs pandas: ``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError(
                "Report.to_pandas() needs pandas, which is not installed: "
                "pip install 'socialcare[pandas]' (or use Report.to_dicts())"
            ) from None
        return pd.DataFrame.from_records(self.to_dicts())


def _key_codes(
    cols: Columns, key: str, period: Period, zone: tzinfo | None
) -> tuple[IntArray, list[str | date | None]]:
    """Codes 0..k-1 per conversation and the value of each code."""
    if key == "period":
        assert zone is not None
        starts = period_starts(cols.opened_at, period, zone)
        inverse, dates = period_codes(starts)
        return inverse, list(dates)
    labels: Labels = getattr(cols, key)
    values: list[str | date | None] = [None, *labels.categories]
    return labels.codes + 1, values


def _groups(
    cols: Columns, by: Sequence[str], period: Period, zone: tzinfo | None
) -> tuple[IntArray, list[tuple[str | date | None, ...]]]:
    n = len(cols)
    combined = np.zeros(n, dtype=np.int64)
    keys: list[tuple[str | date | None, ...]] = [()]
    for key in by:
        codes, values = _key_codes(cols, key, period, zone)
        unique, combined = dense_codes(combined * len(values) + codes)
        keys = [(*keys[u // len(values)], values[u % len(values)]) for u in unique.tolist()]
    if n == 0:
        return combined, [] if by else [()]
    return combined, keys


def _sort_key(keys: tuple[str | date | None, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if value is None else (0, str(value)) for value in keys)



def check_breakdown(by: Any) -> list[str]:
    """``by`` as a list of known breakdown keys, each once (one key may be given alone)."""
    if isinstance(by, str):
        by = [by]
    if by is None:
        by = []
    elif not isinstance(by, Iterable):
        raise InvalidInputError(
            f"by is a list of breakdown keys among {BREAKDOWNS}, got {type(by).__name__}"
        )
    keys = list(by)
    for key in keys:
        if not isinstance(key, str) or key not in BREAKDOWNS:
            raise InvalidInputError(f"cannot break down by {key!r}; use any of {BREAKDOWNS}")
    if len(set(keys)) != len(keys):
        raise InvalidInputError(f"a breakdown key appears twice in by={keys}")
    return keys


def report(
    conversations: Columns | Iterable[Conversation],
    *,
    by: Sequence[str] | None = (),
    window: BusinessClock | None = None,
    policy: Any = None,
    now: datetime | None = None,
    period: Period = "week",
    tz: str | tzinfo | None = None,
    include_automated: bool = False,
    zero_division: float | None = None,
) -> Report:
    """Every metric, broken down by any of platform, intent, route, agent and period.

    Args:
        conversations: conversations, or `Columns` for large exports (fast path).
        by: breakdown keys among ``platform``, ``intent``, ``route``, ``agent`` (the first
            human responder), ``period``. Empty or ``None``: one row for everything.
        window: a service window: durations in its business time (calendar time without).
        policy: an SLA policy with ``evaluate(conversation, now)`` (conversations only;
            columns carry SLA states in ``from_columns(sla=...)``).
        now: the instant SLA states are evaluated at.
        period: ``"day"``, ``"week"`` or ``"month"``, by when each conversation opened.
        tz: the zone whose local midnight starts a period (required with ``"period"``).
        include_automated: count automated replies as responses.
        zero_division: value of a rate with a zero denominator (default None).

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T09:00"] * 3, "M8[us]"),
    ...     first_response_at=np.array(["2024-05-01T09:10", "2024-05-01T09:30", "NaT"], "M8[us]"),
    ...     platform=["twitter", "twitter", "facebook"])
    >>> rows = report(cols, by=["platform"]).to_dicts()
    >>> tuple((r["platform"], r["reply_rate"], str(r["first_response_time_median"])) for r in rows)
    (('facebook', 0.0, 'None'), ('twitter', 1.0, '0:20:00'))
    """
    by = check_breakdown(by)
    if not isinstance(include_automated, bool):
        raise InvalidInputError("include_automated must be True or False")
    policy_zero = check_zero_division(zero_division)
    zone: tzinfo | None = None
    if "period" in by:
        period, zone = check_period(period, tz)
    if isinstance(conversations, Columns):
        if policy is not None:
            raise InvalidInputError(
                "with columns, give SLA states as from_columns(sla={metric: states}), not policy="
            )
        cols = conversations
    else:
        cols = to_columns(conversations, policy=policy, now=now)

    groups, keys = _groups(cols, by, period, zone)
    k = len(keys)
    flags = {"window": window, "include_automated": include_automated}
    durations: dict[str, list[DurationSummary] | None] = {}
    for name in DURATION_METRICS:
        needs_table = name in ("next_response_time", "reply_wait_time")
        table = cols.exchanges if include_automated else cols.human_exchanges
        if needs_table and table is None:
            durations[name] = None
        else:
            durations[name] = summaries(cols, name, groups, k, **flags)  # type: ignore[arg-type]
    rates: dict[str, list[Rate]] = {}
    for rate_name in RATE_METRICS:
        num, den = rate_masks(cols, rate_name, include_automated=include_automated)
        nums = np.bincount(groups[num], minlength=k)
        dens = np.bincount(groups[den], minlength=k)
        rates[rate_name] = Rate.many(nums, dens, zero_division=policy_zero)
    total = np.bincount(groups, minlength=k)
    needs = np.bincount(groups[cols.needs_reply], minlength=k)
    customers = unique_per_group(cols.customer.codes, groups, k)
    csats: list[CsatResult] | None = None
    if cols.csat is not None:
        top, _, bottom, bad = score_counts(cols.csat, "csat", groups, k)
        csats = [CsatResult.of(int(top[g] + bottom[g]), int(top[g]), int(bad[g])) for g in range(k)]
    npss: list[NpsResult] | None = None
    if cols.nps is not None:
        top, middle, bottom, bad = score_counts(cols.nps, "nps", groups, k)
        npss = [
            NpsResult.of(int(top[g]), int(middle[g]), int(bottom[g]), int(bad[g])) for g in range(k)
        ]
    sentiments = sentiment_counts(cols.sentiment, groups, k)
    top_intents = _top_labels(cols.intent, groups, k)
    sla = {
        metric: attainment_counts(states, groups, k, zero_division=policy_zero)
        for metric, states in sorted(cols.sla.items())
    }
    rows = []
    for g in range(k):
        rows.append(
            ReportRow(
                keys=dict(zip(by, keys[g], strict=True)),
                conversations=int(total[g]) if g < len(total) else 0,
                needing_reply=int(needs[g]) if g < len(needs) else 0,
                unique_customers=int(customers[g]),
                first_response_time=_at(durations["first_response_time"], g),
                next_response_time=_maybe(durations["next_response_time"], g),
                reply_wait_time=_maybe(durations["reply_wait_time"], g),
                time_to_resolution=_at(durations["time_to_resolution"], g),
                reply_rate=rates["reply_rate"][g],
                resolution_rate=rates["resolution_rate"][g],
                one_touch_resolution_rate=rates["one_touch_resolution_rate"][g],
                reopen_rate=rates["reopen_rate"][g],
                csat=None if csats is None else csats[g],
                nps=None if npss is None else npss[g],
                sentiment=sentiments[g],
                top_intent=top_intents[g],
                sla={metric: values[g] for metric, values in sla.items()},
            )
        )
    rows.sort(key=lambda row: _sort_key(tuple(row.keys.values())))
    return Report(by=tuple(by), rows=tuple(rows))


def _at(values: list[DurationSummary] | None, g: int) -> DurationSummary:
    assert values is not None
    return values[g]


def _maybe(values: list[DurationSummary] | None, g: int) -> DurationSummary | None:
    return None if values is None else values[g]


def _top_labels(labels: Labels, groups: IntArray, k: int) -> list[str | None]:
    """The most frequent label per group (ties: the first category); None if none."""
    width = len(labels.categories)
    if width == 0 or k == 0:
        return [None] * k
    keep = labels.codes >= 0
    counts = np.bincount(groups[keep] * width + labels.codes[keep], minlength=k * width)
    table = counts.reshape(k, width)
    # Ties go to the alphabetically first label, whatever the category order.
    order = np.argsort(np.array(labels.categories, dtype=object), kind="stable")
    best = order[np.argmax(table[:, order], axis=1)]
    has = table.sum(axis=1) > 0
    return [
        labels.categories[b] if h else None
        for b, h in zip(best.tolist(), has.tolist(), strict=True)
    ]
