"""Accumulator: partitions added and merged give exactly the report of their union."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import pickle
import re
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics_helpers import AGENT, AGENT2, ANA, BEN, BOT, CAT, T0, conv, sample_conversations
from socialcare import InvalidInputError, ServiceWindow, SLAPolicy, TimezoneError, metrics
from socialcare.metrics import Accumulator, DurationSummary, Report
from socialcare.metrics._report import BREAKDOWNS

WINDOW = ServiceWindow.weekly("Europe/Paris", {"mon-fri": "09:00-17:00"})
POLICY = SLAPolicy.from_dict(
    {
        "targets": [
            {"metric": "first_response", "duration": "20m"},
            {"metric": "resolution", "duration": "2h"},
        ]
    }
)
NOW = T0 + timedelta(days=40)
SLA_STATES = ("pending", "at_risk", "met", "breached", "paused")
QUANTILES = ("median", "p90", "p95")

# -- strategies --------------------------------------------------------------------------

ROLES = {"c": None, "a": AGENT, "d": AGENT2, "b": BOT}


@st.composite
def rich_conversations(draw: st.DrawFn) -> list[Any]:
    """Threads over several weeks, with customers, agents, bots, labels, surveys, statuses."""
    out = []
    for i in range(draw(st.integers(0, 9))):
        customer = draw(st.sampled_from([ANA, BEN, CAT]))
        minute = draw(st.integers(0, 20)) * 1440 + draw(st.integers(0, 1439))
        steps = draw(st.lists(st.tuples(st.sampled_from("cadb"), st.integers(0, 600)), max_size=5))
        if not steps:
            steps = [("c", 0)]
        posts = []
        for role, gap in steps:
            minute += gap
            posts.append((ROLES[role] or customer, minute))
        resolved = draw(st.sampled_from([(), (minute + 5,), (minute + 1, minute + 90)]))
        reopened = (minute + 3,) if len(resolved) == 2 else ()
        surveys = draw(
            st.lists(
                st.one_of(
                    st.tuples(st.just("csat"), st.integers(1, 5)),
                    st.tuples(st.just("nps"), st.integers(0, 10)),
                ),
                max_size=2,
            )
        )
        out.append(
            conv(
                f"r{i}",
                posts,
                resolved=resolved,
                reopened=reopened,
                surveys=tuple(surveys),
                platform=draw(st.sampled_from(["twitter", "facebook"])),
                route=draw(st.sampled_from(["agent", "none", None])),
                intent=draw(st.sampled_from(["billing", "delivery", "praise", None])),
                sentiment=draw(st.sampled_from(["negative", "neutral", "positive", None])),
            )
        )
    return out


def report_settings(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "by": draw(st.lists(st.sampled_from(BREAKDOWNS), unique=True, max_size=3)),
        "window": draw(st.sampled_from([None, WINDOW])),
        "period": draw(st.sampled_from(["day", "week", "month"])),
        "tz": draw(st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York"])),
        "include_automated": draw(st.booleans()),
        "zero_division": draw(st.sampled_from([None, 0.0, 1.0])),
    }


def split(draw: st.DrawFn, n: int) -> list[tuple[int, int]]:
    """Contiguous partitions of ``range(n)``, empty ones included."""
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    bounds = [0, *cuts, n]
    return list(itertools.pairwise(bounds))


def all_ways(accumulators: list[Accumulator]) -> list[Accumulator]:
    """The same partitions combined by merge(*all), a pickled pairwise chain, a tree, add()."""
    first, *rest = accumulators
    flat = first.merge(*rest)
    chain = functools.reduce(lambda a, b: pickle.loads(pickle.dumps(a)).merge(b), accumulators)
    level = list(accumulators)
    while len(level) > 1:
        level = [
            level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return [flat, chain, level[0]]


# -- exactness ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_merged_conversation_partitions_equal_report_of_union(data: st.DataObject) -> None:
    convs = data.draw(rich_conversations())
    options = report_settings(data.draw)
    if data.draw(st.booleans()):
        options.update(policy=POLICY, now=NOW)
    expected = metrics.report(convs, **options)
    parts = [convs[a:b] for a, b in split(data.draw, len(convs))]
    accumulators = [Accumulator(**options).add(part) for part in parts]
    for combined in all_ways(accumulators):
        assert combined.report() == expected
    one = Accumulator(**options)
    for part in parts:
        one.add(part)
    assert one.report() == expected


def _times(base: int | None, offsets: list[int | None]) -> np.ndarray:
    start = np.datetime64("2024-05-06T09:00", "us")
    out = [
        np.datetime64("NaT", "us")
        if base is None or o is None
        else start + np.timedelta64(base + o, "m")
        for o in offsets
    ]
    return np.array(out, dtype="datetime64[us]")


@st.composite
def column_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Raw per-conversation values for from_columns, inconsistent ones included."""
    offset = st.one_of(st.none(), st.integers(-30, 5000))
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        first = draw(st.one_of(st.none(), st.integers(0, 60 * 1440)))
        touches = draw(st.integers(0, 3))
        rows.append(
            {
                "first": first,
                "times": draw(st.tuples(offset, offset, offset, offset)),
                "reopened": draw(st.booleans()),
                "touches": touches,
                "human": draw(st.integers(0, touches)),
                "platform": draw(st.sampled_from(["x", "facebook", None])),
                "intent": draw(st.sampled_from(["billing", "delivery", "praise", None])),
                "route": draw(st.sampled_from(["agent", "none", None])),
                "sentiment": draw(
                    st.sampled_from(["negative", "neutral", "positive", "meh", None])
                ),
                "agent": draw(st.sampled_from(["a1", "a2", None])),
                "customer": draw(st.sampled_from(["x:1", "x:2", "facebook:1", None])),
                "turns": draw(st.lists(st.tuples(st.integers(0, 3000), offset), max_size=3)),
                "csat": draw(st.lists(st.sampled_from([1.0, 3.0, 4.0, 5.0, 6.0, 2.5]), max_size=2)),
                "nps": draw(
                    st.lists(st.sampled_from([0.0, 6.0, 7.0, 9.0, 10.0, 11.0]), max_size=2)
                ),
                "sla": {
                    metric: draw(st.sampled_from([*SLA_STATES, None]))
                    for metric in ("first_response", "resolution")
                },
            }
        )
    return rows


