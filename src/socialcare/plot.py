"""Plots (``pip install socialcare[plot]``, matplotlib): pictures to look at instead of tables.

Each function draws on ``ax`` (a new figure when not given) and returns the Axes, so it fits in
a notebook or a report. Nothing is shown or saved here: call ``fig.savefig`` yourself.

- `first_response_distribution`: first response times against the target;
- `sla_attainment_over_time`: share of decided first-response clocks met, per day or week;
- `volume_by`: conversations per intent (or route, sentiment) and platform.

Every plot takes ``start`` and ``end`` (aware datetimes) to draw one date range, shows how
many conversations each bar or point stands for, and says in its title what it left out.
Durations are written as people write them (`human_duration`: ``"15 min"``, ``"2 h"``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from socialcare._conversation import Conversation, RowError
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._time import resolve_timezone

if TYPE_CHECKING:
    from socialcare._sla._policy import SLAPolicy

__all__ = [
    "first_response_distribution",
    "human_duration",
    "sla_attainment_over_time",
    "volume_by",
]


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


def _dates(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Check a date range (aware datetimes; ``start`` included, ``end`` excluded)."""
    for name, value in (("start", start), ("end", end)):
        if value is None:
            continue
        if not isinstance(value, datetime):
            raise InvalidInputError(
                f"{name} must be an aware datetime (or None), got {type(value).__name__}"
            )
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimezoneError(
                f"{name} is a naive datetime; attach a zone, e.g. "
                f"{name}=datetime(2024, 3, 1, tzinfo=ZoneInfo('Europe/Paris'))"
            )
    if start is not None and end is not None and not start < end:
        raise InvalidInputError(
            f"start ({start.isoformat()}) must be before end ({end.isoformat()})"
        )
    return start, end


def _inside(at: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if at is None:
        return start is None and end is None
    return (start is None or at >= start) and (end is None or at < end)


def _opened_at(conversation: Conversation) -> datetime | None:
    """When a conversation started: its first customer post, else its first post."""
    first = conversation.first_customer_at
    if first is None and conversation.posts:
        first = min(post.created_at for post in conversation.posts)
    return first


def _range_text(start: datetime | None, end: datetime | None) -> str:
    if start is None and end is None:
        return ""
    if end is None:
        return f" (from {_when(start)})"
    if start is None:
        return f" (until {_when(end)})"
    return f" ({_when(start)} to {_when(end)})"


def _when(at: datetime | None) -> str:
    return at.isoformat(sep=" ", timespec="minutes") if at else ""


def _excluded(reasons: Mapping[str, int]) -> str:
    """A second title line, ``"excluded: 2 needing no reply, 1 outside the dates"`` (or "")."""
    parts = [f"{n} {why}" for why, n in reasons.items() if n]
    return f"\nexcluded: {', '.join(parts)}" if parts else ""


_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def human_duration(value: timedelta | float) -> str:
    """A duration as people write it: ``"15 min"``, ``"1 h 30 min"``, ``"45 s"``, ``"2 d"``.

    ``value`` is a timedelta or a number of seconds; shown to the second, in at most two units.

    >>> human_duration(timedelta(minutes=15)), human_duration(5400), human_duration(0.4)
    ('15 min', '1 h 30 min', '0 s')
    >>> human_duration(timedelta(days=2, hours=3, minutes=5))
    '2 d 3 h'
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    sign = "-" if seconds < 0 else ""
    left = round(abs(seconds))
    parts: list[str] = []
    for unit, size in _UNITS:
        if left >= size and len(parts) < 2:
            parts.append(f"{left // size} {unit}")
            left %= size
        elif parts:
            break  # "1 h 5 s" would read oddly: stop at the first empty unit after a part
    return sign + (" ".join(parts) if parts else "0 s")


# Ticks for a log axis of durations (minutes): values people think in.
_NICE_MINUTES = (
    1 / 60, 5 / 60, 15 / 60, 30 / 60, 1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720,
    1440, 2880, 7 * 1440, 30 * 1440,
)


def _duration_axis(axis: Any, low: float, high: float) -> None:
    """Label a log axis in minutes with human durations ("30 s", "15 min", "2 h")."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ticks = [t for t in _NICE_MINUTES if low / 1.5 <= t <= high * 1.5]
    while len(ticks) > 8:
        ticks = ticks[::2]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: human_duration(value * 60)))


