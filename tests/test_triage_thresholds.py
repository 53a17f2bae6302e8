"""ThresholdPolicy and tune_thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from socialcare import InvalidInputError
from socialcare._triage._classifier import IntentClassifier
from socialcare._triage._thresholds import ThresholdPolicy, _tune_from_proba, tune_thresholds
from triage_data import noisy


def test_policy_rules() -> None:
    policy = ThresholdPolicy(threshold=0.8, per_intent={"query": 0.5, "spam": None}, min_margin=0.1)
    assert policy.accepts("query", 0.55, 0.2)
    assert not policy.accepts("query", 0.55, 0.05)  # margin too small
    assert not policy.accepts("praise", 0.79, 0.5)  # global threshold
    assert not policy.accepts("spam", 1.0, 1.0)  # never automated
    proba = np.array([[0.54, 0.46], [0.2, 0.8], [0.9, 0.1]])
    mask = policy.accept_mask(proba, ["query", "praise"])
    assert mask.tolist() == [False, True, True]


def test_policy_validation() -> None:
    with pytest.raises(InvalidInputError, match="per_intent"):
        ThresholdPolicy(per_intent={"query": 1.5})
    with pytest.raises(InvalidInputError, match="threshold"):
        ThresholdPolicy(threshold=-0.1)
    with pytest.raises(InvalidInputError, match="shape"):
        ThresholdPolicy().accept_mask(np.ones((2, 3)), ["a", "b"])


def test_tuning_reaches_target_on_held_out_data() -> None:
    texts, labels = noisy(150, noise=0.3, seed=2)
    held_texts, held_labels = noisy(150, noise=0.3, seed=9)
    result = tune_thresholds(texts, labels, target_precision=0.95, cv=4)
    assert result.precision is not None
    assert result.precision >= 0.94
    assert 0.0 < result.coverage < 1.0  # noise forces some posts to people
    clf = IntentClassifier().fit(texts, labels)
    proba = clf.predict_proba(held_texts)
    automated = result.policy.accept_mask(proba, clf.classes_.tolist())
    predicted = clf.classes_[proba.argmax(axis=1)]
    held_precision = float((predicted[automated] == np.array(held_labels)[automated]).mean())
    assert held_precision >= 0.93  # the target, up to sampling noise on 450 posts
    assert automated.mean() > 0.3
    # The curve is plottable and covers the chosen point.
    assert len(result.curve_coverage) == len(result.curve_precision) > 10
    assert all(0 < c <= 1 for c in result.curve_coverage)
    assert result.curve_coverage == sorted(result.curve_coverage)


def test_lower_target_buys_more_coverage() -> None:
    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 3, n)
    proba = rng.dirichlet([1, 1, 1], n)
    # Make confidence informative: the true class gets a boost proportional to a hidden score.
    boost = rng.random(n)
    proba[np.arange(n), y] += 2 * boost
    proba /= proba.sum(axis=1, keepdims=True)
    classes = np.array(["a", "b", "c"])
    strict = _tune_from_proba(proba, y, classes, 0.98, 0.0)
    each = _tune_from_proba(proba, y, classes, 0.95, 0.0, 1.0, per_intent_target=True)
    for name, stats in each.per_intent.items():
        assert stats.precision is not None, name
        assert stats.precision >= 0.95
    loose = _tune_from_proba(proba, y, classes, 0.85, 0.0)
    assert loose.coverage > strict.coverage
    assert strict.precision is not None
    assert strict.precision >= 0.97


def test_impossible_target_automates_nothing() -> None:
    proba = np.full((20, 2), 0.5)
    proba[:, 0] += 0.01
    y = np.array([0, 1] * 10)
    result = _tune_from_proba(proba, y, np.array(["a", "b"]), 0.99, 0.0)
    assert result.coverage == 0.0
    assert result.precision is None
    assert result.policy.per_intent == {"a": None, "b": None}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_precision": 1.5}, "target_precision"),
        ({"cv": 1}, "cv must be"),
        ({"cv": 50}, "fewer than cv=50"),
    ],
)
def test_tuning_validates(kwargs: dict[str, object], message: str) -> None:
    texts, labels = noisy(20)
    with pytest.raises(InvalidInputError, match=message):
        tune_thresholds(texts, labels, **kwargs)  # type: ignore[arg-type]
