"""``socialcare report --idle``: idle conversations reported and forgotten while reading.

Without ``--idle`` the command holds every post's columns to the end of the file, because an
export may list a reply anywhere. With ``--idle SPAN`` it closes, as it reads, each
conversation whose last post is more than ``SPAN`` older than the newest post read so far
(`Inbox` ``idle=`` semantics), once its SLA clocks can no longer change: it is threaded,
triaged and its SLA states read, its metrics go into a `socialcare.metrics.Accumulator`, and
its columns are dropped. Memory then follows the open conversations, plus what is remembered
of the closed ones (16 bytes a post: a hash of its id and one of its content; 8 bytes a
conversation for its thread key and 8 per reply whose parent was missing) and what the
accumulator keeps (in exact mode 8 bytes per measured duration and group; and each distinct
customer per group).

What can differ from the exact report, and how it is kept honest:

- A conversation that continues one already closed (its thread key, as `socialcare.columnar`
  threads, is a closed conversation's; a reply in it answers a closed post; a post in it is
  the missing parent of a closed reply) is reported on its own. Its posts are counted
  (`IdleReport.late`) when it closes, and the command warns with the count; a run with no late
  post gives exactly the report without ``--idle``.
- Repeats of a closed post are still found, through 64-bit hashes of its platform and id and
  of its content: an exact repeat is dropped and counted, a different post with the same id is
  a bad row, and a second repeat is judged against the first version, as without ``--idle``.
  A new post whose id hash equals a closed post's (odds of about ``n² / 2**65``, one in
  370,000 for ten million posts; Python salts its string hashes, so a rerun draws again)
  would be listed as a bad row.
- A conversation is closed only when every SLA state it has reads the same as of just after the
  newest post and 200 years later (at most up to the year 9990): states only move forward
  (pending, at risk, breached), so they are then what the end of the file will read. With
  ``--now`` the states are read at that instant, exactly as without ``--idle``.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import cache
from itertools import compress
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from socialcare._cli_report import PostColumns, conflict_error
from socialcare._conversation import RowError
from socialcare.columnar import Threads, _datetime
from socialcare.metrics import Labels

if TYPE_CHECKING:
    from socialcare._triage._triager import Triager
    from socialcare.metrics import Accumulator

__all__ = ["IdleReport"]

IntArray = npt.NDArray[np.int64]

_FAR = timedelta(days=365 * 200)  # "ever after", for reading a clock's final state
_LAST_READING = datetime(9990, 1, 1, tzinfo=timezone.utc)  # clear of datetime's end
_LEAST_FAR = timedelta(days=3650)
_MIN_ROWS = 25_000  # posts read between two closings, at least
_MAY_MOVE = ("pending", "at_risk", "paused")  # SLA states a later reading may change
_NOTHING = -(2**63)  # before any post
_RUN_CAP = 2_000_000  # hashes in one sorted run, at most


def _hashes(codes: Any, names: list[str]) -> IntArray:
    """The hash of each (platform code, id) pair."""
    if isinstance(codes, np.ndarray):
        codes = codes.tolist()
    return np.fromiter(
        (hash(pair) for pair in zip(codes, names, strict=True)), dtype=np.int64, count=len(names)
    )


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return None
    return trim


def _give_back_memory() -> None:
    """Return the heap pages freed by a closing to the system.

    glibc keeps freed heap pages for the process; after each closing frees the columns of
    the posts it closed, the resident size would otherwise creep up by about as much again as
    what is kept (measured: 137 against 60 bytes a post at a million posts). Dask's workers
    do the same (``malloc_trim``).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class _HashSet:
    """64-bit hashes, with a payload each when ``payload`` (the closed posts' digests).

    Kept as sorted runs, merged like a binary counter (a run absorbs the next when it is no
    larger), so each hash is copied about log2(n / closing) times in all, and no run
    outgrows ``_RUN_CAP``: the copies a merge makes stay small beside what is kept.
    """

    def __init__(self, *, payload: bool = False) -> None:
        self._payload = payload
        self._runs: list[tuple[IntArray, IntArray | None]] = []

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._runs)

    def add(self, keys: IntArray, values: IntArray | None = None) -> None:
        if not len(keys):
            return
        if self._payload != (values is not None):
            raise ValueError("a payload with every key, or none at all")
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        values = values[order] if values is not None else None
        runs = self._runs
        while runs and len(runs[-1][0]) <= len(keys) and len(runs[-1][0]) + len(keys) <= _RUN_CAP:
            old_keys, old_values = runs.pop()
            at = np.searchsorted(old_keys, keys)
            keys = np.insert(old_keys, at, keys)
            if values is not None and old_values is not None:
                values = np.insert(old_values, at, values)
        runs.append((keys, values))

    def lookup(self, keys: IntArray) -> tuple[npt.NDArray[np.bool_], IntArray]:
        """Whether each key is there, and its payload (0 where absent or without one)."""
        found = np.zeros(len(keys), dtype=bool)
        values = np.zeros(len(keys), dtype=np.int64)
        for run_keys, run_values in self._runs:
            at = np.searchsorted(run_keys, keys).clip(max=len(run_keys) - 1)
            hit = run_keys[at] == keys
            found |= hit
            if run_values is not None:
                values[hit] = run_values[at[hit]]
        return found, values

    def has(self, keys: IntArray) -> npt.NDArray[np.bool_]:
        """Whether each key is there."""
        return self.lookup(keys)[0]