def build_columns(
    rows: list[dict[str, Any]], *, exchanges: bool, surveys: bool, sla: tuple[str, ...]
) -> metrics.Columns:
    """``from_columns`` over rows; ``sla`` names the SLA metrics these columns carry."""
    firsts = [r["first"] for r in rows]

    def at(index: int) -> np.ndarray:
        return np.array(
            [_times(r["first"], [r["times"][index]])[0] for r in rows], dtype="datetime64[us]"
        )

    extra: dict[str, Any] = {}
    if exchanges:
        conv_ids = [i for i, r in enumerate(rows) for _ in r["turns"]]
        extra.update(
            exchange_conv=np.array(conv_ids, dtype=np.int64),
            exchange_customer_at=np.array(
                [_times(r["first"], [t])[0] for r in rows for t, _ in r["turns"]],
                dtype="datetime64[us]",
            ),
            exchange_reply_at=np.array(
                [
                    _times(r["first"], [t + o if o is not None else None])[0]
                    for r in rows
                    for t, o in r["turns"]
                ],
                dtype="datetime64[us]",
            ),
        )
    if surveys:
        for kind in ("csat", "nps"):
            extra[f"{kind}_conv"] = np.array(
                [i for i, r in enumerate(rows) for _ in r[kind]], dtype=np.int64
            )
            extra[f"{kind}_score"] = np.array([s for r in rows for s in r[kind]], dtype=np.float64)
    return metrics.from_columns(
        first_customer_at=_times(0, firsts) if rows else np.array([], "datetime64[us]"),
        first_response_at=at(0),
        first_human_response_at=at(1),
        resolved_at=at(2),
        first_resolved_at=at(3),
        reopened=[r["reopened"] for r in rows],
        brand_touches=np.array([r["touches"] for r in rows], dtype=np.int64),
        human_touches=np.array([r["human"] for r in rows], dtype=np.int64),
        platform=[r["platform"] for r in rows],
        intent=[r["intent"] for r in rows],
        route=[r["route"] for r in rows],
        sentiment=[r["sentiment"] for r in rows],
        agent=[r["agent"] for r in rows],
        customer=[r["customer"] for r in rows],
        sla={metric: [r["sla"][metric] for r in rows] for metric in sla},
        **extra,
    )


