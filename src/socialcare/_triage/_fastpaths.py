"""Where triage takes a faster road, and the one promise every fast road keeps.

**The contract.** Every choice below changes how a result is computed, never the result:
a post gets the bit-identical decision, probabilities and scores whether it is decided alone
(``Triager.decide``), in a batch of any size (``decide_many``, ``predict_proba``), in any
chunk of a batch, on any number of processes. Tests assert equality (``==``), never rounding:
``tests/test_triage_fastpaths.py``.

How the twins stay identical:

- Floating-point work that could differ in the order of its operations (softmax, sums of
  n-gram weights, norms) runs through the same code for every size: the same numpy softmax
  on one row or a million; n-gram sums added in the same order by both sum kernels.
- What differs between twins is only *finding* things (which places to try a keyword at,
  which characters count as letters, which words were seen before): those are exact.

Every size threshold of the triage engine lives here, so none hides in the code it tunes.
"""

from __future__ import annotations

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_ROWS",
    "FEW_POSTS",
    "NUMPY_LETTERS",
    "NUMPY_SCAN",
    "NUMPY_SQUEEZE",
    "PARALLEL_MIN_ROWS",
]

#: Up to this many posts, per-post arithmetic runs in plain Python and each word's n-grams
#: are summed where they stand (numpy calls cost microseconds whatever their size).
FEW_POSTS = 4

#: A batch is scored in chunks of at most this many posts...
CHUNK_ROWS = 2048
#: ...and about this many characters (measured: 15-20% faster than 16,000).
CHUNK_CHARS = 64_000

#: From this many characters on, numpy finds the places where a keyword may start.
NUMPY_SCAN = 2048
#: From this many characters on, numpy counts each post's letters.
NUMPY_LETTERS = 4096
#: From this length on, a post's repeated characters are squeezed with numpy.
NUMPY_SQUEEZE = 150

#: ``decide_many(n_jobs=...)`` spreads a batch over processes only from this many rows.
PARALLEL_MIN_ROWS = 4096
