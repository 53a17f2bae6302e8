"""Vectorised hashed TF-IDF features: character n-grams within words plus word n-grams.

scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` builds every n-gram as a Python string,
one post at a time. Here a whole batch of normalised posts becomes one array of code points, and
every n-gram is a 64-bit polynomial hash computed with a handful of numpy operations over that
array. A hash is mapped to a bucket (``bits`` wide) and the buckets seen while fitting are
numbered, so the model keeps only the columns it learned (a lookup table, no vocabulary
strings). Two n-grams can share a bucket; with 2**20 buckets that happens rarely enough not to
matter for accuracy. Character n-grams are taken within word boundaries, with the word padded
by a space on each side, exactly like ``char_wb``; word n-grams never cross posts.

Each block (characters, words) is TF-IDF weighted (raw counts, smooth idf) and normalised on
its own, so the many character n-grams do not drown the word features: by
``sqrt(sum of idf**2 over the block's n-grams)`` (``norm="l2"``), or, past `REPEAT_FLOOR`
n-grams, by that times ``sqrt(n-grams / floor)`` (``norm="repeat_invariant"``: a phrase pasted
fifty times scores about as the phrase pasted a few times, so repetition cannot inflate a score).

Term frequencies are raw counts (``max_tf=None``) or bounded (``max_tf=k``, see
`socialcare._triage._capping`): with ``max_tf=1`` repeating a phrase adds almost nothing,
"cancel my order" ten times differs from once by one word pair ("order cancel").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcare._triage._capping import capped_gram_lists, capped_words, check_max_tf
from socialcare._triage._fastpaths import CHUNK_CHARS, CHUNK_ROWS
from socialcare._triage._text import blank_chars, normalise_batch

__all__ = [
    "REPEAT_FLOOR",
    "FeatureBatch",
    "HashedTfidf",
    "NgramCells",
    "char_chunks",
    "ngram_cells",
]

#: ``norm="repeat_invariant"``: up to this many n-grams (characters, words) a block is
#: normalised as by ``"l2"``; past it, also by the square root of how many times over it is,
#: so that pasting a phrase over and over stops raising the score (the post's features tend to
#: those of the phrase once, scaled by at most ``sqrt(floor / its n-grams)``).
REPEAT_FLOOR = (512.0, 64.0)

_U64 = np.uint64
_BASE = 0x100000001B3
_SALT_CHAR = 0x9E3779B97F4A7C15
_SALT_WORD = 0xC2B2AE3D27D4EB4F
_MASK64 = (1 << 64) - 1
_MULT = (
    np.random.default_rng(20240611).integers(0, 2**62, size=64, dtype=np.uint64) * 2 + 1
).astype(np.uint64)
_MULT.flags.writeable = False
# Characters that become spaces (punctuation, white space), looked up per code point; the last
# entry stands for every code point above the Basic Multilingual Plane (kept: emoji, letters).
_BLANK = np.zeros(0x10001, dtype=bool)
_BLANK[[ord(ch) for ch in blank_chars()]] = True
_BLANK.flags.writeable = False
_TIDY = np.where(_BLANK[:0x10000], np.uint32(32), np.arange(0x10000, dtype=np.uint32))
_TIDY.flags.writeable = False


# numpy scalars, made once: converting Python ints on every call costs microseconds.
_KMUL = _U64(0x9E3779B97F4A7C15)
_BASE_U = _U64(_BASE)
_ZERO = _U64(0)
_S29 = _U64(29)
_S31 = _U64(31)
_SALTS_CHAR = [_U64((_SALT_CHAR * n) & _MASK64) for n in range(64)]
_SALT_COLUMN = np.array(_SALTS_CHAR, dtype=_U64)[:, None]
_SALT_COLUMN.flags.writeable = False
_SALTS_WORD = [_U64((_SALT_WORD * n) & _MASK64) for n in range(64)]
_SHIFTS = [_U64(64 - bits) for bits in range(65)]


def _bucket(h: Any, salt: Any, shift: Any) -> Any:
    """Multiplicative (Fibonacci) hashing of 64-bit n-gram hashes into ``64 - shift`` bits."""
    h = h + salt
    h ^= h >> _S29
    h *= _KMUL
    h >>= shift
    return h


@dataclass(frozen=True)
class NgramCells:
    """Every n-gram of a normalised batch, hashed into buckets.

    Character n-grams sit on a grid with one row per n-gram length and one column per code
    point (the position where the n-gram starts); ``char_valid`` marks the real ones. Reading
    a row's valid cells left to right yields that length's n-grams in post order. Word
    n-grams are few, so they are kept as compact arrays, one per length, in post order.
    """

    n_docs: int
    doc: Any  # (length,) the post of each code point
    starts: Any  # (n_docs,) where each post starts
    char_buckets: Any  # (n_char_kinds, length) int32
    char_valid: Any  # (n_char_kinds, length) bool
    word_docs: list[Any]  # per word n-gram length: the post of each n-gram (ascending)
    word_buckets: list[Any]  # per word n-gram length: the bucket of each n-gram (int32)

    def rows_and_buckets(self) -> tuple[Any, Any, Any]:
        """``(post, bucket, is_word)`` of every n-gram, grouped by kind (not sorted by post)."""
        kind_pos = self.char_valid.nonzero()
        posts = [self.doc[kind_pos[1]], *self.word_docs]
        keys = [self.char_buckets[kind_pos], *self.word_buckets]
        n_char = kind_pos[1].shape[0]
        is_word = np.zeros(n_char + sum(k.shape[0] for k in self.word_buckets), dtype=bool)
        is_word[n_char:] = True
        return np.concatenate(posts), np.concatenate(keys), is_word


def _codepoints(normalised: str) -> Any:
    """The code points of a normalised string, punctuation and white space made spaces."""
    cp = np.frombuffer(normalised.encode("utf-32-le"), dtype="<u4")
    if cp.shape[0] and int(cp.max()) < 0x10000:
        return _TIDY[cp]  # every code point in the Basic Multilingual Plane: one lookup
    return np.where(_BLANK[np.minimum(cp, 0x10000)], np.uint32(32), cp)


def _char_grid(
    cp: Any, doc: Any | None, char_range: tuple[int, int], shift: Any
) -> tuple[Any, Any]:
    """``(buckets, valid)``, ``(n_char_kinds, length)``: character n-grams by start position.

    ``doc`` (the post of each position) keeps n-grams within a post; None: one post, or
    posts parted by spaces only.
    """
    length = cp.shape[0]
    cmin, cmax = char_range
    n_char = max(cmax - cmin + 1, 0)
    # Cells are read only where ``valid`` is set, so ``raw`` needs no initialisation.
    raw = np.empty((n_char, length), dtype=_U64)
    valid = np.zeros((n_char, length), dtype=bool)
    if not n_char:
        return raw.astype(np.int32), valid
    is_space = cp == 32
    cp64: Any = cp.astype(_U64)
    cs_sep = None
    if doc is not None:
        cs_sep = np.zeros(length + 1, dtype=np.int64)
        cs_sep[1:] = doc
    cs_space = np.zeros(length + 1, dtype=np.int64)
    is_space.astype(np.int64).cumsum(out=cs_space[1:])
    h = cp64
    for n in range(1, cmax + 1):
        if n > 1:
            h = h[:-1] * _BASE_U + cp64[n - 1 :]
        if n < cmin or length < n:
            continue
        j = n - cmin
        m = length - n + 1
        if n == 1:
            ok = ~is_space
        elif n == 2:
            ok = ~(is_space[:m] & is_space[1:])
        else:
            ok = cs_space[n - 1 : n - 1 + m] == cs_space[1 : 1 + m]
        if cs_sep is not None:
            ok &= cs_sep[n:] == cs_sep[:m]
        raw[j, :m] = h
        valid[j, :m] = ok
    # every length bucketed at once (one set of numpy calls, each row with its length's salt)
    return _bucket(raw, _SALT_COLUMN[cmin : cmax + 1], shift).astype(np.int32), valid


@dataclass(frozen=True)
class _Words:
    """The words (runs of non-space code points) of a batch, in order."""

    starts: Any  # position of the first code point
    ends: Any  # position after the last code point
    hashes: Any  # uint64 hash of each word's code points
    docs: Any  # the post of each word


def _words(cp: Any, doc: Any) -> _Words:
    """The words of ``_codepoints`` output (where every code point up to 32 is 0 or 32)."""
    length = cp.shape[0]
    is_tok = cp > 32
    edges = np.zeros(length + 2, dtype=np.int8)
    edges[1:-1] = is_tok
    step = edges[1:] - edges[:-1]  # 1 where a word starts, -1 just past where one ends
    start_mask = step[:-1] == 1
    starts = start_mask.nonzero()[0]
    if not starts.shape[0]:
        empty = np.zeros(0, dtype=np.int64)
        return _Words(empty, empty, np.zeros(0, dtype=_U64), empty)
    positions = np.arange(length)
    last_start = np.maximum.accumulate(np.where(start_mask, positions, 0))
    offset = (positions - last_start) & 63
    weights = np.where(is_tok, cp.astype(_U64) * _MULT[offset], _ZERO)
    ends = (step == -1).nonzero()[0]
    return _Words(starts, ends, np.add.reduceat(weights, starts), doc[starts])


def _word_grams(
    words: _Words, word_range: tuple[int, int], shift: Any, *, one_post: bool = False
) -> tuple[list[Any], list[Any]]:
    """Per word n-gram length: (post of each n-gram, its bucket); n-grams stay within posts.

    ``one_post``: every word is of one post (nothing to check).
    """
    wmin, wmax = word_range
    word, word_doc = words.hashes, words.docs
    docs: list[Any] = []
    buckets: list[Any] = []
    h = word
    for n in range(1, wmax + 1):
        if n > 1:
            h = (h[:-1] ^ (h[:-1] >> _S31)) * _BASE_U + word[n - 1 :]
        if n < wmin:
            continue
        if word.shape[0] < n:
            docs.append(np.zeros(0, dtype=np.int64))
            buckets.append(np.zeros(0, dtype=np.int32))
            continue
        if one_post:
            docs.append(word_doc[: h.shape[0]])
            buckets.append(_bucket(h, _SALTS_WORD[n], shift).astype(np.int32))
            continue
        same = word_doc[n - 1 :] == word_doc[: word_doc.shape[0] - n + 1]
        docs.append(word_doc[: same.shape[0]][same])
        buckets.append(_bucket(h[same], _SALTS_WORD[n], shift).astype(np.int32))
    return docs, buckets


def _hide_words(cp: Any, words: _Words, keep: Any) -> Any:
    """``cp`` with the words not kept made spaces (so they add no character n-grams)."""
    if keep.all():
        return cp
    marks = np.zeros(cp.shape[0] + 1, dtype=np.int8)
    marks[words.starts[~keep]] = 1  # (a word starts on a letter, ends on a space: never equal)
    marks[words.ends[~keep]] = -1
    hidden = np.cumsum(marks[:-1], dtype=np.int64) > 0
    return np.where(hidden, np.uint32(32), cp)


def _posts(cp: Any) -> tuple[Any, Any]:
    """``(doc, starts)``: the post of each position, and where each post starts."""
    is_sep = cp == 0
    doc = is_sep.astype(np.int64).cumsum()  # (cumsum of a bool array is slower)
    if not cp.shape[0]:
        return doc, np.zeros(1, dtype=np.intp)
    return doc, np.concatenate(([0], is_sep.nonzero()[0]))


def ngram_cells(
    normalised: str,
    char_range: tuple[int, int],
    word_range: tuple[int, int],
    bits: int,
    *,
    max_tf: int | None = None,
) -> NgramCells:
    """Hash every character and word n-gram of a ``normalise_batch`` string into buckets.

    ``max_tf``: read each word, and each word n-gram, at most this many times per post.
    """
    cp = _codepoints(normalised)
    shift = _SHIFTS[bits]
    doc, starts = _posts(cp)
    uses_words = word_range[1] >= word_range[0]
    words = _words(cp, doc) if uses_words or max_tf is not None else None
    char_cp = cp
    if max_tf is not None and words is not None and words.starts.shape[0]:
        char_cp = _hide_words(cp, words, capped_words(words, max_tf))
    char_buckets, char_valid = _char_grid(char_cp, doc, char_range, shift)
    word_docs: list[Any] = []
    word_buckets: list[Any] = []
    if uses_words and words is not None:
        word_docs, word_buckets = _word_grams(words, word_range, shift)
        if max_tf is not None:
            word_docs, word_buckets = capped_gram_lists(word_docs, word_buckets, max_tf)
    return NgramCells(
        n_docs=int(starts.shape[0]),
        doc=doc,
        starts=starts,
        char_buckets=char_buckets,
        char_valid=char_valid,
        word_docs=word_docs,
        word_buckets=word_buckets,
    )


@dataclass(frozen=True)
class FeatureBatch:
    """Sparse TF-IDF rows of a batch, sorted by row: ``row``, ``col``, ``val`` arrays."""

    n_docs: int
    row: Any
    col: Any
    val: Any

    def to_csr(self, n_features: int) -> Any:
        """The batch as a ``scipy.sparse.csr_matrix``."""
        from scipy import sparse

        indptr = np.zeros(self.n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.row, minlength=self.n_docs), out=indptr[1:])
        return sparse.csr_matrix(
            (self.val.astype(np.float64), self.col, indptr), shape=(self.n_docs, n_features)
        )


class HashedTfidf:
    """A fitted hashed TF-IDF featuriser (immutable after construction; safe to share)."""

    def __init__(
        self,
        *,
        buckets: Any,
        idf: Any,
        bits: int,
        char_range: tuple[int, int],
        word_range: tuple[int, int],
        max_chars: int,
        max_tf: int | None = None,
    ) -> None:
        check_max_tf(max_tf)
        self.max_tf = max_tf
        self.buckets = np.asarray(buckets, dtype=np.uint32)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.bits = int(bits)
        self.char_range = (int(char_range[0]), int(char_range[1]))
        self.word_range = (int(word_range[0]), int(word_range[1]))
        self.max_chars = int(max_chars)
        self.table = self._table()
        self.buckets.flags.writeable = False
        self.idf.flags.writeable = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["table"]  # rebuilt on unpickling: keeps copies to worker processes small
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("max_tf", None)  # (pickled before term frequencies could be bounded)
        self.__dict__.update(state)
        self.table = self._table()

    def _table(self) -> Any:
        """Bucket -> learned column; ``n_features`` (one past the last column) when unknown.

        16 bits wide when the columns fit (half the memory, fewer cache misses per lookup).
        """
        n = self.buckets.shape[0]
        dtype = np.uint16 if n < 0xFFFF else np.uint32
        table = np.full(1 << self.bits, n, dtype=dtype)
        table[self.buckets] = np.arange(n, dtype=dtype)
        table.flags.writeable = False
        self._unknown = table.dtype.type(n)
        return table

    @property
    def n_char_kinds(self) -> int:
        """Number of character n-gram lengths (grid columns before the word columns)."""
        return max(self.char_range[1] - self.char_range[0] + 1, 0)

    @property
    def n_features(self) -> int:
        """Number of learned columns."""
        return int(self.buckets.shape[0])

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        *,
        bits: int,
        char_range: tuple[int, int],
        word_range: tuple[int, int],
        min_df: int,
        max_chars: int,
        max_tf: int | None = None,
    ) -> HashedTfidf:
        """Learn which buckets occur (in at least ``min_df`` posts) and their idf.

        (Document frequencies do not depend on ``max_tf``: a post holds a bucket or not.)
        """
        n_docs = len(texts)
        seen: list[Any] = []
        for start in range(0, n_docs, CHUNK_ROWS):
            chunk = [t[:max_chars] for t in texts[start : start + CHUNK_ROWS]]
            normalised = normalise_batch(chunk, tidy=False)
            posts, keys, _ = ngram_cells(
                normalised, char_range, word_range, bits
            ).rows_and_buckets()
            pair = (posts + start) * (1 << bits) + keys
            seen.append(np.unique(pair) & ((1 << bits) - 1))
        all_buckets = np.concatenate(seen) if seen else np.zeros(0, dtype=np.int64)
        df = np.bincount(all_buckets, minlength=1 << bits)
        kept = np.flatnonzero(df >= min_df)
        idf = np.log((1.0 + n_docs) / (1.0 + df[kept])) + 1.0
        return cls(
            buckets=kept,
            idf=idf,
            bits=bits,
            char_range=char_range,
            word_range=word_range,
            max_chars=max_chars,
            max_tf=max_tf,
        )

    def transform(self, texts: Sequence[str], norm: str = "l2") -> FeatureBatch:
        """Featurise texts (already strings) in one batch.

        Values are ``idf`` per occurrence, divided per post and block by
        ``sqrt(sum of idf**2)`` (``"repeat_invariant"``: times ``sqrt(n / floor)`` past a
        floor of `REPEAT_FLOOR` occurrences);
        a repeated n-gram appears as repeated entries, which sparse products sum.
        """
        chunk = [t[: self.max_chars] for t in texts]
        return self.transform_normalised(normalise_batch(chunk, tidy=False), len(texts), norm)

    def transform_normalised(
        self, normalised: str, n_docs: int, norm: str = "l2"
    ) -> FeatureBatch:
        """Featurise ``normalise_batch`` output, tidy or not (texts cut to ``max_chars``)."""
        cells = ngram_cells(
            normalised,
            self.char_range,
            self.word_range,
            self.bits,
            max_tf=self.max_tf,
        )
        row, keys, block = cells.rows_and_buckets()
        col = self.table[keys]
        known = col != self._unknown
        row, col, block = row[known], col[known].astype(np.int64), block[known]
        val = self.idf[col]
        slot = row * 2 + block
        squares = np.bincount(slot, weights=val * val, minlength=2 * n_docs)
        if norm == "repeat_invariant":  # x the n-grams past a floor: said 50 times ~ said once
            floor = np.tile(np.array(REPEAT_FLOOR), n_docs)
            counts = np.bincount(slot, minlength=2 * n_docs).astype(np.float64)
            squares = squares * np.maximum(counts, floor) / floor
        norms = np.sqrt(squares)
        val = (val / norms[slot]).astype(np.float32)
        order = np.argsort(row, kind="stable")  # post order (each kind is in post order)
        row, col, val = row[order], col[order], val[order]
        return FeatureBatch(n_docs=n_docs, row=row, col=col, val=val)

    def transform_chunks(
        self, texts: Sequence[str], norm: str = "l2"
    ) -> Iterator[tuple[int, FeatureBatch]]:
        """Featurise a long sequence in chunks (bounded memory); yields (offset, batch)."""
        for start in range(0, len(texts), CHUNK_ROWS):
            yield start, self.transform(texts[start : start + CHUNK_ROWS], norm)


def char_chunks(texts: Sequence[str], max_chars: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive chunks of about ``CHUNK_CHARS`` characters (cut texts).

    >>> list(char_chunks(["a" * 40_000, "b", "c" * 30_000, "d"], 50_000))
    [(0, 3), (3, 4)]
    """
    start = 0
    size = 0
    for i, text in enumerate(texts):
        size += min(len(text), max_chars)
        if size >= CHUNK_CHARS or i + 1 - start >= CHUNK_ROWS:
            yield start, i + 1
            start = i + 1
            size = 0
    if start < len(texts):
        yield start, len(texts)
