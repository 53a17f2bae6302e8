"""Posts as columns to conversations, SLA states and metrics, without a `Post` per row.

The object path (`build_conversations`, then ``SLAPolicy.evaluate`` per conversation, then
`socialcare.metrics.report`) validates every row into a pydantic model and walks each
conversation in Python. For a large export the same answers come from numpy columns:

- `thread` groups posts into conversations with the rules of `build_conversations` (reply
  chains followed by vectorised pointer jumping, ``conversation_id`` first, missing parents,
  reply cycles broken at their earliest post, exact duplicates dropped, conflicting ids
  refused per row) and orders them as it does;
- `Threads.columns` derives what the metrics read (first customer post, first human and
  automated responses, exchanges, touches) per conversation, and the SLA state of every
  conversation for an `socialcare.SLAPolicy`, vectorised over whole columns with
  ``ServiceWindow.elapsed_many`` / ``add_many``;
- `report` is `socialcare.metrics.report` on those columns.

The result equals the object path's on the same posts (tests/test_columnar.py checks it on
generated data and on the bundled demo week). What the columnar path does not take: status
changes and surveys (conversations built from posts have none). SLA clocks fall back to
``SLAPolicy.evaluate`` on a light `Conversation` for the conversations a batch call cannot
answer exactly (an instant outside 0001-01-05..9999-12-27 in a weekly window) and for a
policy that is not an ``SLAPolicy``; `Threads.sla` says how many fell back.

>>> import numpy as np
>>> posts = {
...     "id": ["1", "2", "3"],
...     "platform": ["x", "x", "x"],
...     "author_id": ["ana", "acme", "ana"],
...     "created_at": np.array(["2024-05-01T09:00", "2024-05-01T09:05", "2024-05-01T09:20"],
...                            "M8[us]"),
...     "in_reply_to": [None, "1", "2"],
... }
>>> threads = thread(posts, brand="acme", assume_tz="UTC")
>>> threads.conversation_ids, threads.roles().tolist()
(('1',), ['customer', 'agent', 'customer'])
>>> row = report(posts, brand="acme", assume_tz="UTC").rows[0]
>>> row.conversations, str(row.first_response_time.median)
(1, '0:05:00')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import repeat
from operator import is_not
from typing import Any

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation, RowError, _brand_keys, _trusted_conversation
from socialcare._errors import InvalidInputError, SocialcareError, TimezoneError
from socialcare._models import Author, Channel, Platform, Post
from socialcare._time import _out_of_range, parse_timestamp, resolve_timezone
from socialcare.metrics._columns import (
    NAT,
    Columns,
    Exchanges,
    Labels,
    Scores,
)

__all__ = ["POST_COLUMNS", "SlaStates", "Threads", "report", "thread"]

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]
BoolArray = npt.NDArray[np.bool_]

#: The columns `thread` reads; ``id``, ``platform``, ``author_id`` and ``created_at`` are
#: required. Dotted names (``author.id``) are accepted for the ``author_*`` ones.
POST_COLUMNS = (
    "id",
    "platform",
    "author_id",
    "created_at",
    "in_reply_to",
    "conversation_id",
    "author_handle",
    "author_is_brand",
    "author_is_bot",
    "automated",
    "channel",
    "text",
)
_REQUIRED = ("id", "platform", "author_id", "created_at")
CUSTOMER, AGENT, BOT = 0, 1, 2  # Threads.role
_ROLE_NAMES = ("customer", "agent", "bot")
_NAT_INT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LABEL_NAMES = ("intent", "route", "sentiment", "priority", "sensitive", "language")


# Reading columns ------------------------------------------------------------------------------


def _get(data: Any, name: str) -> Any:
    dotted = name.replace("author_", "author.", 1) if name.startswith("author_") else None
    for key in (name, dotted):
        if key is None:
            continue
        if isinstance(data, Mapping):
            if key in data:
                return data[key]
        elif key in getattr(data, "columns", ()):
            return data[key]
    return None


def _as_list(value: Any, name: str, n: int | None) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidInputError(f"column {name!r} must be a sequence with one value per post")
    if hasattr(value, "to_numpy"):  # pandas: missing as None/NaN, values as Python objects
        value = value.to_numpy(dtype=object)
    items = value.tolist() if isinstance(value, np.ndarray) else list(value)
    if n is not None and len(items) != n:
        raise InvalidInputError(
            f"column {name!r} has {len(items)} values but 'id' has {n}; give one per post"
        )
    return items


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def _text_id(value: Any, what: str) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(value)
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text or a whole number, got {value!r:.60}")
    if not value:
        raise InvalidInputError(f"{what} cannot be empty")
    return value


def _optional_id(value: Any, what: str) -> str | None:
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    return _text_id(value, what)


def _flag(value: Any, what: str, *, optional: bool) -> bool | None:
    if _missing(value):
        return None if optional else False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        if text in ("", "none", "null", "nan"):
            return None if optional else False
    raise InvalidInputError(f"{what} must be true or false, got {value!r:.60}")


def _us(value: datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class _Rows:
    """The validated rows (``keep`` marks those without an error)."""

    n: int
    keep: BoolArray
    ids: list[Any]
    platform: IntArray
    platforms: list[str]
    author: list[Any]
    created: IntArray
    parent: list[Any]
    thread_id: list[Any]
    is_brand: list[Any]
    bot: BoolArray
    private: BoolArray
    extra: list[list[Any]]
    errors: list[RowError]


def _read(data: Any, brand: frozenset[str], assume_tz: str | None) -> _Rows:
    if isinstance(data, (str, bytes)) or not (
        isinstance(data, Mapping) or hasattr(data, "columns")
    ):
        raise InvalidInputError(
            "posts must be a mapping of columns (name -> values) or a pandas DataFrame, got "
            f"{type(data).__name__}; columns are {', '.join(POST_COLUMNS)}"
        )
    for name in _REQUIRED:
        if _get(data, name) is None:
            raise InvalidInputError(
                f"posts have no column {name!r}; the required columns are {', '.join(_REQUIRED)}"
            )
    ids = _as_list(_get(data, "id"), "id", None)
    n = len(ids)
    columns = {name: _get(data, name) for name in POST_COLUMNS}
    lists = {
        name: (_as_list(value, name, n) if value is not None else None)
        for name, value in columns.items()
        if name not in ("id", "created_at")
    }
    errors: dict[int, SocialcareError] = {}

    def fail(row: int, exc: SocialcareError) -> None:
        errors.setdefault(row, exc)

    created = _created(columns["created_at"], n, assume_tz, fail)
    out_ids = _id_column(ids, "id", fail)
    platform_codes = np.zeros(n, dtype=np.int64)
    names: dict[Any, int] = {}
    platforms: list[str] = []
    raw_platforms = lists["platform"]
    assert raw_platforms is not None
    for row, value in enumerate(raw_platforms):
        code = names.get(value) if isinstance(value, str) else None
        if code is None:
            try:
                if not isinstance(value, str):
                    raise InvalidInputError(
                        f"platform must be a name such as 'twitter', got {value!r:.60}"
                    )
                name = str(Platform(value))
            except ValueError as exc:
                fail(row, InvalidInputError(str(exc)))
                continue
            if name not in platforms:
                platforms.append(name)
            code = names[value] = platforms.index(name)
        platform_codes[row] = code
    raw_author = lists["author_id"]
    assert raw_author is not None
    author = _id_column(raw_author, "author_id", fail)
    parent = _optional_column(lists["in_reply_to"], n, "in_reply_to", fail)
    thread_id = _optional_column(lists["conversation_id"], n, "conversation_id", fail)
    for row in range(n):
        if parent[row] is not None and parent[row] == out_ids[row]:
            fail(
                row,
                InvalidInputError(
                    f"post {out_ids[row]!r} cannot reply to itself (in_reply_to == id)"
                ),
            )
    handles = lists["author_handle"]
    flags = {
        name: _flag_column(lists[name], n, name, fail, optional=name == "author_is_brand")
        for name in ("author_is_brand", "author_is_bot", "automated")
    }
    brand_handles = frozenset(entry.removeprefix("@").lower() for entry in brand)
    handle_values = _handle_column(handles, n, fail)
    said = flags["author_is_brand"]
    is_brand = [
        s if s is not None else (a in brand or (h is not None and h.lower() in brand_handles))
        for s, a, h in zip(said, author, handle_values, strict=True)
    ]
    bot = np.array(flags["author_is_bot"], dtype=bool) | np.array(flags["automated"], dtype=bool)
    private = np.zeros(n, dtype=bool)
    channels = lists["channel"]
    if channels is not None:
        for row, value in enumerate(channels):
            if _missing(value):
                continue
            try:
                private[row] = Channel(str(value).strip().lower()) is Channel.PRIVATE
            except ValueError:
                fail(row, InvalidInputError(f"channel is 'public' or 'private', got {value!r:.60}"))
    texts = lists["text"]
    extra: list[list[Any]] = [
        handle_values,
        flags["author_is_brand"],
        flags["author_is_bot"],
        flags["automated"],
        private.tolist(),
    ]
    if texts is not None:
        extra.append(["" if _missing(t) else t for t in texts])
    keep = np.ones(n, dtype=bool)
    row_errors: list[RowError] = []
    for row in sorted(errors):
        keep[row] = False
        row_id = out_ids[row] if isinstance(out_ids[row], str) else None
        row_errors.append(RowError(row, errors[row], row_id))
    return _Rows(
        n,
        keep,
        out_ids,
        platform_codes,
        platforms,
        author,
        created,
        parent,
        thread_id,
        is_brand,
        bot,
        private,
        extra,
        row_errors,
    )


def _no(what: str) -> Any:
    raise InvalidInputError(f"{what} is missing")


def _id_column(values: list[Any], name: str, fail: Any) -> list[Any]:
    # Text cells pass as they are; anything else goes through the checks.
    out = [v if type(v) is str and v else _BAD for v in values]
    for row, value in enumerate(out):
        if value is _BAD:
            try:
                cell = values[row]
                out[row] = _text_id(cell, name) if not _missing(cell) else _no(name)
            except SocialcareError as exc:
                out[row] = None
                fail(row, exc)
    return out


_BAD: Any = object()


def _optional_column(values: list[Any] | None, n: int, name: str, fail: Any) -> list[Any]:
    if values is None:
        return [None] * n
    out = [
        None if v is None else v if type(v) is str and v and not v.isspace() else _BAD
        for v in values
    ]
    for row, value in enumerate(out):
        if value is _BAD:
            try:
                out[row] = _optional_id(values[row], name)
            except SocialcareError as exc:
                out[row] = None
                fail(row, exc)
    return out


def _flag_column(
    values: list[Any] | None, n: int, name: str, fail: Any, *, optional: bool
) -> list[Any]:
    if values is None:
        return [None if optional else False] * n
    out = [v if v is True or v is False else _BAD for v in values]
    for row, value in enumerate(out):
        if value is _BAD:
            try:
                out[row] = _flag(values[row], name, optional=optional)
            except SocialcareError as exc:
                out[row] = None if optional else False
                fail(row, exc)
    return out


def _handle_column(values: list[Any] | None, n: int, fail: Any) -> list[Any]:
    """Handles as `Author` stores them (no ``@``, no surrounding space); None if missing."""
    if values is None:
        return [None] * n
    out = [
        None
        if v is None
        else v
        if type(v) is str and v and v[0] != "@" and not v[0].isspace() and not v[-1].isspace()
        else _BAD
        for v in values
    ]
    for row, value in enumerate(out):
        if value is not _BAD:
            continue
        cell = values[row]
        out[row] = None
        if _missing(cell):
            continue
        if not isinstance(cell, str) or not cell.strip().removeprefix("@"):
            fail(
                row,
                InvalidInputError(
                    "author_handle must be non-empty text (leave it missing if unknown), got "
                    f"{cell!r:.60}"
                ),
            )
            continue
        out[row] = cell.strip().removeprefix("@")
    return out


def _created(value: Any, n: int, assume_tz: str | None, fail: Any) -> IntArray:
    tz = getattr(getattr(value, "dtype", None), "tz", None)
    if tz is not None:  # an aware pandas column
        value = value.dt.tz_convert("UTC").dt.tz_localize(None)
    array = np.asarray(value) if hasattr(value, "__array__") else None
    if array is not None and array.dtype.kind == "M":
        if array.ndim != 1 or len(array) != n:
            raise InvalidInputError(f"column 'created_at' must have one value per post ({n})")
        if tz is None and assume_tz is None:
            raise TimezoneError(
                f"column 'created_at' holds naive datetime64 values (dtype {array.dtype}), "
                "which carry no time zone: name their zone with assume_tz='Europe/Paris' (or "
                "assume_tz='UTC' if they are UTC), or give aware values, for example a pandas "
                "column made with pd.to_datetime(..., utc=True) or .dt.tz_localize(zone)"
            )
        bad = _outside_years(array)
        for row in np.flatnonzero(bad).tolist():
            fail(row, _out_of_range(array[row]))
        safe = array.copy()
        safe[bad] = np.datetime64(0, "s")
        out: IntArray = safe.astype("datetime64[us]").view(np.int64).copy()
        for row in np.flatnonzero(out == _NAT_INT).tolist():
            fail(row, InvalidInputError("created_at is missing"))
        if tz is None and assume_tz is not None:
            _localize_column(out, ~bad & (out != _NAT_INT), assume_tz, fail)
        return out
    items = _as_list(value, "created_at", n)
    out = np.zeros(n, dtype=np.int64)
    for row, item in enumerate(items):
        try:
            if _missing(item):
                _no("created_at")
            out[row] = _us(parse_timestamp(item, assume_tz=assume_tz))
        except SocialcareError as exc:
            fail(row, exc)
        except ValueError as exc:
            fail(row, InvalidInputError(f"created_at: {exc}"))
    return out


_FIRST_US = np.datetime64("0001-01-01T00:00:00", "us")
_LAST_US = np.datetime64("9999-12-31T23:59:59.999999", "us")


def _outside_years(array: TimeArray) -> BoolArray:
    """Which values lie outside 0001-01-01..9999-12-31, compared in the array's own unit.

    Comparing in the array's unit (bounds rounded inwards) never overflows, where converting
    a coarse unit to microseconds first could wrap around.
    """
    unit, _ = np.datetime_data(array.dtype)
    if unit in ("ns", "ps", "fs", "as"):  # these span a few centuries around 1970 at most
        return np.zeros(len(array), dtype=bool)
    first = np.array([_FIRST_US]).astype(array.dtype)
    if first.astype("datetime64[us]")[0] < _FIRST_US:  # a week starts before year 1
        first = (first.view(np.int64) + 1).view(array.dtype)
    last = np.array([_LAST_US]).astype(array.dtype)
    outside: BoolArray = (array < first) | (array > last)
    return outside


def _localize_column(out: IntArray, rows: BoolArray, assume_tz: str, fail: Any) -> None:
    """Read the wall times ``out[rows]`` (microseconds) in ``assume_tz`` as UTC, in place.

    A zone with one fixed offset shifts the whole column at once; any other zone (daylight
    saving) reads each value as `socialcare.parse_timestamp` reads a naive datetime with
    ``assume_tz``: a time in a fold takes the first occurrence, a time in a gap is an error
    for its row, as is an instant pushed outside the years 1 to 9999.
    """
    zone = resolve_timezone(assume_tz)
    offset = _fixed_offset(zone)
    which = np.flatnonzero(rows)
    if offset is not None:
        shifted = out[which] - offset
        inside = (shifted >= _FIRST_US.view(np.int64)) & (shifted <= _LAST_US.view(np.int64))
        out[which[inside]] = shifted[inside]
        which = which[~inside]  # these fail below, with the object path's error
    if not len(which):
        return
    # Each distinct wall time once (exports repeat seconds), then back to its rows.
    walls, back = np.unique(out[which], return_inverse=True)
    found = np.zeros(len(walls), dtype=np.int64)
    failed: dict[int, SocialcareError] = {}
    for index, value in enumerate(walls.tolist()):
        wall = _NAIVE_EPOCH + timedelta(microseconds=value)
        try:
            found[index] = _us(parse_timestamp(wall, assume_tz=zone))
        except SocialcareError as exc:
            failed[index] = exc
    out[which] = found[back]
    if failed:
        for row, index in zip(which.tolist(), back.tolist(), strict=True):
            if index in failed:
                fail(row, failed[index])


_NAIVE_EPOCH = datetime(1970, 1, 1)


def _fixed_offset(zone: Any) -> int | None:
    """The zone's UTC offset in microseconds if it never changes, else None."""
    import pytz

    if zone is pytz.utc or isinstance(zone, (pytz.tzinfo.StaticTzInfo, timezone)):
        found = zone.utcoffset(_NAIVE_EPOCH)
        if found is not None:
            return found // timedelta(microseconds=1)
    return None


