"""Vectorised hashed TF-IDF features: character n-grams within words plus word n-grams.

scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` builds every n-gram as a Python string,
one post at a time. Here a whole batch of normalised posts becomes one array of code points, and
every n-gram is a 64-bit polynomial hash computed with a handful of numpy operations over that
array. A hash is mapped to a bucket (``bits`` wide) and the buckets seen while fitting are
numbered, so the model keeps only the columns it learned (a lookup table, no vocabulary
strings). Two n-grams can share a bucket; with 2**20 buckets that happens rarely enough not to
matter for accuracy. Character n-grams are taken within word boundaries, with the word padded
by a space on each side, exactly like ``char_wb``; word n-grams never cross posts.

Each block (characters, words) is TF-IDF weighted (raw counts, smooth idf) and L2-normalised
on its own, so the many character n-grams do not drown the word features.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcare._errors import InvalidInputError
from socialcare._triage._text import blank_chars, normalise_batch

__all__ = ["FeatureBatch", "HashedTfidf", "LinearScorer", "NgramCells", "ngram_cells"]

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
CHUNK = 2048


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


def _posts(cp: Any) -> tuple[Any, Any]:
    """``(doc, starts)``: the post of each position, and where each post starts."""
    is_sep = cp == 0
    doc = is_sep.astype(np.int64).cumsum()  # (cumsum of a bool array is slower)
    if not cp.shape[0]:
        return doc, np.zeros(1, dtype=np.intp)
    return doc, np.concatenate(([0], is_sep.nonzero()[0]))


def ngram_cells(
    normalised: str, char_range: tuple[int, int], word_range: tuple[int, int], bits: int
) -> NgramCells:
    """Hash every character and word n-gram of a ``normalise_batch`` string into buckets."""
    cp = _codepoints(normalised)
    shift = _SHIFTS[bits]
    doc, starts = _posts(cp)
    char_buckets, char_valid = _char_grid(cp, doc, char_range, shift)
    word_docs: list[Any] = []
    word_buckets: list[Any] = []
    if word_range[1] >= word_range[0]:
        word_docs, word_buckets = _word_grams(_words(cp, doc), word_range, shift)
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

    def has_features(self) -> Any:
        """A boolean array: which documents produced at least one known feature."""
        out = np.zeros(self.n_docs, dtype=bool)
        out[self.row] = True
        return out

    def dot(self, coef_t: Any) -> Any:
        """Multiply the sparse rows by a dense ``(n_features, k)`` matrix -> ``(n_docs, k)``."""
        out = np.zeros((self.n_docs, coef_t.shape[1]), dtype=np.float64)
        if self.row.shape[0] == 0:
            return out
        if self.n_docs == 1:  # one post (a single decision): one matrix-vector product
            out[0] = self.val @ coef_t[self.col]
            return out
        row = self.row
        firsts = np.flatnonzero(np.concatenate(([True], row[1:] != row[:-1])))
        # float64 like the sparse product, so small and large batches give the same numbers
        contrib = coef_t[self.col].astype(np.float64) * self.val.astype(np.float64)[:, None]
        out[row[firsts]] = np.add.reduceat(contrib, firsts, axis=0)
        return out

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
        sublinear_tf: bool,
        max_chars: int,
    ) -> None:
        self.buckets = np.asarray(buckets, dtype=np.uint32)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.bits = int(bits)
        self.char_range = (int(char_range[0]), int(char_range[1]))
        self.word_range = (int(word_range[0]), int(word_range[1]))
        if sublinear_tf:
            raise InvalidInputError(
                "sublinear_tf is not supported: term frequencies are raw counts"
            )
        self.sublinear_tf = False  # (kept in model files for their format)
        self.max_chars = int(max_chars)
        self.table = self._table()
        self.buckets.flags.writeable = False
        self.idf.flags.writeable = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["table"]  # rebuilt on unpickling: keeps copies to worker processes small
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
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
        sublinear_tf: bool,
        min_df: int,
        max_chars: int,
    ) -> HashedTfidf:
        """Learn which buckets occur (in at least ``min_df`` posts) and their idf."""
        n_docs = len(texts)
        seen: list[Any] = []
        for start in range(0, n_docs, CHUNK):
            chunk = [t[:max_chars] for t in texts[start : start + CHUNK]]
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
            sublinear_tf=sublinear_tf,
            max_chars=max_chars,
        )

    def transform(self, texts: Sequence[str]) -> FeatureBatch:
        """Featurise texts (already strings) in one batch.

        Values are ``idf`` per occurrence, L2-normalised per post and block over occurrences;
        a repeated n-gram appears as repeated entries, which sparse products sum.
        """
        chunk = [t[: self.max_chars] for t in texts]
        return self.transform_normalised(normalise_batch(chunk, tidy=False), len(texts))

    def transform_normalised(self, normalised: str, n_docs: int) -> FeatureBatch:
        """Featurise ``normalise_batch`` output, tidy or not (texts cut to ``max_chars``)."""
        cells = ngram_cells(normalised, self.char_range, self.word_range, self.bits)
        row, keys, block = cells.rows_and_buckets()
        col = self.table[keys]
        known = col != self._unknown
        row, col, block = row[known], col[known].astype(np.int64), block[known]
        val = self.idf[col]
        slot = row * 2 + block
        norms = np.sqrt(np.bincount(slot, weights=val * val, minlength=2 * n_docs))
        val = (val / norms[slot]).astype(np.float32)
        order = np.argsort(row, kind="stable")  # post order (each kind is in post order)
        row, col, val = row[order], col[order], val[order]
        return FeatureBatch(n_docs=n_docs, row=row, col=col, val=val)

    def transform_chunks(self, texts: Sequence[str]) -> Iterator[tuple[int, FeatureBatch]]:
        """Featurise a long sequence in chunks (bounded memory); yields (offset, batch)."""
        for start in range(0, len(texts), CHUNK):
            yield start, self.transform(texts[start : start + CHUNK])


# Posts are scored in chunks of about this many characters (a few hundred posts). Bigger chunks
# spread each chunk's fixed cost (dozens of numpy calls) over more posts and find more repeated
# words; their arrays (a few MiB) stay small enough for the C allocator to reuse their memory
# chunk after chunk instead of mapping fresh pages. Measured on 2026-11-23 (same process,
# interleaved, best of 6): 64,000 characters scored 15-20% faster than 16,000.
CHUNK_CHARS = 64_000


def char_chunks(texts: Sequence[str], max_chars: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive chunks of about ``CHUNK_CHARS`` characters (cut texts).

    >>> list(char_chunks(["a" * 40_000, "b", "c" * 30_000, "d"], 50_000))
    [(0, 3), (3, 4)]
    """
    start = 0
    size = 0
    for i, text in enumerate(texts):
        size += min(len(text), max_chars)
        if size >= CHUNK_CHARS or i + 1 - start >= CHUNK:
            yield start, i + 1
            start = i + 1
            size = 0
    if start < len(texts):
        yield start, len(texts)