@st.composite
def partitioned_columns(
    draw: st.DrawFn,
) -> tuple[metrics.Columns, list[metrics.Columns], dict[str, Any]]:
    """The union as one Columns, its partitions, and report settings."""
    rows = draw(column_rows())
    exchanges, surveys = draw(st.booleans()), draw(st.booleans())
    pieces = split(draw, len(rows))
    # Each partition carries a subset of the SLA metrics; the union has None for the rest.
    carried = [
        tuple(m for m in ("first_response", "resolution") if draw(st.booleans())) for _ in pieces
    ]
    union_rows = []
    for (a, b), metrics_here in zip(pieces, carried, strict=True):
        for row in rows[a:b]:
            sla = {m: (row["sla"][m] if m in metrics_here else None) for m in row["sla"]}
            union_rows.append({**row, "sla": sla})
    every = tuple(m for m in ("first_response", "resolution") if any(m in c for c in carried))
    union = build_columns(union_rows, exchanges=exchanges, surveys=surveys, sla=every)
    parts = [
        build_columns(rows[a:b], exchanges=exchanges, surveys=surveys, sla=metrics_here)
        for (a, b), metrics_here in zip(pieces, carried, strict=True)
    ]
    return union, parts, report_settings(draw)


@settings(max_examples=60, deadline=None)
@given(partitioned_columns())
def test_merged_column_partitions_equal_report_of_union(
    case: tuple[metrics.Columns, list[metrics.Columns], dict[str, Any]],
) -> None:
    union, parts, options = case
    expected = metrics.report(union, **options)
    accumulators = [Accumulator(**options).add(part) for part in parts]
    for combined in all_ways(accumulators):
        assert combined.report() == expected
    # Partitions cut from one Columns share its label categories (no text matching needed).
    bounds = np.cumsum([0, *(len(part) for part in parts)])
    shared = [
        Accumulator(**options).add(union.take(np.arange(a, b)))
        for a, b in itertools.pairwise(bounds.tolist())
    ]
    assert shared[0].merge(*shared[1:]).report() == expected


def _without_quantiles(summary: DurationSummary | None) -> DurationSummary | None:
    if summary is None:
        return None
    return dataclasses.replace(summary, median=None, p90=None, p95=None)


def assert_within(report: Report, exact: Report, error: float) -> None:
    """Equal in every field but the duration quantiles, which are within ``error``."""
    assert report.quantile_error == error
    assert exact.quantile_error is None
    assert len(report.rows) == len(exact.rows)
    names = ("first_response_time", "next_response_time", "reply_wait_time", "time_to_resolution")
    for row, want in zip(report.rows, exact.rows, strict=True):
        changes = {name: _without_quantiles(getattr(row, name)) for name in names}
        wanted = {name: _without_quantiles(getattr(want, name)) for name in names}
        assert dataclasses.replace(row, **changes) == dataclasses.replace(want, **wanted)
        for name in names:
            got_summary, want_summary = getattr(row, name), getattr(want, name)
            if want_summary is None:
                continue
            for q in QUANTILES:
                got, truth = getattr(got_summary, q), getattr(want_summary, q)
                if truth is None:
                    assert got is None
                    continue
                # Relative error bound, plus the microsecond rounding of both values.
                bound = error * truth.total_seconds() * (1 + 1e-9) + 1e-6
                assert abs((got - truth).total_seconds()) <= bound + 1e-6


@settings(max_examples=40, deadline=None)
@given(partitioned_columns(), st.sampled_from([0.001, 0.01, 0.05, 0.2]))
def test_sketch_quantiles_within_stated_error_and_rest_exact(
    case: tuple[metrics.Columns, list[metrics.Columns], dict[str, Any]], error: float
) -> None:
    union, parts, options = case
    exact = metrics.report(union, **options)
    accumulators = [Accumulator(relative_error=error, **options).add(p) for p in parts]
    whole = Accumulator(relative_error=error, **options).add(union).report()
    for combined in all_ways(accumulators):
        got = combined.report()
        # Bucket counts add up: merged sketches equal the sketch of the union exactly.
        assert got == whole
        assert_within(got, exact, error)


