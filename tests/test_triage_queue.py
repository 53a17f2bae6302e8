"""queue_key: the order a person picks conversations up in."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import (
    Author,
    Conversation,
    Decision,
    InvalidInputError,
    Post,
    SLAPolicy,
    SLAReport,
    SocialcareError,
    TimezoneError,
    queue_key,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(hours=3)
PRIORITIES = ["urgent", "high", "normal", "low", None]
RANK = {p: len(PRIORITIES) - i for i, p in enumerate(PRIORITIES)}
POLICY = SLAPolicy.from_dict({"targets": [{"metric": "first_response", "duration": "2h"}]})


def decision(priority: str | None, *, influencer: bool = False) -> Decision:
    return Decision(
        route="agent" if priority is not None else "none",
        intent="query",
        confidence=0.9,
        uncertain=False,
        priority=priority,  # type: ignore[arg-type]
        sensitive=None,
        sentiment="neutral",
        take_private=False,
        influencer=influencer,
        reasons=(),
    )


@functools.cache
def report(minutes_before_now: int | None, answered: bool = False) -> SLAReport | None:
    """The SLA of a conversation opened ``minutes_before_now`` minutes before NOW (None: no SLA)."""
    if minutes_before_now is None:
        return None
    opened = NOW - timedelta(minutes=minutes_before_now)
    posts = [Post(id="c", platform="x", author=Author(id="cust"), text="hi", created_at=opened)]
    if answered:
        posts.append(
            Post(
                id="b",
                platform="x",
                author=Author(id="brand", is_brand=True),
                text="hello",
                created_at=opened + timedelta(minutes=1),
            )
        )
    return POLICY.evaluate(Conversation(id="c", posts=tuple(posts)), now=NOW)


item = st.fixed_dictionaries(
    {
        "priority": st.sampled_from(PRIORITIES),
        "influencer": st.booleans(),
        # 0..179 minutes open: from 2h left to 59 minutes overdue; None: no SLA
        "opened": st.none() | st.integers(1, 179),
        "answered": st.booleans(),
        "waiting": st.none() | st.integers(0, 10_000),
    }
)


def key(x: dict[str, Any]) -> tuple[float, ...]:
    sla = report(x["opened"], x["answered"])
    waiting = None if x["waiting"] is None else T0 - timedelta(minutes=x["waiting"])
    return queue_key(
        decision(x["priority"], influencer=x["influencer"]),
        sla,
        now=NOW if sla is not None else None,
        waiting_since=waiting,
    )


def left(x: dict[str, Any]) -> float:
    """Minutes of SLA time left (infinite without a running clock)."""
    if x["opened"] is None or x["answered"]:
        return float("inf")
    return 120.0 - x["opened"]


@settings(max_examples=300, deadline=None)
@given(item, item)
def test_queue_order_properties(a: dict[str, Any], b: dict[str, Any]) -> None:
    ka, kb = key(a), key(b)
    if RANK[a["priority"]] != RANK[b["priority"]]:
        # priority first, whatever the other fields
        assert (ka < kb) == (RANK[a["priority"]] > RANK[b["priority"]])
        return
    if left(a) != left(b):
        assert (ka < kb) == (left(a) < left(b))
        return
    if a["influencer"] != b["influencer"]:
        assert (ka < kb) == a["influencer"]
        return
    wa = float("inf") if a["waiting"] is None else -a["waiting"]
    wb = float("inf") if b["waiting"] is None else -b["waiting"]
    if wa != wb:
        assert (ka < kb) == (wa < wb)  # waiting longer (earlier) first
    else:
        assert ka == kb


@settings(max_examples=50, deadline=None)
@given(st.lists(item, min_size=2, max_size=12))
def test_sorting_a_queue_puts_posts_without_priority_last(items: list[dict[str, Any]]) -> None:
    ordered = sorted(items, key=key)
    ranks = [RANK[x["priority"]] for x in ordered]
    assert ranks == sorted(ranks, reverse=True)
    none_at = [i for i, x in enumerate(ordered) if x["priority"] is None]
    assert none_at == list(range(len(ordered) - len(none_at), len(ordered)))


def test_sla_clocks_order_within_a_priority() -> None:
    overdue = report(150)  # 30 minutes overdue
    soon = report(110)  # 10 minutes left
    later = report(10)  # 110 minutes left
    met = report(150, answered=True)  # stopped: no running clock
    assert overdue is not None
    assert overdue.first_response is not None
    assert overdue.first_response.state.value == "breached"
    d = decision("normal")
    keys = [queue_key(d, r, now=NOW) for r in (met, later, None, overdue, soon)]
    assert sorted(keys) == [keys[3], keys[4], keys[1], keys[0], keys[2]]
    assert keys[3][1] == -30 * 60.0
    assert keys[0][1] == keys[2][1] == float("inf")


def test_earlier_waiting_since_first_and_any_zone() -> None:
    d = decision("high")
    paris = timezone(timedelta(hours=1))
    a = queue_key(d, waiting_since=datetime(2026, 3, 2, 9, 30, tzinfo=paris))  # 08:30 UTC
    b = queue_key(d, waiting_since=datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    assert a < b < queue_key(d)


def test_queue_key_errors() -> None:
    with pytest.raises(InvalidInputError, match="Decision"):
        queue_key({"priority": "high"})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="Decision"):
        queue_key(None)  # type: ignore[arg-type]
    sla = report(30)
    with pytest.raises(InvalidInputError, match="now"):
        queue_key(decision("high"), sla)
    with pytest.raises(InvalidInputError, match="SLAReport"):
        queue_key(decision("high"), "soon", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TimezoneError):
        queue_key(decision("high"), sla, now=datetime(2026, 3, 2, 12, 0))
    with pytest.raises(SocialcareError):
        queue_key(decision("high"), waiting_since=datetime(2026, 3, 2, 12, 0))
