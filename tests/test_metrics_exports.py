"""socialcare.metrics: every public name exported, documented, and from a private module."""

from __future__ import annotations

import inspect

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
