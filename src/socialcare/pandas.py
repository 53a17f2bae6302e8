"""pandas adapter (``pip install socialcare[pandas]``): DataFrame in, DataFrame out.

An edge over the core's batch paths: `triage_frame` calls ``Triager.decide_many`` once
over a whole column, `conversations_frame` flattens conversations with
``metrics.to_columns``, `report_frame` returns ``metrics.report`` as a frame. No
per-row Python loop of ours sits between a DataFrame and the core's vectorised work, except
where the core itself works per conversation (SLA clocks).

>>> import pandas as pd
>>> from socialcare.pandas import triage_frame
>>> frame = pd.DataFrame({"text": ["where is my order??", None]})
>>> triage_frame(frame)[["route", "error"]].iloc[1].tolist()
['agent', 'not a post: None']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from socialcare._conversation import Conversation, RowError
from socialcare._errors import InvalidInputError
from socialcare._models import Author, Channel, Platform, Post
from socialcare.exports import DECISION_COLUMNS, ColumnMapping, iter_posts

if TYPE_CHECKING:
    import pandas as pd

    from socialcare._sla._policy import SLAPolicy
    from socialcare._triage._triager import Triager

__all__ = [
    "DECISION_COLUMNS",
    "conversations_frame",
    "posts_from_frame",
    "report_frame",
    "sla_frame",
    "triage_frame",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - exercised only without pandas
        from socialcare.metrics import MissingDependencyError

        raise MissingDependencyError(
            "the pandas adapter needs pandas: pip install 'socialcare[pandas]'"
        ) from None
    return pd


def _require_frame(frame: Any, what: str = "frame") -> None:
    pd = _pandas()
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")


def _column(frame: pd.DataFrame, name: str | None, role: str) -> Any:
    if name is None:
        return None
    if name not in frame.columns:
        raise InvalidInputError(
            f"no column {name!r} for the {role} (columns: {', '.join(map(str, frame.columns))})"
        )
    return frame[name]


def triage_frame(
    frame: pd.DataFrame,
    *,
    text: str = "text",
    followers: str | None = None,
    verified: str | None = None,
    channel: str | None = None,
    triager: Triager | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """A decision per row of ``frame``, as a DataFrame with the same index.

    Args:
        text: the column of post texts.
        followers, verified, channel: optional columns that let the routing rules see
            influencers (follower count, verified flag) and private channels ("public" or
            "private"). Without them every row is a public post by an ordinary account.
        triager: defaults to ``Triager.default()``.
        n_jobs: cores for batch scoring (joblib).

    Rows that cannot be read (a missing text, a bad follower count) get a decision routed to
    a person with ``error`` set; no row is dropped.
    """
    pd = _pandas()
    _require_frame(frame)
    texts = _column(frame, text, "post text")
    extra = [followers, verified, channel]
    if triager is None:
        from socialcare._triage._triager import Triager

        triager = Triager.default()
    if all(name is None for name in extra):
        items: list[Any] = [value if isinstance(value, str) else None for value in texts]
        errors: list[str | None] = [None] * len(items)
    else:
        items, errors = _posts_for_rules(frame, texts, followers, verified, channel)
    decisions = triager.decide_many(items, n_jobs=n_jobs)
    rows = {
        "route": [d.route for d in decisions],
        "intent": [d.intent for d in decisions],
        "confidence": [d.confidence for d in decisions],
        "uncertain": [d.uncertain for d in decisions],
        "priority": [d.priority for d in decisions],
        "sensitive": [d.sensitive for d in decisions],
        "sentiment": [d.sentiment for d in decisions],
        "take_private": [d.take_private for d in decisions],
        "reasons": ["; ".join(d.reasons) for d in decisions],
        "error": [e or d.error for d, e in zip(decisions, errors, strict=True)],
    }
    return pd.DataFrame(rows, index=frame.index, columns=list(DECISION_COLUMNS))


def _posts_for_rules(
    frame: pd.DataFrame,
    texts: Any,
    followers: str | None,
    verified: str | None,
    channel: str | None,
) -> tuple[list[Any], list[str | None]]:
    """Light posts carrying only what the routing rules read, checked column by column."""
    import numpy as np

    n = len(frame)
    counts = _column(frame, followers, "follower counts")
    flags = _column(frame, verified, "verified flags")
    channels = _column(frame, channel, "channels")
    count_values = np.zeros(n) if counts is None else counts.to_numpy(dtype=float, na_value=np.nan)
    items: list[Any] = []
    errors: list[str | None] = []
    for row in range(n):
        value = texts.iloc[row]
        problem: str | None = None
        count = count_values[row]
        if not np.isfinite(count) or count < 0:
            problem = f"followers must be a non-negative number, got {counts.iloc[row]!r}"
            count = 0.0
        flag = False if flags is None else flags.iloc[row]
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            problem = f"verified must be true or false, got {flag!r}"
            flag = False
        kind = Channel.PUBLIC
        if channels is not None:
            try:
                kind = Channel(str(channels.iloc[row]).strip().lower())
            except ValueError:
                problem = f"channel must be 'public' or 'private', got {channels.iloc[row]!r}"
        if not isinstance(value, str):
            items.append(None)
            errors.append(problem)
            continue
        author = Author.model_construct(
            id="row", followers=int(count), verified=bool(flag), is_brand=None, is_bot=False
        )
        items.append(
            Post.model_construct(
                id=str(row),
                platform=Platform.TWITTER,
                created_at=_EPOCH,
                text=value,
                author=author,
                channel=kind,
                automated=False,
            )
        )
        errors.append(problem)
    return items, errors


def posts_from_frame(
    frame: pd.DataFrame, mapping: ColumnMapping | str = "socialcare"
) -> tuple[list[Post], list[RowError]]:
    """Validate each row of ``frame`` into a `Post` (see `socialcare.exports`).

    Returns the posts and a `RowError` per bad row (``index`` is the row's position).
    """
    pd = _pandas()
    _require_frame(frame)
    records = frame.astype(object).where(pd.notna(frame), None).to_dict("records")
    posts: list[Post] = []
    errors: list[RowError] = []
    for line, value in iter_posts(records, mapping):
        if isinstance(value, RowError):
            errors.append(RowError(line - 1, value.error, value.id))
        else:
            posts.append(value)
    return posts, errors


def conversations_frame(conversations: Iterable[Conversation]) -> pd.DataFrame:
    """One row per conversation with its derived instants, counts and labels."""
    pd = _pandas()
    from socialcare import metrics

    items = list(conversations)
    for index, item in enumerate(items):
        if not isinstance(item, Conversation):
            raise InvalidInputError(f"item {index} is not a Conversation: {item!r}")
    cols = metrics.to_columns(items)
    data: dict[str, Any] = {"conversation_id": [c.id for c in items]}
    for name in (
        "first_customer_at",
        "first_response_at",
        "first_human_response_at",
        "first_resolved_at",
        "resolved_at",
    ):
        data[name] = pd.to_datetime(getattr(cols, name)).tz_localize("UTC")
    data["reopened"] = cols.reopened
    data["brand_touches"] = cols.brand_touches
    data["human_touches"] = cols.human_touches
    for name in ("platform", "intent", "route", "sentiment", "agent", "customer"):
        labels = getattr(cols, name)
        data[name] = pd.Categorical.from_codes(labels.codes, categories=list(labels.categories))
    frame = pd.DataFrame(data)
    frame["first_response_time"] = frame["first_response_at"] - frame["first_customer_at"]
    frame["first_human_response_time"] = (
        frame["first_human_response_at"] - frame["first_customer_at"]
    )
    return frame


def sla_frame(
    conversations: Iterable[Conversation], policy: SLAPolicy, now: datetime
) -> pd.DataFrame:
    """One row per conversation and SLA metric: state, due, elapsed, remaining, share.

    A conversation the policy cannot evaluate gets one row with ``error`` set.
    """
    pd = _pandas()
    rows: list[dict[str, Any]] = []
    for report in policy.evaluate_many(list(conversations), now):
        if isinstance(report, RowError):
            rows.append({"conversation_id": report.id, "error": str(report.error)})
            continue
        for result in report.results:
            rows.append(
                {
                    "conversation_id": report.conversation_id,
                    "metric": result.metric,
                    "target": result.target.name,
                    "state": result.state.value,
                    "started_at": result.started_at,
                    "due_at": result.due_at,
                    "stopped_at": result.stopped_at,
                    "elapsed": result.elapsed,
                    "remaining": result.remaining,
                    "share": result.share,
                    "breaches": result.breaches,
                    "error": None,
                }
            )
    columns = [
        "conversation_id",
        "metric",
        "target",
        "state",
        "started_at",
        "due_at",
        "stopped_at",
        "elapsed",
        "remaining",
        "share",
        "breaches",
        "error",
    ]
    return pd.DataFrame(rows, columns=columns)


def report_frame(
    conversations: Iterable[Conversation] | Any,
    *,
    by: Sequence[str] = (),
    **options: Any,
) -> pd.DataFrame:
    """``metrics.report(...)`` as a DataFrame (one row per group); options pass through."""
    _pandas()
    from socialcare import metrics

    try:
        return metrics.report(conversations, by=by, **options).to_pandas()
    except TypeError as exc:
        raise InvalidInputError(f"report_frame: {exc}") from None