# Threading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaStates:
    """Per SLA metric, one state per conversation (``None``: no clock), and the fallbacks.

    ``fallback`` counts the conversations whose clocks ran through ``SLAPolicy.evaluate``
    one by one instead of the vectorised path (see the module notes).
    """

    states: Mapping[str, Labels]
    fallback: int


@dataclass(frozen=True)
class Threads:
    """Posts grouped into conversations, as columns.

    Conversations are ordered as `build_conversations` orders them (by their first post);
    ``rows`` gives, for each kept post in conversation and time order, its row in the input,
    and ``conv`` its conversation. ``errors``, ``duplicates_dropped``, ``missing_parents`` and
    ``cycles_broken`` mean what they mean in `socialcare.BuildResult`. ``key_hashes``, when
    asked for, holds ``hash((platform code, thread key))`` of each conversation (its thread id,
    or its root post's id; Python's salted string hash, so only comparable within one
    process); otherwise None.
    """

    conversation_ids: tuple[str, ...]
    rows: IntArray
    conv: IntArray
    created_at: TimeArray
    role: npt.NDArray[np.int8]
    platform: Labels
    errors: tuple[RowError, ...]
    duplicates_dropped: int
    missing_parents: int
    cycles_broken: int
    post_ids: tuple[str, ...]
    author_ids: tuple[str, ...]
    private: BoolArray
    key_hashes: IntArray | None = None

    def __len__(self) -> int:
        return len(self.conversation_ids)

    def roles(self) -> npt.NDArray[np.str_]:
        """``customer``, ``agent`` or ``bot`` for each post (in ``rows`` order)."""
        return np.array(_ROLE_NAMES)[self.role]

    def starts(self) -> IntArray:
        """Where each conversation's posts begin in ``rows`` (and one past the end)."""
        return np.searchsorted(self.conv, np.arange(len(self) + 1)).astype(np.int64)

    def columns(
        self,
        *,
        labels: Mapping[str, Any] | None = None,
        policy: Any = None,
        now: datetime | None = None,
    ) -> Columns:
        """The `socialcare.metrics.Columns` of the conversations, SLA states included.

        Args:
            labels: per-conversation labels (``intent``, ``route``, ``sentiment``,
                ``priority``, ``sensitive``, ``language``), each a sequence in conversation
                order (None for missing), as triage would set them.
            policy: an SLA policy; its states go into ``Columns.sla`` (needs ``now``).
            now: the aware instant the clocks are read at.
        """
        labelled = _labels(labels, len(self))
        facts = _timeline(self.conv, self.role, self.created_at, len(self))
        sla: dict[str, Labels] = {}
        if policy is not None:
            sla = dict(self.sla(policy, now, labels=labelled).states)
        customer_codes = _customer_codes(self, facts)
        return Columns(
            first_customer_at=facts.first_customer_at,
            first_response_at=facts.first_response_at,
            first_human_response_at=facts.first_human_at,
            resolved_at=np.full(len(self), NAT),
            first_resolved_at=np.full(len(self), NAT),
            opened_at=np.where(
                np.isnat(facts.first_customer_at), facts.first_post_at, facts.first_customer_at
            ),
            reopened=np.zeros(len(self), dtype=bool),
            brand_touches=facts.touches,
            human_touches=facts.human_touches,
            platform=self.platform,
            intent=labelled["intent"],
            route=labelled["route"],
            sentiment=labelled["sentiment"],
            agent=_agent_labels(self, facts),
            customer=customer_codes,
            exchanges=facts.exchanges,
            human_exchanges=facts.human_exchanges,
            csat=Scores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)),
            nps=Scores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)),
            sla=sla,
        )

    def sla(
        self, policy: Any, now: datetime | None, *, labels: Mapping[str, Any] | None = None
    ) -> SlaStates:
        """The state of every SLA clock of every conversation as of ``now``."""
        from socialcare._sla._policy import SLAPolicy

        if now is None or not isinstance(now, datetime) or now.utcoffset() is None:
            raise TimezoneError("to evaluate an SLA policy give now= as an aware datetime")
        labelled = _labels(labels, len(self))
        if not isinstance(policy, SLAPolicy):
            return _fallback_all(self, policy, now, labelled)
        return _sla_states(self, policy, now, labelled)

    def conversation(self, index: int, labels: Mapping[str, Labels] | None = None) -> Conversation:
        """A light `Conversation` of conversation ``index`` (ids, times, roles, channel)."""
        starts = self.starts()
        platform = Platform(self.platform.categories[self.platform.codes[index]])
        posts = []
        for at in range(int(starts[index]), int(starts[index + 1])):
            role = int(self.role[at])
            posts.append(
                Post.model_construct(
                    id=self.post_ids[at],
                    platform=platform,
                    author=Author.model_construct(
                        id=self.author_ids[at], is_brand=role != CUSTOMER, is_bot=role == BOT
                    ),
                    created_at=_datetime(int(self.created_at[at].view(np.int64))),
                    channel=Channel.PRIVATE if self.private[at] else Channel.PUBLIC,
                    automated=False,
                )
            )
        conversation = _trusted_conversation(
            self.conversation_ids[index], tuple(posts), frozenset()
        )
        if labels:
            update = {
                name: column.categories[column.codes[index]] if column.codes[index] >= 0 else None
                for name, column in labels.items()
            }
            conversation.__dict__.update(update)
        return conversation


