"""Every metric on a small hand-checked set of conversations, and the edge cases."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from metrics_helpers import AGENT, ANA, BOT, DailyWindow, conv, minutes, sample_conversations
from socialcare import InvalidInputError, TimezoneError, metrics
from socialcare.metrics import (
    DurationSummary,
    Rate,
    csat,
    first_response_time,
    next_response_time,
    nps,
    one_touch_resolution_rate,
    reopen_rate,
    reply_rate,
    reply_wait_time,
    resolution_rate,
    time_to_resolution,
)

CONVS = sample_conversations()


def test_first_response_time_people_only() -> None:
    # c1 10, c2 30 (the bot's minute-1 reply does not count), c3 5; c5 waits; c4, c6 excluded.
    assert first_response_time(CONVS) == DurationSummary(
        count=3,
        mean=minutes(15),
        median=minutes(10),
        p90=minutes(26),  # rank 1.8 of [5, 10, 30]: 10 + 0.8 * 20
        p95=minutes(28),
        min=minutes(5),
        max=minutes(30),
        pending=1,
        excluded=2,
    )


def test_first_response_time_with_automation() -> None:
    s = first_response_time(CONVS, include_automated=True)
    assert (s.count, s.median, s.mean, s.min) == (3, minutes(5), timedelta(seconds=320), minutes(1))


def test_next_response_and_reply_wait() -> None:
    nrt = next_response_time(CONVS)
    assert (nrt.count, nrt.median, nrt.pending, nrt.excluded) == (1, minutes(30), 0, 0)
    # turns: c1 10 and 30, c2 30, c3 5; c5's turn waits; c4's turn needs no reply.
    wait = reply_wait_time(CONVS)
    assert (wait.count, wait.median, wait.mean) == (4, minutes(20), timedelta(seconds=1125))
    assert (wait.pending, wait.excluded) == (1, 1)


def test_time_to_resolution_uses_latest_resolution() -> None:
    s = time_to_resolution(CONVS)
    assert (s.count, s.median, s.mean) == (3, minutes(60), timedelta(seconds=2900))
    assert (s.min, s.max, s.pending, s.excluded) == (minutes(15), minutes(70), 1, 2)


def test_rates() -> None:
    assert reply_rate(CONVS) == Rate(3, 4, 0.75)
    assert resolution_rate(CONVS) == Rate(3, 4, 0.75)
    assert one_touch_resolution_rate(CONVS) == Rate(1, 3, 1 / 3)  # c3 only; c2 was reopened
    assert reopen_rate(CONVS) == Rate(1, 3, 1 / 3)


def test_surveys() -> None:
    c = csat(CONVS)
    assert (c.responses, c.satisfied, c.invalid) == (3, 2, 0)
    assert c.value == pytest.approx(2 / 3)
    assert c.interval is not None
    low, high = c.interval
    # Wilson 95% for 2 of 3, worked out from the formula by hand.
    assert (round(low, 4), round(high, 4)) == (0.2077, 0.9385)
    n = nps(CONVS)
    assert (n.responses, n.promoters, n.passives, n.detractors, n.score) == (2, 1, 0, 1, 0.0)


def test_scores_columns_exclude_and_count_invalid() -> None:
    c = csat(np.array([5.0, 4.0, 1.0, 6.0, 0.0, np.nan, 4.5]))
    assert (c.responses, c.satisfied, c.invalid) == (3, 2, 4)
    n = nps([0, 7, 10, 11, None, -1])
    assert (n.responses, n.promoters, n.passives, n.detractors, n.invalid) == (3, 1, 1, 1, 3)
    assert n.score == 0.0
    with pytest.raises(InvalidInputError, match="not a score"):
        csat(["five"])
    with pytest.raises(InvalidInputError, match="NPS survey"):
        csat([metrics._surveys.Survey(kind="nps", score=3)])


def test_volume_intents_sentiment() -> None:
    # u1 and u3 on Twitter, u2 on Facebook (c2) and on Twitter (c5): two accounts.
    assert metrics.volume(CONVS) == metrics.Volume(6, 4, 3, 4)
    top = metrics.top_intents(CONVS)
    assert [(i.intent, i.count, i.share) for i in top] == [
        ("billing", 2, 0.4),
        ("delivery", 2, 0.4),
        ("praise", 1, 0.2),
    ]
    assert [i.intent for i in metrics.top_intents(CONVS, n=1)] == ["billing"]
    s = metrics.sentiment_shares(CONVS)
    assert (s.negative, s.neutral, s.positive, s.unlabelled) == (2, 1, 2, 1)
    assert (s.negative_share, s.positive_share) == (0.4, 0.4)


def test_sentiment_trend_by_local_week() -> None:
    late = [
        conv("x1", [(ANA, 0)], sentiment="negative"),  # Monday 09:00 UTC
        conv("x2", [(ANA, -10 * 60)], sentiment="positive"),  # Sunday 23:00 UTC
    ]
    utc = metrics.sentiment_trend(late, period="week", tz="UTC")
    assert [(d, s.negative, s.positive) for d, s in utc] == [
        (date(2024, 4, 29), 0, 1),
        (date(2024, 5, 6), 1, 0),
    ]
    # In Paris (UTC+2) Sunday 23:00 UTC is already Monday: one week.
    paris = metrics.sentiment_trend(late, period="week", tz="Europe/Paris")
    assert [(d, s.negative_share) for d, s in paris] == [(date(2024, 5, 6), 0.5)]
    month = metrics.sentiment_trend(late, period="month", tz="UTC")
    assert [(d, s.negative + s.positive) for d, s in month] == [(date(2024, 5, 1), 2)]
    with pytest.raises(TimezoneError):
        metrics.sentiment_trend(late, period="week")
    with pytest.raises(InvalidInputError, match="period"):
        metrics.sentiment_trend(late, period="year", tz="UTC")  # type: ignore[arg-type]


def test_business_time() -> None:
    # Customer at 16:50, reply next day 09:10: 16h20m of calendar time, 20 minutes of business.
    c = conv("b", [(ANA, 7 * 60 + 50), (AGENT, 24 * 60 + 10)], resolved=(24 * 60 + 40,))
    window = DailyWindow(9, 17)
    assert first_response_time([c]).median == timedelta(hours=16, minutes=20)
    assert first_response_time([c], window=window).median == minutes(20)
    assert time_to_resolution([c], window=window).median == minutes(50)
    m = metrics.conversation_metrics(c, window=window)
    assert (m.first_response_time, m.time_to_resolution) == (minutes(20), minutes(50))


def test_business_time_zero_is_a_real_zero() -> None:
    # Asked and answered while closed: 0 business seconds, measured (count 1), not missing.
    c = conv("z", [(ANA, 9 * 60), (AGENT, 9 * 60 + 30)])
    s = first_response_time([c], window=DailyWindow(9, 17))
    assert (s.count, s.median) == (1, timedelta(0))


def test_conversation_metrics() -> None:
    m = metrics.conversation_metrics(CONVS[0])
    assert m.first_response_time == minutes(10)
    assert m.next_response_times == (minutes(30),)
    assert (m.time_to_resolution, m.brand_touches, m.reopened) == (minutes(60), 2, False)
    m2 = metrics.conversation_metrics(CONVS[1], include_automated=True)
    assert (m2.first_response_time, m2.brand_touches, m2.reopened) == (minutes(1), 2, True)
    m6 = metrics.conversation_metrics(CONVS[5])
    assert (m6.needs_reply, m6.first_response_time, m6.time_to_resolution) == (False, None, None)
    with pytest.raises(InvalidInputError):
        metrics.conversation_metrics("c1")  # type: ignore[arg-type]


class TestEdgeCases:
    def test_no_conversations(self) -> None:
        s = first_response_time([])
        assert s == DurationSummary(0, None, None, None, None, None, None, 0, 0)
        assert reply_rate([]) == Rate(0, 0, None)
        assert csat([]).value is None
        assert csat([]).interval is None
        assert nps([]).score is None
        assert metrics.volume([]) == metrics.Volume(0, 0, 0, 0)
        assert metrics.top_intents([]) == ()
        assert metrics.sentiment_shares([]).negative_share is None
        assert len(metrics.report([])) == 1
        assert metrics.report([], by=["platform"]).rows == ()

    def test_no_surveys(self) -> None:
        c = csat(CONVS[3:])
        assert (c.responses, c.value, c.invalid) == (0, None, 0)

    def test_all_unanswered(self) -> None:
        convs = [conv("a", [(ANA, 0)]), conv("b", [(ANA, 5), (ANA, 6)])]
        s = first_response_time(convs)
        assert (s.count, s.median, s.mean, s.pending) == (0, None, None, 2)
        assert reply_rate(convs) == Rate(0, 2, 0.0)

    def test_ties(self) -> None:
        convs = [conv(f"t{i}", [(ANA, 0), (AGENT, 5)]) for i in range(4)]
        s = first_response_time(convs)
        assert s.median == s.p90 == s.p95 == s.mean == s.min == s.max == minutes(5)

    def test_no_customer_post(self) -> None:
        s = first_response_time([CONVS[5]])
        assert (s.count, s.pending, s.excluded) == (0, 0, 1)
        assert reply_rate([CONVS[5]]).denominator == 0

    def test_bot_only_reply_is_pending_for_people(self) -> None:
        c = conv("b", [(ANA, 0), (BOT, 1)])
        assert first_response_time([c]).pending == 1
        assert first_response_time([c], include_automated=True).median == minutes(1)

    def test_zero_division_policy(self) -> None:
        assert reply_rate([], zero_division=1.0) == Rate(0, 0, 1.0)
        assert reply_rate([], zero_division=0) == Rate(0, 0, 0.0)
        nan = reply_rate([], zero_division=math.nan).value
        assert nan is not None
        assert math.isnan(nan)
        with pytest.raises(InvalidInputError, match="zero_division"):
            reply_rate([], zero_division=2.0)
        with pytest.raises(InvalidInputError, match="zero_division"):
            reopen_rate([], zero_division="none")  # type: ignore[arg-type]

    def test_bad_input(self) -> None:
        with pytest.raises(InvalidInputError, match="Conversation"):
            first_response_time(["c1"])  # type: ignore[list-item]
        with pytest.raises(InvalidInputError, match="include_automated"):
            first_response_time(CONVS, include_automated="yes")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="elapsed_many"):
            first_response_time(CONVS, window=object())  # type: ignore[arg-type]


# Hardening (issue #15) ------------------------------------------------------------------------

FIRST = np.array(["2024-05-01T09:00"] * 3, "M8[us]")


@pytest.mark.parametrize(
    ("reopened", "expected"),
    [
        ([float("nan"), "False", True], [False, False, True]),
        (["TRUE", " no ", "Yes"], [True, False, True]),
        (["1", "0", None], [True, False, False]),
        ([1, 0, 1], [True, False, True]),
        (np.array([1.0, np.nan, 0.0]), [True, False, False]),
        (np.array([0, 1, 1]), [False, True, True]),
        (np.array([True, False, True]), [True, False, True]),
        (np.array(["false", "true", ""]), [False, True, False]),
        ((v for v in [True, "false", None]), [True, False, False]),
    ],
)
def test_from_columns_reads_reopened_strictly(reopened: object, expected: list[bool]) -> None:
    cols = metrics.from_columns(first_customer_at=FIRST, reopened=reopened)
    assert cols.reopened.tolist() == expected


@pytest.mark.parametrize(
    ("reopened", "row"),
    [([True, "maybe", False], 1), ([0, 1, 2], 2), (np.array([0.0, 0.5, 1.0]), 1), ([[1], 0, 0], 0)],
)
def test_from_columns_refuses_what_is_not_a_boolean(reopened: object, row: int) -> None:
    with pytest.raises(InvalidInputError, match=rf"reopened: row {row} holds .* not a boolean"):
        metrics.from_columns(first_customer_at=FIRST, reopened=reopened)


@pytest.mark.parametrize("reopened", ["True", 1, [True, False]])
def test_from_columns_reopened_must_be_a_column_of_the_right_length(reopened: object) -> None:
    with pytest.raises(InvalidInputError, match="reopened"):
        metrics.from_columns(first_customer_at=FIRST, reopened=reopened)


def test_from_columns_ignores_a_resolution_before_the_first_customer_post() -> None:
    cols = metrics.from_columns(
        first_customer_at=FIRST,
        resolved_at=np.array(["2024-05-01T08:00", "2024-05-01T10:00", "NaT"], "M8[us]"),
        first_resolved_at=np.array(["2024-05-01T08:00", "2024-05-01T08:30", "NaT"], "M8[us]"),
    )
    assert cols.resolved_at.astype(str).tolist() == ["NaT", "2024-05-01T10:00:00.000000", "NaT"]
    assert cols.first_resolved_at.astype(str).tolist() == [
        "NaT",
        "2024-05-01T10:00:00.000000",
        "NaT",
    ]
    summary = time_to_resolution(cols)
    assert (summary.count, summary.pending, summary.excluded) == (1, 2, 0)
    assert resolution_rate(cols) == Rate(1, 3, 1 / 3)


@pytest.mark.parametrize(
    "function",
    [
        first_response_time,
        next_response_time,
        reply_wait_time,
        time_to_resolution,
        reply_rate,
        resolution_rate,
        one_touch_resolution_rate,
        reopen_rate,
        csat,
        nps,
        metrics.volume,
        metrics.top_intents,
        metrics.sentiment_shares,
        metrics.conversation_metrics,
        metrics.sla_attainment,
        metrics.to_columns,
    ],
)
@pytest.mark.parametrize("value", [None, 5])
def test_none_where_a_collection_is_expected_is_invalid_input(function: Any, value: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"Columns|iterable|list|takes"):
        function(value)


def test_wilson_interval_validates() -> None:
    with pytest.raises(InvalidInputError, match="trials"):
        metrics.wilson_interval(1, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="cannot exceed"):
        metrics.wilson_interval(3, 2)
    assert metrics.wilson_interval(0, 0) is None
