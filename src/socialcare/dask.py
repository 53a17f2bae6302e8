"""Dask adapter (``pip install 'socialcare[dask]'``): triage and reports over a cluster.

The same work as the command line's ``socialcare report`` (posts grouped into conversations,
triaged, SLA clocks run, metrics reported) on a Dask DataFrame of posts that need not fit in
one machine's memory, with the same result: `report` returns the
[`Report`][socialcare.metrics.Report] that ``metrics.report`` gives on one machine.

Threads are rebuilt without gathering them on one worker. Each post's thread is found by
pointer jumping: a table of ``(post, pointer)`` pairs is joined with itself, each round
replacing a pointer by its target's pointer, until every post points at the root of its
thread (a few rounds: the number of rounds grows with the logarithm of the longest reply
chain). Posts are then shuffled by their root, so each conversation is whole in one
partition, even when its replies sat in other partitions; each partition is grouped, triaged
and evaluated on its own, and the partial metrics are merged.

Only ``import socialcare.dask`` loads Dask; ``import socialcare`` does not.

>>> import pandas as pd, dask.dataframe as dd
>>> from socialcare.dask import report, triage
>>> frame = pd.DataFrame({
...     "id": ["1", "2"], "platform": ["x", "x"], "author.id": ["ana", "acme"],
...     "created_at": ["2024-05-01T09:00:00Z", "2024-05-01T09:04:00Z"],
...     "text": ["where is my parcel??", "DM us"], "in_reply_to": [None, "1"]})
>>> posts = dd.from_pandas(frame, npartitions=2)  # the reply sits in another partition
>>> triage(posts, brand="acme")["route"].compute().tolist()
['auto', 'none']
>>> (row,) = report(posts, brand="acme")
>>> row.conversations, str(row.first_response_time.median)
(1, '0:04:00')
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal, overload

from socialcare._conversation import RowError, _brand_keys, build_conversations
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._models import Post
from socialcare._triage._decision import DECISION_COLUMNS, decision_row
from socialcare.exports import ColumnMapping, _mapping, iter_posts

if TYPE_CHECKING:
    import pandas as pd
    from dask.dataframe import DataFrame as DaskFrame

    from socialcare._triage._decision import Decision
    from socialcare._triage._triager import Triager
    from socialcare.metrics import Accumulator, Report

try:
    import dask as _dask
    import dask.dataframe as _dd
except ImportError as exc:  # pragma: no cover - exercised only without dask
    from socialcare.metrics import MissingDependencyError

    raise MissingDependencyError(
        "socialcare.dask needs Dask: pip install 'socialcare[dask]'"
    ) from exc

# Much of Dask's API is untyped: it is reached through these two names, typed Any, and the
# frames this module handles are Any inside it (`DaskFrame` in the public signatures).
dask: Any = _dask
dd: Any = _dd

__all__ = ["DECISION_COLUMNS", "BadRows", "report", "triage"]

# Helper columns this module adds; an input column with one of these names is refused.
_POS = "_socialcare_pos"  # the row's place in the whole frame: partition << 40 | row
_PLATFORM = "_socialcare_platform"
_ID = "_socialcare_id"
_PARENT = "_socialcare_parent"
_CONV = "_socialcare_conversation"
_AT = "_socialcare_at"
_PTR = "_socialcare_ptr"
_DONE = "_socialcare_done"
_LABEL = "_socialcare_thread"
_PART = "_socialcare_partition"
_BAD = "_socialcare_bad"  # the row is not a valid post
_ERR = "_socialcare_error"  # its RowError, for the first few bad rows of a partition
_HELPERS = (_POS, _PLATFORM, _ID, _PARENT, _CONV, _AT, _PTR, _DONE, _LABEL, _PART, _BAD, _ERR)
_SAMPLES = 5  # bad rows kept with their reasons (per partition, and in `BadRows.first`)
_ROW_BITS = 40  # a partition of up to 2**40 rows
# Rows of the narrow thread tables (six columns, ~100 bytes a row in memory) per partition:
# fewer partitions than the posts have make each round of pointer jumping cheaper.
_THREAD_ROWS = 1_000_000
_SHUFFLE = "tasks"  # partitions travel pickled: every column comes back as it went
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _check_frame(posts: Any) -> Any:
    if not isinstance(posts, dd.DataFrame):
        raise InvalidInputError(
            f"posts must be a Dask DataFrame, got {type(posts).__name__}; for a pandas "
            "DataFrame use socialcare.pandas, or dask.dataframe.from_pandas(frame, npartitions=...)"
        )
    taken = sorted(set(map(str, posts.columns)) & set(_HELPERS))
    if taken:
        raise InvalidInputError(
            f"the posts have columns {taken}, names socialcare.dask keeps for itself: "
            "rename them first"
        )
    return posts


def _mapping_name(mapping: ColumnMapping | str) -> str:
    return f"preset {mapping!r}" if isinstance(mapping, str) else repr(mapping)


def _check_columns(frame: Any, mapping: ColumnMapping, given: ColumnMapping | str) -> None:
    """Refuse, from the frame's meta alone, columns the mapping needs but cannot read.

    A required field (``id``, ``platform``, ``author.id``, ``created_at``) with no column and
    no default, or a naive ``datetime64`` ``created_at`` column with no ``assume_tz``, would
    make every row bad: both are known before any partition is read.
    """
    import numpy as np

    columns = [str(c) for c in frame.columns]
    header = set(columns)
    if mapping.column_for("author") in header:  # a nested author column (dicts) holds author.*
        header |= {mapping.column_for("author.id")}
    missing = mapping.missing_columns(header)
    if missing:
        wanted = ", ".join(f"{column!r} for {name}" for name, column in missing)
        raise InvalidInputError(
            f"the posts have no column {wanted} (mapping: {_mapping_name(given)}); they have "
            f"{', '.join(map(repr, columns))}. Use the preset that fits the export, or name "
            "the columns in a ColumnMapping (columns={field: column}) or give the field a "
            "default (defaults={field: value})"
        )
    name = mapping.column_for("created_at")
    if name in header and mapping.assume_tz is None:
        dtype = frame._meta.dtypes.iloc[columns.index(name)]
        if isinstance(dtype, np.dtype) and dtype.kind == "M":
            raise TimezoneError(
                f"column {name!r} (created_at) is {dtype}, times with no zone, and the mapping "
                f"({_mapping_name(given)}) names none: give the zone they are in "
                "(ColumnMapping(assume_tz='UTC'), or mapping.with_overrides(assume_tz=...)), "
                "or make the column aware first (posts[column].dt.tz_localize(zone))"
            )


@dataclass(frozen=True)
class BadRows:
    """The rows `report` left out, as ``socialcare report`` counts its bad rows.

    A row is bad when it is not a valid post through the mapping, or when it repeats the
    platform and id of an earlier row with other content (the first version is kept, as
    `build_conversations` keeps it). ``count`` is how many; ``first`` holds the first few
    (at most 5) as [`RowError`][socialcare.RowError]s, ``index`` being the row's 0-based
    position in the whole Dask DataFrame (partitions in order), as
    ``posts_from_frame(posts.compute())`` numbers them.

    >>> bool(BadRows(0, ())), str(BadRows(0, ()))
    (False, 'no bad rows')
    """

    count: int
    first: tuple[RowError, ...] = ()

    def __bool__(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        if not self.count:
            return "no bad rows"
        shown = "; ".join(map(str, self.first))
        more = "" if self.count <= len(self.first) else f"; and {self.count - len(self.first)} more"
        return f"{self.count} bad row(s), left out: {shown}{more}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts, missing cells (NaN, NA, NaT) as None: what `iter_posts` reads."""
    import pandas as pd

    data = frame.drop(columns=[c for c in _HELPERS if c in frame.columns])
    records: list[dict[str, Any]] = data.astype(object).where(pd.notna(data), None).to_dict(
        "records"
    )
    return records