def _datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def thread(
    posts: Any,
    brand: Iterable[str] | str | None = None,
    *,
    assume_tz: str | None = None,
) -> Threads:
    """Group posts given as columns into conversations, as `build_conversations` does.

    Args:
        posts: a mapping of columns (name -> sequence or numpy array) or a pandas
            DataFrame with the columns of `POST_COLUMNS`: ``id``, ``platform``, ``author_id``
            and ``created_at`` (an aware pandas datetime column, ``datetime64`` wall times
            with ``assume_tz``, aware datetimes, or anything `socialcare.parse_timestamp`
            reads) are required; ``in_reply_to``,
            ``conversation_id``, ``author_handle``, ``author_is_brand`` (None: decided by
            ``brand``), ``author_is_bot``, ``automated``, ``channel`` and ``text`` are
            optional. ``text`` is only compared to tell an exact duplicate from a conflict.
        brand: author ids or handles that speak for the brand when ``author_is_brand`` is
            missing (as in `build_conversations`).
        assume_tz: the zone of naive timestamps. Without it naive text is an error for its
            row, and a naive ``datetime64`` column (numpy, or pandas without a zone) raises
            `socialcare.TimezoneError`. With it wall times read as `parse_timestamp` reads
            them: a time in a DST fold takes the first occurrence, one in a gap is an error
            for its row. Values outside the years 1 to 9999 are errors for their rows.

    A bad row (a missing id or author, an unknown platform, an unreadable instant, a reply to
    itself) is an entry of ``errors`` and stays out; the other rows go on. A row with the
    platform and id of an earlier one is an exact repeat (dropped, counted) when every column
    given is equal, else a conflict (an entry of ``errors``; the first is kept): columns not
    given (language, metadata) cannot tell two rows apart here as they do for `Post`.
    """
    keys = _brand_keys(brand)
    rows = _read(posts, keys, assume_tz)
    return _thread(rows)


