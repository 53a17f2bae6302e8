"""Triager persistence and plug-ins: save/load, foreign scikit-learn heads, bad arguments."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcare import (
    IntentClassifier,
    InvalidInputError,
    PersistenceError,
    PriorityRule,
    Triager,
    TriageRules,
)
from socialcare._triage._fastpaths import PARALLEL_MIN_ROWS
from socialcare._triage._thresholds import ThresholdPolicy
from socialcare._triage.train_default import load_corpus
from triage_data import synthetic


@functools.cache
def corpus() -> list[str]:
    return [row["text"] for row in load_corpus()]


@functools.cache
def default() -> Triager:
    return Triager.default()


CUSTOM = TriageRules(
    influencer_followers=5,
    policy=ThresholdPolicy(threshold=0.7, per_intent={"query": 0.95, "spam": None}, min_margin=0.1),
    auto_intents=frozenset({"query", "request"}),
    priority_rules=(PriorityRule(priority="urgent", intents=frozenset({"praise"})),),
    min_letters=4,
)


def test_round_trip_gives_identical_decisions_on_the_corpus() -> None:
    data = default().to_bytes()
    again = Triager.from_bytes(data)
    assert again.rules == default().rules
    assert again.intents == default().intents
    assert again.decide_many(corpus()) == default().decide_many(corpus())
    # (not byte-equal: frozensets of the rules are written in their iteration order)
    assert Triager.from_bytes(again.to_bytes()).rules == again.rules
    assert Triager.from_bytes(bytearray(data)).rules == default().rules


def test_round_trip_keeps_custom_rules() -> None:
    custom = default().with_rules(CUSTOM)
    loaded = Triager.from_bytes(custom.to_bytes())
    assert loaded.rules == CUSTOM
    assert loaded.rules.policy == CUSTOM.policy
    items: list[Any] = [*corpus()[::10], {"text": "love you 😍", "followers": 5}]
    assert loaded.decide_many(items) == custom.decide_many(items)
    assert loaded.decide(items[-1]).influencer  # five followers are enough here
    assert not default().decide(items[-1]).influencer


def test_save_and_load(tmp_path: Path) -> None:
    custom = default().with_rules(CUSTOM)
    path = tmp_path / "triager.zip"
    custom.save(path)
    loaded = Triager.load(str(path))
    assert loaded.rules == CUSTOM
    assert loaded.decide_many(corpus()[::7]) == custom.decide_many(corpus()[::7])
    with pytest.raises(PersistenceError, match="cannot read"):
        Triager.load(tmp_path / "missing.zip")
    with pytest.raises(PersistenceError, match="cannot write"):
        custom.save(tmp_path / "no" / "such" / "dir" / "t.zip")
    assert not (tmp_path / "no").exists()


def test_a_classifier_file_is_not_a_triager() -> None:
    data = IntentClassifier.default().to_bytes()
    with pytest.raises(PersistenceError, match="holds classifiers, not a saved Triager"):
        Triager.from_bytes(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage bytes", b"PK\x03\x04 broken zip", b"\x80\x04\x95 pickle", "text"],
)
def test_garbage_is_refused(data: Any) -> None:
    with pytest.raises(PersistenceError) as info:
        Triager.from_bytes(data)
    assert str(info.value)


def test_damaged_rules_are_refused() -> None:
    import io
    import json
    import zipfile

    from socialcare._triage._persist import write_archive

    good = default().to_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        meta = json.loads(archive.read("meta.json"))
        arrays = {
            name[:-4]: np.lib.format.read_array(io.BytesIO(archive.read(name)))
            for name in archive.namelist()
            if name.endswith(".npy")
        }
    meta.pop("format"), meta.pop("format_version"), meta.pop("arrays")
    meta["extra"]["rules"]["min_letters"] = -3
    with pytest.raises(PersistenceError, match="rules are invalid"):
        Triager.from_bytes(write_archive(meta, arrays))


# ------------------------------------------------------------------ foreign classifiers


@functools.cache
def pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    texts, labels = synthetic(40)
    return Pipeline(
        [("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
         ("lr", LogisticRegression(max_iter=500))]
    ).fit(texts, labels)  # fmt: skip


def test_a_foreign_scikit_learn_pipeline_decides_posts() -> None:
    clf = pipeline()
    triager = Triager(clf, rules=TriageRules(policy=ThresholdPolicy(threshold=0.5)))
    assert sorted(triager.intents) == ["complaint", "praise", "query"]
    texts, labels = synthetic(10, seed=3)
    decisions = triager.decide_many(texts)
    assert decisions == [triager.decide(t) for t in texts]
    proba = clf.predict_proba(texts)
    for d, p in zip(decisions, proba, strict=True):
        assert d.intent == clf.classes_[int(np.argmax(p))]
        assert d.confidence == float(np.max(p))
    right = sum(d.intent == y for d, y in zip(decisions, labels, strict=True))
    assert right >= 0.8 * len(texts)
    assert triager.decide("my lawyer will sue you").route == "specialist"  # keywords still work
    bad = triager.decide_many([None, "", "when will my parcel arrive?"])
    assert bad[0].error is not None
    assert bad[1].uncertain


def test_a_foreign_pipeline_cannot_be_saved() -> None:
    triager = Triager(pipeline())
    with pytest.raises(PersistenceError, match="skops, joblib"):
        triager.to_bytes()


def test_intent_classifiers_not_sharing_a_featuriser_cannot_be_saved() -> None:
    texts, labels = synthetic(30)
    intent = IntentClassifier(calibration=None).fit(texts, labels)
    sentiment = IntentClassifier(calibration=None).fit(
        texts, ["negative" if y == "complaint" else "neutral" for y in labels]
    )
    triager = Triager(intent, sentiment=sentiment)
    assert triager.decide("worst service ever!!!").sentiment == "negative"
    with pytest.raises(PersistenceError):
        triager.to_bytes()


class _NoProba:
    classes_ = np.array(["query", "complaint"])

    def predict(self, texts: Any) -> Any:
        return np.array(["query"] * len(texts))


class _NoClasses:
    def predict_proba(self, texts: Any) -> Any:
        return np.full((len(texts), 2), 0.5)


class _Sentiment:
    def __init__(self, classes: list[str]) -> None:
        self.classes_ = np.array(classes)

    def predict_proba(self, texts: Any) -> Any:
        return np.full((len(texts), len(self.classes_)), 1 / len(self.classes_))


def test_classifiers_without_what_a_head_needs_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="predict_proba"):
        Triager(_NoProba())
    with pytest.raises(InvalidInputError, match="classes_"):
        Triager(_NoClasses())
    with pytest.raises(InvalidInputError, match="intent classifier"):
        Triager(None)
    with pytest.raises(InvalidInputError, match="classes_"):
        Triager(_Sentiment([]))
    with pytest.raises(InvalidInputError, match="distinct"):
        Triager(_Sentiment(["query", "query"]))
    unfitted = IntentClassifier()
    with pytest.raises(Exception, match="not trained"):
        Triager(unfitted)


def test_a_sentiment_classifier_must_predict_sentiments() -> None:
    with pytest.raises(InvalidInputError, match="negative/neutral/positive"):
        Triager(pipeline(), sentiment=_Sentiment(["angry", "happy"]))
    ok = Triager(pipeline(), sentiment=_Sentiment(["negative", "positive"]))
    assert ok.decide("love it").sentiment == "negative"  # the first of equals
    with pytest.raises(InvalidInputError, match="rules must be TriageRules"):
        Triager(pipeline(), rules={"min_letters": 3})  # type: ignore[arg-type]


@pytest.mark.parametrize("n_jobs", [0, "2", True, 1.5, -0])
def test_bad_n_jobs(n_jobs: Any) -> None:
    with pytest.raises(InvalidInputError, match="n_jobs"):
        default().decide_many(["hi"], n_jobs=n_jobs)


@pytest.mark.parametrize("items", [None, "a text", 42])
def test_decide_many_needs_a_sequence(items: Any) -> None:
    with pytest.raises(InvalidInputError, match="decide_many"):
        default().decide_many(items)


def test_decide_many_on_two_processes_equals_one_process() -> None:
    texts = corpus()
    rows: list[Any] = [*texts, None, "", *texts[::-1]]
    assert len(rows) >= PARALLEL_MIN_ROWS
    custom = default().with_rules(CUSTOM)
    assert custom.decide_many(rows, n_jobs=2) == custom.decide_many(rows, n_jobs=1)
