"""Volume, unique customers, top intents, sentiment shares and their movement per period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._time import resolve_timezone
from socialcare.metrics._columns import Columns, Labels, as_columns
from socialcare.metrics._stats import dense_codes

__all__ = [
    "IntentCount",
    "Period",
    "SentimentShares",
    "Volume",
    "period_starts",
    "sentiment_shares",
    "sentiment_trend",
    "top_intents",
    "volume",
]

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
IntArray = npt.NDArray[np.int64]
_QUARTER_HOUR_US = 15 * 60 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAT_INT = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class Volume:
    """How much came in and how much the brand answered.

    ``conversations``: all of them; ``needing_reply``: with a customer post and not routed
    ``"none"``; ``replied``: needing a reply and answered (by a person unless automated replies
    are included); ``unique_customers``: distinct customer accounts (platform and author id).
    """

    conversations: int
    needing_reply: int
    replied: int
    unique_customers: int


def unique_per_group(codes: IntArray, groups: IntArray, n_groups: int) -> IntArray:
    """Number of distinct non-negative ``codes`` in each group."""
    keep = codes >= 0
    if not keep.any():
        return np.zeros(n_groups, dtype=np.int64)
    width = int(codes[keep].max()) + 1
    pairs = np.sort(groups[keep] * width + codes[keep])  # a sort beats a hash set here
    distinct = np.ones(len(pairs), dtype=bool)
    distinct[1:] = pairs[1:] != pairs[:-1]
    return np.bincount(pairs[distinct] // width, minlength=n_groups).astype(np.int64)


def volume(
    conversations: Columns | Iterable[Conversation], *, include_automated: bool = False
) -> Volume:
    """Count conversations, those needing a reply, those replied to, and unique customers.

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(first_customer_at=np.array(["2024-05-01"] * 3, "M8[us]"),
    ...                     customer=["x:1", "x:1", "x:2"])
    >>> volume(cols)
    Volume(conversations=3, needing_reply=3, replied=0, unique_customers=2)
    """
    cols = as_columns(conversations)
    needs = cols.needs_reply
    answered = ~np.isnat(cols.response_at(include_automated=include_automated))
    zeros = np.zeros(len(cols), dtype=np.int64)
    return Volume(
        conversations=len(cols),
        needing_reply=int(needs.sum()),
        replied=int((needs & answered).sum()),
        unique_customers=int(unique_per_group(cols.customer.codes, zeros, 1)[0]),
    )


@dataclass(frozen=True, slots=True)
class IntentCount:
    """One intent, how many conversations carry it, and its share of the labelled ones."""

    intent: str
    count: int
    share: float


def top_intents(
    conversations: Columns | Iterable[Conversation], *, n: int = 10
) -> tuple[IntentCount, ...]:
    """The ``n`` most frequent intents (ties by name); unlabelled conversations are left out.

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(first_customer_at=np.array(["2024-05-01"] * 4, "M8[us]"),
    ...                     intent=["billing", "praise", "billing", None])
    >>> tuple((i.intent, i.count, round(i.share, 3)) for i in top_intents(cols))
    (('billing', 2, 0.667), ('praise', 1, 0.333))
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"n must be a positive whole number, got {n!r}")
    labels = as_columns(conversations).intent
    codes = labels.codes[labels.codes >= 0]
    counts = np.bincount(codes, minlength=len(labels.categories))
    total = int(counts.sum())
    ranked = sorted(
        ((int(c), name) for name, c in zip(labels.categories, counts.tolist(), strict=True) if c),
        key=lambda item: (-item[0], item[1]),
    )
    return tuple(IntentCount(name, count, count / total) for count, name in ranked[:n])


@dataclass(frozen=True, slots=True)
class SentimentShares:
    """Counts of conversations by triaged sentiment and the shares among labelled ones.

    Shares are ``None`` when no conversation has a sentiment label; ``unlabelled`` counts the
    conversations without one (excluded from the shares).
    """

    negative: int
    neutral: int
    positive: int
    unlabelled: int
    negative_share: float | None
    positive_share: float | None

    @classmethod
    def of(cls, negative: int, neutral: int, positive: int, unlabelled: int) -> SentimentShares:
        """Build from counts."""
        total = negative + neutral + positive
        return cls(
            negative,
            neutral,
            positive,
            unlabelled,
            negative / total if total else None,
            positive / total if total else None,
        )


def sentiment_counts(labels: Labels, groups: IntArray, n_groups: int) -> list[SentimentShares]:
    """Sentiment shares per group; labels other than the three known ones are unlabelled."""

    def count(name: str) -> IntArray:
        mask = labels.codes == labels.code_of(name)
        return np.bincount(groups[mask], minlength=n_groups).astype(np.int64)

    neg, neu, pos = count("negative"), count("neutral"), count("positive")
    total = np.bincount(groups, minlength=n_groups)
    return [
        SentimentShares.of(
            int(neg[g]), int(neu[g]), int(pos[g]), int(total[g] - neg[g] - neu[g] - pos[g])
        )
        for g in range(n_groups)
    ]


