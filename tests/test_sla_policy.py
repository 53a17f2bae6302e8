"""SLA policies: loading from configuration, choosing targets, and the SLA clocks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import (
    Author,
    Conversation,
    InvalidInputError,
    Post,
    RowError,
    ServiceWindow,
    SLAPolicy,
    SLAReport,
    SLAState,
    SLATarget,
    StatusChange,
    TimezoneError,
)
from socialcare._sla._policy import format_duration, parse_duration

UTC = timezone.utc
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday
ANA = Author(id="ana")
AGENT = Author(id="agent", is_brand=True)
BOT = Author(id="bot", is_brand=True, is_bot=True)
OFFICE_UTC = {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def conv(*events: tuple[str, float], **extra: object) -> Conversation:
    """A conversation from (who, minute) events: who is 'c' (customer), 'a' (agent), 'b' (bot)."""
    authors = {"c": ANA, "a": AGENT, "b": BOT}
    posts = [
        Post(id=f"p{i}", platform="twitter", author=authors[who], text=who, created_at=at(m))
        for i, (who, m) in enumerate(events)
    ]
    return Conversation(id="c1", posts=posts, **extra)  # type: ignore[arg-type]


def policy(*targets: dict[str, object], **extra: object) -> SLAPolicy:
    return SLAPolicy.from_dict({"targets": list(targets), **extra})


FIRST_15 = {"metric": "first_response", "duration": "15m"}


# Durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("2h", 7200),
        ("2d", 172_800),
        ("1h30m", 5400),
        ("1w", 604_800),
        ("90s", 90),
        ("PT15M", 900),
        ("P2D", 172_800),
        ("P1DT2H30M", 95_400),
        ("pt1h", 3600),
        (900, 900),
        (1.5, 1.5),
        ("0.5h", 1800),
    ],
)
def test_durations_read(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["15", "15 minutes", "P", "PT", "1h30", "-5m", "", True, None])
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="duration"):
        parse_duration(bad)


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_duration_text_round_trips(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


# Loading --------------------------------------------------------------------------------------


def test_policy_round_trips_through_dict_and_json() -> None:
    config = {
        "name": "social",
        "window": OFFICE_UTC,
        "at_risk": 0.5,
        "targets": [
            {
                "metric": "first_response",
                "duration": "PT15M",
                "when": {"platform": ["x", "instagram"], "priority": "urgent"},
            },
            {"metric": "first_response", "duration": "1h", "window": "always"},
            {"metric": "next_response", "duration": 1800, "count_automated": True},
            {"metric": "resolution", "duration": "2d", "when": {"tags": ["vip"]}},
        ],
    }
    loaded = SLAPolicy.from_dict(config)
    assert loaded.targets[0].when.platform == ("twitter", "instagram")
    assert loaded.targets[0].business_time
    assert not loaded.targets[1].business_time
    assert loaded.targets[2].window == ServiceWindow.from_dict(OFFICE_UTC)
    again = SLAPolicy.from_dict(loaded.to_dict())
    assert again == loaded
    assert SLAPolicy.from_dict(json.dumps(config)) == loaded
    assert SLAPolicy.from_dict(loaded.model_dump_json()) == loaded


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"targets": []}, "targets"),
        ({"targets": [{"metric": "first_reply", "duration": "15m"}]}, "metric"),
        ({"targets": [{"metric": "first_response", "duration": "-15m"}]}, "duration"),
        ({"targets": [{"metric": "first_response", "duration": "0m"}]}, "more than zero"),
        ({"targets": [{"metric": "first_response", "duration": "soon"}]}, "duration"),
        ({"targets": [FIRST_15], "at_risk": 1.5}, "at_risk"),
        ({"targets": [FIRST_15], "window": {"timezone": "Nowhere/City", "hours": {}}}, "zone"),
        ({"targets": [FIRST_15], "window": {"timezone": "UTC", "hours": {"mon": "9-5"}}}, "HH:MM"),
        ({"targets": [{**FIRST_15, "when": {"channel": "email"}}]}, "channel"),
        ({"targets": [{**FIRST_15, "when": {"colour": "red"}}]}, "colour"),
        ({"targets": [FIRST_15], "extra": 1}, "extra"),
    ],
)
def test_bad_policies_are_refused(config: dict[str, object], where: str) -> None:
    with pytest.raises(InvalidInputError, match=where):
        SLAPolicy.from_dict(config)


def test_first_matching_target_wins() -> None:
    p = policy(
        {"metric": "first_response", "duration": "5m", "when": {"priority": ["urgent", "high"]}},
        {"metric": "first_response", "duration": "10m", "when": {"tags": ["vip", "press"]}},
        {"metric": "first_response", "duration": "15m", "when": {"channel": "private"}},
        {"metric": "first_response", "duration": "1h", "when": {"platform": "facebook"}},
        {"metric": "first_response", "duration": "2h"},
    )
    base = conv(("c", 0))
    assert p.target_for("first_response", base.attach(priority="High")).duration == (  # type: ignore[union-attr]
        timedelta(minutes=5)
    )
    vip = base.attach(tags=frozenset({"vip", "press", "x"}))
    assert p.evaluate(vip, at(1))["first_response"].target.duration == timedelta(minutes=10)
    only_vip = base.attach(tags=frozenset({"vip"}))
    assert p.evaluate(only_vip, at(1))["first_response"].target.duration == timedelta(hours=2)
    assert p.target_for("resolution", base) is None


# The clocks -----------------------------------------------------------------------------------


def test_first_response_states_over_time() -> None:
    p = policy(FIRST_15)
    waiting = conv(("c", 0))
    assert p.evaluate(waiting, at(5))["first_response"].state is SLAState.PENDING
    risky = p.evaluate(waiting, at(12))["first_response"]
    assert risky.state is SLAState.AT_RISK
    assert risky.share == pytest.approx(0.8)
    assert risky.remaining == timedelta(minutes=3)
    assert p.evaluate(waiting, at(15))["first_response"].state is SLAState.AT_RISK
    late = p.evaluate(waiting, at(20))["first_response"]
    assert late.state is SLAState.BREACHED
    assert late.remaining == timedelta(minutes=-5)
    assert late.due_at == at(15)
    met = p.evaluate(conv(("c", 0), ("a", 14)), at(60))["first_response"]
    assert (met.state, met.stopped_at, met.elapsed) == (SLAState.MET, at(14), timedelta(minutes=14))
    slow = p.evaluate(conv(("c", 0), ("a", 16)), at(60))["first_response"]
    assert slow.state is SLAState.BREACHED
    assert slow.stopped_at == at(16)


def test_at_risk_share_is_configurable() -> None:
    p = policy(FIRST_15, at_risk=0.5)
    assert p.evaluate(conv(("c", 0)), at(8))["first_response"].state is SLAState.AT_RISK


def test_automated_reply_does_not_stop_first_response_unless_counted() -> None:
    c = conv(("c", 0), ("b", 1), ("a", 30))
    strict = policy(FIRST_15).evaluate(c, at(60))["first_response"]
    assert (strict.state, strict.stopped_at) == (SLAState.BREACHED, at(30))
    counted = policy(FIRST_15, count_automated=True).evaluate(c, at(60))["first_response"]
    assert (counted.state, counted.stopped_at) == (SLAState.MET, at(1))
    per_target = policy({**FIRST_15, "count_automated": True}).evaluate(c, at(60))
    assert per_target["first_response"].state is SLAState.MET


def test_business_time_first_response_hootsuite_case() -> None:
    p = policy(
        {
            "metric": "first_response",
            "duration": "30m",
            "window": {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}},
        }
    )
    friday = datetime(2024, 5, 3, 20, 45, tzinfo=UTC)  # 16:45 EDT
    c = Conversation(
        id="h",
        posts=[Post(id="1", platform="x", author=ANA, text="?", created_at=friday)],
    )
    result = p.evaluate(c, friday + timedelta(days=1))["first_response"]
    assert result.due_at == datetime(2024, 5, 6, 13, 15, tzinfo=UTC)  # Monday 09:15 EDT
    assert result.elapsed == timedelta(minutes=15)
    assert result.state is SLAState.PENDING


def test_next_response_restarts_at_each_customer_turn() -> None:
    p = policy({"metric": "next_response", "duration": "10m"})
    assert p.evaluate(conv(("c", 0), ("a", 5)), at(30)).next_response is None
    c = conv(("c", 0), ("a", 5), ("c", 10), ("c", 12), ("a", 25), ("c", 40))
    result = p.evaluate(c, at(45))["next_response"]
    assert result.started_at == at(40)
    assert result.state is SLAState.PENDING
    assert (result.cycles, result.breaches) == (2, 1)  # the 10 -> 25 turn took 15 minutes
    assert result.breached
    assert p.evaluate(c, at(60))["next_response"].breaches == 2


def test_resolution_pauses_while_waiting_on_the_customer() -> None:
    p = policy({"metric": "resolution", "duration": "1h"})
    c = conv(("c", 0), ("a", 10), ("c", 100), ("a", 120))
    paused = p.evaluate(c, at(500))["resolution"]
    assert paused.state is SLAState.PAUSED
    assert paused.elapsed == timedelta(minutes=30)  # 0-10 and 100-120
    assert paused.due_at is None
    running = p.evaluate(c, at(110))["resolution"]
    assert running.state is SLAState.PENDING
    assert running.elapsed == timedelta(minutes=20)
    assert running.due_at == at(150)
    resolved = c.attach(status_changes=[StatusChange(at=at(130), status="resolved")])
    done = p.evaluate(resolved, at(500))["resolution"]
    assert (done.state, done.stopped_at, done.elapsed) == (
        SLAState.MET,
        at(130),
        timedelta(0, 1800),
    )


def test_resolution_breach_is_final_even_when_paused() -> None:
    p = policy({"metric": "resolution", "duration": "1h"})
    c = conv(("c", 0), ("a", 70))
    result = p.evaluate(c, at(500))["resolution"]
    assert result.state is SLAState.BREACHED
    assert result.due_at == at(60)
    late = c.attach(status_changes=[StatusChange(at=at(80), status="resolved")])
    assert p.evaluate(late, at(500))["resolution"].state is SLAState.BREACHED


def test_reopened_conversation_runs_again_without_the_resolved_stretch() -> None:
    p = policy({"metric": "resolution", "duration": "1h"})
    c = conv(("c", 0), ("c", 300)).attach(
        status_changes=[
            StatusChange(at=at(20), status="resolved"),
            StatusChange(at=at(300), status="reopened"),
        ]
    )
    result = p.evaluate(c, at(310))["resolution"]
    assert result.state is SLAState.PENDING
    assert result.elapsed == timedelta(minutes=30)
    assert result.stopped_at is None


def test_events_after_now_are_ignored() -> None:
    p = policy(FIRST_15)
    c = conv(("c", 0), ("a", 10))
    assert p.evaluate(c, at(5))["first_response"].state is SLAState.PENDING
    assert p.evaluate(c, at(-5)).results == ()


def test_no_customer_post_means_no_clocks() -> None:
    c = conv(("a", 0), ("b", 1))
    report = policy(FIRST_15, {"metric": "resolution", "duration": "1h"}).evaluate(c, at(60))
    assert isinstance(report, SLAReport)
    assert len(report) == 0
    assert report.first_response is None
    assert not report.breached
    with pytest.raises(KeyError):
        report["first_response"]


def test_now_must_be_aware_and_conversation_typed() -> None:
    p = policy(FIRST_15)
    with pytest.raises(TimezoneError):
        p.evaluate(conv(("c", 0)), datetime(2024, 5, 6, 10))
    with pytest.raises(InvalidInputError):
        p.evaluate({"id": "x"}, at(0))  # type: ignore[arg-type]
    with pytest.raises(TimezoneError):
        p.evaluate_many([conv(("c", 0))], datetime(2024, 5, 6, 10))


def test_evaluate_many_reports_bad_rows_and_goes_on() -> None:
    p = policy(FIRST_15)
    good = conv(("c", 0))
    rows: list[object] = [good, {"id": "broken", "posts": []}, good.model_dump()]
    out = p.evaluate_many(rows, at(20))  # type: ignore[arg-type]
    assert isinstance(out[0], SLAReport)
    assert out[0]["first_response"].state is SLAState.BREACHED
    assert isinstance(out[1], RowError)
    assert (out[1].index, out[1].id) == (1, "broken")
    assert isinstance(out[2], SLAReport)


def test_target_model_reads_text_durations_and_windows() -> None:
    target = SLATarget(metric="resolution", duration="2d", window=OFFICE_UTC)  # type: ignore[arg-type]
    assert target.window == ServiceWindow.office_hours("UTC")
    assert target.to_dict()["duration"] == "2d"
    assert SLATarget(metric="resolution", duration="2d", window="calendar").window.is_always  # type: ignore[arg-type]


# Properties of the clocks ---------------------------------------------------------------------

events = st.lists(
    st.tuples(st.sampled_from("cab"), st.integers(0, 60 * 24 * 9)), min_size=1, max_size=8
)
CLOCK_WINDOWS = (
    ServiceWindow.always(),
    ServiceWindow.office_hours("America/New_York"),
    ServiceWindow.weekly("Australia/Sydney", {"daily": "22:00-06:00"}),
)


@settings(max_examples=200, deadline=None)
@given(
    events,
    st.sampled_from(CLOCK_WINDOWS),
    st.integers(1, 600),
    st.integers(0, 60 * 24 * 12),
    st.integers(0, 60 * 24 * 12),
    st.none() | st.integers(0, 60 * 24 * 9),
)
def test_clocks_agree_with_window_arithmetic(
    raw: list[tuple[str, int]],
    window: ServiceWindow,
    minutes: int,
    now1: int,
    now2: int,
    resolved: int | None,
) -> None:
    c = conv(*sorted(raw, key=lambda e: e[1]))
    if resolved is not None:
        c = c.attach(status_changes=[StatusChange(at=at(resolved), status="resolved")])
    duration = timedelta(minutes=minutes)
    p = SLAPolicy(
        targets=(
            SLATarget(metric="first_response", duration=duration, window=window),
            SLATarget(metric="resolution", duration=duration, window=window),
        )
    )
    early, late = sorted((at(now1), at(now2)))
    report = p.evaluate(c, late)
    first_customer = c.first_customer_at
    if first_customer is None or first_customer > late:
        assert len(report) == 0
        return
    first = report["first_response"]
    roles = c.timeline.roles
    first_index = roles.index("customer")
    replies = [
        post.created_at
        for post, role in zip(c.posts[first_index:], roles[first_index:], strict=True)
        if role == "agent" and post.created_at <= late
    ]
    stop = replies[0] if replies else None
    assert first.started_at == first_customer
    assert first.stopped_at == stop
    assert first.due_at == window.add(first_customer, duration)
    assert first.elapsed == window.elapsed(first_customer, stop or late)
    assert first.share == first.elapsed / duration
    if stop is not None:
        expected = SLAState.MET if stop <= first.due_at else SLAState.BREACHED
    elif late > first.due_at:
        expected = SLAState.BREACHED
    else:
        expected = SLAState.AT_RISK if first.share >= 0.75 else SLAState.PENDING
    assert first.state is expected

    resolution = report["resolution"]
    end = resolution.stopped_at or late
    assert resolution.elapsed <= window.elapsed(first_customer, max(end, first_customer))
    earlier = p.evaluate(c, early).resolution
    if earlier is not None:
        assert earlier.elapsed <= resolution.elapsed
        if earlier.state in (SLAState.MET, SLAState.BREACHED) and earlier.stopped_at:
            assert resolution.state is earlier.state


# Hardening (issue #15) ------------------------------------------------------------------------

RESOLVE_1D = {"metric": "resolution", "duration": "1d"}


@pytest.mark.parametrize("duration", ["100000000d", "3661d", 1e20, "1000000000d", 10**30])
def test_target_durations_are_bounded_at_construction(duration: object) -> None:
    with pytest.raises(InvalidInputError, match="3660 days"):
        SLATarget(metric="resolution", duration=duration)


def test_the_bound_itself_is_accepted_and_evaluates() -> None:
    target = SLATarget(metric="resolution", duration="3660d")
    assert target.duration == timedelta(days=3660)
    report = SLAPolicy(targets=[target]).evaluate(conv(("c", 0)), now=at(60))
    assert report.resolution is not None
    assert report.resolution.due_at == at(0) + timedelta(days=3660)


def test_parse_duration_overflow_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="too long"):
        parse_duration(1e20)


@pytest.mark.parametrize("window", [None, OFFICE_UTC])
def test_now_near_datetime_max_is_a_clear_result_or_error(window: object) -> None:
    late = datetime.max.replace(tzinfo=UTC)
    targets = [dict(FIRST_15, window=window), dict(RESOLVE_1D, window=window)]
    answered, waiting = conv(("c", 0), ("a", 5)), conv(("c", 0))
    report = policy(*targets).evaluate(answered, now=late)  # both clocks stopped or paused
    assert report.first_response is not None
    assert report.first_response.state is SLAState.MET
    assert report.resolution is not None
    assert report.resolution.state is SLAState.PAUSED
    if window is None:  # calendar time: every instant it needs exists
        assert policy(*targets).evaluate(waiting, now=late).breached
    else:  # business time cannot be laid out up to datetime.max: a clear error, per row
        with pytest.raises(InvalidInputError, match=r"cannot run the .* clock of conversation"):
            policy(*targets).evaluate(waiting, now=late)
        rows = policy(*targets).evaluate_many([waiting, answered], now=late)
        assert isinstance(rows[0], RowError)
        assert isinstance(rows[1], SLAReport)


def test_due_time_past_the_year_9999_is_a_clear_error() -> None:
    late = datetime(9999, 12, 31, 12, tzinfo=UTC)
    post = Post(id="p", platform="x", author=ANA, created_at=late)
    with pytest.raises(InvalidInputError, match="years 1 to 9999"):
        policy(RESOLVE_1D).evaluate(Conversation(id="c", posts=[post]), now=late)


def test_resolution_before_the_first_customer_post_is_no_resolution() -> None:
    """The SLA and the metrics agree: it does not count, the clock keeps running."""
    from socialcare import metrics

    early = conv(("c", 0), status_changes=[StatusChange(at=at(-60), status="resolved")])
    result = policy(RESOLVE_1D).evaluate(early, now=at(60))["resolution"]
    assert result.state is SLAState.PENDING
    assert result.stopped_at is None
    assert result.elapsed == timedelta(hours=1)
    ttr = metrics.time_to_resolution([early])
    assert (ttr.count, ttr.pending, ttr.excluded) == (0, 1, 0)
    assert metrics.resolution_rate([early]).numerator == 0


def test_a_reopening_before_the_first_customer_post_pauses_nothing() -> None:
    changes = [
        StatusChange(at=at(-60), status="resolved"),
        StatusChange(at=at(30), status="reopened"),
    ]
    result = policy(RESOLVE_1D).evaluate(conv(("c", 0), status_changes=changes), now=at(60))
    assert result["resolution"].elapsed == timedelta(hours=1)


class TestLabelChecks:
    POLICY = policy(
        {**FIRST_15, "when": {"intent": ["question", "Complaint"], "route": "agent"}},
        {**RESOLVE_1D, "when": {"sentiment": "angry", "priority": "urgent"}},
        {**FIRST_15, "when": {"intent": "question"}},
    )
    INTENTS = ("query", "request", "complaint", "feedback", "praise", "spam")

    def test_unknown_labels_are_listed_once_in_target_order(self) -> None:
        unknown = self.POLICY.unknown_labels(
            intents=self.INTENTS,
            sentiments=["negative", "neutral", "positive"],
            routes=["auto", "agent", "specialist", "none"],
            priorities=["urgent", "high", "normal", "low"],
        )
        assert unknown == [("intent", "question"), ("sentiment", "angry")]

    def test_kinds_not_given_are_not_checked(self) -> None:
        assert self.POLICY.unknown_labels() == []
        assert self.POLICY.unknown_labels(routes=["auto"]) == [("route", "agent")]

    def test_validate_labels_raises_with_unknown_and_known(self) -> None:
        with pytest.raises(InvalidInputError) as info:
            self.POLICY.validate_labels(intents=self.INTENTS)
        message = str(info.value)
        assert "intent 'question'" in message
        assert "known intents: query, request, complaint, feedback, praise, spam" in message
        ok = policy({**FIRST_15, "when": {"intent": "QUERY"}})
        assert ok.validate_labels(intents=self.INTENTS) is ok

    @pytest.mark.parametrize("labels", ["query", 5, [1, 2]])
    def test_known_labels_must_be_a_list_of_text(self, labels: object) -> None:
        with pytest.raises(InvalidInputError, match="intents must be a list"):
            self.POLICY.unknown_labels(intents=labels)  # type: ignore[arg-type]


@pytest.mark.parametrize("rows", [None, 5, "abc"])
def test_evaluate_many_needs_a_collection(rows: object) -> None:
    with pytest.raises(InvalidInputError, match="iterable"):
        policy(FIRST_15).evaluate_many(rows, now=at(0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "now",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
    ],
    ids=["year-0-in-utc", "year-10000-in-utc"],
)
def test_now_outside_the_range_in_utc_is_invalid_input(now: datetime) -> None:
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        policy(FIRST_15).evaluate(conv(("c", 0)), now=now)
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        policy(FIRST_15).evaluate_many([conv(("c", 0))], now=now)