def first_response_distribution(
    conversations: Iterable[Conversation],
    *,
    target: timedelta = timedelta(minutes=15),
    include_automated: bool = False,
    start: datetime | None = None,
    end: datetime | None = None,
    ax: Any = None,
) -> Any:
    """Histogram of first response times (log scale, human units) with the target marked.

    Args:
        target: the first response target, drawn as a line (its share met in the legend).
        include_automated: count an automated reply as the first response.
        start: only conversations whose first customer post is at or after this (aware).
        end: only conversations whose first customer post is before this (aware).

    Conversations still waiting are counted in the title, not drawn; so are those left out:
    triage routed ``"none"`` (praise, spam: no reply needed), no customer post, or outside
    the dates.
    """
    if not isinstance(target, timedelta) or target <= timedelta(0):
        raise InvalidInputError(f"target must be a positive timedelta, got {target!r}")
    start, end = _dates(start, end)
    items = _conversations(conversations)
    minutes: list[float] = []
    waiting = 0
    excluded = {"outside the dates": 0, "needing no reply": 0, "without a customer post": 0}
    for conversation in items:
        first = conversation.first_customer_at
        if not _inside(_opened_at(conversation), start, end):
            excluded["outside the dates"] += 1
            continue
        if conversation.route == "none":
            excluded["needing no reply"] += 1
            continue
        if first is None:
            excluded["without a customer post"] += 1
            continue
        reply = (
            conversation.first_response_at
            if include_automated
            else conversation.first_human_response_at
        )
        if reply is None:
            waiting += 1
            continue
        minutes.append(max((reply - first).total_seconds() / 60.0, 1 / 60))
    ax = _axes(ax)
    target_minutes = target.total_seconds() / 60
    if minutes:
        import numpy as np

        low, high = min(minutes), max(minutes)
        bins = np.logspace(np.log10(low), np.log10(max(high, low * 1.01)), 30)
        bins[0], bins[-1] = low, max(high, bins[-1])  # exact ends: log rounding drops values
        within = sum(m <= target_minutes for m in minutes)
        ax.hist(minutes, bins=bins, color="#4C78A8", edgecolor="white")
        ax.set_xscale("log")
        ax.axvline(
            target_minutes,
            color="#E45756",
            linestyle="--",
            label=f"target {human_duration(target)} ({within / len(minutes):.0%} of "
            f"{len(minutes)} within)",
        )
        ax.legend(loc="upper right")
        _duration_axis(ax.xaxis, min(low, target_minutes), max(high, target_minutes))
    ax.set_xlabel("first response time (log scale)")
    ax.set_ylabel("conversations")
    ax.set_title(
        f"First response times{_range_text(start, end)}: {len(minutes)} answered, "
        f"{waiting} still waiting{_excluded(excluded)}"
    )
    return ax


