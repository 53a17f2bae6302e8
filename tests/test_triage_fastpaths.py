"""The fast-path contract: a post gets the identical decision whatever the road or batch.

Every comparison is ``==`` on whole decisions (or ``numpy.array_equal`` on probabilities),
never rounded: see ``socialcare/_triage/_fastpaths.py``.
"""

from __future__ import annotations

import functools
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import socialcare._triage._engine as engine_module
import socialcare._triage._features as features_module
from socialcare import Decision, IntentClassifier, Triager
from socialcare._triage._decision import make_decision
from socialcare._triage._fastpaths import (
    CHUNK_CHARS,
    CHUNK_ROWS,
    FEW_POSTS,
    NUMPY_LETTERS,
    NUMPY_SCAN,
    NUMPY_SQUEEZE,
)
from socialcare._triage.train_default import load_corpus


@functools.cache
def corpus() -> list[str]:
    return [row["text"] for row in load_corpus()]


@functools.cache
def triager() -> Triager:
    return Triager.default()


@functools.cache
def classifier() -> IntentClassifier:
    return IntentClassifier.default()


@functools.cache
def words() -> list[str]:
    return sorted({w for t in corpus() for w in t.split()})


@functools.cache
def calm_posts() -> list[str]:
    """Ordinary corpus posts (no sensitive kind) the triager does not flag either."""
    ordinary = [row["text"] for row in load_corpus() if row["sensitivity"] is None]
    decided = triager().decide_many(ordinary)
    return [t for t, d in zip(ordinary, decided, strict=True) if d.sensitive is None]


def one_by_one(items: list[Any]) -> list[Decision]:
    return [triager().decide(x) for x in items]


def test_thresholds_are_where_these_tests_expect() -> None:
    # the long texts below cross these; a change of thresholds should revisit the strategies
    assert FEW_POSTS < 10
    assert NUMPY_SQUEEZE < NUMPY_SCAN < NUMPY_LETTERS < 6_000
    assert 2 * len(corpus()) > CHUNK_ROWS
    assert sum(map(len, corpus())) > CHUNK_CHARS


def test_every_corpus_post_alone_equals_in_the_whole_batch() -> None:
    texts = corpus()
    batch = triager().decide_many(texts)
    assert len(batch) == len(texts)
    assert batch == one_by_one(texts)
    # the corpus spans every road: several chunks, every route
    assert len(engine_module.chunk_bounds([len(t) for t in texts], 5_000)) > 1
    assert {d.route for d in batch} == {"auto", "agent", "specialist", "none"}


def test_many_chunks_equal_one_by_one() -> None:
    texts = corpus()
    doubled = texts + texts[::-1]  # > CHUNK_ROWS rows and > CHUNK_CHARS characters
    assert len(engine_module.chunk_bounds([len(t) for t in doubled], 5_000)) > 1
    batch = triager().decide_many(doubled)
    single = one_by_one(texts)
    assert batch == single + single[::-1]


@pytest.mark.parametrize("size", range(1, 11))
def test_batches_of_one_to_ten(size: int) -> None:
    texts = corpus()
    step = len(texts) // 7
    for start in range(0, len(texts) - size, step):
        batch = texts[start : start + size]
        assert triager().decide_many(batch) == one_by_one(batch)


@pytest.mark.parametrize(("rows", "chars"), [(2, 10**9), (3, 10**9), (7, 10**9), (10**9, 300)])
def test_chunk_boundaries_anywhere(monkeypatch: pytest.MonkeyPatch, rows: int, chars: int) -> None:
    texts = corpus()[::3]
    expected = one_by_one(texts)
    monkeypatch.setattr(engine_module, "CHUNK_ROWS", rows)
    monkeypatch.setattr(engine_module, "CHUNK_CHARS", chars)
    bounds = engine_module.chunk_bounds([len(t) for t in texts], 5_000)
    assert len(bounds) > len(texts) // 50  # many chunks: the word memo carries over
    assert triager().decide_many(texts) == expected


@pytest.mark.parametrize(
    "length",
    [NUMPY_SQUEEZE, NUMPY_SCAN - 1, NUMPY_SCAN, NUMPY_LETTERS - 1, NUMPY_LETTERS, 4_990, 5_001],
)
def test_long_texts_on_every_road(length: int) -> None:
    head = "my lawyer will sue "  # within the characters the engine reads (max_chars)
    calm = calm_posts()
    text = (head + " ".join(calm[:400]))[:length]
    assert len(text) == length
    alone = triager().decide(text)
    for batch in ([text], [text, "hi"], ["hi", text, *corpus()[:5]], ["ok?", text] * 6):
        decided = triager().decide_many(batch)
        assert decided == one_by_one(batch)
        assert decided[batch.index(text)] == alone
    assert alone.sensitive == "legal_threat"
    # past what the models read, a person reads the rest
    if length > triager()._engine.max_chars:
        assert alone.uncertain