def _thread(
    rows: _Rows, positions: Sequence[Mapping[str, int]] | None = None, *, keys: bool = False
) -> Threads:
    """Thread validated rows; ``positions`` (id -> row per platform code) says the rows are
    already free of repeats and saves building those maps again; ``keys`` fills
    ``Threads.key_hashes``."""
    errors = list(rows.errors)
    duplicates = 0
    keep = rows.keep
    ids, codes = rows.ids, rows.platform.tolist()
    repeats: list[tuple[int, int]] = []
    if positions is None:
        seen_by: list[dict[str, int]] = [{} for _ in rows.platforms]
        for row in np.flatnonzero(keep).tolist():
            first = seen_by[codes[row]].setdefault(ids[row], row)
            if first != row:
                repeats.append((first, row))
    for first, row in repeats:
        keep[row] = False
        if _content(rows, first) == _content(rows, row):
            duplicates += 1
            continue
        errors.append(
            RowError(
                row,
                InvalidInputError(
                    f"post id {ids[row]!r} on {rows.platforms[codes[row]]} was seen before "
                    "with different content; ids must be unique per platform (the first "
                    "version is kept)"
                ),
                ids[row],
            )
        )
    errors.sort(key=lambda e: e.index)
    kept = np.flatnonzero(keep)
    m = len(kept)
    # Every row kept (the command line's columns): the columns are read in place, not copied.
    every = m == len(ids)
    post_ids: Sequence[str]
    thread_ids: Sequence[str | None]
    parents: Sequence[str | None]
    author: Sequence[str]
    if every:
        post_ids, thread_ids, parents, author = ids, rows.thread_id, rows.parent, rows.author
    else:
        kept_list = kept.tolist()
        post_ids = [ids[row] for row in kept_list]
        thread_ids = [rows.thread_id[row] for row in kept_list]
        parents = [rows.parent[row] for row in kept_list]
        author = [rows.author[row] for row in kept_list]
    kept_codes = rows.platform[kept]
    has_thread = np.fromiter(map(is_not, thread_ids, repeat(None)), dtype=bool, count=m)
    parent = np.full(m, -1, dtype=np.int64)
    codes_kept = np.unique(kept_codes).tolist()
    for code in codes_kept:
        members: Sequence[int] = (
            range(m) if len(codes_kept) == 1 else np.flatnonzero(kept_codes == code).tolist()
        )
        position: Mapping[str, int]
        if positions is not None:  # every row kept: a row is its own index
            position = positions[code]
        elif len(members) == m:
            position = dict(zip(post_ids, range(m), strict=True))
        else:
            position = {post_ids[i]: i for i in members}
        # -2: a parent that is not among the posts of its platform
        found = [
            -1 if (up := parents[i]) is None or thread_ids[i] is not None else position.get(up, -2)
            for i in members
        ]
        parent[members] = found
        del found
    missing = int((parent == -2).sum())
    parent[parent == -2] = -1
    created = rows.created[kept]
    id_len = np.fromiter(map(len, post_ids), dtype=np.int64, count=m)
    id_rank = _tie_ranks(post_ids, created, id_len)
    root, cycles = _roots(parent, has_thread, created, id_len, id_rank)
    # Arrays of a post each are dropped as soon as they are used up: at ten million posts each
    # is 80 MB, and this is the command line's peak.
    del parent, has_thread
    # The thread key (the root's conversation id, or its id) on its platform; group codes in
    # the order the posts first meet them.
    roots, first_member, inverse = np.unique(root, return_index=True, return_inverse=True)
    del root
    groups: dict[tuple[int, str], int] = {}
    meet = np.argsort(first_member, kind="stable")
    met_roots = roots[meet]
    codes_met = [
        groups.setdefault((code, thread_ids[r] or post_ids[r]), len(groups))
        for r, code in zip(met_roots.tolist(), kept_codes[met_roots].tolist(), strict=True)
    ]
    group_of_root = np.empty(len(roots), dtype=np.int64)
    group_of_root[meet] = codes_met
    conv = group_of_root[inverse.reshape(-1)]
    del inverse, group_of_root, codes_met
    platforms_per_key: dict[str, int] = {}
    for _, key in groups:
        platforms_per_key[key] = platforms_per_key.get(key, 0) + 1
    names = [
        f"{rows.platforms[p]}:{key}" if platforms_per_key[key] > 1 else key for p, key in groups
    ]
    # Posts in conversation order by (created_at, len(id), id); conversations by first post.
    within = np.lexsort((id_rank, id_len, created, conv))
    conv_sorted = conv[within]
    first = np.flatnonzero(np.r_[True, conv_sorted[1:] != conv_sorted[:-1]]) if m else within[:0]
    firsts = within[first]
    del within, conv_sorted, first
    group_platform = np.array([p for p, _ in groups], dtype=np.int64)
    # Ties between first posts (the same id and instant on two platforms) keep the order
    # build_conversations meets the threads in: platforms as first met, then each key's first
    # post, a key's platforms together.
    codes_found, code_first = np.unique(kept_codes, return_index=True)
    met_codes = codes_found[np.argsort(code_first, kind="stable")].tolist()
    platform_rank = {code: rank for rank, code in enumerate(met_codes)}
    group_first = np.full(len(groups), m, dtype=np.int64)
    np.minimum.at(group_first, conv, np.arange(m))
    key_rank: dict[str, int] = {}
    for g, (p, key) in enumerate(groups):
        rank = platform_rank[p] * (m + 1) + int(group_first[g])
        key_rank[key] = min(key_rank.get(key, rank), rank)
    met_key = np.array([key_rank[key] for _, key in groups], dtype=np.int64)
    met_platform = np.array([platform_rank[p] for p, _ in groups], dtype=np.int64)
    conv_order = np.lexsort(
        (met_platform, met_key, id_rank[firsts], id_len[firsts], created[firsts])
    )
    new_code = np.empty(len(groups), dtype=np.int64)
    new_code[conv_order] = np.arange(len(groups))
    final_conv = new_code[conv]
    del conv, group_first
    order = np.lexsort((id_rank, id_len, created, final_conv))
    role = np.where(
        ~np.array(rows.is_brand, dtype=bool)[kept],
        CUSTOMER,
        np.where(rows.bot[kept], BOT, AGENT),
    ).astype(np.int8)
    # Ids and authors in conversation order, through object arrays (8 bytes a post) rather
    # than a list of the order (36).
    ordered_ids = tuple(np.array(post_ids, dtype=object)[order].tolist())
    ordered_authors = tuple(np.array(author, dtype=object)[order].tolist())
    key_hashes = None
    if keys:
        group_keys = list(groups)
        key_hashes = np.fromiter(
            (hash(group_keys[g]) for g in conv_order.tolist()),
            dtype=np.int64,
            count=len(group_keys),
        )
    return Threads(
        conversation_ids=tuple(names[c] for c in conv_order.tolist()),
        rows=kept[order],
        conv=final_conv[order],
        created_at=created[order].view("datetime64[us]"),
        role=role[order],
        platform=Labels(group_platform[conv_order], tuple(rows.platforms)),
        errors=tuple(errors),
        duplicates_dropped=duplicates,
        missing_parents=missing,
        cycles_broken=cycles,
        post_ids=ordered_ids,
        author_ids=ordered_authors,
        private=rows.private[kept][order],
        key_hashes=key_hashes,
    )


