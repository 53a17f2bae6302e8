"""Bounded term frequencies (``max_tf``): which copies of a post's words and word n-grams to read.

With ``max_tf=k`` a post reads each of its words at most ``k`` times (a word's character
n-grams come with it) and each word n-gram at most ``k`` times: the first ``k`` copies, in
their order. Words are the same when their code points are (hash and length); words longer
than 64 code points are never merged, since past 64 the word hash repeats. The reference
featuriser (`socialcare._triage._features`) and the scorer (`socialcare._triage._scorer`) both
decide through `first_copies`, so they read the same copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from socialcare._errors import InvalidInputError

if TYPE_CHECKING:
    from socialcare._triage._features import _Words

__all__ = ["MAX_TF", "capped_gram_lists", "capped_words", "check_max_tf", "first_copies"]

#: The largest ``max_tf`` accepted (a cap past any real post's repeats).
MAX_TF = 1 << 20


def check_max_tf(max_tf: Any) -> None:
    """Refuse a ``max_tf`` that is neither None nor an int from 1 to `MAX_TF`."""
    if max_tf is None:
        return
    if isinstance(max_tf, bool) or not isinstance(max_tf, int) or not 1 <= max_tf <= MAX_TF:
        raise InvalidInputError(
            f"max_tf must be None (count every occurrence) or an int from 1 to {MAX_TF},"
            f" got {max_tf!r}"
        )


def first_copies(keys: Any, max_tf: int) -> Any:
    """Bool mask: each key's first ``max_tf`` occurrences (int64 keys, any order).

    >>> first_copies(np.array([7, 3, 7, 7, 3]), 2).tolist()
    [True, True, True, False, True]
    """
    n = keys.shape[0]
    if n < 2:
        return np.ones(n, dtype=bool)
    order = np.argsort(keys, kind="stable")  # stable: each key's first copies first
    ranked = keys[order]
    index = np.arange(n)
    # each item's rank among its equals: 0 for the first, 1 for the second...
    starts = np.where(np.concatenate(([True], ranked[1:] != ranked[:-1])), index, 0)
    keep = np.empty(n, dtype=bool)
    keep[order] = index - np.maximum.accumulate(starts) < max_tf
    return keep


def capped_words(words: _Words, max_tf: int) -> Any:
    """Bool mask of the words to read: each post's first ``max_tf`` copies of each word."""
    n = words.starts.shape[0]
    if n < 2:
        return np.ones(n, dtype=bool)
    lengths = words.ends - words.starts
    order = np.lexsort((lengths, words.hashes, words.docs))
    d, h, length = words.docs[order], words.hashes[order], lengths[order]
    new = np.ones(n, dtype=bool)  # a word unlike the one before it (in that order)
    new[1:] = (d[1:] != d[:-1]) | (h[1:] != h[:-1]) | (length[1:] != length[:-1])
    new[1:] |= length[1:] > 64  # (long words: each a word of its own)
    keys = np.empty(n, dtype=np.int64)
    keys[order] = np.cumsum(new)
    return first_copies(keys, max_tf)


def capped_gram_lists(
    docs: list[Any], buckets: list[Any], max_tf: int
) -> tuple[list[Any], list[Any]]:
    """Per word n-gram length, each post's first ``max_tf`` copies of each n-gram, in order."""
    out_docs: list[Any] = []
    out_buckets: list[Any] = []
    for d, b in zip(docs, buckets, strict=True):
        keep = first_copies((d.astype(np.int64) << 32) | b.astype(np.int64), max_tf)
        out_docs.append(d[keep])
        out_buckets.append(b[keep])
    return out_docs, out_buckets