def test_sketch_on_log_normal_response_times() -> None:
    rng = np.random.default_rng(7)
    n = 30_000
    # Seconds to days: log-normal around 20 minutes, with a heavy tail.
    waits = np.exp(rng.normal(np.log(1200), 1.8, n)) * 1e6
    first = np.datetime64("2024-05-06T09:00", "us") + rng.integers(0, 30 * 86400, n).astype(
        "timedelta64[s]"
    )
    cols = metrics.from_columns(
        first_customer_at=first,
        first_response_at=first + waits.astype("timedelta64[us]"),
        platform=rng.choice(["x", "facebook", "instagram"], n).tolist(),
    )
    exact = metrics.report(cols, by=["platform"])
    for error in (0.005, 0.01, 0.02):
        parts = [cols.take(np.arange(n) % 4 == i) for i in range(4)]
        merged = functools.reduce(
            Accumulator.merge,
            [Accumulator(by=["platform"], relative_error=error).add(p) for p in parts],
        )
        assert_within(merged.report(), exact, error)


def test_large_partitions_merge_to_the_exact_report() -> None:
    # Float rounding only shows at scale: 200,000 conversations, skewed waits, 7 partitions
    # (before quantiles used the rank within the group, this failed by 1 µs).
    rng = np.random.default_rng(5)
    n = 200_000
    start = np.datetime64("2024-01-01T00:00", "us")
    first = start + rng.integers(0, 60 * 86400, n).astype("timedelta64[s]")
    waits = (np.exp(rng.normal(np.log(1800), 2.0, n)) * 1e6).astype("timedelta64[us]")
    answered = rng.random(n) < 0.9
    reply = np.where(answered, first + waits, np.datetime64("NaT", "us"))
    cols = metrics.from_columns(
        first_customer_at=first,
        first_response_at=reply,
        resolved_at=np.where(rng.random(n) < 0.7, reply + waits, np.datetime64("NaT", "us")),
        platform=(rng.integers(0, 3, n), ["x", "facebook", "instagram"]),
        customer=(rng.integers(0, 50_000, n), [f"c{i}" for i in range(50_000)]),
    )
    options: dict[str, Any] = {"by": ["platform", "period"], "period": "day", "tz": "UTC"}
    # Partitions by time: groups are met in another order than report's, so they sit at
    # other offsets of the sorted durations.
    order = np.argsort(first, kind="stable")
    bounds = np.linspace(0, n, 8).astype(np.int64).tolist()
    parts = [
        Accumulator(**options).add(cols.take(np.sort(order[a:b])))
        for a, b in itertools.pairwise(bounds)
    ]
    assert parts[0].merge(*parts[1:]).report() == metrics.report(cols, **options)


def test_group_quantiles_do_not_depend_on_other_groups() -> None:
    # An accumulator numbers groups in its own order, so a group's quantiles must not depend
    # on the groups sorted before it: 10**6 values before a group used to shift its p95.
    from socialcare.metrics._stats import group_durations

    mine = np.array([0, 0, 10**13], dtype=np.int64)
    alone = group_durations(mine, np.zeros(3, dtype=np.int64), 1)
    behind = group_durations(
        np.concatenate([np.zeros(10**6, dtype=np.int64), mine]),
        np.repeat(np.array([0, 1], dtype=np.int64), [10**6, 3]),
        2,
    )
    assert alone.p95[0] == np.quantile(mine.astype(np.float64), 0.95)
    for name in ("median", "p90", "p95"):
        assert getattr(behind, name)[1] == getattr(alone, name)[0]


def test_sketch_memory_does_not_grow_with_the_data() -> None:
    rng = np.random.default_rng(11)
    start = np.datetime64("2024-05-06T09:00", "us")

    def part(n: int) -> metrics.Columns:
        waits = np.exp(rng.normal(np.log(1200), 1.5, n)) * 1e6  # about 1 s to 10 days
        first = start + rng.integers(0, 86400, n).astype("timedelta64[s]")
        return metrics.from_columns(
            first_customer_at=first, first_response_at=first + waits.astype("timedelta64[us]")
        )

    acc = Accumulator(relative_error=0.01).add(part(1_000))
    small = len(acc._state.sketches["first_response_time"].keys)
    for _ in range(20):
        acc.add(part(10_000))
    sketch = acc._state.sketches["first_response_time"]
    low, high = int(sketch.low[0]), int(sketch.high[0])
    bound = np.log(high / low) / np.log(sketch.gamma) + 2
    assert int(sketch.count[0]) == 201_000
    assert small < len(sketch.keys) <= bound < 1_000
    assert sketch.counts.sum() == 201_000


# -- behaviour ---------------------------------------------------------------------------