def _parse(frame: pd.DataFrame, mapping: ColumnMapping) -> list[Post | RowError]:
    """A `Post` or a `RowError` for each row of ``frame``, in order."""
    out: list[Post | RowError] = []
    for _, value in iter_posts(_records(frame), mapping):
        out.append(value)
    return out


def _us(value: datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --------------------------------------------------------------------------------- triage


@functools.cache
def _ship(triager: Triager | None) -> Any:
    """The triager as one value every task can take: each worker receives it once.

    With a distributed client, the triager is scattered to every worker ahead of the graph
    (a bundled model of several MiB would otherwise travel inside the graph); without one, it
    is one graph key, which the local scheduler shares between tasks.
    """
    if triager is None:
        return None
    try:
        from distributed import default_client

        client = default_client()  # type: ignore[no-untyped-call]
    except (ImportError, ValueError):
        return dask.delayed(triager, pure=True)
    return client.scatter(triager, broadcast=True, hash=False)


def _default_triager() -> Triager:
    """The bundled triager, loaded once per worker process rather than sent to it."""
    from socialcare._triage._triager import Triager

    return Triager.default()


def _decision_frame(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    triager: Triager | None,
    brand: frozenset[str],
) -> pd.DataFrame:
    """``frame`` with the decision columns added (one decision per row; bad rows: error)."""
    import pandas as pd

    parsed = _parse(frame, mapping) if len(frame) else []
    posts = [value for value in parsed if isinstance(value, Post)]
    inputs = [_brand_input(post, brand) if brand else post for post in posts]
    decisions: Iterator[Decision] = iter([])
    if inputs:
        chosen = triager if triager is not None else _default_triager()
        decisions = iter(chosen.decide_many(inputs))
    columns: dict[str, list[Any]] = {name: [] for name in DECISION_COLUMNS}
    for value in parsed:
        if isinstance(value, RowError):
            for name in DECISION_COLUMNS:
                columns[name].append(None)
            columns["error"][-1] = str(value.error)
            continue
        row = decision_row(next(decisions))
        for name in DECISION_COLUMNS:
            columns[name].append(row[name])
    out = frame.copy()
    for name in DECISION_COLUMNS:
        out[name] = pd.Series(columns[name], index=frame.index, dtype=_DTYPES[name])
    return out


_DTYPES: dict[str, str] = {
    name: (
        "float64"
        if name == "confidence"
        else "boolean"
        if name in ("uncertain", "take_private", "influencer", "crisis")
        else "object"
    )
    for name in DECISION_COLUMNS
}


def _brand_input(post: Post, brand: frozenset[str]) -> Any:
    """The post, or its triage input marked as the brand's when its author is in ``brand``."""
    from socialcare._triage._input import TriageInput

    author = post.author
    keys = {entry.removeprefix("@").casefold() for entry in brand}
    if author.is_brand is not None or (
        author.id.casefold() not in keys
        and (author.handle is None or author.handle.removeprefix("@").casefold() not in keys)
    ):
        return post
    return TriageInput.from_post(post).model_copy(update={"is_brand": True})


def triage(
    posts: DaskFrame,
    *,
    mapping: ColumnMapping | str = "socialcare",
    brand: Iterable[str] | str | None = None,
    triager: Triager | None = None,
) -> DaskFrame:
    """The posts with a decision per row: the columns of `DECISION_COLUMNS` added.

    Lazy, like any Dask DataFrame: nothing runs until it is computed or written. Each row is
    read as a post through ``mapping`` (a [`ColumnMapping`][socialcare.exports.ColumnMapping]
    or the name of a preset such as ``"twcs"``) and decided on its own, as
    ``socialcare triage`` does; a row that is not a valid post keeps its place with every
    decision column empty and ``error`` saying why. Columns the mapping needs but cannot
    read are refused at once, as `report` refuses them.

    Args:
        posts: a Dask DataFrame of posts, one per row.
        mapping: a `ColumnMapping` or a preset name (``"socialcare"``, ``"twcs"``).
        brand: author ids or handles of the brand: their posts get route ``none`` (as the
            command line's ``--brand``); unneeded when a column marks the brand.
        triager: defaults to ``Triager.default()``, which each worker loads itself; another
            triager is sent to each worker once.
    """
    frame = _check_frame(posts)
    chosen = _mapping(mapping)
    _check_columns(frame, chosen, mapping)
    keys = _brand_keys(brand)
    if triager is not None:
        from socialcare._triage._triager import Triager

        if not isinstance(triager, Triager):
            raise InvalidInputError(f"triager must be a Triager, got {type(triager).__name__}")
    meta = _decision_frame(frame._meta, chosen, None, keys)
    shipped = _ship(triager)
    decided: DaskFrame = frame.map_partitions(_decision_frame, chosen, shipped, keys, meta=meta)
    return decided


# -------------------------------------------------------------------------------- threads


def _keys_frame(
    frame: pd.DataFrame, mapping: ColumnMapping, partition_info: dict[str, Any] | None = None
) -> pd.DataFrame:
    """One row per row: its place, platform, id, parent, conversation id and time.

    A row that is not a valid post has only its place, ``_BAD`` set and, for the first few of
    the partition, its `RowError` (``index``: its row in the partition) in ``_ERR``.
    """
    import pandas as pd

    number = 0 if partition_info is None else int(partition_info["number"])
    base = number << _ROW_BITS
    names = (_POS, _PLATFORM, _ID, _PARENT, _CONV, _AT, _BAD, _ERR)
    rows: dict[str, list[Any]] = {k: [] for k in names}
    kept = 0
    for index, value in enumerate(_parse(frame, mapping) if len(frame) else []):
        rows[_POS].append(base + index)
        if isinstance(value, RowError):
            for name in (_PLATFORM, _ID, _PARENT, _CONV):
                rows[name].append(None)
            rows[_AT].append(0)
            rows[_BAD].append(True)
            rows[_ERR].append(value if kept < _SAMPLES else None)
            kept += 1
            continue
        rows[_PLATFORM].append(str(value.platform))
        rows[_ID].append(value.id)
        rows[_PARENT].append(value.in_reply_to)
        rows[_CONV].append(value.conversation_id)
        rows[_AT].append(_us(value.created_at))
        rows[_BAD].append(False)
        rows[_ERR].append(None)
    return pd.DataFrame(
        {
            _POS: pd.Series(rows[_POS], dtype="int64"),
            _PLATFORM: pd.Series(rows[_PLATFORM], dtype=object),
            _ID: pd.Series(rows[_ID], dtype=object),
            _PARENT: pd.Series(rows[_PARENT], dtype=object),
            _CONV: pd.Series(rows[_CONV], dtype=object),
            _AT: pd.Series(rows[_AT], dtype="int64"),
            _BAD: pd.Series(rows[_BAD], dtype=bool),
            _ERR: pd.Series(rows[_ERR], dtype=object),
        }
    )


def _bad_summary(keys: pd.DataFrame) -> tuple[int, int, list[RowError]]:
    """A partition's row count, bad-row count and first few `RowError`s."""
    errors = [e for e in keys[_ERR].tolist() if e is not None]
    return len(keys), int(keys[_BAD].sum()), errors[:_SAMPLES]


def _bad_rows(keys: Any) -> tuple[BadRows, list[int]]:
    """The unreadable rows of the (persisted) keys table, the first few renumbered; and where
    each partition starts in the whole frame (the last item: the number of rows)."""
    summaries = dask.compute(*[dask.delayed(_bad_summary)(part) for part in keys.to_delayed()])
    first: list[RowError] = []
    count = 0
    starts = [0]
    for length, bad, errors in summaries:
        count += bad
        for error in errors:
            if len(first) < _SAMPLES:
                first.append(RowError(starts[-1] + error.index, error.error, error.id))
        starts.append(starts[-1] + length)
    return BadRows(count, tuple(first)), starts


def _attach(
    frame: pd.DataFrame, labels: pd.DataFrame, partition_info: dict[str, Any] | None = None
) -> pd.DataFrame:
    """The valid rows of one partition of the posts, each with its place and thread label.

    ``labels`` holds ``(place, label)`` of this partition's rows (the same partition number).
    """
    import numpy as np

    number = 0 if partition_info is None else int(partition_info["number"])
    if len(labels) and int(labels.index[0]) != number:  # pragma: no cover - a broken invariant
        raise AssertionError(f"partition {number} got the labels of {labels.index[0]}")
    out = frame.copy()
    out[_POS] = (number << _ROW_BITS) + np.arange(len(frame), dtype=np.int64)
    return out.merge(labels.reset_index(drop=True)[[_POS, _LABEL]], on=_POS, how="inner")


def _first_of_each(frame: pd.DataFrame) -> pd.DataFrame:
    """The first row (by place) of each post: a repeated post is threaded as first seen."""
    ordered = frame.sort_values(_POS, kind="stable")
    return ordered.drop_duplicates([_PLATFORM, _ID], keep="first")


def _start(nodes: pd.DataFrame) -> pd.DataFrame:
    """Each post's first pointer: its parent, or itself with its label when it is a root."""
    out = nodes[[_PLATFORM, _ID, _PARENT, _CONV, _AT]].copy()
    has_conv = out[_CONV].notna()
    is_root = has_conv | out[_PARENT].isna()
    out[_DONE] = is_root
    out[_LABEL] = out[_CONV].where(has_conv, out[_ID]).where(is_root, None)
    out[_PTR] = out[_PARENT].where(~is_root, None)
    return out[[_PLATFORM, _ID, _PARENT, _AT, _PTR, _DONE, _LABEL]]


def _jump(joined: pd.DataFrame, *, first: bool) -> pd.DataFrame:
    """One round of pointer jumping over posts joined with the post they point at.

    The target's columns carry the suffix ``_t``. A labelled post keeps its label; an
    unlabelled one takes its target's label when the target has one, else (after the first
    round) its target's pointer. The first round only checks parents: a reply whose parent is
    not in the data roots its own thread, and no pointer moves (a pointer moved past such a
    parent would lose it).
    """
    out = joined[[_PLATFORM, _ID, _PARENT, _AT]].copy()
    before = joined[_DONE].astype(bool)
    target_done = joined[_DONE + "_t"]
    missing = target_done.isna() & ~before
    if not first and missing.any():  # pragma: no cover - a broken invariant, not bad data
        raise AssertionError("a pointer leads to a post that is not in the data")
    taken = ~before & ~missing & (target_done == True)  # noqa: E712 - True, False or NA
    label = joined[_LABEL].where(before, None)
    label = label.where(~missing, joined[_ID])
    label = label.where(~taken, joined[_LABEL + "_t"])
    done = before | missing | taken
    out[_DONE] = done.astype(bool)
    out[_LABEL] = label.where(done, None)
    pointer = joined[_PTR] if first else joined[_PTR + "_t"]
    out[_PTR] = pointer.where(~done, None)
    return out[[_PLATFORM, _ID, _PARENT, _AT, _PTR, _DONE, _LABEL]]


def _cycle_labels(rest: pd.DataFrame) -> pd.DataFrame:
    """Labels for posts whose reply chain runs into a cycle, found by walking it here.

    Every post of such a chain is in ``rest`` (its parent leads to the same cycle), so the
    walk needs nothing else. The label is the earliest post of the cycle, as
    `build_conversations` breaks a cycle there.
    """
    import pandas as pd

    parents: dict[tuple[str, str], str] = {}
    order: dict[tuple[str, str], tuple[int, int, str]] = {}
    for platform, post_id, parent, at in zip(
        rest[_PLATFORM], rest[_ID], rest[_PARENT], rest[_AT], strict=True
    ):
        parents[(platform, post_id)] = parent
        order[(platform, post_id)] = (int(at), len(post_id), post_id)
    labels: dict[tuple[str, str], str] = {}
    for start in parents:
        path: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        node = start
        while node not in labels and node not in seen:
            seen.add(node)
            path.append(node)
            node = (node[0], parents[node])
        if node in labels:
            label = labels[node]
        else:  # node closes a cycle: the cycle is path from node on
            cycle = path[path.index(node) :]
            label = min(cycle, key=order.__getitem__)[1]
        for member in path:
            labels[member] = label
    out = rest[[_PLATFORM, _ID]].copy()
    out[_LABEL] = pd.Series(
        [labels[(p, i)] for p, i in zip(rest[_PLATFORM], rest[_ID], strict=True)],
        index=rest.index,
        dtype=object,
    )
    return out


def _thread_labels(keys: Any, partitions: int) -> tuple[Any, int | None]:
    """``(platform, id, label)`` for each distinct post (equal labels within a thread), and
    the time of the last post (microseconds since the epoch; None without posts).

    Pointer jumping: each round joins every post with the post it points at. A chain of depth
    d is labelled after ceil(log2(d + 1)) rounds, and the depths of a chain are contiguous, so
    a round that labels no new post means the rest lead into reply cycles: those are few
    (broken data) and are walked on the client.
    """
    nodes = keys.shuffle(
        [_PLATFORM, _ID], npartitions=partitions, shuffle_method=_SHUFFLE
    ).map_partitions(_first_of_each)
    meta = _start(nodes._meta)
    state = nodes.map_partitions(_start, meta=meta).persist()
    opened, latest = dask.compute((~state[_DONE]).sum(), state[_AT].max())
    open_count = int(opened)
    last = None if latest != latest else int(latest)  # NaN: no post at all
    first = True
    while open_count:
        targets = state[[_PLATFORM, _ID, _PTR, _DONE, _LABEL]].rename(
            columns={
                _ID: _PTR + "_key",
                _PTR: _PTR + "_t",
                _DONE: _DONE + "_t",
                _LABEL: _LABEL + "_t",
            }
        )
        joined = state.merge(
            targets,
            how="left",
            left_on=[_PLATFORM, _PTR],
            right_on=[_PLATFORM, _PTR + "_key"],
            shuffle_method=_SHUFFLE,
        )
        state = joined.map_partitions(_jump, first=first, meta=meta).persist()
        still_open = int((~state[_DONE]).sum().compute())
        if still_open == open_count and not first:  # nothing new: the rest run into cycles
            rest = state[~state[_DONE]].compute()
            walked = dd.from_pandas(_cycle_labels(rest), npartitions=1)
            done = state[state[_DONE]][[_PLATFORM, _ID, _LABEL]]
            return dd.concat([done, walked]), last
        open_count = still_open
        first = False
    return state[[_PLATFORM, _ID, _LABEL]], last


# -------------------------------------------------------------------------------- report


_Part = tuple["Accumulator", int, list[tuple[int, RowError]]]


def _partial(
    frame: pd.DataFrame,
    mapping: ColumnMapping,
    brand: frozenset[str],
    triager: Triager | None,
    settings: dict[str, Any],
) -> _Part:
    """The metrics of the whole threads in one partition (after the shuffle), to merge.

    With them, the rows `build_conversations` refused (a post seen before with other
    content): how many, and the first few with their place in the whole frame.
    """
    from socialcare._triage._threads import triage_conversations
    from socialcare.metrics import Accumulator

    ordered = frame.sort_values(_POS, kind="stable")  # first seen first, as on one machine
    posts = [value for value in _parse(ordered, mapping) if isinstance(value, Post)]
    built = build_conversations(posts, brand=brand or None)
    chosen = triager if triager is not None else _default_triager()
    labelled = triage_conversations(built.conversations, chosen) if built.conversations else []
    places = ordered[_POS].tolist()  # every row here is a valid post: one place per post
    refused = [(int(places[error.index]), error) for error in built.errors[:_SAMPLES]]
    return Accumulator(**settings).add(labelled), len(built.errors), refused


def _merge(parts: Sequence[_Part]) -> _Part:
    refused = sorted((item for part in parts for item in part[2]), key=lambda item: item[0])
    return (
        parts[0][0].merge(*(part[0] for part in parts[1:])),
        sum(part[1] for part in parts),
        refused[:_SAMPLES],
    )


def _tree(items: list[Any], combine: Any, fan_in: int = 8) -> Any:
    """Combine delayed values ``fan_in`` at a time until one is left."""
    while len(items) > 1:
        items = [
            dask.delayed(combine, pure=True)(items[i : i + fan_in])
            for i in range(0, len(items), fan_in)
        ]
    return items[0]


@overload
def report(
    posts: DaskFrame,
    *,
    mapping: ColumnMapping | str = "socialcare",
    brand: Iterable[str] | str | None = None,
    by: Sequence[str] | None = (),
    policy: Any = None,
    now: datetime | None = None,
    triager: Triager | None = None,
    window: Any = None,
    period: str = "week",
    tz: str | Any = None,
    include_automated: bool = False,
    zero_division: float | None = None,
    relative_error: float | None = None,
    return_errors: Literal[False] = False,
) -> Report: ...


@overload
def report(
    posts: DaskFrame,
    *,
    mapping: ColumnMapping | str = "socialcare",
    brand: Iterable[str] | str | None = None,
    by: Sequence[str] | None = (),
    policy: Any = None,
    now: datetime | None = None,
    triager: Triager | None = None,
    window: Any = None,
    period: str = "week",
    tz: str | Any = None,
    include_automated: bool = False,
    zero_division: float | None = None,
    relative_error: float | None = None,
    return_errors: Literal[True],
) -> tuple[Report, BadRows]: ...


def report(
    posts: DaskFrame,
    *,
    mapping: ColumnMapping | str = "socialcare",
    brand: Iterable[str] | str | None = None,
    by: Sequence[str] | None = (),
    policy: Any = None,
    now: datetime | None = None,
    triager: Triager | None = None,
    window: Any = None,
    period: str = "week",
    tz: str | Any = None,
    include_automated: bool = False,
    zero_division: float | None = None,
    relative_error: float | None = None,
    return_errors: bool = False,
) -> Report | tuple[Report, BadRows]:
    """Group posts into conversations, triage them, run SLA clocks and report the metrics.

    The same [`Report`][socialcare.metrics.Report] as ``metrics.report`` over
    ``triage_conversations(build_conversations(posts, brand))`` on one machine, computed on
    the cluster the Dask DataFrame lives on (the current ``distributed.Client``, or Dask's
    local scheduler).

    Before the cluster does any work, the frame's columns are checked against ``mapping``: a
    required field (``id``, ``platform``, ``author.id``, ``created_at``) with no column and no
    default is an `InvalidInputError`, and a naive ``datetime64`` ``created_at`` column with
    no ``assume_tz`` a `TimezoneError`. Rows that are still not valid posts (a bad value, a
    naive time in text), and later rows that repeat a post's id with other content, are left
    out, as ``socialcare report`` leaves them out, and counted:
    ``return_errors=True`` returns them as [`BadRows`][socialcare.dask.BadRows] with the
    report; `triage` lists every one in its ``error`` column. When every row is bad, nothing
    is reported: an `InvalidInputError` names the first few and why.

    Args:
        posts: a Dask DataFrame of posts in any export shape ``mapping`` reads.
        mapping: a [`ColumnMapping`][socialcare.exports.ColumnMapping] or a preset name
            (``"socialcare"``, ``"twcs"``).
        brand: author ids or handles that speak for the brand (see ``build_conversations``).
        by: breakdown keys, as ``metrics.report``.
        policy: an [`SLAPolicy`][socialcare.SLAPolicy] (or any object with
            ``evaluate(conversation, now)``); without one the report has no SLA columns.
        now: the instant SLA clocks are read at; with a policy and no ``now``, one second after
            the last post (as ``socialcare report`` replays an export).
        triager: defaults to ``Triager.default()``, which each worker loads itself; another
            triager is sent to each worker once.
        window: a service window for business-time durations, as ``metrics.report``.
        period: ``"day"``, ``"week"`` or ``"month"``, as ``metrics.report``.
        tz: the zone whose midnight starts a period, as ``metrics.report``.
        include_automated: count automated replies as responses, as ``metrics.report``.
        zero_division: the value of a rate with a zero denominator, as ``metrics.report``.
        relative_error: ``None`` for exact medians and percentiles (every duration is kept
            until the end), or the relative error bound of a sketch that keeps memory per
            group bounded (see [`Accumulator`][socialcare.metrics.Accumulator]); counts,
            rates, means, minima and maxima stay exact either way.
        return_errors: return ``(report, bad_rows)``: the rows left out, their count and the
            first few reasons.

    Raises:
        InvalidInputError: a bad argument, a column the mapping needs is missing, or every
            row is bad (all before the report is computed).
        TimezoneError: ``now`` is naive, or ``created_at`` is a naive ``datetime64`` column
            and the mapping has no ``assume_tz``.
    """
    from socialcare import metrics

    frame = _check_frame(posts)
    chosen = _mapping(mapping)
    _check_columns(frame, chosen, mapping)
    keys_of_brand = _brand_keys(brand)
    if triager is not None:
        from socialcare._triage._triager import Triager

        if not isinstance(triager, Triager):
            raise InvalidInputError(f"triager must be a Triager, got {type(triager).__name__}")
    if now is not None and (not isinstance(now, datetime) or now.tzinfo is None):
        raise TimezoneError("now must be an aware datetime (with a zone), such as UTC")
    settings: dict[str, Any] = {
        "by": by,
        "window": window,
        "period": period,
        "tz": tz,
        "include_automated": include_automated,
        "zero_division": zero_division,
        "relative_error": relative_error,
    }
    # checks the settings before the cluster does any work (now and policy: below)
    metrics.Accumulator(**settings)
    if policy is not None and not callable(getattr(policy, "evaluate", None)):
        raise InvalidInputError(
            f"policy must have evaluate(conversation, now) (a socialcare.SLAPolicy), "
            f"got {type(policy).__name__}"
        )

    every = frame.map_partitions(_keys_frame, chosen, meta=_keys_frame(frame._meta, chosen))
    every = every.persist()
    bad, starts = _bad_rows(every)
    total = starts[-1]
    if bad.count and bad.count == total:
        raise InvalidInputError(
            f"not one of the {total} row(s) is a valid post (mapping: {_mapping_name(mapping)}), "
            f"so there is nothing to report; the first: "
            f"{'; '.join(map(str, bad.first))}. Check the mapping (columns, defaults, "
            "assume_tz for times with no zone) against the export"
        )
    rows = total - bad.count
    keys = every[~every[_BAD]].drop(columns=[_BAD, _ERR])
    partitions = max(1, min(frame.npartitions, -(-rows // _THREAD_ROWS)))
    labels, last = _thread_labels(keys, partitions)
    if policy is not None and now is None:
        # no post at all: any instant will do, no clock runs
        now = _EPOCH + timedelta(microseconds=(last or 0) + 1_000_000)
    settings.update(policy=policy, now=now)
    row_labels = keys[[_POS, _PLATFORM, _ID]].merge(
        labels, on=[_PLATFORM, _ID], how="inner", shuffle_method=_SHUFFLE
    )[[_POS, _LABEL]]
    # Each row's label goes back to the partition the row came from (the narrow table moves,
    # not the posts); then the posts move once, by thread.
    count = frame.npartitions
    row_labels[_PART] = row_labels[_POS] // (1 << _ROW_BITS)
    aligned = row_labels.set_index(
        _PART, divisions=[*range(count), count - 1], shuffle_method=_SHUFFLE
    )
    attached = dd.map_partitions(
        _attach,
        frame,
        aligned,
        align_dataframes=False,
        meta=_attach(frame._meta, aligned._meta),
    )
    threads = attached.shuffle(_LABEL, npartitions=count, shuffle_method=_SHUFFLE)
    shipped = _ship(triager)
    parts = [
        dask.delayed(_partial, pure=True)(part, chosen, keys_of_brand, shipped, settings)
        for part in threads.to_delayed()
    ]
    ((merged, refused, refused_first),) = dask.compute(_tree(parts, _merge))
    result: Report = merged.report()
    if not return_errors:
        return result
    renumbered = [
        (starts[place >> _ROW_BITS] + (place & ((1 << _ROW_BITS) - 1)), error)
        for place, error in refused_first
    ]
    first = sorted(
        [*((e.index, e) for e in bad.first), *renumbered], key=lambda item: item[0]
    )[:_SAMPLES]
    everything = BadRows(
        bad.count + refused,
        tuple(RowError(index, error.error, error.id) for index, error in first),
    )
    return result, everything