def _content(rows: _Rows, row: int) -> tuple[Any, ...]:
    return (
        rows.author[row],
        int(rows.created[row]),
        rows.parent[row],
        rows.thread_id[row],
        *(column[row] for column in rows.extra),
    )


def _tie_ranks(values: Sequence[str], created: IntArray, lengths: IntArray) -> IntArray:
    """Ranks that order texts (Python's string order) among posts of equal instant and length.

    Posts differ in instant or id length far more often than not; only the tied ones are
    sorted by text, so the ranks order ``(created_at, len(id), id)`` without sorting every id.
    """
    m = len(values)
    ranks = np.zeros(m, dtype=np.int64)
    if m < 2:
        return ranks
    order = np.lexsort((lengths, created))
    c, n = created[order], lengths[order]
    tied = (c[1:] == c[:-1]) & (n[1:] == n[:-1])
    if not tied.any():
        return ranks
    starts = np.flatnonzero(tied & ~np.r_[False, tied[:-1]])
    for start in starts.tolist():
        end = start + 1
        while end < m - 1 and tied[end]:
            end += 1
        members = order[start : end + 1].tolist()
        members.sort(key=values.__getitem__)
        rank = 0
        for position, member in enumerate(members):
            if position and values[member] != values[members[position - 1]]:
                rank += 1
            ranks[member] = rank
    return ranks


