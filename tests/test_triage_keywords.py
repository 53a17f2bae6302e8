"""Keyword matching: the one scan equals each matcher's own scan, whatever the road."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare._triage import _keywords
from socialcare._triage._keywords import KeywordMatcher, ScanMatcher
from socialcare._triage._lexicon import (
    anger_keywords,
    grievance_keywords,
    private_keywords,
    sensitive_keywords,
)


def test_keyword_pair_scan_equals_two_scans() -> None:
    import random

    from socialcare._triage._text import normalise_batch

    sensitive_lists = sensitive_keywords()
    private_list = private_keywords()

    sensitive = KeywordMatcher(sensitive_lists)
    private = KeywordMatcher({"private": private_list})
    words = [w.rstrip("*") for ws in sensitive_lists.values() for w in ws]
    words += ["s", "x", "my", "data", "!"]
    private_words = [w.rstrip("*") for w in private_list]
    rng = random.Random(3)

    def word() -> str:  # (private words drawn on their own: the lists differ in size)
        return rng.choice(private_words) if rng.random() < 0.2 else rng.choice(words)

    texts = [
        rng.choice(["", " ", "-", "_"]).join(word() for _ in range(rng.randint(0, 8)))
        for _ in range(3000)
    ]
    normalised = normalise_batch(texts, tidy=False)
    pair = ScanMatcher(sensitive, private).find_all(normalised, len(texts))
    alone = (sensitive.find_all(normalised, len(texts)), private.find_all(normalised, len(texts)))
    assert pair == alone
    assert sum(hit is not None for hit in pair[0]) > 300  # (phrases: fewer random hits)
    assert sum(hit is not None for hit in pair[1]) > 300


_PIECES = ["tv", "x", "my data", "order", "orders", "sue", "😡", "?", 'עו"ד', "données", "ab"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([*_PIECES, "the", "_", "-", "'", " ", "!", "é", "١٢"])).map(
            lambda parts: "".join(parts)
        ),
        min_size=1,
        max_size=120,
    ),
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4, unique=True),
)
def test_keyword_pair_scan_finds_short_and_odd_keywords(
    texts: list[str], chosen: list[str]
) -> None:
    from socialcare._triage._text import normalise_batch

    sensitive = KeywordMatcher({"a": [w + "*" for w in chosen[:2]], "b": chosen[2:]})
    private = KeywordMatcher({"private": [*chosen, "x*"]})
    pair = ScanMatcher(sensitive, private)
    normalised = normalise_batch(texts, tidy=False)
    expected = (
        sensitive.find_all(normalised, len(texts)),
        private.find_all(normalised, len(texts)),
    )
    saved = _keywords.NUMPY_SCAN
    try:
        for threshold in (0, 10**9):  # numpy finds the places to try; the expression does
            _keywords.NUMPY_SCAN = threshold
            assert pair.find_all(normalised, len(texts)) == expected
    finally:
        _keywords.NUMPY_SCAN = saved


def test_the_engine_lists_scanned_at_once_equal_each_alone_on_every_road() -> None:
    """The four lists triage scans (sensitive kinds, anger, grievance, private details), on the
    corpus's posts one by one (the short-text road) and in one batch (the numpy road)."""
    from socialcare._triage._features import _codepoints
    from socialcare._triage._text import normalise_batch
    from socialcare._triage.train_default import load_corpus

    matchers = (
        KeywordMatcher(sensitive_keywords()),
        KeywordMatcher({"<anger>": anger_keywords()}),
        KeywordMatcher({"<grievance>": grievance_keywords()}),
        KeywordMatcher({"private": private_keywords()}),
    )
    scan = ScanMatcher(*matchers)
    texts = [str(r["text"]) for r in load_corpus()][::3]
    batch = normalise_batch(texts, tidy=False)
    found = scan.find_all(batch, len(texts), _codepoints(batch))
    assert found == tuple(m.find_all(batch, len(texts)) for m in matchers)
    assert all(sum(hit is not None for hit in hits) > 100 for hits in found)
    for text in texts[:2000]:
        one = normalise_batch([text], tidy=False)
        assert scan.find_all(one, 1) == tuple(m.find_all(one, 1) for m in matchers), text
