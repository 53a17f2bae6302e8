"""automation_rate and time_to_acknowledgement (issue #13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from socialcare import Author, Conversation, InvalidInputError, Post, ServiceWindow, metrics

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
CUSTOMER = Author(id="c")
BRAND = Author(id="acme")


def _conv(cid: str, *replies: tuple[int, bool], route: str | None = "agent") -> Conversation:
    """A customer post at T0 and brand replies at (seconds after, automated?)."""
    posts = [Post(id=f"{cid}-0", platform="twitter", author=CUSTOMER, text="help", created_at=T0)]
    for index, (seconds, automated) in enumerate(replies, start=1):
        posts.append(
            Post(
                id=f"{cid}-{index}",
                platform="twitter",
                author=BRAND,
                text="hi",
                created_at=T0 + timedelta(seconds=seconds),
                in_reply_to=f"{cid}-0",
                automated=automated,
            )
        )
    return Conversation(id=cid, posts=tuple(posts), brand=frozenset({"acme"}), route=route)


CONVERSATIONS = [
    _conv("bot-only", (5, True), route="auto"),  # answered by automation alone
    _conv("acknowledged", (4, True)),  # acknowledged, still waiting for a person
    _conv("bot-then-person", (3, True), (600, False)),  # acknowledged, then a person
    _conv("person-first", (120, False), (130, True)),  # a person first: no acknowledgement
    _conv("waiting"),  # nothing yet
    _conv("no-reply-needed", (2, True), route="none"),
]


def test_automation_rate_counts_automation_without_a_person() -> None:
    rate = metrics.automation_rate(CONVERSATIONS)
    assert (rate.numerator, rate.denominator) == (1, 5)


def test_time_to_acknowledgement_measures_automated_first_replies() -> None:
    summary = metrics.time_to_acknowledgement(CONVERSATIONS)
    # bot-only 5 s, acknowledged 4 s, bot-then-person 3 s; the route-none one 2 s
    assert summary.count == 4
    assert summary.min == timedelta(seconds=2)
    assert summary.max == timedelta(seconds=5)
    assert summary.median == timedelta(seconds=3.5)
    assert summary.pending == 1  # "waiting"
    assert summary.excluded == 1  # "person-first"


def test_first_human_response_ignores_the_acknowledgement() -> None:
    human = metrics.first_response_time(CONVERSATIONS)
    assert human.median == timedelta(seconds=360)  # person-first 120 s, bot-then-person 600 s
    assert human.min == timedelta(seconds=120)


def test_columns_and_conversations_agree() -> None:
    cols = metrics.to_columns(CONVERSATIONS)
    assert metrics.automation_rate(cols) == metrics.automation_rate(CONVERSATIONS)
    assert metrics.time_to_acknowledgement(cols) == metrics.time_to_acknowledgement(CONVERSATIONS)


def test_business_time_window() -> None:
    # Every acknowledgement came before the 10:00 opening: no business time elapsed.
    window = ServiceWindow.office_hours("UTC", start="10:00")
    summary = metrics.time_to_acknowledgement(CONVERSATIONS, window=window)
    assert summary.count == 4
    assert summary.max == timedelta(0)


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        metrics.automation_rate(CONVERSATIONS, zero_division=2.0)
    assert metrics.automation_rate([]).value is None