def sentiment_shares(conversations: Columns | Iterable[Conversation]) -> SentimentShares:
    """Share of negative and positive conversations among those with a sentiment label.

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(first_customer_at=np.array(["2024-05-01"] * 4, "M8[us]"),
    ...                     sentiment=["negative", "positive", "neutral", None])
    >>> s = sentiment_shares(cols)
    >>> round(s.negative_share, 3), s.unlabelled
    (0.333, 1)
    """
    cols = as_columns(conversations)
    return sentiment_counts(cols.sentiment, np.zeros(len(cols), dtype=np.int64), 1)[0]


def check_period(period: Any, tz: Any) -> tuple[Period, tzinfo]:
    """Validate a period name and its zone (a zone is required: naive is refused)."""
    if period not in PERIODS:
        raise InvalidInputError(f"period must be one of {PERIODS}, got {period!r}")
    if tz is None:
        raise TimezoneError(
            "periods start at local midnight, so name the zone: tz='UTC' or tz='Europe/Paris'"
        )
    return period, resolve_timezone(tz)


def _offsets_us(times: npt.NDArray[np.int64], zone: tzinfo) -> npt.NDArray[np.int64]:
    """UTC offset (µs) of each instant, computed once per quarter hour present in the data."""
    buckets = times // _QUARTER_HOUR_US
    unique, inverse = dense_codes(buckets)
    offsets = np.empty(len(unique), dtype=np.int64)
    for i, bucket in enumerate(unique.tolist()):
        instant = _EPOCH + timedelta(microseconds=bucket * _QUARTER_HOUR_US)
        offset = instant.astimezone(zone).utcoffset() or timedelta(0)
        offsets[i] = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
    return offsets[inverse]


def period_starts(
    times: npt.NDArray[np.datetime64], period: Period, zone: tzinfo
) -> npt.NDArray[np.int64]:
    """Local start day (days since 1970-01-01) of each instant's period; NaT gives the minimum.

    Weeks start on Monday; all real zones change offset on quarter hours, which the offset
    lookup relies on.
    """
    raw = times.astype("datetime64[us]").view(np.int64)
    missing = raw == _NAT_INT
    out = np.full(len(raw), _NAT_INT, dtype=np.int64)
    if missing.all():
        return out
    present = raw[~missing]
    local = present + _offsets_us(present, zone)
    days = np.floor_divide(local, 86_400 * 1_000_000)
    if period == "week":
        days = days - (days + 3) % 7  # 1970-01-01 was a Thursday
    elif period == "month":
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        days = months.astype("datetime64[D]").astype(np.int64)
    out[~missing] = days
    return out


def period_codes(starts: IntArray) -> tuple[IntArray, list[date | None]]:
    """Dense codes of period start days and the date of each code (None: no instant)."""
    missing = starts == _NAT_INT
    if missing.any():
        floor = int(starts[~missing].min()) - 1 if (~missing).any() else 0
        starts = np.where(missing, floor, starts)
        unique, inverse = dense_codes(starts)
        return inverse, [None if d == floor else day_to_date(d) for d in unique.tolist()]
    unique, inverse = dense_codes(starts)
    return inverse, [day_to_date(d) for d in unique.tolist()]


def day_to_date(day: int) -> date | None:
    """A day number back to a date (``None`` for the missing marker)."""
    return None if day == _NAT_INT else date(1970, 1, 1) + timedelta(days=day)


def sentiment_trend(
    conversations: Columns | Iterable[Conversation],
    *,
    period: Period = "week",
    tz: str | tzinfo | None = None,
) -> tuple[tuple[date, SentimentShares], ...]:
    """Sentiment shares per period (by when each conversation opened), oldest first.

    Args:
        period: ``"day"``, ``"week"`` (Monday start) or ``"month"``.
        tz: the zone whose local midnight starts a period (required).

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T23:30", "2024-05-02T01:00"], "M8[us]"),
    ...     sentiment=["negative", "positive"])
    >>> tuple((str(d), s.negative) for d, s in sentiment_trend(cols, period="day", tz="UTC"))
    (('2024-05-01', 1), ('2024-05-02', 0))
    >>> tuple((str(d), s.negative) for d, s in sentiment_trend(cols, period="day", tz="Asia/Tokyo"))
    (('2024-05-02', 1),)
    """
    name, zone = check_period(period, tz)
    cols = as_columns(conversations)
    starts = period_starts(cols.opened_at, name, zone)
    inverse, dates = period_codes(starts)
    shares = sentiment_counts(cols.sentiment, inverse, len(dates))
    out: list[tuple[date, SentimentShares]] = []
    for as_date, share in zip(dates, shares, strict=True):
        if as_date is not None:
            out.append((as_date, share))
    return tuple(out)
