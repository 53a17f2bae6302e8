"""Rates with an explicit zero-denominator policy: reply, resolution, one-touch, reopen."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare.metrics._columns import Columns, as_columns

__all__ = [
    "Rate",
    "RateMetric",
    "one_touch_resolution_rate",
    "rate_masks",
    "reopen_rate",
    "reply_rate",
    "resolution_rate",
]

RateMetric = Literal["reply_rate", "resolution_rate", "one_touch_resolution_rate", "reopen_rate"]
RATE_METRICS: tuple[RateMetric, ...] = (
    "reply_rate",
    "resolution_rate",
    "one_touch_resolution_rate",
    "reopen_rate",
)
BoolArray = npt.NDArray[np.bool_]


def check_zero_division(zero_division: Any) -> float | None:
    """Validate a zero-division policy: ``None`` or a number in [0, 1]."""
    if zero_division is None:
        return None
    if isinstance(zero_division, bool) or not isinstance(zero_division, (int, float)):
        raise InvalidInputError(
            f"zero_division must be None or a number in [0, 1], got {zero_division!r}"
        )
    value = float(zero_division)
    if not (math.isnan(value) or 0.0 <= value <= 1.0):
        raise InvalidInputError(f"zero_division must be None or in [0, 1], got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator`` out of ``denominator``; ``value`` is their ratio.

    When the denominator is 0, ``value`` follows the ``zero_division`` policy the rate was
    computed with: ``None`` by default (there is nothing to measure), or the given number.

    >>> Rate.of(3, 4).value, Rate.of(0, 0).value, Rate.of(0, 0, zero_division=1.0).value
    (0.75, None, 1.0)
    """

    numerator: int
    denominator: int
    value: float | None

    @classmethod
    def of(cls, numerator: int, denominator: int, *, zero_division: float | None = None) -> Rate:
        """Build a rate, applying the zero-division policy."""
        policy = check_zero_division(zero_division)
        value = policy if denominator == 0 else numerator / denominator
        return cls(int(numerator), int(denominator), value)

    @classmethod
    def many(
        cls,
        numerators: npt.NDArray[np.int64],
        denominators: npt.NDArray[np.int64],
        *,
        zero_division: float | None = None,
    ) -> list[Rate]:
        """One rate per group from count arrays (the policy is checked once)."""
        policy = check_zero_division(zero_division)
        return [
            cls(n, d, policy if d == 0 else n / d)
            for n, d in zip(numerators.tolist(), denominators.tolist(), strict=True)
        ]


def rate_masks(
    cols: Columns, metric: RateMetric, *, include_automated: bool = False
) -> tuple[BoolArray, BoolArray]:
    """Per-conversation (numerator, denominator) masks of a rate metric."""
    needs = cols.needs_reply
    if metric == "reply_rate":
        answered = ~np.isnat(cols.response_at(include_automated=include_automated))
        return needs & answered, needs
    resolved = needs & ~np.isnat(cols.resolved_at)
    if metric == "resolution_rate":
        return resolved, needs
    if metric == "one_touch_resolution_rate":
        one = cols.touches(include_automated=include_automated) == 1
        return resolved & one & ~cols.reopened, resolved
    if metric == "reopen_rate":
        ever = needs & ~np.isnat(cols.first_resolved_at)
        return ever & cols.reopened, ever
    raise InvalidInputError(f"unknown rate metric {metric!r}; use one of {RATE_METRICS}")


def _rate(
    source: Columns | Iterable[Conversation],
    metric: RateMetric,
    *,
    include_automated: Any,
    zero_division: float | None,
) -> Rate:
    if not isinstance(include_automated, bool):
        raise InvalidInputError(
            f"include_automated must be True or False, got {include_automated!r}"
        )
    policy = check_zero_division(zero_division)
    num, den = rate_masks(as_columns(source), metric, include_automated=include_automated)
    return Rate.of(int(num.sum()), int(den.sum()), zero_division=policy)


def reply_rate(
    conversations: Columns | Iterable[Conversation],
    *,
    include_automated: bool = False,
    zero_division: float | None = None,
) -> Rate:
    """Share of conversations needing a reply that got one.

    Denominator: conversations with a customer post whose route is not ``"none"`` (praise,
    spam and noise routed ``"none"`` need no reply; untriaged conversations count).
    Numerator: those with a brand reply by a person (or automation, ``include_automated``).

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T09:00"] * 3, "M8[us]"),
    ...     first_response_at=np.array(["2024-05-01T09:10", "NaT", "NaT"], "M8[us]"),
    ...     route=["agent", "agent", "none"])
    >>> reply_rate(cols)
    Rate(numerator=1, denominator=2, value=0.5)
    """
    return _rate(
        conversations,
        "reply_rate",
        include_automated=include_automated,
        zero_division=zero_division,
    )


def resolution_rate(
    conversations: Columns | Iterable[Conversation],
    *,
    zero_division: float | None = None,
) -> Rate:
    """Share of conversations needing a reply that are resolved now (last status resolved)."""
    return _rate(
        conversations, "resolution_rate", include_automated=False, zero_division=zero_division
    )


def one_touch_resolution_rate(
    conversations: Columns | Iterable[Conversation],
    *,
    include_automated: bool = False,
    zero_division: float | None = None,
) -> Rate:
    """Share of resolved conversations resolved with exactly one brand reply, never reopened.

    Touches count brand posts after the first customer post: people only by default.
    """
    return _rate(
        conversations,
        "one_touch_resolution_rate",
        include_automated=include_automated,
        zero_division=zero_division,
    )


def reopen_rate(
    conversations: Columns | Iterable[Conversation],
    *,
    zero_division: float | None = None,
) -> Rate:
    """Share of conversations ever resolved that were reopened afterwards."""
    return _rate(conversations, "reopen_rate", include_automated=False, zero_division=zero_division)
