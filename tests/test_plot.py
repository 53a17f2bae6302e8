"""Tests for the plots: they draw what the data says, and refuse bad arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from socialcare import InvalidInputError, SLAPolicy
from socialcare.testing import ConversationFactory

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from socialcare.plot import (  # noqa: E402
    first_response_distribution,
    sla_attainment_over_time,
    volume_by,
)


@pytest.fixture
def conversations() -> list:  # type: ignore[type-arg]
    factory = ConversationFactory()
    convs = [factory.answered(after_minutes=m, intent="query") for m in (3, 8, 30, 90)]
    convs.append(factory.unanswered(intent="complaint"))
    return convs


def test_first_response_distribution(conversations: list) -> None:  # type: ignore[type-arg]
    ax = first_response_distribution(conversations, target=timedelta(minutes=15))
    assert "4 answered, 1 still waiting" in ax.get_title()
    assert "50% within" in ax.get_legend().get_texts()[0].get_text()
    assert sum(p.get_height() for p in ax.patches) == 4
    plt.close("all")
    with pytest.raises(InvalidInputError):
        first_response_distribution(conversations, target=timedelta(0))


def test_sla_attainment_over_time(conversations: list) -> None:  # type: ignore[type-arg]
    policy = SLAPolicy.from_dict(
        {"window": "always", "targets": [{"metric": "first_response", "duration": "15m"}]}
    )
    now = datetime(2024, 3, 6, tzinfo=timezone.utc)
    ax = sla_attainment_over_time(conversations, policy, now)
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [pytest.approx(2 / 5)]
    plt.close("all")
    with pytest.raises(InvalidInputError):
        sla_attainment_over_time(conversations, policy, now, period="month")  # type: ignore[arg-type]


def test_volume_by(conversations: list) -> None:  # type: ignore[type-arg]
    ax = volume_by(conversations, label="intent")
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [1, 4]
    plt.close("all")
    with pytest.raises(InvalidInputError):
        volume_by(conversations, label="mood")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        volume_by(["nope"])  # type: ignore[list-item]
