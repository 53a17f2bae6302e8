"""The test doubles drive the real Triager and tune_thresholds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sklearn.base import clone

from socialcare import (
    Author,
    Conversation,
    InvalidInputError,
    NotFittedError,
    Post,
    ThresholdPolicy,
    Triager,
    TriageRules,
    tune_thresholds,
)
from socialcare.testing import StubClassifier, StubTriager

KEYWORDS = {"refund": "request", "love": "praise", "broken": "complaint"}


def test_stub_classifier_drives_a_triager() -> None:
    stub = StubClassifier(KEYWORDS).fit()
    rules = TriageRules(policy=ThresholdPolicy(threshold=0.9), auto_intents={"request"})
    triager = Triager(stub, rules=rules)
    decisions = triager.decide_many(["I want a REFUND", "love it", "hello", None])
    assert [(d.route, d.intent) for d in decisions] == [
        ("auto", "request"),
        ("agent", "praise"),  # no sentiment model: nothing shows the praise is sincere
        ("agent", "query"),
        ("agent", None),
    ]
    assert decisions[2].uncertain
    assert decisions[3].error
    trusting = Triager(stub, rules=rules.model_copy(update={"no_reply_sentiments": {}}))
    assert trusting.decide("love it").route == "none"


def test_stub_classifier_clones_and_tunes() -> None:
    stub = StubClassifier(KEYWORDS, confidence=0.97)
    copy = clone(stub)
    assert copy.get_params() == stub.get_params()
    assert copy is not stub
    texts = ["refund pls", "I love it", "it is broken", "hello there"] * 60
    labels = ["request", "praise", "complaint", "query"] * 60
    tuning = tune_thresholds(texts, labels, classifier=stub, cv=3, target_precision=0.9)
    # the keyword intents are always right: tuning may automate them; query never wins
    assert tuning.policy.per_intent["request"] is not None
    assert tuning.coverage >= 0.7
    assert not hasattr(stub, "classes_")  # cloned, never modified


def test_stub_classifier_takes_classes_from_labels() -> None:
    stub = StubClassifier({"refund": "request", "love": "other"}).fit(["a", "b"], ["request", "x"])
    assert stub.classes_.tolist() == ["request", "x"]
    assert stub.predict(["love", "refund"]).tolist() == ["request", "request"]


def test_stub_classifier_errors() -> None:
    with pytest.raises(NotFittedError):
        StubClassifier().predict_proba(["x"])
    with pytest.raises(InvalidInputError, match="confidence"):
        StubClassifier(confidence=2.0).fit()
    with pytest.raises(InvalidInputError, match="no parameter"):
        StubClassifier().set_params(nonsense=1)


def _conversation(*texts: tuple[str, bool]) -> Conversation:
    posts = [
        Post(
            id=str(i),
            platform="x",
            author=Author(id="brand" if brand else "ana", is_brand=brand),
            text=text,
            created_at=datetime(2024, 5, 1, 9, i, tzinfo=timezone.utc),
        )
        for i, (text, brand) in enumerate(texts)
    ]
    return Conversation(id="c", posts=tuple(posts))


def test_stub_triager_routes_by_pattern() -> None:
    stub = StubTriager(routes={r"lawyer|\bsue\b": "specialist", r"^thanks": "none"}, default="auto")
    items = [
        "My LAWYER will call",
        "thanks!",
        "where is my parcel?",
        Post(
            id="1",
            platform="x",
            author=Author(id="a"),
            text="I will sue",
            created_at=datetime(2024, 5, 1, tzinfo=timezone.utc),
        ),
        _conversation(("my lawyer", False), ("sorry", True), ("thanks", False)),
        42,
    ]
    decisions = stub.decide_many(items)
    routes = ["specialist", "none", "auto", "specialist", "none", "agent"]
    assert [d.route for d in decisions] == routes
    assert decisions[-1].error
    assert decisions[-1].uncertain
    assert stub.decide("thanks") == decisions[1]


def test_stub_triager_checks_its_configuration() -> None:
    with pytest.raises(InvalidInputError, match="route"):
        StubTriager(routes={"x": "maybe"})  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="pattern"):
        StubTriager(routes={"(": "agent"})
    with pytest.raises(InvalidInputError):
        StubTriager().decide_many("a text")