def test_empty_accumulator_reports_like_report_of_nothing() -> None:
    assert Accumulator().report() == metrics.report([])
    assert Accumulator(by=["platform"]).report() == metrics.report([], by=["platform"])
    assert len(Accumulator(by=["platform"]).report()) == 0
    convs = sample_conversations()
    assert Accumulator().merge(Accumulator().add(convs)).report() == metrics.report(convs)


def test_merge_returns_new_and_shares_no_array() -> None:
    convs = sample_conversations()
    a = Accumulator(by=["route"]).add(convs[:3])
    b = Accumulator(by=["route"]).add(convs[3:])
    a_before, b_before = a.report(), b.report()
    merged = a.merge(b)
    assert merged is not a
    assert merged is not b
    merged.add(convs)  # mutating the result leaves the inputs alone
    assert a.report() == a_before
    assert b.report() == b_before

    def arrays(acc: Accumulator) -> list[np.ndarray]:
        state = acc._state
        out = [state.counts, state.intent_counts, *state.sla.values()]
        out += [c.groups for c in state.customers] + [c.codes for c in state.customers]
        for chunks in (*state.sample_values.values(), *state.sample_groups.values()):
            out += chunks
        return out

    for fresh in (a.merge(b), a.merge(), Accumulator(by=["route"]).merge(a)):
        for mine in arrays(fresh):
            for theirs in arrays(a) + arrays(b):
                assert not np.shares_memory(mine, theirs)


def test_add_is_atomic_and_chains() -> None:
    a = Accumulator()
    first = metrics.from_columns(
        first_customer_at=np.array(["2024-05-01T09:00"], "M8[us]"), sla={"resolution": ["met"]}
    )
    bad = metrics.from_columns(
        first_customer_at=np.array(["2024-05-01T09:00"], "M8[us]"), sla={"resolution": ["late"]}
    )
    assert a.add(first) is a
    before = a.report()
    with pytest.raises(InvalidInputError, match="unknown SLA states"):
        a.add(bad)
    assert a.report() == before
    with pytest.raises(InvalidInputError, match="Conversation"):
        a.add([object()])  # type: ignore[list-item]
    assert a.report() == before


def test_pickled_accumulator_reports_the_same() -> None:
    convs = sample_conversations()
    for error in (None, 0.01):
        a = Accumulator(
            by=["platform", "period"], tz="UTC", policy=POLICY, now=NOW, relative_error=error
        ).add(convs)
        again = pickle.loads(pickle.dumps(a))
        assert again.report() == a.report()
        assert again.merge(a).report().rows[0].conversations == 2 * a.report().rows[0].conversations


@pytest.mark.parametrize(
    ("changed", "name"),
    [
        ({"by": ["route"]}, "by"),
        ({"window": WINDOW}, "window"),
        ({"policy": POLICY, "now": NOW}, "policy"),
        ({"now": NOW}, "now"),
        ({"include_automated": True}, "include_automated"),
        ({"zero_division": 1.0}, "zero_division"),
        ({"relative_error": 0.01}, "relative_error"),
    ],
)
def test_merge_refuses_different_settings(changed: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidInputError, match=f"different {name}"):
        Accumulator().merge(Accumulator(**changed))


def test_merge_refuses_different_period_or_zone() -> None:
    base = Accumulator(by=["period"], tz="UTC")
    with pytest.raises(InvalidInputError, match="different period"):
        base.merge(Accumulator(by=["period"], period="day", tz="UTC"))
    with pytest.raises(InvalidInputError, match="different tz"):
        base.merge(Accumulator(by=["period"], tz="Europe/Paris"))
    # Without a period breakdown, period and tz are not used and do not matter.
    Accumulator(tz="UTC").merge(Accumulator(period="day"))
    with pytest.raises(InvalidInputError, match="Accumulator objects"):
        base.merge(metrics.report([]))  # type: ignore[arg-type]