def _roots(
    parent: IntArray,
    has_thread: BoolArray,
    created: IntArray,
    id_len: IntArray,
    id_rank: IntArray,
) -> tuple[IntArray, int]:
    """The root of every post's reply chain by pointer jumping; cycles broken at their earliest.

    A root is a post with a conversation id, without a parent, or whose parent is missing.
    """
    m = len(parent)
    parent = parent.copy()
    is_root = has_thread | (parent < 0)
    up = np.where(is_root, np.arange(m), parent)
    cycles = 0
    while True:
        for _ in range(max(1, math.ceil(math.log2(m + 1)) + 1)):
            nxt = up[up]
            if np.array_equal(nxt, up):
                break
            up = nxt
        stuck = ~is_root[up]
        if not stuck.any():
            return up, cycles
        # Whatever never reaches a root leads into a cycle: find each cycle, root it at its
        # earliest post (by created_at, then id) and jump again.
        state = np.zeros(m, dtype=np.int8)  # 0 unseen, 1 on the walk, 2 done
        for start in np.flatnonzero(stuck).tolist():
            if state[start]:
                continue
            path = []
            node = start
            while state[node] == 0:
                state[node] = 1
                path.append(node)
                node = int(parent[node])
            if state[node] == 1:  # a new cycle closes at node
                cycle = path[path.index(node) :]
                earliest = min(
                    cycle, key=lambda i: (int(created[i]), int(id_len[i]), int(id_rank[i]))
                )
                is_root[earliest] = True
                parent[earliest] = -1
                cycles += 1
            for member in path:
                state[member] = 2
        up = np.where(is_root, np.arange(m), parent)


# The facts of each conversation -------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    first_customer_at: TimeArray
    first_response_at: TimeArray
    first_human_at: TimeArray
    first_post_at: TimeArray
    touches: IntArray
    human_touches: IntArray
    customer_pos: IntArray  # position of the first customer post (-1: none)
    agent_pos: IntArray  # position of the first human response (-1: none)
    exchanges: Exchanges
    human_exchanges: Exchanges
    reply_pos: IntArray  # per exchange of ``exchanges`` (-1: unanswered)


def _first_per_group(positions: IntArray, conv: IntArray, k: int) -> IntArray:
    """The first of ``positions`` (sorted) per conversation, -1 where none."""
    out = np.full(k, -1, dtype=np.int64)
    if len(positions):
        groups = conv[positions]
        head = np.r_[True, groups[1:] != groups[:-1]]
        out[groups[head]] = positions[head]
    return out


def _times_at(created: TimeArray, pos: IntArray) -> TimeArray:
    out = np.full(len(pos), NAT)
    ok = pos >= 0
    out[ok] = created[pos[ok]]
    return out


def _exchange_table(
    conv: IntArray, role: npt.NDArray[np.int8], created: TimeArray, members: IntArray
) -> tuple[Exchanges, IntArray]:
    """Customer turns and the brand post that answers each, over the posts ``members``."""
    c = conv[members]
    r = role[members]
    customer = r == CUSTOMER
    size = len(members)
    new_conv = np.r_[True, c[1:] != c[:-1]] if size else np.zeros(0, dtype=bool)
    prev_brand = np.r_[False, ~customer[:-1]] if size else np.zeros(0, dtype=bool)
    start = customer & (new_conv | prev_brand)
    starts = np.flatnonzero(start)
    # The next brand post at or after each position (size: none).
    brand_at = np.where(~customer, np.arange(size), size)
    next_brand = np.minimum.accumulate(brand_at[::-1])[::-1] if size else brand_at
    reply = next_brand[starts] if size else starts
    same = reply < size
    same[same] = c[reply[same]] == c[starts[same]]
    reply_pos = np.where(same, members[np.minimum(reply, size - 1)] if size else reply, -1)
    table = Exchanges(
        c[starts].astype(np.int64),
        created[members[starts]],
        _times_at(created, reply_pos),
    )
    return table, reply_pos.astype(np.int64)


def _timeline(conv: IntArray, role: npt.NDArray[np.int8], created: TimeArray, k: int) -> _Facts:
    m = len(conv)
    positions = np.arange(m, dtype=np.int64)
    customer = role == CUSTOMER
    first_customer = _first_per_group(np.flatnonzero(customer), conv, k)
    reach = np.where(first_customer >= 0, first_customer, m)
    after = positions > reach[conv] if m else np.zeros(0, dtype=bool)
    brand_after = after & ~customer
    human_after = brand_after & (role == AGENT)
    first_any = _first_per_group(np.flatnonzero(brand_after), conv, k)
    first_human = _first_per_group(np.flatnonzero(human_after), conv, k)
    first_post = _first_per_group(positions, conv, k)
    exchanges, reply_pos = _exchange_table(conv, role, created, positions)
    human_exchanges, _ = _exchange_table(conv, role, created, np.flatnonzero(role != BOT))
    return _Facts(
        first_customer_at=_times_at(created, first_customer),
        first_response_at=_times_at(created, first_any),
        first_human_at=_times_at(created, first_human),
        first_post_at=_times_at(created, first_post),
        touches=np.bincount(conv[brand_after], minlength=k).astype(np.int64),
        human_touches=np.bincount(conv[human_after], minlength=k).astype(np.int64),
        customer_pos=first_customer,
        agent_pos=first_human,
        exchanges=exchanges,
        human_exchanges=human_exchanges,
        reply_pos=reply_pos,
    )


def _codes_of(values: Sequence[str | None]) -> Labels:
    return Labels.from_values(values)


