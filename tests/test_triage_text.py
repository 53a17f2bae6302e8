"""Normalisation and hashed features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare._triage._features import HashedTfidf
from socialcare._triage._text import SEPARATOR, normalise, normalise_batch


def test_social_media_tokens() -> None:
    assert normalise("Check https://t.co/abc and www.x.com now") == "check and now"
    assert normalise("see t.co/AbC12 and pic.twitter.com/xyz") == "see and"
    assert normalise("24/7 and/or 1.5/10 mr.x@mail.com") == "24 7 and or 1 5 10 mr x xemail"
    assert normalise("@Acme_Help hi") == "xmention hi"
    assert normalise("mail me at ana.b@example.com") == "mail me at ana b xemail"
    assert normalise("#NeverAgain #fail") == "xhashtag never again xhashtag fail"
    assert normalise("Soooooo goooood!!!!") == "soo good ! !"
    assert normalise("ORDER 123456789 ok") == "order xlongnum ok"
    assert normalise("Not 1000 but 100") == "not 1000 but 100"


def test_emoji_are_tokens_and_squeezed() -> None:
    assert normalise("love it😍😍😍😍") == "love it 😍 😍"
    assert normalise("👍🏽") == "👍 🏽"


def test_scripts_and_accents() -> None:
    assert normalise("Mi pedido NO llegó") == "mi pedido no llego"
    assert normalise("STRASSE Straße") == "strasse strasse"
    assert normalise("الطلب لم يصل") == "الطلب لم يصل"
    assert normalise("\u200fההזמנה לא הגיעה!") == "ההזמנה לא הגיעה !"


def test_separator_in_text_does_not_split_posts() -> None:
    out = normalise_batch(["a\x00b", "c"]).split(SEPARATOR)
    assert len(out) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_batch_keeps_one_part_per_text(texts: list[str]) -> None:
    parts = normalise_batch(texts).split(SEPARATOR)
    assert len(parts) == len(texts)
    assert [p.strip() for p in parts] == [normalise(t) for t in texts]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_features_of_a_batch_equal_features_one_by_one(texts: list[str]) -> None:
    corpus = ["where is my order", "love it 😍", "مرحبا بكم", "wo ist mein paket"]
    feats = HashedTfidf.fit(
        corpus + texts,
        bits=16,
        char_range=(1, 4),
        word_range=(1, 2),
        min_df=1,
        max_chars=100,
    )
    batch = feats.transform(texts)
    dense = batch.to_csr(feats.n_features).toarray()
    for i, text in enumerate(texts):
        one = feats.transform([text]).to_csr(feats.n_features).toarray()[0]
        np.testing.assert_allclose(dense[i], one, rtol=1e-5, atol=1e-6)


def test_untidy_batch_gives_the_same_features_as_tidy_text() -> None:
    texts = ["Hi, @Acme... where's my order?!", "wait\t\tWHAT -- no!!", "¿Dónde está?", "🙂"]
    feats = HashedTfidf.fit(
        texts,
        bits=16,
        char_range=(1, 5),
        word_range=(1, 2),
        min_df=1,
        max_chars=100,
    )
    tidy = feats.transform_normalised(normalise_batch(texts), len(texts))
    untidy = feats.transform_normalised(normalise_batch(texts, tidy=False), len(texts))
    np.testing.assert_array_equal(tidy.row, untidy.row)
    np.testing.assert_array_equal(np.sort(tidy.col), np.sort(untidy.col))


def _fitted(texts: list[str], max_tf: int | None = None) -> HashedTfidf:
    corpus = ["where is my order", "love it 😍", "مرحبا بكم", "wo ist mein paket", *texts]
    return HashedTfidf.fit(
        corpus,
        bits=16,
        char_range=(2, 5),
        word_range=(1, 2),
        min_df=1,
        max_chars=200,
        max_tf=max_tf,
    )


def _weights(n_features: int, k: int = 3) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n_features, k)).astype(np.float32)


@pytest.mark.parametrize("max_tf", [None, 1, 2])
@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_scorer_equals_the_tfidf_product(max_tf: int | None, texts: list[str]) -> None:
    from socialcare._triage._scorer import LinearScorer

    feats = _fitted(texts[:3], max_tf)
    coef_t = _weights(feats.n_features)
    intercept = np.array([0.5, -0.25, 0.0])
    scorer = LinearScorer(feats, coef_t, intercept)
    expected = feats.transform(texts).to_csr(feats.n_features) @ coef_t.astype(np.float64)
    got = scorer.scores(normalise_batch(texts, tidy=False), len(texts))
    np.testing.assert_allclose(got, expected + intercept, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("max_tf", [None, 1, 2])
def test_scorer_gives_each_post_the_same_numbers_in_any_batch(max_tf: int | None) -> None:
    from socialcare._triage._scorer import LinearScorer

    middle = ("ab" * 32)[:63]  # (no letter three times in a row: normalising would squeeze it)
    long_a = f"x{middle}y"  # past 64 code points the word hash repeats:
    long_b = f"y{middle}x"  # these two words share it, and must not share sums
    texts = [
        "where is my order?? order 123456789",
        "my order, my order, MY ORDER 😡",
        f"{long_a} and {long_b}",
        long_b,
        "",
        "😍😍",
        "wo ist mein paket paket",
        "مرحبا بكم مرحبا",
    ]
    feats = _fitted(texts, max_tf)
    scorer = LinearScorer(feats, _weights(feats.n_features), np.zeros(3))
    batch = scorer.scores(normalise_batch(texts, tidy=False), len(texts))
    for i, text in enumerate(texts):
        alone = scorer.scores(normalise_batch([text], tidy=False), 1)[0]
        assert np.array_equal(batch[i], alone), text
    assert not np.array_equal(batch[2], batch[3])


# few words, so that they repeat across chunks
_FEW_WORDS = ["order", "my", "the", "paket", "مرحبا", "😡", "xy", "ab", "?", "sue"]


@pytest.mark.parametrize("max_tf", [None, 1, 2])
@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(
        st.lists(st.sampled_from(_FEW_WORDS)).map(" ".join).filter(bool),
        min_size=5,
        max_size=30,
    ),
    bits=st.integers(min_value=1, max_value=3),
)
def test_memo_across_chunks_gives_the_same_numbers(
    max_tf: int | None, texts: list[str], bits: int
) -> None:
    from socialcare._triage._scorer import LinearScorer

    feats = _fitted(texts[:2], max_tf)
    scorer = LinearScorer(feats, _weights(feats.n_features), np.zeros(3))
    memo = scorer.memo(bits)  # 2 to 8 slots: words keep taking each other's slots
    for start in range(0, len(texts), 5):
        chunk = texts[start : start + 5]
        got = scorer.scores(normalise_batch(chunk, tidy=False), len(chunk), memo)
        for text, row in zip(chunk, got, strict=True):
            alone = scorer.scores(normalise_batch([text], tidy=False), 1)[0]
            assert np.array_equal(row, alone), text


def test_memo_makes_room_for_many_new_words_in_one_chunk() -> None:
    from socialcare._triage._scorer import LinearScorer

    known = ["where is my order", "my order is late", "order order", "is it late", "my my"]
    words = [f"w{i:04d}x" for i in range(3000)]  # more new words than the memo's spare rows
    texts = known + [" ".join(words[i : i + 300]) for i in range(0, 3000, 300)]
    feats = _fitted(known)
    scorer = LinearScorer(feats, _weights(feats.n_features), np.zeros(3))
    memo = scorer.memo(4)
    scorer.scores(normalise_batch(known, tidy=False), len(known), memo)  # kept: known words
    spare = memo.rows.shape[0]
    got = scorer.scores(normalise_batch(texts, tidy=False), len(texts), memo)
    assert memo.rows.shape[0] > spare  # it grew, and kept the known words' sums
    for text, row in zip(texts, got, strict=True):
        np.testing.assert_array_equal(row, scorer.scores(normalise_batch([text], tidy=False), 1)[0])


def test_every_bucket_known_few_posts_equal_each_alone() -> None:
    from socialcare._triage._scorer import LinearScorer

    # every bucket a feature: an n-gram across a post separator would change the sums
    feats = HashedTfidf(
        buckets=np.arange(1 << 10),
        idf=np.ones(1 << 10),
        bits=10,
        char_range=(2, 5),
        word_range=(1, 2),
        max_chars=200,
    )
    scorer = LinearScorer(feats, _weights(feats.n_features), np.zeros(3))
    for texts in (["hello world", ""], ["", "a b", ""], ["x", "", "", "yz"], ["hi"] * 3 + [""] * 3):
        batch = scorer.scores(normalise_batch(texts, tidy=False), len(texts))
        for text, row in zip(texts, batch, strict=True):
            alone = scorer.scores(normalise_batch([text], tidy=False), 1)[0]
            assert np.array_equal(row, alone), (texts, text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["a", "o", "1", "١", "!", " ", "😡", "𝐚", "\x00", "é"])))
def test_numpy_squeeze_equals_the_expression(chars: list[str]) -> None:
    from socialcare._triage._text import _REPEAT_RE, _squeeze

    text = "".join(chars)
    assert _squeeze(text) == _REPEAT_RE.sub(r"\1\1", text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list("ab.:/w@-_ 1\t\n\u00e9x")) | st.characters(),
            max_size=40,
        ),
        max_size=6,
    )
)
def test_links_are_dropped_post_by_post_as_over_the_whole_batch(posts: list[str]) -> None:
    # _drop_links runs the link expression only on the posts that could hold a link.
    from socialcare._triage._text import _URL_RE, SEPARATOR, _drop_links

    joined = " \x00 ".join(post.replace(SEPARATOR, " ") for post in posts)
    assert _drop_links(joined) == _URL_RE.sub(" ", joined)


# ------------------------------------------------------------ bounded term frequencies


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_FEW_WORDS), min_size=1, max_size=6).map(" ".join),
    st.integers(min_value=2, max_value=40),
)
def test_distinct_words_a_repeated_post_differs_from_once_by_its_joins_only(
    phrase: str, times: int
) -> None:
    """Under max_tf=1 a phrase said many times reads as the phrase said twice: its own
    n-grams, plus the word pair where one copy meets the next (one column at most)."""
    times = max(2, min(times, 200 // (len(phrase) + 1)))  # (all of it read: max_chars=200)
    feats = _fitted([phrase, f"{phrase} {phrase}"], 1)

    def row(text: str) -> np.ndarray:
        matrix = feats.transform([text]).to_csr(feats.n_features)
        matrix.sum_duplicates()
        return np.asarray(matrix.toarray()[0])

    once, twice, many = row(phrase), row(f"{phrase} {phrase}"), row(" ".join([phrase] * times))
    np.testing.assert_allclose(many, twice, rtol=1e-6)
    assert set(np.flatnonzero(once)) <= set(np.flatnonzero(many))
    assert len(set(np.flatnonzero(many)) - set(np.flatnonzero(once))) <= 1


def test_distinct_words_count_a_repeated_word_once_and_keep_long_words_apart() -> None:
    middle = ("ab" * 32)[:63]
    long_a, long_b = f"x{middle}y", f"y{middle}x"  # one word hash, two different words
    texts = [long_a, long_b, "order late"]
    distinct, counted = _fitted(texts, 1), _fitted(texts)

    def cols(f: HashedTfidf, text: str) -> set[int]:
        return set(f.transform([text]).to_csr(f.n_features).indices.tolist())

    # the second long word was not taken for the first: all its n-grams are there
    assert cols(distinct, long_b) <= cols(distinct, f"{long_a} {long_b}")
    assert cols(distinct, long_b) - cols(distinct, long_a)
    # a word said three times: counted, it weighs more than once; distinct, the same
    for f, grows in ((counted, True), (distinct, False)):
        thrice = f.transform(["order order order late"]).to_csr(f.n_features)
        once = f.transform(["order late"]).to_csr(f.n_features)
        thrice.sum_duplicates()
        once.sum_duplicates()
        for col in cols(f, "order") - cols(f, "late"):
            assert bool(thrice[0, col] > once[0, col] + 1e-6) is grows


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_FEW_WORDS), min_size=1, max_size=12).map(" ".join),
    st.integers(min_value=1, max_value=4),
)
def test_max_tf_reads_each_word_at_most_k_times(text: str, max_tf: int) -> None:
    """The capped features equal the counted features of the text with each word's copies
    past the k-th removed (and each word pair's past the k-th not counted)."""
    from collections import Counter

    from socialcare._triage._features import ngram_cells

    words = normalise_batch([text], tidy=False).split()
    seen: Counter[str] = Counter()
    kept = []
    for word in words:
        seen[word] += 1
        if seen[word] <= max_tf:
            kept.append(word)
    fitted = _fitted([text])

    def chars(post: str, cap: int | None) -> np.ndarray:
        only = HashedTfidf(  # the character block alone
            buckets=fitted.buckets,
            idf=fitted.idf,
            bits=16,
            char_range=(2, 5),
            word_range=(1, 0),
            max_chars=200,
            max_tf=cap,
        )
        matrix = only.transform([post]).to_csr(only.n_features)
        matrix.sum_duplicates()
        return np.asarray(matrix.toarray())

    # character n-grams: those of the words kept, each where it stands
    np.testing.assert_allclose(chars(text, max_tf), chars(" ".join(kept), None), rtol=1e-6)
    # word n-grams: each as often as counted, at most max_tf times
    normalised = normalise_batch([text], tidy=False)

    def grams(cap: int | None) -> Counter[int]:
        cells = ngram_cells(normalised, (1, 0), (1, 2), 16, max_tf=cap)
        return Counter(np.concatenate(cells.word_buckets).tolist())

    assert grams(max_tf) == Counter({g: min(n, max_tf) for g, n in grams(None).items()})


def test_max_tf_must_be_none_or_a_positive_int() -> None:
    from socialcare import InvalidInputError

    for bad in (0, -1, 1.5, True, "1", 1 << 21):
        with pytest.raises(InvalidInputError, match="max_tf must be"):
            _fitted(["x"], bad)  # type: ignore[arg-type]
