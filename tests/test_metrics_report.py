"""Report breakdowns, SLA attainment, the Facebook badge, columns, and column == object paths."""

from __future__ import annotations

import enum
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics_helpers import (
    AGENT,
    ANA,
    BEN,
    BOT,
    T0,
    UTC,
    DailyWindow,
    at,
    conv,
    minutes,
    sample_conversations,
)
from socialcare import InvalidInputError, TimezoneError, metrics
from socialcare.metrics import Rate

CONVS = sample_conversations()


class TestReport:
    def test_by_route(self) -> None:
        rows = {row.keys["route"]: row for row in metrics.report(CONVS, by=["route"])}
        assert list(rows) == ["agent", "none", None]
        agent = rows["agent"]
        assert (agent.conversations, agent.needing_reply, agent.unique_customers) == (4, 4, 4)
        assert agent.reply_rate == Rate(3, 4, 0.75)
        assert agent.first_response_time.median == minutes(10)
        assert agent.csat is not None
        assert agent.csat.responses == 3
        assert agent.top_intent == "billing"  # billing 2, delivery 2: tie goes to the name
        assert rows["none"].reply_rate == Rate(0, 0, None)
        assert rows["none"].first_response_time.excluded == 1
        assert rows[None].first_response_time.excluded == 1

    def test_one_group_matches_functions(self) -> None:
        (row,) = metrics.report(CONVS).rows
        assert row.first_response_time == metrics.first_response_time(CONVS)
        assert row.next_response_time == metrics.next_response_time(CONVS)
        assert row.reply_wait_time == metrics.reply_wait_time(CONVS)
        assert row.time_to_resolution == metrics.time_to_resolution(CONVS)
        assert row.one_touch_resolution_rate == metrics.one_touch_resolution_rate(CONVS)
        assert row.csat == metrics.csat(CONVS)
        assert row.nps == metrics.nps(CONVS)
        assert row.sentiment == metrics.sentiment_shares(CONVS)

    def test_by_platform_and_period(self) -> None:
        extra = conv("c7", [(ANA, 7 * 24 * 60), (AGENT, 7 * 24 * 60 + 2)], route="agent")
        report = metrics.report([*CONVS, extra], by=["platform", "period"], tz="UTC")
        keys = [tuple(row.keys.values()) for row in report]
        assert keys == [
            ("facebook", date(2024, 5, 6)),
            ("twitter", date(2024, 5, 6)),
            ("twitter", date(2024, 5, 13)),
        ]
        assert report.rows[2].first_response_time.median == minutes(2)
        with pytest.raises(TimezoneError):
            metrics.report(CONVS, by=["period"])

    def test_by_agent_and_intent(self) -> None:
        report = metrics.report(CONVS, by=["agent", "intent"])
        first = report.rows[0]
        assert first.keys == {"agent": "a1", "intent": "billing"}
        assert first.conversations == 2
        assert first.time_to_resolution.median == minutes(37.5)

    def test_to_dicts_and_pandas(self) -> None:
        report = metrics.report(CONVS, by=["route"])
        dicts = report.to_dicts()
        assert dicts[0]["route"] == "agent"
        assert dicts[0]["first_response_time_median"] == minutes(10)
        assert dicts[0]["reply_rate_denominator"] == 4
        pd = pytest.importorskip("pandas")
        frame = report.to_pandas()
        assert isinstance(frame, pd.DataFrame)
        assert len(frame) == 3

    def test_to_pandas_without_pandas(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(metrics.MissingDependencyError, match="pip install"):
            metrics.report(CONVS).to_pandas()

    def test_bad_by(self) -> None:
        with pytest.raises(InvalidInputError, match="break down"):
            metrics.report(CONVS, by=["colour"])
        with pytest.raises(InvalidInputError, match="twice"):
            metrics.report(CONVS, by=["route", "route"])


class State(enum.Enum):
    MET = "met"
    BREACHED = "breached"


class Result:
    def __init__(self, state: Any) -> None:
        self.state = state


class FakePolicy:
    """Stands in for SLAPolicy: met when answered within 15 minutes."""

    def evaluate(self, conversation: Any, now: datetime) -> dict[str, Result]:
        frt = metrics.conversation_metrics(conversation).first_response_time
        if frt is None:
            return {"first_response": Result("pending")}
        return {"first_response": Result(State.MET if frt <= minutes(15) else State.BREACHED)}


class TestSla:
    def test_from_state_columns(self) -> None:
        r = metrics.sla_attainment(
            {"first_response": ["met", "breached", "at_risk", "paused", None, "met"]}
        )["first_response"]
        assert (r.met, r.breached, r.at_risk, r.paused, r.missing) == (2, 1, 1, 1, 1)
        assert r.rate == Rate(2, 3, 2 / 3)

    def test_from_evaluations(self) -> None:
        evaluations = [FakePolicy().evaluate(c, T0) for c in CONVS[:3]]
        r = metrics.sla_attainment(evaluations)["first_response"]
        assert r.rate == Rate(2, 3, 2 / 3)  # c1 10 min, c3 5 min met; c2 30 min breached

    def test_objects_with_attributes(self) -> None:
        class Evaluation:
            first_response = Result("met")
            resolution = Result("breached")

        r = metrics.sla_attainment([Evaluation(), Evaluation()])
        assert r["first_response"].met == 2
        assert r["resolution"].breached == 2

    def test_report_with_policy(self) -> None:
        now = T0 + timedelta(days=1)
        (row,) = metrics.report(CONVS, policy=FakePolicy(), now=now).rows
        assert row.sla["first_response"].rate == Rate(2, 3, 2 / 3)
        assert row.sla["first_response"].pending == 3
        with pytest.raises(TimezoneError):
            metrics.report(CONVS, policy=FakePolicy())

    def test_bad_states(self) -> None:
        with pytest.raises(InvalidInputError, match="unknown SLA states"):
            metrics.sla_attainment({"first_response": ["late"]})
        with pytest.raises(InvalidInputError):
            metrics.sla_attainment([object()])
        empty = metrics.sla_attainment({"resolution": []}, zero_division=1.0)
        assert empty["resolution"].rate == Rate(0, 0, 1.0)


class TestFacebook:
    def test_badge_with_away_hours(self) -> None:
        day = 24 * 60
        convs = [
            conv("f1", [(ANA, 0), (AGENT, 5)]),  # 09:00, 5 minutes
            conv("f2", [(BEN, 60), (AGENT, 80)]),  # 10:00, 20 minutes
            conv("f3", [(ANA, 12 * 60), (AGENT, 13 * 60)]),  # 21:00: away hours, not counted
            conv("f4", [(BEN, -8 * day)]),  # older than seven days
            conv("f5", [(ANA, 120), (BOT, 121)]),  # bot reply: unanswered by people
        ]
        now = T0 + timedelta(days=1)
        r = metrics.facebook_responsiveness(convs, now=now, open_hours=DailyWindow(9, 17))
        assert (r.messages, r.away, r.within_target) == (3, 1, 1)
        assert r.response_rate == Rate(2, 3, 2 / 3)
        assert r.mean_response_time == minutes(12.5)
        assert r.very_responsive is False
        with_bots = metrics.facebook_responsiveness(
            convs, now=now, open_hours=DailyWindow(9, 17), include_automated=True
        )
        assert with_bots.response_rate == Rate(3, 3, 1.0)
        assert with_bots.mean_response_time == timedelta(seconds=520)
        assert with_bots.very_responsive is True

    def test_reply_after_now_does_not_count(self) -> None:
        c = conv("f", [(ANA, 0), (AGENT, 10)])
        r = metrics.facebook_responsiveness([c], now=at(5))
        assert r.response_rate == Rate(0, 1, 0.0)
        none = metrics.facebook_responsiveness([], now=at(5))
        assert none.very_responsive is None
        assert none.mean_response_time is None

    def test_naive_now_refused(self) -> None:
        with pytest.raises(TimezoneError):
            metrics.facebook_responsiveness(CONVS, now=datetime(2024, 5, 6))


class TestColumns:
    def test_round_trip_of_labels(self) -> None:
        cols = metrics.to_columns(CONVS)
        assert cols.route.values() == ["agent", "agent", "agent", "none", "agent", None]
        assert cols.exchanges is not None
        assert cols.human_exchanges is not None
        assert cols.exchanges.conv.tolist() == [0, 0, 1, 2, 3, 4]
        assert len(cols.take(np.array([0, 2]))) == 2

    def test_from_columns_with_codes(self) -> None:
        t = np.array(["2024-05-06T09:00", "2024-05-06T09:00", "2024-05-06T09:00"], "M8[us]")
        r = np.array(["2024-05-06T09:05", "NaT", "NaT"], "M8[us]")
        cols = metrics.from_columns(
            first_customer_at=t,
            first_response_at=r,
            route=(np.array([0, 0, 1]), ["agent", "none"]),
            csat_conv=[0, 1],
            csat_score=[5, 7],
        )
        assert metrics.reply_rate(cols) == Rate(1, 2, 0.5)
        c = metrics.csat(cols)
        assert (c.responses, c.invalid) == (1, 1)
        with pytest.raises(InvalidInputError, match="exchange"):
            metrics.next_response_time(cols)
        (row,) = metrics.report(cols).rows
        assert row.next_response_time is None
        assert row.nps is None

    def test_from_columns_validation(self) -> None:
        t = np.array(["2024-05-06T09:00"], "M8[us]")
        with pytest.raises(InvalidInputError, match="rows"):
            metrics.from_columns(first_customer_at=t, route=["a", "b"])
        with pytest.raises(InvalidInputError, match="codes"):
            metrics.from_columns(first_customer_at=t, route=(np.array([3]), ["a"]))
        with pytest.raises(InvalidInputError, match="datetime64"):
            metrics.from_columns(first_customer_at=np.array([1.5]))
        with pytest.raises(TimezoneError):
            metrics.from_columns(first_customer_at=np.array([datetime(2024, 5, 6)], dtype=object))
        aware = metrics.from_columns(
            first_customer_at=np.array([datetime(2024, 5, 6, tzinfo=UTC)], dtype=object)
        )
        assert str(aware.first_customer_at[0]) == "2024-05-06T00:00:00.000000"
        with pytest.raises(InvalidInputError, match="all three"):
            metrics.from_columns(first_customer_at=t, exchange_conv=[0])
        with pytest.raises(InvalidInputError, match=r"0\.\.0"):
            metrics.from_columns(first_customer_at=t, csat_conv=[1], csat_score=[5])


def test_import_socialcare_stays_light() -> None:
    code = (
        "import sys, socialcare; print('numpy' in sys.modules, 'socialcare.metrics' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# Property: the vectorised column path equals a plain-Python computation from each
# conversation's own metrics (conversation_metrics), for random threads with ties.

ROLES = {"c": ANA, "a": AGENT, "b": BOT}


@st.composite
def conversations(draw: st.DrawFn) -> list[Any]:
    out = []
    for i in range(draw(st.integers(0, 8))):
        steps = draw(st.lists(st.tuples(st.sampled_from("cab"), st.integers(0, 30)), max_size=6))
        if not steps:
            steps = [("c", 0)]
        minute = 0
        posts = []
        for role, gap in steps:
            minute += gap
            posts.append((ROLES[role], minute))
        resolved = draw(st.sampled_from([(), (minute + 5,), (minute + 1, minute + 9)]))
        reopened = (minute + 3,) if len(resolved) == 2 else ()
        route = draw(st.sampled_from(["agent", "none", None]))
        out.append(conv(f"h{i}", posts, resolved=resolved, reopened=reopened, route=route))
    return out


def _quantile(values: list[int], q: float) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low, high = int(pos // 1), min(int(pos // 1) + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
    return timedelta(microseconds=round(value))


def _close(a: timedelta | None, b: timedelta | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= timedelta(microseconds=1)


@settings(max_examples=60, deadline=None)
@given(conversations(), st.booleans(), st.booleans())
def test_columns_equal_objects(convs: list[Any], automated: bool, windowed: bool) -> None:
    window = DailyWindow(9, 17) if windowed else None
    per = [
        metrics.conversation_metrics(c, window=window, include_automated=automated) for c in convs
    ]
    frt = [m.first_response_time for m in per if m.first_response_time is not None]
    nrt = [t for m in per for t in m.next_response_times if t is not None]
    ttr = [m.time_to_resolution for m in per if m.time_to_resolution is not None]
    for measured, func in (
        (frt, metrics.first_response_time),
        (nrt, metrics.next_response_time),
        (ttr, metrics.time_to_resolution),
    ):
        summary = func(convs, window=window, include_automated=automated)
        us = [t // timedelta(microseconds=1) for t in measured]
        assert summary.count == len(us)
        assert summary.min == (min(measured) if measured else None)
        assert summary.max == (max(measured) if measured else None)
        for q, got in ((0.5, summary.median), (0.9, summary.p90), (0.95, summary.p95)):
            assert _close(got, _quantile(us, q))
        mean = timedelta(microseconds=round(sum(us) / len(us))) if us else None
        assert _close(summary.mean, mean)
    needs = [m for m in per if m.needs_reply]
    replied = sum(m.first_response_time is not None for m in needs)
    assert metrics.reply_rate(convs, include_automated=automated) == Rate.of(replied, len(needs))
    # One report row per route equals the functions run on that route's conversations.
    for row in metrics.report(convs, by=["route"], window=window, include_automated=automated):
        subset = [c for c in convs if c.route == row.keys["route"]]
        assert row.conversations == len(subset)
        expected = metrics.first_response_time(subset, window=window, include_automated=automated)
        assert row.first_response_time == expected
        assert row.reply_wait_time == metrics.reply_wait_time(
            subset, window=window, include_automated=automated
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(-(2**40), 2**40)), max_size=40),
    st.booleans(),
)
def test_group_statistics_equal_numpy_per_group(rows: list[tuple[int, int]], huge: bool) -> None:
    from socialcare.metrics._stats import group_durations

    groups = np.array([g for g, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.int64)
    if huge and len(values):
        values[0] = 2**61  # the packed key would overflow: the lexsort fallback runs
    stats = group_durations(values, groups, 7)
    for g in range(7):
        mine = values[groups == g]
        assert stats.count[g] == len(mine)
        if not len(mine):
            assert np.isnan(stats.median[g])
            continue
        ref = mine.astype(np.float64)
        assert stats.minimum[g] == ref.min()
        assert stats.maximum[g] == ref.max()
        for q, got in ((0.5, stats.median[g]), (0.9, stats.p90[g]), (0.95, stats.p95[g])):
            assert got == pytest.approx(np.quantile(ref, q), rel=1e-12, abs=1.0)
        assert stats.mean[g] == pytest.approx(float(np.sum(mine)) / len(mine), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(conversations(), st.lists(st.one_of(st.integers(-2, 12), st.none()), max_size=12))
def test_rates_and_scores_equal_plain_python(convs: list[Any], scores: list[Any]) -> None:
    needs = [c for c in convs if c.first_customer_at is not None and c.route != "none"]
    resolved = [c for c in needs if c.resolved_at is not None]
    ever = [c for c in needs if c.status_changes]
    assert metrics.resolution_rate(convs) == Rate.of(len(resolved), len(needs))
    assert metrics.reopen_rate(convs) == Rate.of(sum(c.reopened for c in ever), len(ever))
    valid = [s for s in scores if s is not None and 1 <= s <= 5]
    c = metrics.csat(scores)
    assert (c.responses, c.satisfied, c.invalid) == (
        len(valid),
        sum(s >= 4 for s in valid),
        len(scores) - len(valid),
    )
    valid_nps = [s for s in scores if s is not None and 0 <= s <= 10]
    n = metrics.nps(scores)
    if valid_nps:
        promoters = sum(s >= 9 for s in valid_nps)
        detractors = sum(s <= 6 for s in valid_nps)
        assert n.score == pytest.approx(100 * (promoters - detractors) / len(valid_nps))
    else:
        assert n.score is None


def test_report_needs_collections_not_none() -> None:
    with pytest.raises(InvalidInputError, match="iterable"):
        metrics.report(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="list of breakdown keys"):
        metrics.report([], by=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="cannot break down"):
        metrics.report([], by=[None])  # type: ignore[list-item]
    assert len(metrics.report([], by=None).rows) == len(metrics.report([]).rows)