@pytest.mark.parametrize("unit", ["a?!", "ok😡 ", "#NeverAgain ", "@a "])
def test_one_dense_post_crosses_the_numpy_thresholds(unit: str) -> None:
    from socialcare._triage._text import normalise_batch

    text = unit * (5_000 // len(unit))
    read = text[: triager()._engine.max_chars]
    assert len(normalise_batch([read], tidy=False)) >= NUMPY_SCAN  # one post, numpy roads
    alone = triager().decide(text)
    for batch in ([text, text], [text, "", "hi", text, "?"], [text] * 7):
        assert triager().decide_many(batch) == [
            alone if x == text else triager().decide(x) for x in batch
        ]


def test_one_post_past_numpy_letters() -> None:
    from socialcare._triage._text import normalise_batch

    text = "a?!" * 1_000
    read = text[: triager()._engine.max_chars]
    assert len(normalise_batch([read], tidy=False)) >= NUMPY_LETTERS
    assert triager().decide_many([text, "b?", text]) == one_by_one([text, "b?", text])


# ------------------------------------------------------------------- generated texts

EMOJI = ["😡", "😍", "🙏", "👍🏽", "❤️", "🔥🔥🔥", "👨‍👩‍👧", "⏳", "→", "🇪🇸"]
PUNCT = ["?", "!!!", "¿", "¡", "؟", "...", ",", "-", "_", "#", "€", "“", "”", "'", ":)"]
SPECIAL = [
    "https://t.co/AbC123",
    "www.example.com/x?y=1",
    "@AcmeSupport",
    "ana.b@mail.com",
    "#NeverAgain",
    "#order12345",
    "123456789",
    "Sooooooo",
    "x" * 70,  # a word past 64 characters: never kept in the word memo
    "lawyer",
    "my_lawyer",
    "order",
    "e-mail",
    "\u200b",
    "a\u0301",
    "\u00ad",
    "\x00",
    "\ud800",
    "\t\n",
    "ﬁ",
    "𝐚𝐛𝐜",
    "İstanbul",
    "ΣΑΣ",
]


def token() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(words()),
        st.sampled_from(EMOJI),
        st.sampled_from(PUNCT),
        st.sampled_from(SPECIAL),
        st.text(max_size=6),
    )


def short_text() -> st.SearchStrategy[str]:
    seps = st.sampled_from([" ", "", "  ", "\n"])
    return st.lists(st.tuples(token(), seps), max_size=25).map(
        lambda parts: "".join(a + b for a, b in parts)
    )


def long_text() -> st.SearchStrategy[str]:
    """Texts past NUMPY_SCAN and NUMPY_LETTERS (and the 5,000-character limit)."""
    return st.tuples(
        short_text().filter(lambda t: len(t) > 0),
        st.integers(NUMPY_SCAN - 10, 6_000),
    ).map(lambda pair: (pair[0] + " ") * (pair[1] // (len(pair[0]) + 1) + 1))


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        short_text(),
        short_text(),
        short_text(),
        long_text(),
        st.sampled_from(corpus()),
    )


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_generated_batches_equal_one_by_one(data: st.DataObject) -> None:
    batch = data.draw(st.lists(any_text(), min_size=1, max_size=12))
    assert triager().decide_many(batch) == one_by_one(batch)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_generated_batches_past_few_posts_in_tiny_chunks(data: st.DataObject) -> None:
    batch = data.draw(st.lists(any_text(), min_size=FEW_POSTS + 1, max_size=30))
    expected = one_by_one(batch)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "CHUNK_ROWS", data.draw(st.integers(2, 6)))
        assert triager().decide_many(batch) == expected


def test_a_keyword_glued_to_an_astral_mark_in_a_long_batch() -> None:
    """Found by hypothesis: a keyword right after a mark the tidying keeps (an astral private-use
    character) was missed by the long-text scan (numpy) and found by the short one (regex)."""
    post = "! ! ! ! ! ! ! ! ! ! ! Úç÷°\U000f0f01lawyer "
    batch = ["! " * 1019, post, "°lawyer", "x\U0001d400lawyer"]
    decisions = triager().decide_many(batch)
    assert decisions == one_by_one(batch)
    assert decisions[1].sensitive == "legal_threat"


# ------------------------------------------------------------------- probabilities


def test_predict_proba_one_row_equals_the_row_in_a_batch() -> None:
    clf = classifier()
    texts = [*corpus()[::5], "", "x" * 6_000, "😡😡😡", "\ud800"]
    batch = clf.predict_proba(texts)
    for i, t in enumerate(texts):
        assert np.array_equal(clf.predict_proba([t])[0], batch[i]), t
    for size in range(2, 11):  # small batches (up to and past FEW_POSTS)
        part = texts[size : size * 2]
        assert np.array_equal(clf.predict_proba(part), batch[size : size * 2])