def _take(threads: Threads, keep: npt.NDArray[np.bool_]) -> Threads:
    """The conversations of ``threads`` where ``keep`` is true (counts of the whole left 0)."""
    at = keep[threads.conv]
    renumber = np.cumsum(keep) - 1
    return Threads(
        conversation_ids=tuple(compress(threads.conversation_ids, keep.tolist())),
        rows=threads.rows[at],
        conv=renumber[threads.conv[at]],
        created_at=threads.created_at[at],
        role=threads.role[at],
        platform=type(threads.platform)(threads.platform.codes[keep], threads.platform.categories),
        errors=(),
        duplicates_dropped=0,
        missing_parents=0,
        cycles_broken=0,
        post_ids=tuple(compress(threads.post_ids, at.tolist())),
        author_ids=tuple(compress(threads.author_ids, at.tolist())),
        private=threads.private[at],
        key_hashes=None if threads.key_hashes is None else threads.key_hashes[keep],
    )


def _take_labelled(
    threads: Threads, labels: dict[str, list[str | None]], keep: npt.NDArray[np.bool_]
) -> tuple[Threads, dict[str, list[str | None]]]:
    """`_take`, with the per-conversation labels cut to match."""
    flags = keep.tolist()
    return _take(threads, keep), {
        name: list(compress(values, flags)) for name, values in labels.items()
    }


