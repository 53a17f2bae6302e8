"""Conversation triage: the open customer turn, decided with the thread as context."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from socialcare import (
    Author,
    Conversation,
    Decision,
    InvalidInputError,
    Post,
    SLAPolicy,
    Triager,
    TriageRules,
    metrics,
    triage_conversations,
)
from socialcare._triage._threads import customer_turns, thread_rules

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CUSTOMER = Author(id="cust", handle="ana", followers=40)
BRAND = Author(id="brand", handle="AcmeHelp", is_brand=True)


@functools.cache
def triager() -> Triager:
    return Triager.default()


def conv(cid: str, *turns: tuple[str, str], channel: str = "public") -> Conversation:
    """A conversation of ("c" customer | "b" brand, text) posts, five minutes apart."""
    posts = [
        Post(
            id=f"{cid}-{i}",
            platform="x",
            author=BRAND if who == "b" else CUSTOMER,
            text=text,
            created_at=T0 + timedelta(minutes=5 * i),
            channel=channel,  # type: ignore[arg-type]
        )
        for i, (who, text) in enumerate(turns)
    ]
    return Conversation(id=cid, posts=tuple(posts))


COMPLAINT = conv(
    "complaint",
    ("c", "Worst service ever, my parcel arrived broken and nobody answers"),
    ("b", "We're sorry to hear that, we'll make it right."),
    ("c", "and how do you propose we do that?"),
)
SENSITIVE = conv(
    "sensitive",
    ("c", "my lawyer will sue you"),
    ("b", "We're sorry, let us look into it."),
    ("c", "ok when?"),
)
ANSWER = conv(
    "answer",
    ("c", "where is my order?"),
    ("b", "Can you DM us your order number?"),
    ("c", "it's 55123"),
)
BRAND_ONLY = conv("brand-only", ("b", "Big sale today!"), ("b", "Only until Sunday."))
QUERY = conv("query", ("c", "what time does the Leeds store close on sundays?"))


def test_follow_up_in_a_complaint_thread_stays_a_complaint() -> None:
    alone = triager().decide("and how do you propose we do that?")
    assert alone.intent != "complaint"  # alone it reads as something else...
    d = triager().decide(COMPLAINT)
    assert d.intent == "complaint"  # ...in its thread it is a complaint
    assert d.route != "auto"
    assert "follow-up in a complaint thread: still a complaint" in d.reasons


def test_a_thread_once_sensitive_stays_sensitive() -> None:
    assert triager().decide("ok when?").sensitive is None
    d = triager().decide(SENSITIVE)
    assert d.sensitive == "legal_threat"
    assert d.route == "specialist"
    assert d.priority == "urgent"
    assert "thread flagged legal_threat earlier: it stays sensitive" in d.reasons


def test_an_answer_to_the_brands_question_is_not_auto() -> None:
    turns, is_open = customer_turns(ANSWER)
    assert is_open
    assert [t.brand_asked for t in turns] == [False, True]
    d = triager().decide(ANSWER)
    assert d.route != "auto"
    assert d.route in ("agent", "specialist")


def test_customer_turns() -> None:
    c = conv(
        "turns",
        ("c", "hi"),
        ("c", "anyone there"),
        ("b", "Hello! How can we help?"),
        ("c", "my order"),
        ("b", "On it."),
    )
    turns, is_open = customer_turns(c)
    assert not is_open  # the brand spoke last
    assert [[p.text for p in t.posts] for t in turns] == [["hi", "anyone there"], ["my order"]]
    assert [t.brand_asked for t in turns] == [False, True]
    assert turns[0].as_input().text == "hi\nanyone there"
    assert customer_turns(BRAND_ONLY) == ([], False)
    closed = triager().decide(c)
    assert closed.reasons[-1] == "the brand spoke last: nothing awaits a reply yet"


def test_decide_equals_decide_many_for_conversations() -> None:
    convs = [COMPLAINT, SENSITIVE, ANSWER, BRAND_ONLY, QUERY]
    many = triager().decide_many(convs)
    assert many == [triager().decide(c) for c in convs]
    assert triager().decide_many([COMPLAINT])[0] == triager().decide(COMPLAINT)


def test_a_conversation_of_brand_posts_only_needs_no_reply() -> None:
    d = triager().decide(BRAND_ONLY)
    assert (d.route, d.intent, d.priority, d.sensitive) == ("none", None, None, None)
    assert d.reasons == ("no customer post in this conversation: nothing to answer",)


def test_mixing_posts_and_conversations_keeps_order() -> None:
    post = Post(id="p", platform="x", author=CUSTOMER, text="my lawyer will sue you", created_at=T0)
    items: list[Any] = [
        "when do you open?",
        COMPLAINT,
        post,
        None,
        BRAND_ONLY,
        "I love this brand 😍",
        SENSITIVE,
    ]
    mixed = triager().decide_many(items)
    assert mixed == [triager().decide(x) for x in items]
    assert mixed[3].error is not None
    assert (mixed[4].route, mixed[4].intent) == ("none", None)
    assert mixed[1].intent == "complaint"
    assert mixed[2].sensitive == "legal_threat"


# ------------------------------------------------------------------ thread_rules alone

RULES = TriageRules()


def dec(
    intent: str | None,
    route: str = "agent",
    *,
    sensitive: str | None = None,
    sentiment: str = "neutral",
    priority: str | None = "normal",
    **extra: Any,
) -> Decision:
    return Decision(
        route=route,  # type: ignore[arg-type]
        intent=intent,
        confidence=0.95,
        uncertain=False,
        priority=priority,  # type: ignore[arg-type]
        sensitive=sensitive,
        sentiment=sentiment,  # type: ignore[arg-type]
        take_private=False,
        reasons=(f"intent {intent!r}",),
        **extra,
    )


def test_thread_rules_without_context_change_nothing() -> None:
    for latest in (dec("query", "auto"), dec("praise", "none", priority="low"), dec("request")):
        assert thread_rules(latest, [], RULES, brand_asked=False) == latest
        assert thread_rules(latest, [dec("request")], RULES, brand_asked=False) == latest


def test_thread_rules_sensitive_earlier() -> None:
    earlier = [dec("complaint", sensitive=None), dec("query", sensitive="safety")]
    d = thread_rules(dec("praise", "none", priority="low"), earlier, RULES, brand_asked=False)
    assert (d.sensitive, d.route, d.priority) == ("safety", "specialist", "urgent")
    assert d.intent == "complaint"  # the thread held a complaint too
    # the latest turn's own kind wins over the thread's
    own = thread_rules(
        dec("query", "specialist", sensitive="privacy"), earlier, RULES, brand_asked=False
    )
    assert (own.sensitive, own.priority) == ("privacy", "high")


def test_thread_rules_complaint_thread() -> None:
    d = thread_rules(
        dec("query", "auto", sentiment="negative"), [dec("complaint")], RULES, brand_asked=False
    )
    assert (d.intent, d.route, d.priority) == ("complaint", "agent", "high")
    assert d.reasons[-2:] == (
        "follow-up in a complaint thread: still a complaint",
        "a person continues the thread",
    )
    # a specialist keeps its specialist
    vip = thread_rules(
        dec("query", "specialist", influencer=True), [dec("complaint")], RULES, brand_asked=False
    )
    assert (vip.intent, vip.route) == ("complaint", "specialist")


def test_thread_rules_answer_to_the_brand() -> None:
    answer = thread_rules(dec("query", "auto"), [dec("request")], RULES, brand_asked=True)
    assert (answer.intent, answer.route) == ("request", "agent")
    assert "answers the brand's question: the thread's intent continues" in answer.reasons
    thanks = thread_rules(
        dec("praise", "none", priority="low"), [dec("request")], RULES, brand_asked=True
    )
    assert (thanks.intent, thanks.route, thanks.priority) == ("request", "agent", "normal")
    first = thread_rules(dec("query", "auto"), [], RULES, brand_asked=True)
    assert (first.intent, first.route) == ("query", "agent")
    assert first.reasons[-1] == "answers the brand's question: a person continues"
    # a turn that is not an auto or no-reply intent keeps its own intent
    own = thread_rules(dec("feedback"), [dec("request")], RULES, brand_asked=True)
    assert own.intent == "feedback"


def test_thread_rules_leave_unreadable_and_brand_decisions_alone() -> None:
    broken = dec(None, error="cannot read", priority="normal")
    assert (
        thread_rules(broken, [dec("complaint", sensitive="safety")], RULES, brand_asked=True)
        is broken
    )
    brand = dec("query", "none", priority=None)
    assert (
        thread_rules(brand, [dec("complaint", sensitive="safety")], RULES, brand_asked=True)
        is brand
    )


# ------------------------------------------------------------ triage_conversations


@functools.cache
def labelled() -> list[Conversation]:
    return triage_conversations([COMPLAINT, SENSITIVE, ANSWER, BRAND_ONLY, QUERY], triager())


def test_triage_conversations_labels_each_conversation() -> None:
    convs = labelled()
    assert [c.id for c in convs] == ["complaint", "sensitive", "answer", "brand-only", "query"]
    routes = {"none": 0, "auto": 1, "agent": 2, "specialist": 3}
    priorities = {None: -1, "low": 0, "normal": 1, "high": 2, "urgent": 3}
    for c in convs:
        d = triager().decide(c)
        # the labels describe the whole thread: never less demanding than its open turn
        assert routes[c.route] >= routes[d.route]
        assert priorities[c.priority] >= priorities[d.priority]
        assert (c.sensitive, c.language) == (d.sensitive, d.language)
        assert (c.sentiment is None) == (d.intent is None)
        assert (
            c.posts
            == {x.id: x for x in (COMPLAINT, SENSITIVE, ANSWER, BRAND_ONLY, QUERY)}[c.id].posts
        )
    by_id = {c.id: c for c in convs}
    assert by_id["sensitive"].sensitive == "legal_threat"
    assert by_id["complaint"].intent == "complaint"
    assert by_id["complaint"].sentiment == "negative"  # a negative turn makes the thread so
    assert (by_id["brand-only"].route, by_id["brand-only"].sentiment) == ("none", None)
    assert triage_conversations([]) == []


def test_triage_conversations_language_from_the_post() -> None:
    post = Post(
        id="es", platform="x", author=CUSTOMER, text="¿Dónde está mi pedido?", created_at=T0,
        language="es",
    )  # fmt: skip
    [c] = triage_conversations([Conversation(id="es", posts=(post,))], triager())
    assert c.language == "es"


@pytest.mark.parametrize("bad", [None, COMPLAINT, [COMPLAINT, "text"], [{"id": "x"}]])
def test_triage_conversations_refuses_what_is_not_conversations(bad: Any) -> None:
    with pytest.raises(InvalidInputError):
        triage_conversations(bad, triager())


def test_triage_labels_feed_sla_conditions() -> None:
    policy = SLAPolicy.from_dict(
        {
            "targets": [
                {"metric": "first_response", "duration": "10m", "when": {"route": "specialist"},
                 "name": "specialists"},
                {"metric": "first_response", "duration": "20m",
                 "when": {"sensitive": ["legal_threat", "safety"]}, "name": "legal"},
                {"metric": "first_response", "duration": "30m", "when": {"intent": "complaint"},
                 "name": "complaints"},
                {"metric": "first_response", "duration": "1h", "name": "everyone"},
            ]
        }
    )  # fmt: skip
    now = T0 + timedelta(hours=2)
    names = {}
    for c in labelled():
        report = policy.evaluate(c, now)
        first = report.first_response
        names[c.id] = None if first is None else first.target.name
    assert names["sensitive"] == "specialists"
    assert names["complaint"] == "complaints"
    assert names["query"] == "everyone"
    assert names["brand-only"] is None  # no customer post: no clock
    # unlabelled conversations meet only the catch-all target
    assert policy.evaluate(SENSITIVE, now)["first_response"].target.name == "everyone"
    # the sensitive condition alone
    legal = SLAPolicy.from_dict(
        {"targets": [{"metric": "first_response", "duration": "20m",
                      "when": {"sensitive": "legal_threat"}}]}
    )  # fmt: skip
    applies = {c.id for c in labelled() if legal.evaluate(c, now).first_response is not None}
    assert applies == {"sensitive"}


def test_triage_labels_feed_metrics_report() -> None:
    convs = labelled()
    rows = metrics.report(convs, by=["intent"]).to_dicts()
    counted = {r["intent"] for r in rows}
    assert counted == {c.intent for c in convs}
    by_route = metrics.report(convs, by=["route"]).to_dicts()
    assert {r["route"] for r in by_route} == {c.route for c in convs}
