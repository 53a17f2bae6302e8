"""Inference: raw class scores of linear heads over hashed features, without a TF-IDF matrix.

The reference featuriser (`socialcare._triage._features`) builds TF-IDF rows for training;
scoring does not need them. `LinearScorer` sums each post's n-gram weights directly
(the TF-IDF row times the weights, in one sparse product), and `WordMemo` keeps each
word's character n-gram sums from one chunk of a batch to the next. Both give the same numbers
for a post whatever the batch around it (the contract of `socialcare._triage._fastpaths`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from socialcare._compat import csr_matvecs
from socialcare._triage._capping import capped_gram_lists, capped_words, first_copies
from socialcare._triage._fastpaths import FEW_POSTS
from socialcare._triage._features import (
    _KMUL,
    _SHIFTS,
    _U64,
    REPEAT_FLOOR,
    HashedTfidf,
    _char_grid,
    _codepoints,
    _posts,
    _word_grams,
    _Words,
    _words,
)

__all__ = ["LinearScorer", "WordMemo"]


class LinearScorer:
    """Raw class scores of linear heads over a `HashedTfidf`, without a TF-IDF matrix.

    A post's score is ``sum(idf * coef) / norm`` over each block's n-grams (characters,
    words), which is the TF-IDF row times the weights. The products ``idf * coef`` are made
    once (in float32: half the memory to read per n-gram; sums stay within about 1e-6 of
    float64 ones), with ``idf ** 2`` and ``1`` as two more columns, so one sparse product of
    n-gram *counts* gives every head's sums and the block norms together (``sqrt(sum idf**2)``,
    or ``sqrt(sum idf**2 x max(count, floor) / floor)`` for ``repeat_invariant`` heads); unknown
    n-grams point at a row of zeros, so nothing needs filtering. The counts are laid out one
    row per n-gram kind and post: each kind's n-grams already come in post order, so no
    sorting is needed.

    Immutable after construction and safe to share between threads; pickles without its
    weight matrix, which is rebuilt on unpickling.
    """

    def __init__(
        self,
        features: HashedTfidf,
        coef_t: Any,
        intercept: Any,
        repeat_invariant: Any = None,
    ) -> None:
        self.features = features
        self.coef_t = coef_t
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self._intercept: list[float] = self.intercept.tolist()
        # per class column: divide by sqrt(sum idf^2 x count) instead of sqrt(sum idf^2)
        k = int(np.asarray(coef_t).shape[1])
        mask = np.zeros(k, dtype=bool) if repeat_invariant is None else repeat_invariant
        self.repeat_invariant = np.asarray(mask, dtype=bool)
        self._invariant: list[bool] = self.repeat_invariant.tolist()
        self._any_invariant = bool(self.repeat_invariant.any())
        self.weights = self._weights()

    def _weights(self) -> Any:
        n_features = self.features.n_features
        k = self.coef_t.shape[1]
        idf = self.features.idf.astype(np.float64)
        weights = np.zeros((n_features + 1, k + 2), dtype=np.float32)
        weights[:n_features, :k] = np.asarray(self.coef_t, dtype=np.float64) * idf[:, None]
        weights[:n_features, k] = idf * idf
        weights[:n_features, k + 1] = 1.0  # counts the known n-grams (the last row: unknown)
        weights.flags.writeable = False
        return weights

    def memo(self, bits: int = 16) -> WordMemo:
        """A fresh `WordMemo` (``2**bits`` words) for the chunks of one batch."""
        return WordMemo(self.weights.shape[1], bits)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["weights"], state["_intercept"], state["_invariant"]  # rebuilt on unpickling
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._intercept = self.intercept.tolist()
        self._invariant = self.repeat_invariant.tolist()
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
        cap = f.max_tf
        if cap is not None and n_docs <= FEW_POSTS and not _repeats(words):
            cap = None  # no word said twice: nothing to leave out (the same sums, in order)
        weights = self.weights
        width = weights.shape[1]
        blocks = []
        floors: list[float] = []  # (each block's REPEAT_FLOOR)
        if f.n_char_kinds and words.starts.shape[0]:
            blocks.append(self._char_sums(cp, words, n_docs, shift, memo, cap))
            floors.append(REPEAT_FLOOR[0])
        if f.word_range[1] >= f.word_range[0]:
            docs, buckets = _word_grams(words, f.word_range, shift, one_post=n_docs == 1)
            if cap is not None:
                docs, buckets = capped_gram_lists(docs, buckets, cap)
            if n_docs == 1:
                counts = np.array([d.shape[0] for d in docs])
            else:
                counts = np.concatenate([np.bincount(d, minlength=n_docs) for d in docs])
            sums = _grouped_sums(f.table[np.concatenate(buckets)], counts, weights)
            blocks.append(sums.reshape(len(docs), n_docs, width).sum(axis=0, dtype=np.float64))
            floors.append(REPEAT_FLOOR[1])
        if n_docs <= FEW_POSTS:  # the same arithmetic in Python: numpy calls cost more here
            return np.array(self._finish_rows([b.tolist() for b in blocks], floors, n_docs))
        k = width - 2
        out = np.zeros((n_docs, k), dtype=np.float64)
        for total, floor in zip(blocks, floors, strict=True):
            norm = np.sqrt(total[:, k])[:, None]
            if self._any_invariant:
                over = np.maximum(total[:, k + 1], floor)
                invariant = np.sqrt(total[:, k] * over / floor)[:, None]
                norm = np.where(self.repeat_invariant, invariant, norm)
            norm[norm == 0.0] = 1.0
            out += total[:, :k] / norm
        out += self.intercept
        return out

    def _finish_rows(
        self, blocks: list[list[list[float]]], floors: list[float], n_docs: int
    ) -> list[list[float]]:
        """Each block's sums divided by their norm (last two columns), added up, plus intercept."""
        intercept = self._intercept
        out = []
        for i in range(n_docs):
            row = [0.0] * len(intercept)
            for block, floor in zip(blocks, floors, strict=True):
                *sums, square, count = block[i]
                plain = math.sqrt(square) or 1.0
                invariant = math.sqrt(square * max(count, floor) / floor) or 1.0
                row = [
                    r + x / (invariant if mine else plain)
                    for r, x, mine in zip(row, sums, self._invariant, strict=True)
                ]
            out.append([r + b for r, b in zip(row, intercept, strict=True)])
        return out

    def _char_sums(
        self,
        cp: Any,
        words: _Words,
        n_docs: int,
        shift: Any,
        memo: WordMemo | None,
        cap: int | None,
    ) -> Any:
        """``(n_docs, width)`` float64: each post's character n-gram sums of ``weights``
        (``cap``: each post's first ``cap`` copies of each word only)."""
        lengths = words.ends - words.starts
        in_place = n_docs <= FEW_POSTS and words.starts[0] > 0
        if in_place:
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
        docs = words.docs
        if cap is not None:  # each post's first max_tf of each word only
            # (in place, rows are positions: repeated words are found by their hashes)
            keep = capped_words(words, cap) if in_place else _capped_rows(index, docs, cap)
            index, docs = index[keep], docs[keep]
        per_post = _grouped_sums(index, np.bincount(docs, minlength=n_docs), matrix)
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


def _repeats(words: _Words) -> bool:
    """Whether any two words of a (small) batch are the same (hash and length; any post)."""
    if words.hashes.shape[0] < 2:
        return False
    keys = np.sort(words.hashes + (words.ends - words.starts).astype(_U64) * _LENGTH_MIX)
    return bool((keys[1:] == keys[:-1]).any())


def _capped_rows(index: Any, docs: Any, max_tf: int) -> Any:
    """`capped_words` for words placed by a `WordMemo`: within a chunk two words share a memo
    row exactly when they are the same word (long words never share one), so each post's
    ``(post, row)`` pairs past the first ``max_tf`` are the copies to leave out (one integer
    sort instead of sorting by hash and length: about ten times faster)."""
    return first_copies(docs.astype(np.int64) * (int(index.max(initial=0)) + 1) + index, max_tf)


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
    kernel = csr_matvecs()
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