class LinearScorer:
    """Raw class scores of linear heads over a `HashedTfidf`, without a TF-IDF matrix.

    A post's score is ``sum(idf * coef) / norm`` over each block's n-grams (characters,
    words), which is the TF-IDF row times the weights. The products ``idf * coef`` are made
    once (in float32: half the memory to read per n-gram; sums stay within about 1e-6 of
    float64 ones), with ``idf ** 2`` as one more column, so one sparse product of n-gram *counts*
    gives every head's sums and the block norms together; unknown n-grams point at a row of
    zeros, so nothing needs filtering. The counts are laid out one row per n-gram kind and
    post: each kind's n-grams already come in post order, so no sorting is needed.

    Immutable after construction and safe to share between threads; pickles without its
    weight matrix, which is rebuilt on unpickling.
    """

    def __init__(self, features: HashedTfidf, coef_t: Any, intercept: Any) -> None:
        self.features = features
        self.coef_t = coef_t
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self._intercept: list[float] = self.intercept.tolist()
        self.weights = self._weights()

    def _weights(self) -> Any:
        n_features = self.features.n_features
        k = self.coef_t.shape[1]
        idf = self.features.idf.astype(np.float64)
        weights = np.zeros((n_features + 1, k + 1), dtype=np.float32)
        weights[:n_features, :k] = np.asarray(self.coef_t, dtype=np.float64) * idf[:, None]
        weights[:n_features, k] = idf * idf
        weights.flags.writeable = False
        return weights

    def memo(self, bits: int = 16) -> WordMemo:
        """A fresh `WordMemo` (``2**bits`` words) for the chunks of one batch."""
        return WordMemo(self.weights.shape[1], bits)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["weights"], state["_intercept"]  # both rebuilt on unpickling
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._intercept = self.intercept.tolist()
        self.weights = self._weights()

    def scores(
        self, normalised: str, n_docs: int, memo: WordMemo | None = None, cp: Any = None
    ) -> Any:
        """``(n_docs, n_classes)`` float64 scores of a ``normalise_batch`` string.

        Character n-grams never cross a word, so they are hashed and summed once per
        distinct word of the batch; each post then adds up its words' sums.

        Args:
            memo: words already summed in earlier chunks of the same batch (see
                `WordMemo`); the scores are the same with or without it.
            cp: ``_codepoints(normalised)``, if the caller has it already.
        """
        f = self.features
        shift = _SHIFTS[f.bits]
        if cp is None:
            cp = _codepoints(normalised)
        # (one post: no separators to find)
        doc = np.zeros(cp.shape[0], dtype=np.int64) if n_docs == 1 else _posts(cp)[0]
        words = _words(cp, doc)
        weights = self.weights
        width = weights.shape[1]
        blocks = []
        if f.n_char_kinds and words.starts.shape[0]:
            blocks.append(self._char_sums(cp, words, n_docs, shift, memo))
        if f.word_range[1] >= f.word_range[0]:
            docs, buckets = _word_grams(words, f.word_range, shift, one_post=n_docs == 1)
            if n_docs == 1:
                counts = np.array([d.shape[0] for d in docs])
            else:
                counts = np.concatenate([np.bincount(d, minlength=n_docs) for d in docs])
            sums = _grouped_sums(f.table[np.concatenate(buckets)], counts, weights)
            blocks.append(sums.reshape(len(docs), n_docs, width).sum(axis=0, dtype=np.float64))
        if n_docs <= _FEW_POSTS:  # the same arithmetic in Python: numpy calls cost more here
            return np.array(self._finish_rows([b.tolist() for b in blocks], n_docs))
        k = width - 1
        out = np.zeros((n_docs, k), dtype=np.float64)
        for total in blocks:
            norm = np.sqrt(total[:, k])
            norm[norm == 0.0] = 1.0
            out += total[:, :k] / norm[:, None]
        out += self.intercept
        return out

    def _finish_rows(self, blocks: list[list[list[float]]], n_docs: int) -> list[list[float]]:
        """Each block's sums divided by their norm (last column), added up, plus intercept."""
        intercept = self._intercept
        out = []
        for i in range(n_docs):
            row = [0.0] * len(intercept)
            for block in blocks:
                *sums, square = block[i]
                norm = math.sqrt(square) or 1.0
                row = [r + x / norm for r, x in zip(row, sums, strict=True)]
            out.append([r + b for r, b in zip(row, intercept, strict=True)])
        return out

    def _char_sums(
        self, cp: Any, words: _Words, n_docs: int, shift: Any, memo: WordMemo | None
    ) -> Any:
        """``(n_docs, width)`` float64: each post's character n-gram sums of ``weights``."""
        lengths = words.ends - words.starts
        if n_docs <= _FEW_POSTS and words.starts[0] > 0:
            # few posts repeat few words: each word is summed where it stands
            matrix = self._sums_in_place(cp, words, shift, several=n_docs > 1)
            index = np.arange(lengths.shape[0])
        else:
            if memo is None:  # one chunk: a memo just big enough to find its repeated words
                memo = self.memo(min(max(int(words.starts.shape[0]).bit_length() + 1, 10), 16))
            index = memo.place(
                words.hashes + lengths.astype(_U64) * _LENGTH_MIX,
                lengths,
                lambda at: self._word_sums(cp, words.starts[at], lengths[at], shift),
            )
            matrix = memo.rows
        per_post = _grouped_sums(index, np.bincount(words.docs, minlength=n_docs), matrix)
        return per_post.astype(np.float64)

    def _sums_in_place(self, cp: Any, words: _Words, shift: Any, *, several: bool) -> Any:
        """`_word_sums` of every word of ``cp``, in order, without copying the words.

        Each word's n-grams start from the space before it to its end, and every n-gram
        between words holds a space inside: invalid. So the grid of ``cp`` itself holds each
        word's n-grams, word after word, as the grid of the padded copies would. Post
        separators (``several`` posts) count as spaces.
        """
        f = self.features
        spaced = np.where(cp == 0, np.uint32(32), cp) if several else cp
        buckets, valid = _char_grid(spaced, None, f.char_range, shift)
        counts = np.add.reduceat(valid, words.starts - 1, axis=1, dtype=np.intp).ravel()
        weights = self.weights
        sums = _grouped_sums(f.table[buckets[valid]], counts, weights)
        return sums.reshape(valid.shape[0], words.starts.shape[0], weights.shape[1]).sum(axis=0)

    def _word_sums(self, cp: Any, starts: Any, lengths: Any, shift: Any) -> Any:
        """``(n_words, width)`` float32: character n-gram sums of the words at ``starts``."""
        f = self.features
        # the words, each padded with a space on both sides, one after the other
        span = lengths + 2
        offsets = np.zeros(span.shape[0] + 1, dtype=np.int64)
        np.cumsum(span, out=offsets[1:])
        source = np.repeat(starts - 1 - offsets[:-1], span)
        source += np.arange(offsets[-1])
        np.minimum(source, cp.shape[0] - 1, out=source)  # (-1 and the end: spaces, below)
        unique_cp = cp[source]
        unique_cp[offsets[:-1]] = 32
        unique_cp[offsets[1:] - 1] = 32
        buckets, valid = _char_grid(unique_cp, None, f.char_range, shift)  # (spaces part words)
        counts = np.add.reduceat(valid, offsets[:-1], axis=1, dtype=np.intp).ravel()
        weights = self.weights
        sums = _grouped_sums(f.table[buckets[valid]], counts, weights)
        return sums.reshape(valid.shape[0], span.shape[0], weights.shape[1]).sum(axis=0)