def test_predict_proba_in_tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    clf = classifier()
    texts = corpus()[::4]
    expected = clf.predict_proba(texts)
    monkeypatch.setattr(features_module, "CHUNK_ROWS", 3)
    assert len(list(features_module.char_chunks(texts, 5_000))) > 100
    assert np.array_equal(clf.predict_proba(texts), expected)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_generated_predict_proba_rows(data: st.DataObject) -> None:
    batch = data.draw(st.lists(any_text(), min_size=1, max_size=10))
    clf = classifier()
    together = clf.predict_proba(batch)
    for i, t in enumerate(batch):
        assert np.array_equal(clf.predict_proba([t])[0], together[i])


# ------------------------------------------------------------------- make_decision

unit = st.floats(0.0, 1.0, allow_nan=False)
label = st.none() | st.text(max_size=12)
fields = st.fixed_dictionaries(
    {
        "route": st.sampled_from(["auto", "agent", "specialist", "none"]),
        "intent": label,
        "confidence": unit,
        "uncertain": st.booleans(),
        "priority": st.sampled_from(["urgent", "high", "normal", "low", None]),
        "sensitive": label,
        "sentiment": st.sampled_from(["negative", "neutral", "positive"]),
        "take_private": st.booleans(),
        "influencer": st.booleans(),
        "crisis": st.booleans(),
        "language": label,
        "reasons": st.lists(st.text(max_size=20), max_size=4).map(tuple),
        "error": label,
    }
)


@settings(max_examples=200, deadline=None)
@given(fields)
def test_make_decision_equals_a_validated_decision(values: dict[str, Any]) -> None:
    fast = make_decision(dict(values))
    slow = Decision(**values)
    assert fast == slow
    assert slow == fast
    assert hash(fast) == hash(slow)
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert repr(fast) == repr(slow)
    assert fast.urgency == slow.urgency
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert fast.model_copy(update={"route": "none"}) == slow.model_copy(update={"route": "none"})
    assert Decision.model_validate(fast) == slow
    with pytest.raises(Exception, match="frozen"):
        fast.route = "auto"  # type: ignore[misc]


@pytest.mark.parametrize("length", [2_047, 3_000, 4_990])
def test_keywords_past_what_the_models_read_still_count(length: int) -> None:
    """A threat after the models' first characters: still sensitive, never auto (issue #11)."""
    tail = " my lawyer will sue you"
    calm = " ".join(calm_posts()[:400])
    text = calm[: length - len(tail)] + tail
    assert len(text) == length
    assert triager()._engine.max_chars < length - len(tail)
    alone = triager().decide(text)
    assert alone.sensitive == "legal_threat"
    assert any("(phrase " in r for r in alone.reasons)  # found in the unread tail
    assert alone.route == "specialist"
    assert alone.uncertain
    assert any("a person should read the rest" in r for r in alone.reasons)
    assert triager().decide_many(["hi", text])[1] == alone


@pytest.mark.parametrize(
    "between", [", ", " , ", ' "', " [", "... ", " 'x".replace("x", "")]
)
def test_phrase_keywords_across_punctuation_are_found_by_the_numpy_scan(between: str) -> None:
    """A space in a keyword matches a run of spaces and punctuation on every road: the numpy
    scan read keyword heads with punctuation made spaces, so "angst, was" (two spaces there)
    missed the head "angst wa" (one space) that the expression alone finds."""
    from socialcare._triage._features import _codepoints
    from socialcare._triage._keywords import KeywordMatcher, ScanMatcher
    from socialcare._triage._text import normalise_batch

    first = KeywordMatcher({"self_harm": ("angst was ich heute nacht",), "other": ("a slur",)})
    pair = ScanMatcher(first, KeywordMatcher({"private": ("order*",)}))
    posts = [f"filler post number {i} about my order" for i in range(120)]
    posts[57] = f"ich hab angst{between}was ich heute nacht mache"
    posts[90] = f"he called me a{between}slur] at the desk"
    normalised = normalise_batch(posts, tidy=False)
    assert len(normalised) >= NUMPY_SCAN
    scanned, _ = pair.find_all(normalised, len(posts), _codepoints(normalised))
    alone = first.find_all(normalised, len(posts))
    assert scanned == alone
    assert scanned[57] is not None
    assert scanned[90] is not None


def test_a_sensitive_phrase_past_what_the_models_read_outranks_anger_words_before_it() -> None:
    """Anger words have their own matcher in the one scan: a threat in the unread tail of a
    post must still flag it when the read head holds only anger words."""
    head = "worst service ever, thanks for nothing. "
    tail = " my lawyer will sue you"
    calm = " ".join(calm_posts()[:400])
    text = (head + calm)[: 3_000 - len(tail)] + tail
    d = triager().decide(text)
    assert d.sensitive == "legal_threat"
    assert triager().decide_many([text, "hi"])[0] == d
    short = triager().decide(head)
    assert short.sensitive is None
    assert short.route == "agent"
    assert any("angry words" in r for r in short.reasons)
