"""Sensitive posts with the bundled model: the right specialist every time, without flooding.

These run the shipped `Triager.default()` on the examples the pattern files carry in nine
languages; the held-out figures (recall, precision, flood) are in docs/model-card.md
(``python benchmarks/sensitivity_card.py``).
"""

from __future__ import annotations

from functools import cache

import pytest

from socialcare import Triager
from socialcare._triage._lexicon import KINDS, LANGUAGES, keyword_examples


@cache
def triager() -> Triager:
    return Triager.default()


def examples(*, must: bool) -> list[tuple[str, str, str]]:
    return [(k, lang, text) for k, lang, text, m in keyword_examples() if k in KINDS and m == must]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_self_harm_example_is_flagged_urgent_with_crisis(language: str) -> None:
    posts = [
        text
        for kind, lang, text in examples(must=True)
        if kind == "self_harm" and lang == language
    ]
    assert posts, language
    for decision in triager().decide_many(posts):
        assert decision.sensitive == "self_harm"
        assert decision.crisis
        assert decision.route == "specialist"
        assert decision.priority == "urgent"


def test_sensitive_examples_reach_a_specialist() -> None:
    posts = examples(must=True)
    decisions = triager().decide_many([text for _, _, text in posts])
    for (kind, language, text), decision in zip(posts, decisions, strict=True):
        assert decision.route == "specialist", (kind, language, text)
        assert decision.sensitive is not None
        assert KINDS.index(decision.sensitive) <= KINDS.index(kind), (kind, language, text)


def test_trap_word_examples_rarely_reach_a_specialist() -> None:
    """Ordinary posts written around trap words: at most 5% flagged (the goal is <= 8%)."""
    posts = examples(must=False)
    decisions = triager().decide_many([text for _, _, text in posts])
    flagged = [
        (kind, language, text, d.sensitive)
        for (kind, language, text), d in zip(posts, decisions, strict=True)
        if d.sensitive is not None
    ]
    assert len(flagged) <= 0.05 * len(posts), flagged


@pytest.mark.parametrize(
    "text",
    [
        "cancel my order",
        "batalkan pesanan saya",
        "tolong batalkan tempahan saya",
        "cancela mi pedido por favor",
        "תבטלו לי את ההזמנה",
        "when does the store open tomorrow?",
    ],
)
def test_repeating_a_harmless_phrase_flags_nothing(text: str) -> None:
    once = triager().decide(text)
    assert once.sensitive is None
    for times in (2, 10, 50):
        repeated = triager().decide(" ".join([text] * times))
        assert repeated.sensitive is None, times


@pytest.mark.parametrize(
    "text",
    ["batalkan pesanan saya", "my data was leaked", "אני רוצה לבטל את ההזמנה", "gas leak?"],
)
def test_past_max_tf_copies_a_repeat_changes_nothing(text: str) -> None:
    """The bundled model bounds term frequencies (issue #16): a phrase said 50 times reads
    exactly as said ``max_tf + 1`` times (the copies, and the pair where one meets the next,
    each count at most ``max_tf`` times), whatever the phrase means."""
    from socialcare import IntentClassifier

    max_tf = IntentClassifier.default().max_tf
    assert max_tf is not None
    assert max_tf <= 3
    few = " ".join([text] * (max_tf + 1))
    many = " ".join([text] * 50)
    assert triager().decide(many) == triager().decide(few)
    proba = IntentClassifier.default().predict_proba([few, many])
    assert proba[0].tolist() == proba[1].tolist()


def test_danger_p_is_the_self_harm_and_safety_mass_of_the_sensitivity_model() -> None:
    from socialcare._triage._signals import DANGER_KINDS
    from socialcare._triage._text import normalise_batch

    texts = [
        "I can't go on anymore, this debt is too much, I want to end it",
        "there's a smell of gas coming from the new boiler you fitted",
        "where is my parcel? ordered last week",
        "great service, thank you!",
    ]
    engine = triager()._engine
    signals = list(engine.signals(texts, [len(t) for t in texts], engine.memos(1)))
    normalised = normalise_batch(texts, tidy=False)
    probs: dict[str, object] = {}
    for group in engine.groups:
        probs.update(group.probabilities(normalised, len(texts), None, None))
    p = probs["sensitivity"]
    columns = [engine.classes["sensitivity"].index(kind) for kind in DANGER_KINDS]
    want = p[:, columns].sum(axis=1).tolist()  # type: ignore[index]
    assert [s.danger_p for s in signals] == pytest.approx(want, rel=1e-6)
    assert min(signals[0].danger_p, signals[1].danger_p) > 0.5
    assert signals[2].danger_p < 0.1


def test_danger_p_is_the_same_float_for_one_post_and_in_a_batch() -> None:
    texts = [
        "I can't go on anymore, this debt is too much, I want to end it",
        "there's a smell of gas coming from the new boiler you fitted",
        "where is my parcel? ordered last week",
    ] * 20
    engine = triager()._engine
    batch = [s.danger_p for s in engine.signals(texts, [len(t) for t in texts], engine.memos(1))]
    alone = [
        next(iter(engine.signals([t], [len(t)], engine.memos(1)))).danger_p for t in texts[:3]
    ]
    assert batch[:3] == alone  # exactly: numpy for a batch, Python for a few posts
