"""Plain numpy columns: conversations flattened once, so aggregates never touch objects again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NoReturn, Protocol

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError

__all__ = [
    "NAT",
    "BusinessClock",
    "Columns",
    "Labels",
    "from_columns",
    "to_columns",
]

NAT = np.datetime64("NaT", "us")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

IntArray = npt.NDArray[np.int64]
TimeArray = npt.NDArray[np.datetime64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


class BusinessClock(Protocol):
    """What a metric needs from a service window: business time elapsed between instants.

    ``socialcare.ServiceWindow`` satisfies it. ``starts`` and ``ends`` are equal-length
    ``datetime64[us]`` arrays in UTC without NaT; the result is a ``timedelta64[us]`` array.
    """

    def elapsed_many(self, starts: Any, ends: Any) -> Any:
        """Business time between each start and end."""
        ...


def _us(value: datetime | None) -> int:
    # Microseconds since the epoch; exact (no float round trip).
    if value is None:
        return np.iinfo(np.int64).min  # NaT's integer value
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _times(values: list[int]) -> TimeArray:
    return np.array(values, dtype=np.int64).view("datetime64[us]")


@dataclass(frozen=True, slots=True)
class Labels:
    """A text column stored as integer codes into ``categories``; ``-1`` means missing.

    >>> labels = Labels.from_values(["billing", None, "billing", "praise"])
    >>> labels.codes.tolist(), labels.categories
    ([0, -1, 0, 1], ('billing', 'praise'))
    >>> labels.values()
    ['billing', None, 'billing', 'praise']
    """

    codes: IntArray
    categories: tuple[str, ...]

    @classmethod
    def from_values(cls, values: Iterable[Any]) -> Labels:
        """Encode text values (``None`` or NaN for missing) in order of first appearance."""
        lookup: dict[str, int] = {}
        codes: list[int] = []
        for value in values:
            if value is None or (isinstance(value, float) and value != value):
                codes.append(-1)
                continue
            text = str(value)
            code = lookup.get(text)
            if code is None:
                code = lookup[text] = len(lookup)
            codes.append(code)
        return cls(np.array(codes, dtype=np.int64), tuple(lookup))

    @classmethod
    def coerce(cls, value: Any, name: str, n: int) -> Labels:
        """Accept Labels, a ``(codes, categories)`` pair or a sequence of text."""
        if isinstance(value, Labels):
            labels = value
        elif (
            isinstance(value, tuple)
            and len(value) == 2
            and isinstance(value[1], (tuple, list))
            and not isinstance(value[0], str)
        ):
            codes = np.asarray(value[0])
            if codes.dtype.kind not in "iu":
                raise InvalidInputError(f"{name}: codes must be integers, got dtype {codes.dtype}")
            labels = cls(codes.astype(np.int64, copy=False), tuple(str(c) for c in value[1]))
        elif isinstance(value, (str, bytes)):
            raise InvalidInputError(f"{name} must be a column of labels, not one string")
        else:
            labels = cls.from_values(value)
        if labels.codes.ndim != 1 or len(labels.codes) != n:
            raise InvalidInputError(
                f"{name} has {len(labels.codes)} rows but the columns have {n}; "
                "give one label per conversation"
            )
        if len(labels.codes) and (
            labels.codes.min() < -1 or labels.codes.max() >= len(labels.categories)
        ):
            raise InvalidInputError(
                f"{name}: codes must lie in -1..{len(labels.categories) - 1} "
                "(-1 for missing, otherwise an index into the categories)"
            )
        return labels

    def values(self) -> list[str | None]:
        """The labels as text, ``None`` where missing."""
        cats = self.categories
        return [cats[c] if c >= 0 else None for c in self.codes.tolist()]

    def code_of(self, category: str) -> int:
        """The code of ``category``, or ``-2`` (matching nothing) when absent."""
        try:
            return self.categories.index(category)
        except ValueError:
            return -2


@dataclass(frozen=True, slots=True)
class Exchanges:
    """Customer turns and their replies as parallel arrays (``conv`` indexes conversations)."""

    conv: IntArray
    customer_at: TimeArray
    reply_at: TimeArray

    @property
    def is_first(self) -> BoolArray:
        """Whether each turn is the first of its conversation (``conv`` is sorted)."""
        first = np.ones(len(self.conv), dtype=bool)
        if len(self.conv) > 1:
            first[1:] = self.conv[1:] != self.conv[:-1]
        return first


@dataclass(frozen=True, slots=True)
class Scores:
    """Survey scores: ``conv`` indexes conversations; a score may be NaN or out of range."""

    conv: IntArray
    score: FloatArray


@dataclass(frozen=True, slots=True)
class Columns:
    """Conversations as plain numpy columns, one row per conversation.

    Build it with `to_columns` (from conversations) or `from_columns` (from arrays
    you already have). Instants are ``datetime64[us]`` in UTC with NaT for "not yet"; labels
    are `Labels`. Exchange tables and survey tables are optional for ``from_columns``:
    metrics that need them raise [InvalidInputError][socialcare.InvalidInputError] when absent.
    """

    first_customer_at: TimeArray
    first_response_at: TimeArray
    first_human_response_at: TimeArray
    resolved_at: TimeArray
    first_resolved_at: TimeArray
    opened_at: TimeArray
    reopened: BoolArray
    brand_touches: IntArray
    human_touches: IntArray
    platform: Labels
    intent: Labels
    route: Labels
    sentiment: Labels
    agent: Labels
    customer: Labels
    exchanges: Exchanges | None = None
    human_exchanges: Exchanges | None = None
    csat: Scores | None = None
    nps: Scores | None = None
    sla: Mapping[str, Labels] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.first_customer_at)

    def response_at(self, *, include_automated: bool) -> TimeArray:
        """First brand response: human only, or human or automated."""
        return self.first_response_at if include_automated else self.first_human_response_at

    def touches(self, *, include_automated: bool) -> IntArray:
        """Brand posts after the first customer post: human only, or all."""
        return self.brand_touches if include_automated else self.human_touches

    def turns(self, *, include_automated: bool) -> Exchanges:
        """The exchange table that matches ``include_automated``."""
        table = self.exchanges if include_automated else self.human_exchanges
        if table is None:
            raise InvalidInputError(
                "these columns have no exchange table: pass exchange_conv, "
                "exchange_customer_at and exchange_reply_at to from_columns() "
                "(or build the columns with to_columns())"
            )
        return table

    @property
    def needs_reply(self) -> BoolArray:
        """Has a customer post and is not routed ``"none"`` (praise, spam, noise)."""
        has_customer = ~np.isnat(self.first_customer_at)
        routed_none: BoolArray = self.route.codes == self.route.code_of("none")
        return has_customer & ~routed_none

    def take(self, index: npt.NDArray[Any]) -> Columns:
        """The rows at ``index`` (a boolean mask or integer positions), tables included."""
        rows = np.arange(len(self))[index]
        remap = np.full(len(self), -1, dtype=np.int64)
        remap[rows] = np.arange(len(rows))

        def sub_ex(table: Exchanges | None) -> Exchanges | None:
            if table is None:
                return None
            keep = remap[table.conv] >= 0
            return Exchanges(remap[table.conv[keep]], table.customer_at[keep], table.reply_at[keep])

        def sub_sc(table: Scores | None) -> Scores | None:
            if table is None:
                return None
            keep = remap[table.conv] >= 0
            return Scores(remap[table.conv[keep]], table.score[keep])

        def sub_lab(labels: Labels) -> Labels:
            return Labels(labels.codes[rows], labels.categories)

        return Columns(
            first_customer_at=self.first_customer_at[rows],
            first_response_at=self.first_response_at[rows],
            first_human_response_at=self.first_human_response_at[rows],
            resolved_at=self.resolved_at[rows],
            first_resolved_at=self.first_resolved_at[rows],
            opened_at=self.opened_at[rows],
            reopened=self.reopened[rows],
            brand_touches=self.brand_touches[rows],
            human_touches=self.human_touches[rows],
            platform=sub_lab(self.platform),
            intent=sub_lab(self.intent),
            route=sub_lab(self.route),
            sentiment=sub_lab(self.sentiment),
            agent=sub_lab(self.agent),
            customer=sub_lab(self.customer),
            exchanges=sub_ex(self.exchanges),
            human_exchanges=sub_ex(self.human_exchanges),
            csat=sub_sc(self.csat),
            nps=sub_sc(self.nps),
            sla={name: sub_lab(states) for name, states in self.sla.items()},
        )


def _state_text(value: Any) -> str | None:
    state = getattr(value, "state", value)
    state = getattr(state, "value", state)
    return None if state is None else str(state)


def sla_states(evaluation: Any) -> dict[str, str | None]:
    """Read per-metric states from one SLA evaluation, by duck typing.

    Accepted shapes: a mapping ``metric -> result`` (a result has ``.state``, or is the state),
    an object with a ``results`` (or ``metrics``) mapping, or an object with attributes named
    ``first_response``, ``next_response``, ``resolution``. A state is a string or an enum
    whose ``.value`` is one.
    """
    inner: Any = evaluation
    if not isinstance(inner, Mapping):
        for attribute in ("results", "metrics"):
            candidate = getattr(inner, attribute, None)
            if isinstance(candidate, Mapping):
                inner = candidate
                break
    if isinstance(inner, Mapping):
        return {str(getattr(k, "value", k)): _state_text(v) for k, v in inner.items()}
    found = {
        name: _state_text(getattr(inner, name))
        for name in ("first_response", "next_response", "resolution")
        if hasattr(inner, name)
    }
    if not found:
        raise InvalidInputError(
            f"cannot read SLA states from {type(evaluation).__name__}: give a mapping "
            "metric -> state (or result with .state), or an object with first_response / "
            "next_response / resolution attributes"
        )
    return found


def to_columns(
    conversations: Iterable[Conversation],
    *,
    policy: Any = None,
    now: datetime | None = None,
) -> Columns:
    """Flatten conversations into `Columns` in one pass.

    Args:
        conversations: the conversations.
        policy: optional SLA policy with ``evaluate(conversation, now)``; its per-metric states
            go into ``Columns.sla`` (needs ``now``).
        now: the instant SLA states are evaluated at (aware).

    >>> from socialcare import Author, Conversation, Post
    >>> c = Conversation(id="c", posts=[Post(id="p", platform="x", author=Author(id="u"),
    ...                  created_at="2024-05-01T09:00:00Z")])
    >>> cols = to_columns([c])
    >>> len(cols), str(cols.first_customer_at[0]), bool(cols.needs_reply[0])
    (1, '2024-05-01T09:00:00.000000', True)
    """
    if isinstance(conversations, (str, bytes, Conversation, Mapping)) or not isinstance(
        conversations, Iterable
    ):
        raise InvalidInputError(
            "conversations must be Columns or an iterable (such as a list) of Conversation "
            f"objects, got {type(conversations).__name__}"
        )
    if policy is not None and (now is None or now.tzinfo is None):
        from socialcare._errors import TimezoneError

        raise TimezoneError("to evaluate an SLA policy give now= as an aware datetime")
    first_customer: list[int] = []
    first_any: list[int] = []
    first_human: list[int] = []
    resolved: list[int] = []
    first_resolved: list[int] = []
    opened: list[int] = []
    reopened: list[bool] = []
    touches: list[int] = []
    human: list[int] = []
    platform: list[str] = []
    intent: list[str | None] = []
    route: list[str | None] = []
    sentiment: list[str | None] = []
    agent: list[str | None] = []
    customer: list[str | None] = []
    ex: tuple[list[int], list[int], list[int]] = ([], [], [])
    hx: tuple[list[int], list[int], list[int]] = ([], [], [])
    csat: tuple[list[int], list[float]] = ([], [])
    nps: tuple[list[int], list[float]] = ([], [])
    sla: dict[str, list[str | None]] = {}
    for index, conv in enumerate(conversations):
        if not isinstance(conv, Conversation):
            raise InvalidInputError(
                f"item {index} is a {type(conv).__name__}, not a Conversation; build "
                "conversations with socialcare.build_conversations()"
            )
        t = conv.timeline
        first_customer.append(_us(t.first_customer_at))
        first_any.append(_us(t.first_response_at))
        first_human.append(_us(t.first_human_response_at))
        resolved.append(_us(t.resolved_at))
        first_resolved.append(_us(t.first_resolved_at))
        opened.append(_us(t.first_customer_at or conv.posts[0].created_at))
        reopened.append(bool(t.reopened_at))
        touches.append(t.brand_touches)
        human.append(t.human_touches)
        platform.append(str(conv.platform))
        intent.append(conv.intent)
        route.append(conv.route)
        sentiment.append(conv.sentiment)
        agent.append(t.agent_id)
        customer.append(None if t.customer is None else f"{conv.platform}:{t.customer.id}")
        for table, exchanges in ((ex, t.exchanges), (hx, t.human_exchanges)):
            for exchange in exchanges:
                table[0].append(index)
                table[1].append(_us(exchange.customer_at))
                table[2].append(_us(exchange.reply_at))
        for survey in conv.surveys:
            target = csat if survey.kind == "csat" else nps
            target[0].append(index)
            target[1].append(float(survey.score))
        if policy is not None:
            for metric, state in sla_states(policy.evaluate(conv, now)).items():
                sla.setdefault(metric, [None] * index).append(state)
            for states in sla.values():
                if len(states) < index + 1:
                    states.append(None)

    def turn_table(table: tuple[list[int], list[int], list[int]]) -> Exchanges:
        return Exchanges(np.array(table[0], dtype=np.int64), _times(table[1]), _times(table[2]))

    def scores(table: tuple[list[int], list[float]]) -> Scores:
        return Scores(np.array(table[0], dtype=np.int64), np.array(table[1], dtype=np.float64))

    return Columns(
        first_customer_at=_times(first_customer),
        first_response_at=_times(first_any),
        first_human_response_at=_times(first_human),
        resolved_at=_times(resolved),
        first_resolved_at=_times(first_resolved),
        opened_at=_times(opened),
        reopened=np.array(reopened, dtype=bool),
        brand_touches=np.array(touches, dtype=np.int64),
        human_touches=np.array(human, dtype=np.int64),
        platform=Labels.from_values(platform),
        intent=Labels.from_values(intent),
        route=Labels.from_values(route),
        sentiment=Labels.from_values(sentiment),
        agent=Labels.from_values(agent),
        customer=Labels.from_values(customer),
        exchanges=turn_table(ex),
        human_exchanges=turn_table(hx),
        csat=scores(csat),
        nps=scores(nps),
        sla={metric: Labels.from_values(states) for metric, states in sla.items()},
    )


def _time_column(value: Any, name: str, n: int | None) -> TimeArray:
    tz = getattr(getattr(value, "dtype", None), "tz", None)
    if tz is not None:  # a time-zone-aware pandas column: to UTC at once (NaT stays missing)
        value = value.dt.tz_convert("UTC").dt.tz_localize(None)
    array = np.asarray(value)
    if array.dtype == object:
        from socialcare._time import parse_timestamp

        try:
            array = _times([_us(None if _missing(v) else parse_timestamp(v)) for v in array])
        except ValueError as exc:  # TimezoneError is a ValueError too
            raise type(exc)(f"{name}: {exc}") from None
    if array.dtype.kind != "M":
        raise InvalidInputError(
            f"{name} must be a datetime64 column (UTC) or aware datetimes, got dtype {array.dtype}"
        )
    if array.ndim != 1 or (n is not None and len(array) != n):
        raise InvalidInputError(f"{name} must be one-dimensional with {n} rows")
    return array.astype("datetime64[us]")


def _missing(value: Any) -> bool:
    """None, NaN or NaT (a missing instant; ``NaT != NaT`` like NaN)."""
    return value is None or (value != value) is True


def _int_column(value: Any, name: str, n: int, default: int = 0) -> IntArray:
    if value is None:
        return np.full(n, default, dtype=np.int64)
    array = np.asarray(value)
    if array.dtype.kind not in "iub" or array.ndim != 1 or len(array) != n:
        raise InvalidInputError(f"{name} must be an integer column with {n} rows")
    return array.astype(np.int64)


_TRUE_TEXT = frozenset({"true", "yes", "1"})
_FALSE_TEXT = frozenset({"false", "no", "0"})


def _truth(value: Any) -> bool | None:
    """One cell of a boolean column: True, False, or None for missing (never a guess).

    Raises ``ValueError`` for anything else.
    """
    if value is None or type(value).__name__ == "NAType":  # pandas.NA
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value != value:  # NaN: missing
            return None
        if value in (0, 1):
            return bool(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        if text in _FALSE_TEXT:
            return False
        if text in ("", "nan", "none", "null", "na", "<na>"):
            return None
    raise ValueError(value)


def _bool_column(value: Any, name: str, n: int) -> BoolArray:
    """A strict boolean column: missing (None, NaN, empty text) is False; junk is refused.

    Accepted cells: ``True``/``False``, ``1``/``0``, and the text ``true``/``false``,
    ``yes``/``no``, ``1``/``0`` in any case.
    """
    if value is None:
        return np.zeros(n, dtype=bool)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidInputError(
            f"{name} must be a column of booleans (one per conversation), "
            f"got {type(value).__name__}"
        )
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):  # numpy, pandas
        array = np.asarray(value)
    else:
        items = list(value)
        array = np.empty(len(items), dtype=object)
        array[:] = items
    if array.ndim != 1 or len(array) != n:
        raise InvalidInputError(f"{name} must be a boolean column with {n} rows")
    if array.dtype == bool:
        copied: BoolArray = array.copy()
        return copied
    if array.dtype.kind in "iuf":  # numbers: 1/0, NaN for missing (no per-row loop)
        numbers = array.astype(np.float64)
        bad = ~np.isnan(numbers) & (numbers != 0) & (numbers != 1)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            _refuse(name, row, array[row])
        result: BoolArray = numbers == 1
        return result
    out = np.zeros(n, dtype=bool)
    for row, cell in enumerate(array.tolist()):
        try:
            out[row] = bool(_truth(cell))
        except ValueError:
            _refuse(name, row, cell)
    return out


def _refuse(name: str, row: int, cell: Any) -> NoReturn:
    raise InvalidInputError(
        f"{name}: row {row} holds {cell!r}, which is not a boolean; use True/False, 1/0, or "
        "the text true/false, yes/no, 1/0 (None or NaN for missing, read as False)"
    )


def _table_index(value: Any, name: str, n: int) -> IntArray:
    conv = np.asarray(value)
    if conv.dtype.kind not in "iu" or conv.ndim != 1:
        raise InvalidInputError(f"{name} must be integer row positions of the conversations")
    conv = conv.astype(np.int64)
    if len(conv) and (conv.min() < 0 or conv.max() >= n):
        raise InvalidInputError(f"{name} values must lie in 0..{n - 1} (one per conversation)")
    return conv


def _exchange_table(conv: Any, customer_at: Any, reply_at: Any, n: int) -> Exchanges | None:
    given = [v is not None for v in (conv, customer_at, reply_at)]
    if not any(given):
        return None
    if not all(given):
        raise InvalidInputError(
            "an exchange table needs all three of exchange_conv, exchange_customer_at and "
            "exchange_reply_at"
        )
    index = _table_index(conv, "exchange_conv", n)
    customer = _time_column(customer_at, "exchange_customer_at", len(index))
    reply = _time_column(reply_at, "exchange_reply_at", len(index))
    order = np.lexsort((customer, index))
    return Exchanges(index[order], customer[order], reply[order])


def _score_table(conv: Any, score: Any, n: int, name: str) -> Scores | None:
    if conv is None and score is None:
        return None
    if conv is None or score is None:
        raise InvalidInputError(f"{name} scores need both {name}_conv and {name}_score")
    index = _table_index(conv, f"{name}_conv", n)
    values = np.asarray(score, dtype=np.float64)
    if values.shape != index.shape:
        raise InvalidInputError(f"{name}_conv and {name}_score must have the same length")
    return Scores(index, values)


def from_columns(
    *,
    first_customer_at: Any,
    first_response_at: Any = None,
    first_human_response_at: Any = None,
    resolved_at: Any = None,
    first_resolved_at: Any = None,
    opened_at: Any = None,
    reopened: Any = None,
    brand_touches: Any = None,
    human_touches: Any = None,
    platform: Any = None,
    intent: Any = None,
    route: Any = None,
    sentiment: Any = None,
    agent: Any = None,
    customer: Any = None,
    exchange_conv: Any = None,
    exchange_customer_at: Any = None,
    exchange_reply_at: Any = None,
    human_exchange_conv: Any = None,
    human_exchange_customer_at: Any = None,
    human_exchange_reply_at: Any = None,
    csat_conv: Any = None,
    csat_score: Any = None,
    nps_conv: Any = None,
    nps_score: Any = None,
    sla: Mapping[str, Any] | None = None,
) -> Columns:
    """Build `Columns` from arrays you already have (one row per conversation).

    Instants are ``datetime64`` (read as UTC) or aware datetimes; NaT/None is "not yet". Labels
    are sequences of text (None for missing) or ``(codes, categories)`` pairs, the fast path
    for millions of rows (pandas: ``(s.cat.codes.to_numpy(), list(s.cat.categories))``).
    Omitted columns default to "never happened" (NaT, 0, missing label, False);
    ``first_human_response_at`` defaults to ``first_response_at`` and the human exchange table
    to the full one. Exchange and survey tables are long tables whose ``*_conv`` gives the row
    of the conversation each entry belongs to.

    ``reopened`` is read strictly: ``True``/``False``, ``1``/``0``, or the text
    ``true``/``false``, ``yes``/``no``, ``1``/``0`` (any case); ``None``, NaN and empty text
    are missing, read as ``False``; anything else is an `socialcare.InvalidInputError`
    naming the row. As for `socialcare.Conversation`, a ``resolved_at`` before
    ``first_customer_at`` does not count (the row is unresolved), and a ``first_resolved_at``
    before it is replaced by ``resolved_at``.

    >>> import numpy as np
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T09:00", "2024-05-01T10:00"], "M8[us]"),
    ...     first_response_at=np.array(["2024-05-01T09:05", "NaT"], "M8[us]"),
    ...     route=["agent", "none"])
    >>> cols.needs_reply.tolist()
    [True, False]
    """
    first = _time_column(first_customer_at, "first_customer_at", None)
    n = len(first)

    def times(value: Any, name: str, default: TimeArray | None = None) -> TimeArray:
        if value is None:
            return default if default is not None else np.full(n, NAT)
        return _time_column(value, name, n)

    def labels(value: Any, name: str) -> Labels:
        if value is None:
            return Labels(np.full(n, -1, dtype=np.int64), ())
        return Labels.coerce(value, name, n)

    any_response = times(first_response_at, "first_response_at")
    human_response = times(first_human_response_at, "first_human_response_at", any_response)
    all_turns = _exchange_table(exchange_conv, exchange_customer_at, exchange_reply_at, n)
    human_turns = _exchange_table(
        human_exchange_conv, human_exchange_customer_at, human_exchange_reply_at, n
    )
    brand = _int_column(brand_touches, "brand_touches", n)
    opened = times(opened_at, "opened_at", first)
    reopened_col = _bool_column(reopened, "reopened", n)
    resolved = times(resolved_at, "resolved_at")
    first_resolved = times(first_resolved_at, "first_resolved_at")
    # The rule of Conversation: a resolution before the first customer post does not count.
    early = ~np.isnat(first) & (resolved < first)
    resolved = np.where(early, NAT, resolved)
    early_first = ~np.isnat(first) & (first_resolved < first)
    first_resolved = np.where(early_first, resolved, first_resolved)
    if sla is not None and not isinstance(sla, Mapping):
        raise InvalidInputError("sla must be a mapping: metric name -> column of states")
    return Columns(
        first_customer_at=first,
        first_response_at=any_response,
        first_human_response_at=human_response,
        resolved_at=resolved,
        first_resolved_at=first_resolved,
        opened_at=opened,
        reopened=reopened_col,
        brand_touches=brand,
        human_touches=brand
        if human_touches is None
        else _int_column(human_touches, "human_touches", n),
        platform=labels(platform, "platform"),
        intent=labels(intent, "intent"),
        route=labels(route, "route"),
        sentiment=labels(sentiment, "sentiment"),
        agent=labels(agent, "agent"),
        customer=labels(customer, "customer"),
        exchanges=all_turns,
        human_exchanges=human_turns if human_turns is not None else all_turns,
        csat=_score_table(csat_conv, csat_score, n, "csat"),
        nps=_score_table(nps_conv, nps_score, n, "nps"),
        sla={str(k): labels(v, f"sla[{k!r}]") for k, v in (sla or {}).items()},
    )


def as_columns(source: Columns | Iterable[Conversation]) -> Columns:
    """Columns as given, or flattened from conversations."""
    if isinstance(source, Columns):
        return source
    return to_columns(source)


def sequence_of(value: Any) -> Sequence[Any]:
    """A list from any iterable (one pass)."""
    return value if isinstance(value, Sequence) else list(value)