class IdleReport:
    """Close idle conversations of a `PostColumns` into an accumulator as posts arrive.

    Call `added` after each ``columns.add``, then `finish` once after the last post.

    Args:
        columns: the posts read so far (``track_rows=True``); closed posts leave it.
        idle: a conversation whose last post is older than the newest post by more than this
            is closed (when its SLA states are final).
        policy: the SLA policy (None: no clocks).
        now: the instant clocks are read at (``--now``); None for just after the last post.
        triager: called once, when the first conversations are triaged.
        accumulator: receives the metrics of each closed conversation.
    """

    def __init__(
        self,
        columns: PostColumns,
        *,
        idle: timedelta,
        policy: Any,
        now: datetime | None,
        triager: Callable[[], Triager],
        accumulator: Accumulator,
        min_rows: int | None = None,
    ) -> None:
        self.columns = columns
        self._idle_us = idle // timedelta(microseconds=1)
        self._policy = policy
        self._now = now
        self._make_triager = triager
        self._triager: Triager | None = None
        self.accumulator = accumulator
        self._min_rows = _MIN_ROWS if min_rows is None else min_rows
        self._next = self._min_rows
        self._newest = _NOTHING  # the newest post kept so far
        self._closed_newest = _NOTHING  # the newest post closed
        # What is left of the closed conversations, as hashes of (platform code, text):
        self._ids = _HashSet(payload=True)  # their posts' ids, with their content digests
        self._keys = _HashSet()  # their thread keys (a thread id, or the root post's id)
        self._missing = _HashSet()  # the parents their replies named but were not found
        self.conversations = 0
        self.missing_parents = 0
        self.late = 0  # posts of conversations that continue one closed before them
        self.closings = 0
        # Idle conversations kept at a closing because one of their clocks could still change
        # (counted at each closing that kept them).
        self.kept_for_clocks = 0
        self.any_brand = False  # whether any closed post is the brand's

    def added(self) -> None:
        """Note the post just added; close idle conversations when enough posts wait."""
        columns = self.columns
        if columns.created:
            self._newest = max(self._newest, columns.created[-1])
        if len(columns) >= self._next:
            self._close(final=False)

    def finish(self) -> datetime | None:
        """Close every conversation left; the instant the clocks were read at (None: the
        file had no post)."""
        return self._close(final=True)

    def _triage(self) -> Triager:
        if self._triager is None:
            self._triager = self._make_triager()
        return self._triager

    def _close(self, *, final: bool) -> datetime | None:
        """Close the idle conversations (every one when ``final``); the instant the clocks
        are read at (None while no post was kept)."""
        columns = self.columns
        self._check_new_posts()
        kept_newest = max(self._closed_newest, max(columns.created, default=self._closed_newest))
        now = self._now
        if now is None and kept_newest > _NOTHING:
            now = _datetime(int(kept_newest)) + timedelta(seconds=1)
        threads = columns.thread_posts(release=False)
        k = len(threads)
        if k and now is not None:
            if final:
                idle = np.ones(k, dtype=bool)
            else:
                last = threads.created_at.view(np.int64)[threads.starts()[1:] - 1]
                idle = last < self._newest - self._idle_us
            if idle.any():
                self._close_some(threads, idle, now, final=final)
        columns.checked = len(columns)
        self._next = max(self._min_rows, 2 * len(columns))
        self.closings += 1
        _give_back_memory()
        return now

    def _check_new_posts(self) -> None:
        """Settle the repeats among the posts read since the last closing, against the closed
        posts too."""
        columns = self.columns
        start = columns.checked
        n = len(columns)
        deferred, columns.deferred = columns.deferred, []
        if start == n:
            return
        codes = np.frombuffer(columns.platform, dtype=np.int64)[start:]
        own = _hashes(codes, columns.ids[start:])
        repeated, closed_digests = self._ids.lookup(own)
        drop = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(repeated).tolist():
            row = start + i
            digest, against = columns._digests[row], int(closed_digests[i])
            self._judge(row, digest, against, columns.index[row], columns.line[row])
            drop[row] = True
        # A repeat of a post read since the last closing is measured against the first
        # version: the closed post, when that post was itself a repeat of one.
        for first, digest, index, line in deferred:
            i = first - start
            against = int(closed_digests[i]) if repeated[i] else columns._digests[first]
            self._judge(first, digest, against, index, line)
        if drop.any():
            columns.compact(~drop)

    def _judge(self, first: int, digest: int, against: int, index: int, line: int) -> None:
        """A repeat (row ``index``, file ``line``) of post ``first``: a duplicate when its
        digest is ``against``, else a bad row."""
        columns = self.columns
        if digest == against:
            columns.duplicates += 1
            return
        post_id = columns.ids[first]
        error = conflict_error(post_id, columns.platform_of(first))
        columns.errors.append(RowError(index, error, post_id, line=line))

    def _close_some(
        self, threads: Threads, idle: npt.NDArray[np.bool_], now: datetime, *, final: bool
    ) -> None:
        columns = self.columns
        policy = self._policy
        candidates = _take(threads, idle)
        labels = columns.labels(candidates, self._triage())
        done = np.ones(len(candidates), dtype=bool)
        states: dict[str, Labels] = {}
        if policy is not None:
            states = dict(candidates.sla(policy, now, labels=labels).states)
            if self._now is None and not final:
                done = self._final(candidates, labels, states, now)
        if not done.any():
            return
        closing = candidates
        if not done.all():
            closing, labels = _take_labelled(candidates, labels, done)
            states = {
                name: Labels(codes.codes[done], codes.categories) for name, codes in states.items()
            }
        figures = closing.columns(labels=labels)  # no policy: its states were read once, above
        self.accumulator.add(replace(figures, sla=states))
        self.conversations += len(closing)
        self._forget(closing)

    def _final(
        self,
        candidates: Threads,
        labels: dict[str, list[str | None]],
        states: dict[str, Labels],
        now: datetime,
    ) -> npt.NDArray[np.bool_]:
        """Which conversations have no clock that can still change state.

        Met and breached are final; a clock pending, at risk or paused is read again 200
        years on (at most up to the year 9990), and is final if it reads the same (states only
        move forward). Within ten years of that end nothing that may move is closed before
        the end of the file.
        """
        moving = np.zeros(len(candidates), dtype=bool)
        for codes in states.values():
            still = [codes.categories.index(name) for name in _MAY_MOVE if name in codes.categories]
            moving |= np.isin(codes.codes, still)
        done = ~moving
        far = _LAST_READING if now >= _LAST_READING - _FAR else now + _FAR
        if moving.any() and far - now >= _LEAST_FAR:
            some, some_labels = _take_labelled(candidates, labels, moving)
            later = some.sla(self._policy, far, labels=some_labels).states
            same = np.ones(len(some), dtype=bool)
            for name, codes in states.items():
                same &= codes.codes[moving] == later[name].codes
            done[moving] = same
        self.kept_for_clocks += int((~done).sum())
        return done

    def _forget(self, closing: Threads) -> None:
        """Count the late posts among the conversations closing; remember them by hashes
        (their posts' ids and digests, their thread keys, their replies' missing parents);
        drop their columns."""
        columns = self.columns
        rows = closing.rows
        codes = np.frombuffer(columns.platform, dtype=np.int64)[rows]
        picked = rows.tolist()
        ids = [columns.ids[r] for r in picked]
        own = _hashes(codes, ids)
        # Replies whose parent was not found among the posts held: the parent may be closed.
        seen = columns._seen
        orphans: list[int] = []
        missing: list[str] = []
        for at, (row, code) in enumerate(zip(picked, codes.tolist(), strict=True)):
            parent = columns.parent[row]
            if columns.thread[row] is None and parent is not None and parent not in seen[code]:
                orphans.append(at)
                missing.append(parent)
        where = np.array(orphans, dtype=np.int64)
        missing_hashes = _hashes(codes[where], missing)
        self.missing_parents += len(orphans)
        # A conversation continues a closed one when its thread key is a closed one's, one of
        # its replies names a closed post, or one of its posts is a closed reply's missing
        # parent: all its posts are late (the exact report would have merged them).
        joins = self._missing.has(own)
        joins[where] |= self._ids.has(missing_hashes)
        late = np.zeros(len(closing), dtype=bool)
        late[closing.conv[joins]] = True
        if closing.key_hashes is not None:
            late |= self._keys.has(closing.key_hashes)
        self.late += int(late[closing.conv].sum())
        digests = np.frombuffer(columns._digests, dtype=np.int64)[rows]
        self._ids.add(own, digests)
        if closing.key_hashes is not None:
            self._keys.add(closing.key_hashes)
        self._missing.add(missing_hashes)
        self.any_brand = self.any_brand or any(columns.is_brand[r] for r in picked)
        created = np.frombuffer(columns.created, dtype=np.int64)[rows]
        self._closed_newest = max(self._closed_newest, int(created.max()))
        keep = np.ones(len(columns), dtype=bool)
        keep[rows] = False
        columns.compact(keep)