def sla_attainment_over_time(
    conversations: Iterable[Conversation],
    policy: SLAPolicy,
    now: datetime,
    *,
    metric: str = "first_response",
    period: Literal["day", "week"] = "day",
    tz: str | tzinfo = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    ax: Any = None,
) -> Any:
    """Share of decided clocks (met or breached) that were met, per day or week of start.

    Args:
        metric: ``"first_response"``, ``"next_response"`` or ``"resolution"``.
        period: one point per ``"day"`` or ``"week"`` (weeks start on Monday) in ``tz``.
        start: only clocks that started at or after this (an aware datetime).
        end: only clocks that started before this (an aware datetime).

    Each point is annotated with ``n``, the number of decided clocks behind it. Clocks still
    running, conversations no target applies to, unreadable rows and clocks outside the
    dates are counted in the title.
    """
    if period not in ("day", "week"):
        raise InvalidInputError(f"period must be 'day' or 'week', got {period!r}")
    start, end = _dates(start, end)
    zone = resolve_timezone(tz)
    met: Counter[datetime] = Counter()
    decided: Counter[datetime] = Counter()
    excluded = {
        "still running": 0,
        "without a target": 0,
        "unreadable": 0,
        "outside the dates": 0,
    }
    for report in policy.evaluate_many(_conversations(conversations), now):
        if isinstance(report, RowError):
            excluded["unreadable"] += 1
            continue
        result = report.get(metric)
        if result is None:
            excluded["without a target"] += 1
            continue
        if not _inside(result.started_at, start, end):
            excluded["outside the dates"] += 1
            continue
        if result.state.value not in {"met", "breached"}:
            excluded["still running"] += 1
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
    for day, share in zip(days, shares, strict=True):
        ax.annotate(
            f"n={decided[day]}",
            (day, share),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize="small",
        )
    ax.set_ylim(0, 1.12)
    ax.set_ylabel(f"{metric.replace('_', ' ')} SLA met")
    ax.set_xlabel(f"{period} the clock started ({zone})")
    ax.yaxis.set_major_formatter(_percent())
    ax.set_title(
        f"SLA attainment per {period}{_range_text(start, end)}: "
        f"{sum(decided.values())} decided clocks{_excluded(excluded)}"
    )
    _date_axis(ax.xaxis, days)
    ax.tick_params(axis="x", labelrotation=30)  # (autofmt_xdate would hide other axes' labels)
    return ax


def _date_axis(axis: Any, days: list[datetime]) -> None:
    """Dates without times on the axis; one tick per point when there are few."""
    import importlib

    from matplotlib.ticker import FixedLocator

    dates: Any = importlib.import_module("matplotlib.dates")  # (its functions are untyped)
    if days and len(days) <= 12:
        axis.set_major_locator(FixedLocator([float(dates.date2num(day)) for day in days]))
    else:
        axis.set_major_locator(dates.AutoDateLocator(minticks=3, maxticks=12))
    axis.set_major_formatter(dates.DateFormatter("%Y-%m-%d"))


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0)


def volume_by(
    conversations: Iterable[Conversation],
    *,
    label: Literal["intent", "route", "sentiment", "priority"] = "intent",
    split: Literal["platform", "channel"] = "platform",
    start: datetime | None = None,
    end: datetime | None = None,
    ax: Any = None,
) -> Any:
    """Stacked bars: conversations per ``label`` value, split by platform (or channel).

    Args:
        label: what the bars count by.
        split: what the stacks within a bar are.
        start: only conversations that started at or after this (an aware datetime).
        end: only conversations that started before this (an aware datetime).

    Each bar is annotated with its total; conversations outside the dates are counted in
    the title.
    """
    if label not in ("intent", "route", "sentiment", "priority"):
        raise InvalidInputError(f"label must be intent, route, sentiment or priority: {label!r}")
    if split not in ("platform", "channel"):
        raise InvalidInputError(f"split must be platform or channel, got {split!r}")
    start, end = _dates(start, end)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    outside = 0
    for conversation in _conversations(conversations):
        if not _inside(_opened_at(conversation), start, end):
            outside += 1
            continue
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
    for index, total in enumerate(bottoms):
        ax.text(index, total, str(total), ha="center", va="bottom", fontsize="small")
    if bottoms:
        ax.set_ylim(0, max(bottoms) * 1.1)
    ax.set_ylabel("conversations")
    ax.set_title(
        f"Volume by {label} and {split}{_range_text(start, end)}: {sum(bottoms)} conversations"
        + _excluded({"outside the dates": outside})
    )
    if parts:
        ax.legend(title=split, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.figure.tight_layout()
    return ax