class WordMemo:
    """Character n-gram sums of the words of a batch, kept from one chunk to the next.

    A direct-mapped cache: each word has one slot (from its hash); a newer word takes the
    slot over. A word's sums do not depend on the chunk it came in, so scores are the same
    with or without the memo, only faster when words repeat (they do: a few thousand words
    make most of the text in any language). Make one per batch; it is not thread-safe.
    """

    def __init__(self, width: int, bits: int = 16) -> None:
        self.size = 1 << bits
        self.keys = np.zeros(self.size, dtype=_U64)
        self.used = np.zeros(self.size, dtype=np.int64)  # chunk that last used a slot; 0: never
        self.rows = np.zeros((self.size + 1024, width), dtype=np.float32)  # + spare rows
        self._shift = _U64(64 - bits)
        self._chunk = 0

    def place(self, keys: Any, lengths: Any, compute: Any) -> Any:
        """The row of ``rows`` holding each word's sums, computing those not kept yet.

        Args:
            keys: a key per word of the chunk (hash and length).
            lengths: each word's length in code points; past 64 the word hash repeats, so
                longer words are never looked up or kept.
            compute: ``compute(positions) -> (len(positions), width)`` sums of the words at
                those positions (distinct words).
        """
        self._chunk += 1
        slots = ((keys * _KMUL) >> self._shift).astype(np.intp)
        short = lengths <= 64
        known = (self.keys[slots] == keys) & (self.used[slots] > 0) & short
        index = slots
        missing = (~known).nonzero()[0]
        self.used[slots[known]] = self._chunk  # their rows must survive this chunk
        if not missing.shape[0]:
            return index
        new_keys = keys[missing]
        long = ~short[missing]
        if long.any():  # every long word on its own
            new_keys[long] = _LONG_WORD - long.nonzero()[0].astype(_U64)
        distinct, first, inverse = np.unique(new_keys, return_index=True, return_inverse=True)
        at = missing[first]
        sums = compute(at)
        target = slots[at]
        free = short[at] & (self.used[target] != self._chunk)
        self.keys[target[free]] = distinct[free]
        # of new words sharing a slot, the one whose key stayed there keeps it
        kept = free & (self.keys[target] == distinct)
        self.used[target[kept]] = self._chunk
        spare = (~kept).nonzero()[0]
        if spare.shape[0]:  # rows past the slots, for this chunk only
            if self.size + spare.shape[0] > self.rows.shape[0]:
                grown = np.zeros((self.size + 2 * spare.shape[0], self.rows.shape[1]), np.float32)
                grown[: self.size] = self.rows[: self.size]
                self.rows = grown
            target[spare] = self.size + np.arange(spare.shape[0])
        self.rows[target] = sums
        index[missing] = target[inverse.ravel()]
        return index