def _customer_codes(threads: Threads, facts: _Facts) -> Labels:
    platform_names = threads.platform.categories
    codes = threads.platform.codes.tolist()
    return _codes_of(
        [
            None if pos < 0 else f"{platform_names[codes[i]]}:{threads.author_ids[pos]}"
            for i, pos in enumerate(facts.customer_pos.tolist())
        ]
    )


def _agent_labels(threads: Threads, facts: _Facts) -> Labels:
    return _codes_of(
        [None if pos < 0 else threads.author_ids[pos] for pos in facts.agent_pos.tolist()]
    )


def _labels(labels: Mapping[str, Any] | None, k: int) -> dict[str, Labels]:
    if labels is not None and not isinstance(labels, Mapping):
        raise InvalidInputError(
            "labels must be a mapping: label name -> one value per conversation"
        )
    given = dict(labels or {})
    unknown = set(given) - set(_LABEL_NAMES)
    if unknown:
        raise InvalidInputError(
            f"unknown labels {sorted(unknown)}; labels are {', '.join(_LABEL_NAMES)}"
        )
    out: dict[str, Labels] = {}
    for name in _LABEL_NAMES:
        value = given.get(name)
        if value is None:
            out[name] = Labels(np.full(k, -1, dtype=np.int64), ())
        else:
            out[name] = Labels.coerce(value, f"labels[{name!r}]", k)
    return out


# SLA ------------------------------------------------------------------------------------------


def _condition_mask(
    condition: Any, threads: Threads, labels: Mapping[str, Labels], channel_private: BoolArray
) -> BoolArray:
    k = len(threads)
    mask = np.ones(k, dtype=bool)
    if condition.platform is not None:
        wanted = {str(p) for p in condition.platform}
        hit = np.array([c in wanted for c in threads.platform.categories] + [False], dtype=bool)
        mask &= hit[threads.platform.codes]
    if condition.channel is not None:
        private = channel_private
        ok = np.zeros(k, dtype=bool)
        if "private" in condition.channel:
            ok |= private
        if "public" in condition.channel:
            ok |= ~private
        mask &= ok
    for name in ("intent", "priority", "route", "sentiment", "sensitive", "language"):
        wanted_labels = getattr(condition, name)
        if wanted_labels is None:
            continue
        column = labels[name]
        folded = {w.casefold() for w in wanted_labels}
        hit = np.array([c.casefold() in folded for c in column.categories] + [False], dtype=bool)
        mask &= hit[column.codes]  # code -1 reads the trailing False
    if condition.tags is not None:  # conversations built from posts carry no tags
        mask &= False
    return mask


def _state_labels(states: npt.NDArray[np.int8]) -> Labels:
    """States coded 0..4 (SLA_STATES order), -1 for no clock."""
    from socialcare.metrics._sla import SLA_STATES

    return Labels(states.astype(np.int64), tuple(SLA_STATES))


_PENDING, _AT_RISK, _MET, _BREACHED, _PAUSED = range(5)


def _single_segment_states(
    window: Any,
    duration_us: int,
    at_risk: float,
    start: IntArray,
    stop: IntArray,
    now_us: int,
) -> tuple[npt.NDArray[np.int8], BoolArray]:
    """States of clocks without pauses; the second array marks rows the batch could not do."""
    n = len(start)
    stopped = stop != _NAT_INT
    end = np.where(stopped, stop, now_us)
    spent = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    run = start < end
    if run.any():
        got = window.elapsed_many(
            start[run].view("datetime64[us]"), end[run].view("datetime64[us]")
        ).view(np.int64)
        bad[run] = got == _NAT_INT
        spent[run] = np.where(got == _NAT_INT, 0, got)
    crossing = spent >= duration_us
    due = np.full(n, _NAT_INT, dtype=np.int64)
    if crossing.any():
        got = window.add_many(
            start[crossing].view("datetime64[us]"), timedelta(microseconds=duration_us)
        ).view(np.int64)
        due[crossing] = got
        bad[crossing] |= got == _NAT_INT
    state = np.empty(n, dtype=np.int8)
    met = ~crossing | (stop <= due)
    state[stopped] = np.where(met[stopped], _MET, _BREACHED)
    running = ~stopped
    share = spent / duration_us
    state[running] = np.where(
        crossing[running] & (now_us > due[running]),
        _BREACHED,
        np.where(share[running] >= at_risk, _AT_RISK, _PENDING),
    )
    return state, bad


def _resolution_states(
    window: Any,
    duration_us: int,
    at_risk: float,
    table: Exchanges,
    rows: IntArray,
    now_us: int,
) -> tuple[npt.NDArray[np.int8], BoolArray]:
    """Resolution clocks (no resolution recorded) of conversations ``rows``, paused from each
    brand reply until the customer writes again."""
    k = len(rows)
    wanted = np.zeros(int(table.conv.max()) + 1 if len(table.conv) else 1, dtype=bool)
    wanted[rows] = True
    pick = wanted[table.conv] if len(table.conv) else np.zeros(0, dtype=bool)
    conv = table.conv[pick]
    begin = table.customer_at[pick].view(np.int64)
    reply = table.reply_at[pick].view(np.int64)
    answered = reply != _NAT_INT
    finish = np.where(answered, reply, now_us)
    spent_each = np.zeros(len(conv), dtype=np.int64)
    bad_each = np.zeros(len(conv), dtype=bool)
    run = begin < finish
    if run.any():
        got = window.elapsed_many(
            begin[run].view("datetime64[us]"), finish[run].view("datetime64[us]")
        ).view(np.int64)
        bad_each[run] = got == _NAT_INT
        spent_each[run] = np.where(got == _NAT_INT, 0, got)
    # Cumulative time per conversation, the segment where the target is reached.
    local = np.searchsorted(rows, conv)  # rows is sorted
    total = np.cumsum(spent_each)
    group_start = np.r_[True, conv[1:] != conv[:-1]] if len(conv) else np.zeros(0, dtype=bool)
    offsets = (
        np.maximum.accumulate(np.where(group_start, np.arange(len(conv)), 0))
        if len(conv)
        else np.zeros(0, dtype=np.int64)
    )
    before_group = np.where(offsets > 0, total[offsets - 1], 0) if len(conv) else offsets
    after_each = total - before_group
    before_each = after_each - spent_each
    reached = (before_each < duration_us) & (after_each >= duration_us)
    due = np.full(k, _NAT_INT, dtype=np.int64)
    bad = np.zeros(k, dtype=bool)
    np.logical_or.at(bad, local, bad_each)
    if reached.any():
        left = duration_us - before_each[reached]
        got = window.add_many(
            begin[reached].view("datetime64[us]"), left.astype("timedelta64[us]")
        ).view(np.int64)
        due[local[reached]] = got
        bad[local[reached]] |= got == _NAT_INT
    spent = np.zeros(k, dtype=np.int64)
    np.add.at(spent, local, spent_each)
    # Paused now: the last turn was answered before now, and that pause was not merged into an
    # earlier one that began at or after now (a reply at the very instant of the next post).
    last = np.r_[conv[1:] != conv[:-1], True] if len(conv) else np.zeros(0, dtype=bool)
    breaks = group_start | (reply != begin)
    chain = (
        np.maximum.accumulate(np.where(breaks, np.arange(len(conv)), 0))
        if len(conv)
        else (np.zeros(0, dtype=np.int64))
    )
    paused = np.zeros(k, dtype=bool)
    if len(conv):
        last_idx = np.flatnonzero(last)
        merged_start = reply[chain[last_idx]]
        paused[local[last_idx]] = answered[last_idx] & (merged_start < now_us)
    state = np.where(
        (due != _NAT_INT) & (now_us > due),
        _BREACHED,
        np.where(paused, _PAUSED, np.where(spent / duration_us >= at_risk, _AT_RISK, _PENDING)),
    ).astype(np.int8)
    return state, bad


