"""Vectorised hashed TF-IDF features: character n-grams within words plus word n-grams.

scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` builds every n-gram as a Python string,
one post at a time. Here a whole batch of normalised posts becomes one array of code points, and
every n-gram is a 64-bit polynomial hash computed with a handful of numpy operations over that
array. A hash is mapped to a bucket (``bits`` wide) and the buckets seen while fitting are
numbered, so the model keeps only the columns it learned (a lookup table, no vocabulary
strings). Two n-grams can share a bucket; with 2**20 buckets that happens rarely enough not to
matter for accuracy. Character n-grams are taken within word boundaries, with the word padded
by a space on each side, exactly like ``char_wb``; word n-grams never cross posts.

Each block (characters, words) is TF-IDF weighted (``1 + log(tf)`` when sublinear, smooth idf)
and L2-normalised on its own, so the many character n-grams do not drown the word features.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialcare._triage._text import blank_chars, normalise_batch

__all__ = ["FeatureBatch", "HashedTfidf", "bucket_grid"]

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
_SALTS_WORD = [_U64((_SALT_WORD * n) & _MASK64) for n in range(64)]
_SHIFTS = [_U64(64 - bits) for bits in range(65)]


def _bucket(h: Any, salt: Any, shift: Any) -> Any:
    """Multiplicative (Fibonacci) hashing of 64-bit n-gram hashes into ``64 - shift`` bits."""
    h = h + salt
    h ^= h >> _S29
    h *= _KMUL
    h >>= shift
    return h


def bucket_grid(
    normalised: str, char_range: tuple[int, int], word_range: tuple[int, int], bits: int
) -> tuple[Any, Any, Any]:
    """Hash every n-gram of a normalised batch into buckets laid out on a grid.

    Returns ``(buckets, valid, doc)``: ``buckets`` and ``valid`` are ``(length, m)`` arrays
    with one row per code point and one column per n-gram kind (character n-grams of each
    length, then word n-grams of each length, placed at the position where they start);
    ``doc`` gives the post index of each position. Reading the valid cells row by row yields
    the n-grams in post order, so no sort is needed later.
    """
    cp = np.frombuffer(normalised.encode("utf-32-le"), dtype="<u4")
    if cp.shape[0] and int(cp.max()) < 0x10000:
        cp = _TIDY[cp]  # every code point in the Basic Multilingual Plane: one lookup
    else:
        cp = np.where(_BLANK[np.minimum(cp, 0x10000)], np.uint32(32), cp)
    length = cp.shape[0]
    shift = _SHIFTS[bits]
    is_sep = cp == 0
    is_space = cp == 32
    doc = is_sep.astype(np.int64).cumsum()  # (cumsum of a bool array is slower)
    cmin, cmax = char_range
    wmin, wmax = word_range
    n_char = max(cmax - cmin + 1, 0)
    n_word = max(wmax - wmin + 1, 0)
    # Cells are read only where ``valid`` is set, so ``buckets`` needs no initialisation.
    buckets = np.empty((length, n_char + n_word), dtype=np.int32)
    valid = np.zeros((length, n_char + n_word), dtype=bool)
    cp64: Any = cp.astype(_U64)

    if n_char:
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
            ok = cs_sep[n:] == cs_sep[:m]
            if n == 1:
                ok &= ~is_space
            elif n == 2:
                ok &= ~(is_space[:m] & is_space[1:])
            else:
                ok &= cs_space[n - 1 : n - 1 + m] == cs_space[1 : 1 + m]
            buckets[:m, j] = _bucket(h, _SALTS_CHAR[n], shift)
            valid[:m, j] = ok

    if n_word:
        is_tok = ~(is_sep | is_space)
        start_mask = np.zeros(length, dtype=bool)
        if length:
            start_mask[0] = is_tok[0]
            start_mask[1:] = is_tok[1:] & ~is_tok[:-1]
        starts = start_mask.nonzero()[0]
        if starts.shape[0]:
            positions = np.arange(length)
            last_start = np.maximum.accumulate(np.where(start_mask, positions, 0))
            offset = (positions - last_start) & 63
            weights = np.where(is_tok, cp64 * _MULT[offset], _ZERO)
            word = np.add.reduceat(weights, starts)
            word_doc = doc[starts]
            h = word
            for n in range(1, wmax + 1):
                if n > 1:
                    h = (h[:-1] ^ (h[:-1] >> _S31)) * _BASE_U + word[n - 1 :]
                if n < wmin or word.shape[0] < n:
                    continue
                j = n_char + n - wmin
                same = word_doc[n - 1 :] == word_doc[: word_doc.shape[0] - n + 1]
                at = starts[: same.shape[0]][same]
                buckets[at, j] = _bucket(h[same], _SALTS_WORD[n], shift)
                valid[at, j] = True
    return buckets, valid, doc


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
        self.sublinear_tf = bool(sublinear_tf)
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
        """Bucket -> learned column, the largest value of the dtype for unknown buckets.

        16 bits wide when the columns fit (half the memory, fewer cache misses per lookup).
        """
        n = self.buckets.shape[0]
        dtype = np.uint16 if n < 0xFFFF else np.uint32
        table = np.full(1 << self.bits, np.iinfo(dtype).max, dtype=dtype)
        table[self.buckets] = np.arange(n, dtype=dtype)
        table.flags.writeable = False
        self._unknown = table.dtype.type(np.iinfo(dtype).max)
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
            grid, valid, doc = bucket_grid(normalised, char_range, word_range, bits)
            pos, kind = np.nonzero(valid)
            pair = (doc[pos] + start) * (1 << bits) + grid[pos, kind]
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
        grid, valid, doc = bucket_grid(normalised, self.char_range, self.word_range, self.bits)
        flat = valid.ravel().nonzero()[0]  # row-major: cells come out in post order
        table = self.table
        col = table[grid.ravel()[flat]]
        known = col != self._unknown
        flat, col = flat[known], col[known].astype(np.int64)
        width = grid.shape[1]
        position, kind = np.divmod(flat, width)
        row = doc[position]
        block = kind >= self.n_char_kinds
        val = self.idf[col]
        slot = row * 2 + block
        norms = np.sqrt(np.bincount(slot, weights=val * val, minlength=2 * n_docs))
        val = (val / norms[slot]).astype(np.float32)
        return FeatureBatch(n_docs=n_docs, row=row, col=col, val=val)

    def transform_chunks(self, texts: Sequence[str]) -> Iterator[tuple[int, FeatureBatch]]:
        """Featurise a long sequence in chunks (bounded memory); yields (offset, batch)."""
        for start in range(0, len(texts), CHUNK):
            yield start, self.transform(texts[start : start + CHUNK])
