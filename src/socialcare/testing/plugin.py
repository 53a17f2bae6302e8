"""pytest plugin of the socialcare test kit (registered through the ``pytest11`` entry point).

Fixtures: ``socialcare_clock`` (a [FixedClock][socialcare.testing.FixedClock] at Monday
2024-03-04 09:00 UTC), ``post_factory`` and ``conversation_factory`` (seeded, so tests are
deterministic), and ``stub_classifier`` (a fitted `StubClassifier`).
"""

from __future__ import annotations

import pytest

from socialcare.testing import (
    ConversationFactory,
    FixedClock,
    PostFactory,
    StubClassifier,
)


@pytest.fixture
def socialcare_clock() -> FixedClock:
    """A fixed clock at Monday 2024-03-04 09:00 UTC."""
    return FixedClock()


@pytest.fixture
def post_factory() -> PostFactory:
    """A seeded post factory."""
    return PostFactory(seed=0)


@pytest.fixture
def conversation_factory() -> ConversationFactory:
    """A seeded conversation factory."""
    return ConversationFactory(seed=0)


@pytest.fixture
def stub_classifier() -> StubClassifier:
    """A fitted keyword classifier: 'refund' -> request, 'love' -> praise, else query."""
    return StubClassifier().fit()
