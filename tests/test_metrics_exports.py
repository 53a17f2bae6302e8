"""socialcare.metrics: every public name exported, documented, and from a private module."""

from __future__ import annotations

import inspect
from datetime import timedelta

import socialcare
from socialcare import metrics


def test_reachable_as_attribute() -> None:
    assert socialcare.metrics is metrics


def test_all_sorted_and_complete() -> None:
    assert metrics.__all__ == sorted(metrics.__all__)
    public = {n for n in dir(metrics) if not n.startswith("_") and n[0].isalpha()}
    public = {
        n for n in public if inspect.isclass(getattr(metrics, n)) or callable(getattr(metrics, n))
    }
    assert public <= set(metrics.__all__)


def test_documented_and_private_homes() -> None:
    for name in metrics.__all__:
        member = getattr(metrics, name)
        assert inspect.getdoc(member), name
        assert member.__module__.startswith("socialcare.metrics._"), name


def test_from_columns_reads_aware_pandas_columns_with_nat() -> None:
    """A time-zone-aware column holding NaT: NaT is a missing instant, not a naive one."""
    import pandas as pd

    from socialcare import metrics

    first = pd.Series(pd.to_datetime(["2024-05-01T10:00Z", None], utc=True))
    reply = pd.Series(pd.to_datetime(["2024-05-01T10:05Z", None], utc=True))
    for columns in (
        metrics.from_columns(first_customer_at=first, first_response_at=reply),
        metrics.from_columns(
            first_customer_at=list(first), first_response_at=list(reply.dt.tz_convert("Asia/Tokyo"))
        ),
    ):
        summary = metrics.first_response_time(columns)
        assert summary.count == 1
        assert summary.median == timedelta(minutes=5)