def _sla_states(
    threads: Threads, policy: Any, now: datetime, labels: Mapping[str, Labels]
) -> SlaStates:
    from socialcare._sla._policy import METRICS, _utc_now

    now = _utc_now(now)
    now_us = _us(now)
    k = len(threads)
    # The conversations as they stood at now: later posts left out.
    current = threads.created_at.view(np.int64) <= now_us
    members = np.flatnonzero(current)
    facts = _timeline(threads.conv[members], threads.role[members], threads.created_at[members], k)
    has_customer = ~np.isnat(facts.first_customer_at)
    customer_pos = facts.customer_pos
    first_post = _first_per_group(np.arange(len(members)), threads.conv[members], k)
    channel_pos = np.where(customer_pos >= 0, customer_pos, first_post)
    private = np.zeros(k, dtype=bool)
    ok = channel_pos >= 0
    private[ok] = threads.private[members][channel_pos[ok]]
    out: dict[str, npt.NDArray[np.int8]] = {}
    fallback = np.zeros(k, dtype=bool)
    for metric in METRICS:
        states = np.full(k, -1, dtype=np.int8)
        taken = ~has_customer
        for target in policy.targets:
            if target.metric != metric:
                continue
            mask = ~taken & _condition_mask(target.when, threads, labels, private)
            taken = taken | mask
            if not mask.any():
                continue
            automated = policy._automated(target)
            table = facts.exchanges if automated else facts.human_exchanges
            duration_us = target.duration // timedelta(microseconds=1)
            rows = np.flatnonzero(mask)
            if metric == "resolution":
                got, bad = _resolution_states(
                    target.window, duration_us, policy.at_risk, table, rows, now_us
                )
                states[rows] = got
                fallback[rows[bad]] = True
                continue
            wanted = np.zeros(k, dtype=bool)
            wanted[rows] = True
            is_first = table.is_first
            last = np.r_[table.conv[1:] != table.conv[:-1], True] if len(table.conv) else is_first
            if metric == "first_response":
                pick = is_first & wanted[table.conv]
            else:  # next response: the latest turn, when there is more than one
                pick = last & ~is_first & wanted[table.conv]
            got, bad = _single_segment_states(
                target.window,
                duration_us,
                policy.at_risk,
                table.customer_at[pick].view(np.int64),
                table.reply_at[pick].view(np.int64),
                now_us,
            )
            convs = table.conv[pick]
            states[convs] = got
            fallback[convs[bad]] = True
        out[metric] = states
    labels_out = {metric: _state_labels(states) for metric, states in out.items()}
    count = int(fallback.sum())
    if count:
        labels_out = _evaluate_some(
            threads, policy, now, labels, np.flatnonzero(fallback), labels_out
        )
    if k == 0:
        labels_out = {}
    return SlaStates(labels_out, count)


def _evaluate_some(
    threads: Threads,
    policy: Any,
    now: datetime,
    labels: Mapping[str, Labels],
    which: IntArray,
    states: Mapping[str, Labels],
) -> dict[str, Labels]:
    from socialcare.metrics._columns import sla_states
    from socialcare.metrics._sla import SLA_STATES

    codes = {metric: column.codes.copy() for metric, column in states.items()}
    for index in which.tolist():
        found = sla_states(policy.evaluate(threads.conversation(index, labels), now))
        for metric, state in found.items():
            column = codes.setdefault(metric, np.full(len(threads), -1, dtype=np.int64))
            column[index] = -1 if state is None else SLA_STATES.index(state)
    return {metric: Labels(column, tuple(SLA_STATES)) for metric, column in codes.items()}


def _fallback_all(
    threads: Threads, policy: Any, now: datetime, labels: Mapping[str, Labels]
) -> SlaStates:
    if len(threads) == 0:
        return SlaStates({}, 0)
    states = _evaluate_some(threads, policy, now, labels, np.arange(len(threads)), {})
    return SlaStates(states, len(threads))


# The report -----------------------------------------------------------------------------------


def report(
    posts: Any,
    brand: Iterable[str] | str | None = None,
    *,
    by: Sequence[str] | None = (),
    labels: Mapping[str, Any] | None = None,
    policy: Any = None,
    now: datetime | None = None,
    assume_tz: str | None = None,
    **options: Any,
) -> Any:
    """`socialcare.metrics.report` of posts given as columns, without a `Post` per row.

    ``posts``, ``brand`` and ``assume_tz`` are those of `thread`; ``labels``, ``policy``
    and ``now`` those of `Threads.columns`; ``by`` and ``options`` (``window``,
    ``period``, ``tz``, ``include_automated``, ``zero_division``) go to
    `socialcare.metrics.report`. Bad rows are left out (read them with `thread`).
    """
    from socialcare.metrics import report as metrics_report

    threads = thread(posts, brand, assume_tz=assume_tz)
    cols = threads.columns(labels=labels, policy=policy, now=now)
    return metrics_report(cols, by=by, **options)