def test_partitions_must_carry_the_same_tables() -> None:
    first = np.array(["2024-05-01T09:00"], "M8[us]")
    plain = metrics.from_columns(first_customer_at=first)
    with_turns = metrics.from_columns(
        first_customer_at=first,
        exchange_conv=[0],
        exchange_customer_at=first,
        exchange_reply_at=first + np.timedelta64(5, "m"),
    )
    with pytest.raises(InvalidInputError, match="exchange table"):
        Accumulator().add(plain).add(with_turns)
    with pytest.raises(InvalidInputError, match="exchange table"):
        Accumulator().add(plain).merge(Accumulator().add(with_turns))
    with_csat = metrics.from_columns(first_customer_at=first, csat_conv=[0], csat_score=[5])
    with pytest.raises(InvalidInputError, match="CSAT"):
        Accumulator().add(plain).add(with_csat)
    # No table at all: those fields are None, as in report.
    row = Accumulator().add(plain).report().rows[0]
    assert row.next_response_time is None
    assert row.csat is None


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidInputError, match="cannot break down"):
        Accumulator(by=["colour"])
    with pytest.raises(InvalidInputError, match="twice"):
        Accumulator(by=["route", "route"])
    with pytest.raises(TimezoneError):
        Accumulator(by=["period"])
    with pytest.raises(TimezoneError):
        Accumulator(policy=POLICY)
    with pytest.raises(TimezoneError):
        Accumulator(now=datetime(2024, 5, 1))
    with pytest.raises(InvalidInputError, match="elapsed_many"):
        Accumulator(window=object())
    with pytest.raises(InvalidInputError, match="evaluate"):
        Accumulator(policy=object(), now=NOW)
    for bad in (0, 0.9, True, "1%"):
        with pytest.raises(InvalidInputError, match="relative_error"):
            Accumulator(relative_error=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="iterable"):
        Accumulator().add(None)  # type: ignore[arg-type]
    cols = metrics.to_columns(sample_conversations())
    with pytest.raises(InvalidInputError, match="not policy"):
        Accumulator(policy=POLICY, now=NOW).add(cols)
    repeated = metrics.from_columns(
        first_customer_at=np.array(["2024-05-01T09:00"] * 2, "M8[us]"),
        platform=(np.array([0, 1]), ["x", "x"]),
    )
    with pytest.raises(InvalidInputError, match="repeat"):
        Accumulator(by=["platform"]).add(repeated)


def test_attributes_and_repr() -> None:
    a = Accumulator(by="platform", relative_error=0.01).add(sample_conversations())
    assert a.by == ("platform",)
    assert a.relative_error == 0.01
    assert a.groups == 2
    assert "relative_error=0.01" in repr(a)
    assert a.report().quantile_error == 0.01
    assert Accumulator().relative_error is None
    assert json.dumps(a.report().to_dicts(), default=str)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_plain_form_round_trips_through_json(data: st.DataObject) -> None:
    convs = data.draw(rich_conversations())
    options = report_settings(data.draw)
    options.update(policy=POLICY, now=NOW)
    options["relative_error"] = data.draw(st.sampled_from([None, 0.01]))
    options["zero_division"] = data.draw(st.sampled_from([None, 1.0, float("nan")]))
    half = len(convs) // 2
    a = Accumulator(**options).add(convs[:half])
    b = Accumulator(**options).add(convs[half:])
    again = Accumulator.from_dict(json.loads(json.dumps(a.to_dict(), allow_nan=False)))
    assert again.relative_error == a.relative_error
    # Settings survive: the rebuilt accumulator merges with the original's partner.
    want = a.merge(b).report()
    got = again.merge(b).report()
    if options["zero_division"] is None or options["zero_division"] == 1.0:
        assert got == want
    else:  # NaN rates never compare equal; compare the flat rows as text
        assert repr(got) == repr(want)


def test_plain_form_refuses_what_it_cannot_write_or_read() -> None:
    class Window:
        def elapsed_many(self, starts: Any, ends: Any) -> Any:
            return ends - starts

    with pytest.raises(InvalidInputError, match="pickle"):
        Accumulator(window=Window()).to_dict()
    with pytest.raises(InvalidInputError, match="format"):
        Accumulator.from_dict({"keys": []})
    plain = Accumulator(by=["route"]).add(sample_conversations()).to_dict()
    plain["counts"]["conversations"] = [1]
    with pytest.raises(InvalidInputError, match="malformed"):
        Accumulator.from_dict(plain)
    plain = Accumulator(by=["route"]).to_dict()
    plain["keys"] = [["agent", "extra"]]
    with pytest.raises(InvalidInputError, match="malformed"):
        Accumulator.from_dict(plain)


def test_docs_section_runs() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text("utf-8")
    section = text.split("## Combining partitions: Accumulator", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/metrics.md", "exec"), namespace)
    assert len(namespace["merged"].report()) == 3  # x and facebook on Monday, x on Tuesday
