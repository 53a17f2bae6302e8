"""Plots (``pip install socialcare[plot]``, matplotlib): pictures to look at instead of tables.

Each function draws on ``ax`` (a new figure when not given) and returns the Axes, so it fits in
a notebook or a report. Nothing is shown or saved here: call ``fig.savefig`` yourself.

- `first_response_distribution`: first response times against the target;
- `sla_attainment_over_time`: share of decided first-response clocks met, per day or week;
- `volume_by`: conversations per intent (or route, sentiment) and platform.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare._time import resolve_timezone

if TYPE_CHECKING:
    from socialcare._sla._policy import SLAPolicy

__all__ = ["first_response_distribution", "sla_attainment_over_time", "volume_by"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - only without matplotlib
        from socialcare.metrics import MissingDependencyError

        raise MissingDependencyError(
            "plots need matplotlib: pip install 'socialcare[plot]'"
        ) from None
    return plt


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, new = plt.subplots(figsize=(8, 4.5))
    return new


def _conversations(items: Iterable[Conversation]) -> list[Conversation]:
    out = list(items)
    for index, item in enumerate(out):
        if not isinstance(item, Conversation):
            raise InvalidInputError(f"item {index} is not a Conversation: {item!r}")
    return out


def first_response_distribution(
    conversations: Iterable[Conversation],
    *,
    target: timedelta = timedelta(minutes=15),
    include_automated: bool = False,
    ax: Any = None,
) -> Any:
    """Histogram of first response times (log-scaled minutes) with the target marked.

    Conversations still waiting are counted in the title, not drawn; conversations triage
    routed ``"none"`` (praise, spam: no reply needed) are left out.
    """
    if target <= timedelta(0):
        raise InvalidInputError("target must be a positive duration")
    items = _conversations(conversations)
    minutes: list[float] = []
    waiting = 0
    for conversation in items:
        start = conversation.first_customer_at
        if start is None or conversation.route == "none":
            continue
        end = (
            conversation.first_response_at
            if include_automated
            else conversation.first_human_response_at
        )
        if end is None:
            waiting += 1
            continue
        minutes.append(max((end - start).total_seconds() / 60.0, 1 / 60))
    ax = _axes(ax)
    if minutes:
        import numpy as np

        low, high = min(minutes), max(minutes)
        bins = np.logspace(np.log10(low), np.log10(max(high, low * 1.01)), 30)
        within = sum(m <= target.total_seconds() / 60 for m in minutes)
        ax.hist(minutes, bins=bins, color="#4C78A8", edgecolor="white")
        ax.set_xscale("log")
        ax.axvline(
            target.total_seconds() / 60,
            color="#E45756",
            linestyle="--",
            label=f"target {target} ({within / len(minutes):.0%} within)",
        )
        ax.legend(loc="upper right")
    ax.set_xlabel("first response time (minutes, log scale)")
    ax.set_ylabel("conversations")
    ax.set_title(f"First response times: {len(minutes)} answered, {waiting} still waiting")
    return ax


def sla_attainment_over_time(
    conversations: Iterable[Conversation],
    policy: SLAPolicy,
    now: datetime,
    *,
    metric: str = "first_response",
    period: Literal["day", "week"] = "day",
    tz: str | tzinfo = "UTC",
    ax: Any = None,
) -> Any:
    """Share of decided clocks (met or breached) that were met, per day or week of start."""
    if period not in ("day", "week"):
        raise InvalidInputError(f"period must be 'day' or 'week', got {period!r}")
    zone = resolve_timezone(tz)
    met: Counter[datetime] = Counter()
    decided: Counter[datetime] = Counter()
    for report in policy.evaluate_many(_conversations(conversations), now):
        result = getattr(report, "get", lambda _: None)(metric)
        if result is None or result.state.value not in {"met", "breached"}:
            continue
        local = result.started_at.astimezone(zone).replace(tzinfo=None)
        day = datetime(local.year, local.month, local.day)
        if period == "week":
            day -= timedelta(days=day.weekday())
        decided[day] += 1
        met[day] += result.state.value == "met"
    ax = _axes(ax)
    days = sorted(decided)
    shares = [met[d] / decided[d] for d in days]
    ax.plot(days, shares, marker="o", color="#4C78A8")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"{metric.replace('_', ' ')} SLA met")
    ax.set_xlabel(f"{period} the clock started ({zone})")
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title(f"SLA attainment per {period}")
    ax.figure.autofmt_xdate()
    return ax


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


def volume_by(
    conversations: Iterable[Conversation],
    *,
    label: Literal["intent", "route", "sentiment", "priority"] = "intent",
    split: Literal["platform", "channel"] = "platform",
    ax: Any = None,
) -> Any:
    """Stacked bars: conversations per ``label`` value, split by platform (or channel)."""
    if label not in ("intent", "route", "sentiment", "priority"):
        raise InvalidInputError(f"label must be intent, route, sentiment or priority: {label!r}")
    if split not in ("platform", "channel"):
        raise InvalidInputError(f"split must be platform or channel, got {split!r}")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for conversation in _conversations(conversations):
        key = getattr(conversation, label) or "(none)"
        part = getattr(conversation, split)
        counts[str(key)][str(getattr(part, "value", part))] += 1
    ax = _axes(ax)
    keys: Sequence[str] = sorted(counts, key=lambda k: -sum(counts[k].values()))
    parts = sorted({p for c in counts.values() for p in c})
    bottoms = [0] * len(keys)
    for part in parts:
        heights = [counts[k][part] for k in keys]
        ax.bar(keys, heights, bottom=bottoms, label=part)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    ax.set_ylabel("conversations")
    ax.set_title(f"Volume by {label} and {split}")
    if parts:
        ax.legend(title=split, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.figure.tight_layout()
    return ax
