"""End to end: the modules agree with each other on the same conversations."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

import pytest

from socialcare import ServiceWindow, SLAPolicy, Triager, build_conversations, metrics
from socialcare.cli import _demo_data

NOW = datetime(2024, 3, 11, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo() -> list:  # type: ignore[type-arg]
    rows, _ = _demo_data()
    return list(build_conversations(rows).conversations)


def test_business_time_metrics_match_the_window(demo: list) -> None:  # type: ignore[type-arg]
    window = ServiceWindow.weekly("Europe/Madrid", {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"})
    expected = [
        window.elapsed(c.first_customer_at, c.first_human_response_at)
        for c in demo
        if c.first_customer_at is not None and c.first_human_response_at is not None
    ]
    summary = metrics.first_response_time(demo, window=window)
    assert summary.count == len(expected)
    assert summary.median == statistics.median(expected)
    assert summary.max == max(expected)


def test_sla_attainment_matches_policy_evaluations(demo: list) -> None:  # type: ignore[type-arg]
    policy = SLAPolicy.from_dict(
        {"window": "always", "targets": [{"metric": "first_response", "duration": "15m"}]}
    )
    states = [policy.evaluate(c, NOW).first_response for c in demo]
    met = sum(1 for s in states if s is not None and s.state.value == "met")
    breached = sum(1 for s in states if s is not None and s.state.value == "breached")
    attainment = metrics.sla_attainment([policy.evaluate(c, NOW) for c in demo])
    assert (attainment["first_response"].met, attainment["first_response"].breached) == (
        met,
        breached,
    )
    report = metrics.report(demo, policy=policy, now=NOW)
    assert report.rows[0].sla["first_response"].met == met


def test_triage_labels_flow_into_metrics(demo: list) -> None:  # type: ignore[type-arg]
    triager = Triager.default()
    firsts = [c.customer_posts[0] for c in demo]
    decisions = triager.decide_many(firsts)
    labelled = [
        c.attach(intent=d.intent, route=d.route, sentiment=d.sentiment)
        for c, d in zip(demo, decisions, strict=True)
    ]
    top = metrics.top_intents(labelled)
    assert sum(item.count for item in top) == len(labelled)
    needing = metrics.reply_rate(labelled)
    assert needing.denominator == sum(1 for d in decisions if d.route != "none")


def test_calendar_and_always_window_agree(demo: list) -> None:  # type: ignore[type-arg]
    calendar = metrics.first_response_time(demo)
    always = metrics.first_response_time(demo, window=ServiceWindow.always())
    assert calendar.median == always.median
    assert calendar.p90 == always.p90
    assert calendar.mean is not None
    assert abs(calendar.mean - always.mean) < timedelta(microseconds=2)  # type: ignore[operator]
