"""Tests for the plots: they draw what the data says, and refuse bad arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcare import Conversation, InvalidInputError, SLAPolicy, TimezoneError
from socialcare.testing import ConversationFactory

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from socialcare.plot import (  # noqa: E402
    first_response_distribution,
    human_duration,
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
    assert "50% of 4 within" in ax.get_legend().get_texts()[0].get_text()
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


# --------------------------------------------------------------- date ranges, counts, units

DAY0 = datetime(2024, 3, 4, 9, 0, tzinfo=timezone.utc)  # a Monday
POLICY = SLAPolicy.from_dict(
    {"window": "always", "targets": [{"metric": "first_response", "duration": "15m"}]}
)


def _week() -> list[Conversation]:
    """Three days of conversations: day d has d + 2 answered ones, one in 5 minutes each day."""
    convs = []
    for d in range(3):
        factory = ConversationFactory(start=DAY0 + timedelta(days=d), seed=d)
        convs.append(factory.answered(after_minutes=5, intent="query"))
        convs.extend(
            factory.answered(after_minutes=60 * (k + 1), intent="complaint") for k in range(d + 1)
        )
    return convs


def test_volume_by_date_range_counts_and_title() -> None:
    convs = _week()
    ax = volume_by(convs, start=DAY0 + timedelta(days=1), end=DAY0 + timedelta(days=2))
    # only day 1: one query, two complaints
    assert sorted(p.get_height() for p in ax.patches) == [1, 2]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2"]  # totals on the bars
    title = ax.get_title()
    assert "3 conversations" in title
    assert "excluded: 6 outside the dates" in title
    assert "2024-03-05 09:00+00:00 to 2024-03-06 09:00+00:00" in title
    plt.close("all")
    whole = volume_by(convs)
    assert "excluded" not in whole.get_title()
    assert sorted(t.get_text() for t in whole.texts) == ["3", "6"]
    plt.close("all")


def test_sla_attainment_date_range_and_counts_per_point() -> None:
    convs = _week()
    now = DAY0 + timedelta(days=5)
    ax = sla_attainment_over_time(convs, POLICY, now, start=DAY0 + timedelta(days=1))
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [pytest.approx(1 / 3), pytest.approx(1 / 4)]
    assert [t.get_text() for t in ax.texts] == ["n=3", "n=4"]
    assert "7 decided clocks" in ax.get_title()
    assert "excluded: 2 outside the dates" in ax.get_title()
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-03-05", "2024-03-06"]
    plt.close("all")


def test_sla_attainment_says_what_it_left_out() -> None:
    factory = ConversationFactory(start=DAY0)
    convs = [factory.answered(after_minutes=5), factory.unanswered()]
    # 10 minutes in: the unanswered clock is still running
    ax = sla_attainment_over_time(convs, POLICY, DAY0 + timedelta(minutes=10))
    assert [t.get_text() for t in ax.texts] == ["n=1"]
    assert "1 decided clocks" in ax.get_title()
    assert "excluded: 1 still running" in ax.get_title()
    plt.close("all")


def test_first_response_excluded_in_title_and_human_units() -> None:
    convs = _week()
    factory = ConversationFactory(start=DAY0)
    convs.append(factory.answered(after_minutes=2, route="none"))
    ax = first_response_distribution(
        convs, target=timedelta(minutes=90), end=DAY0 + timedelta(days=2)
    )
    title = ax.get_title()
    assert "5 answered, 0 still waiting" in title
    assert "excluded: 4 outside the dates, 1 needing no reply" in title
    # every answered one is drawn, the shortest and longest too (log bins once dropped them)
    assert sum(p.get_height() for p in ax.patches) == 5
    legend = ax.get_legend().get_texts()[0].get_text()
    assert legend.startswith("target 1 h 30 min (")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "5 min" in labels
    assert "1 h" in labels
    assert all(label.endswith(("s", "min", "h", "d")) for label in labels), labels
    plt.close("all")


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        (datetime(2024, 3, 1), None, TimezoneError),  # naive
        (None, datetime(2024, 3, 1), TimezoneError),
        (DAY0, DAY0, InvalidInputError),  # empty range
        (DAY0 + timedelta(days=1), DAY0, InvalidInputError),
        ("2024-03-01", None, InvalidInputError),
    ],
)
def test_date_range_is_validated(start: object, end: object, error: type[Exception]) -> None:
    convs = _week()
    for draw in (
        lambda: volume_by(convs, start=start, end=end),  # type: ignore[arg-type]
        lambda: first_response_distribution(convs, start=start, end=end),  # type: ignore[arg-type]
        lambda: sla_attainment_over_time(convs, POLICY, DAY0, start=start, end=end),  # type: ignore[arg-type]
    ):
        with pytest.raises(error):
            draw()
    plt.close("all")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=15), "15 min"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(hours=2), "2 h"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(hours=1, seconds=5), "1 h"),
        (timedelta(days=1, hours=2, minutes=3), "1 d 2 h"),
        (timedelta(0), "0 s"),
        (-timedelta(minutes=5), "-5 min"),
        (59.6, "1 min"),
    ],
)
def test_human_duration(value: timedelta | float, text: str) -> None:
    assert human_duration(value) == text


@given(st.integers(0, 10**8))
def test_human_duration_drops_less_than_its_last_unit(seconds: int) -> None:
    words = human_duration(seconds).split()
    sizes = {"d": 86400, "h": 3600, "min": 60, "s": 1}
    assert len(words) in (2, 4)
    shown = sum(int(n) * sizes[u] for n, u in zip(words[::2], words[1::2], strict=True))
    assert 0 <= seconds - shown < sizes[words[-1]]