_FEW_POSTS = 4  # up to this many posts, each word is summed where it stands
_LENGTH_MIX = _U64(0xD6E8FEB86659FD93)
_LONG_WORD = _U64((1 << 64) - 1)


def _grouped_sums(index: Any, counts: Any, matrix: Any) -> Any:
    """``(len(counts), width)``: sums of ``matrix[index]`` rows, ``counts[i]`` rows per group.

    A sparse product (no ``len(index) x width`` array in memory) that adds each group's rows
    one after the other, for one post or thousands: the same numbers whatever the batch.
    """
    n_rows = counts.shape[0]
    indptr = np.zeros(n_rows + 1, dtype=np.int32)  # a chunk holds < 2**31 cells
    counts.cumsum(out=indptr[1:])
    index = index.astype(np.int32)
    ones = _ONES[: index.shape[0]] if matrix.dtype == np.float32 else None
    if ones is None or ones.shape[0] < index.shape[0]:
        ones = np.ones(index.shape[0], dtype=matrix.dtype)
    out = np.zeros((n_rows, matrix.shape[1]), dtype=matrix.dtype)
    kernel = _csr_matvecs()
    if kernel is not None:
        # scipy's own kernel behind ``csr_matrix @ dense``, without building the matrix object
        # (which costs more than the product for one post)
        kernel(
            n_rows,
            matrix.shape[0],
            matrix.shape[1],
            indptr,
            index,
            ones,
            matrix.ravel(),
            out.ravel(),
        )
        return out
    from scipy import sparse

    grouping = sparse.csr_matrix((ones, index, indptr), shape=(n_rows, matrix.shape[0]))
    return np.asarray(grouping @ matrix)


_ONES = np.ones(1 << 16, dtype=np.float32)  # the sparse values: every cell counts once
_ONES.flags.writeable = False


def _csr_matvecs() -> Any:
    """scipy's ``csr_matvecs`` kernel, or None where this scipy does not have it."""
    if "csr_matvecs" not in _KERNEL:
        try:
            from scipy.sparse import _sparsetools

            _KERNEL["csr_matvecs"] = _sparsetools.csr_matvecs  # looked up once
        except (ImportError, AttributeError):  # a private module: use the public product
            _KERNEL["csr_matvecs"] = None
    return _KERNEL["csr_matvecs"]


_KERNEL: dict[str, Any] = {}
