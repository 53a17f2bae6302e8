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
['agent', 'invalid TriageInput: text: Input should be a valid string']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from socialcare._conversation import Conversation, RowError
from socialcare._errors import InvalidInputError
from socialcare._models import Post
from socialcare._triage._decision import DECISION_COLUMNS, decision_row
from socialcare.exports import ColumnMapping, iter_posts

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
    is_brand: str | None = None,
    automated: str | None = None,
    language: str | None = None,
    triager: Triager | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """A decision per row of ``frame``, as a DataFrame with the same index.

    Args:
        text: the column of post texts.
        followers, verified, channel: optional columns that let the routing rules see
            influencers (follower count, verified flag) and private channels ("public" or
            "private"). Without them every row is a public post by an ordinary account.
        is_brand, automated: optional columns of booleans marking the brand's own replies and
            automated posts: those rows get route ``none``, no priority and no flag.
        language: an optional column of language tags (BCP 47) the decisions carry.
        triager: defaults to ``Triager.default()``.
        n_jobs: cores for batch scoring (joblib).

    Each row becomes a [`TriageInput`][socialcare.TriageInput]. Rows that cannot be read (a
    missing text, a follower count such as "12k") get a decision routed to a person with
    ``error`` saying why; no row is dropped.
    """
    pd = _pandas()
    _require_frame(frame)
    texts = _column(frame, text, "post text")
    named = {
        "followers": followers,
        "verified": verified,
        "channel": channel,
        "is_brand": is_brand,
        "automated": automated,
        "language": language,
    }
    columns = {
        field: _column(frame, name, field).tolist()
        for field, name in named.items()
        if name is not None
    }
    if triager is None:
        from socialcare._triage._triager import Triager

        triager = Triager.default()
    items: list[Any] = []
    for row, value in enumerate(texts.tolist()):
        if not columns and isinstance(value, str):
            items.append(value)  # (the fast road: a text and nothing else)
            continue
        item: dict[str, Any] = {"text": value}
        for field, values in columns.items():
            cell = values[row]
            if not _missing(cell):
                item[field] = cell
        items.append(item)
    decisions = triager.decide_many(items, n_jobs=n_jobs)
    return pd.DataFrame(
        [decision_row(d) for d in decisions], index=frame.index, columns=list(DECISION_COLUMNS)
    )


def _missing(value: Any) -> bool:
    """None, NaN or NaT: a cell with no value (its field keeps its default)."""
    return value is None or (isinstance(value, float) and value != value) or str(value) == "NaT"


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
