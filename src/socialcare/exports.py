"""Reading post exports (CSV or JSON Lines) into posts: an edge adapter that touches files.

The core never reads files; this module does, for the command line and notebooks. It streams:
rows are read, mapped and validated one at a time, so memory does not grow with the file.

A `ColumnMapping` says which column holds which post field. Fields are the names of
[socialcare.Post][socialcare.Post] fields, with dotted names for the author (``author.id``,
``author.handle``, ``author.followers``, ``author.verified``, ``author.is_brand``,
``author.is_bot``, ``author.display_name``). Presets cover common export shapes:

- ``"socialcare"``: our own column names (the dotted field names above, or nested JSON).
- ``"twcs"``: Twitter's "Customer Support on Twitter" dataset (``tweet_id``, ``author_id``,
  ``inbound``, ``created_at``, ``text``, ``in_response_to_tweet_id``); ``inbound`` False marks
  the brand.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from socialcare._conversation import RowError
from socialcare._errors import InvalidInputError, SocialcareError
from socialcare._models import Post

__all__ = [
    "DECISION_COLUMNS",
    "PRESETS",
    "ColumnMapping",
    "ExportRow",
    "detect_format",
    "iter_posts",
    "iter_records",
]

Format = Literal["csv", "jsonl"]

#: The columns of a triage decision where one is written out (a file, a DataFrame).
DECISION_COLUMNS = (
    "route",
    "intent",
    "confidence",
    "uncertain",
    "priority",
    "sensitive",
    "sentiment",
    "take_private",
    "reasons",
    "error",
)

_AUTHOR_FIELDS = {
    "id",
    "handle",
    "display_name",
    "followers",
    "verified",
    "is_brand",
    "is_bot",
}
_POST_FIELDS = {
    "id",
    "platform",
    "text",
    "created_at",
    "channel",
    "in_reply_to",
    "conversation_id",
    "language",
    "automated",
}
_BOOL_FIELDS = {"author.verified", "author.is_brand", "author.is_bot", "automated"}
_ID_FIELDS = {"id", "in_reply_to", "conversation_id", "author.id"}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _known_field(name: str) -> bool:
    if name.startswith("author."):
        return name.removeprefix("author.") in _AUTHOR_FIELDS
    return name in _POST_FIELDS


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of an export holds which post field.

    Args:
        columns: post field -> column name, such as ``{"id": "tweet_id", "author.id":
            "user"}``. Fields not named are read from a column of the field's own name when
            there is one.
        defaults: values for fields the export does not have (``{"platform": "twitter"}``).
        negate: boolean fields read as the opposite of their column (``twcs``'s ``inbound``
            column is "not the brand").
        assume_tz: zone of naive timestamps in the file; without it they are row errors.

    >>> ColumnMapping(columns={"id": "tweet_id"}).column_for("id")
    'tweet_id'
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    negate: frozenset[str] = frozenset()
    assume_tz: str | None = None

    def __post_init__(self) -> None:
        self._check()
        # The per-row plan: (field, column, kind), worked out once per mapping.
        plan = []
        for name in (*sorted(_POST_FIELDS), *(f"author.{a}" for a in sorted(_AUTHOR_FIELDS))):
            if name in _BOOL_FIELDS:
                kind = "negated" if name in self.negate else "bool"
            elif name in _ID_FIELDS:
                kind = "id"
            else:
                kind = "plain"
            plan.append((name, self.column_for(name), kind))
        object.__setattr__(self, "_plan", tuple(plan))

    def _check(self) -> None:
        for name in (*self.columns, *self.defaults, *self.negate):
            if not _known_field(name):
                raise InvalidInputError(
                    f"unknown post field {name!r} in a column mapping: use one of "
                    f"{sorted(_POST_FIELDS)} or author.<{'|'.join(sorted(_AUTHOR_FIELDS))}>"
                )
        for name in self.negate:
            if name not in _BOOL_FIELDS:
                raise InvalidInputError(f"only boolean fields can be negated, not {name!r}")

    def column_for(self, name: str) -> str:
        """The column that holds post field ``name``."""
        return self.columns.get(name, name)

    def with_overrides(
        self,
        columns: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        assume_tz: str | None = None,
    ) -> ColumnMapping:
        """A copy with more columns or defaults, or another zone for naive timestamps."""
        return ColumnMapping(
            columns={**self.columns, **(columns or {})},
            defaults={**self.defaults, **(defaults or {})},
            negate=self.negate,
            assume_tz=assume_tz if assume_tz is not None else self.assume_tz,
        )

    def to_post_data(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Turn one flat or nested record into the nested mapping `Post` validates."""
        post: dict[str, Any] = {}
        author: dict[str, Any] = {}
        nested_author = record.get(self.column_for("author"))
        if isinstance(nested_author, Mapping):
            author.update(nested_author)
        defaults = self.defaults
        for name, column, kind in self._plan:  # type: ignore[attr-defined]
            value = record.get(column)
            if value is None:
                if name not in defaults:
                    continue
                value = defaults[name]
            if kind == "bool":
                value = _boolean(value, name)
            elif kind == "negated":
                value = not _boolean(value, name)
            elif kind == "id":
                value = _identifier(value)
            if name.startswith("author."):
                author[name[7:]] = value
            else:
                post[name] = value
        if "metadata" in record and isinstance(record["metadata"], Mapping):
            post["metadata"] = dict(record["metadata"])
        post["author"] = author
        return post


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInputError(f"{name} must be true or false, got {value!r}")


def _identifier(value: Any) -> Any:
    """Ids exported through spreadsheets come as '119237.0'; read them back as '119237'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(".0") and text[:-2].isdigit():
            return text[:-2]
        return text
    return value


PRESETS: Mapping[str, ColumnMapping] = {
    "socialcare": ColumnMapping(),
    "twcs": ColumnMapping(
        columns={
            "id": "tweet_id",
            "author.id": "author_id",
            "author.handle": "author_id",
            "author.is_brand": "inbound",
            "in_reply_to": "in_response_to_tweet_id",
        },
        defaults={"platform": "twitter", "channel": "public"},
        negate=frozenset({"author.is_brand"}),
    ),
}


def detect_format(path: str | Path) -> Format:
    """``csv`` or ``jsonl`` from the file name (``.csv``, ``.jsonl``, ``.ndjson``, ``.json``)."""
    suffix = Path(path).suffix.lower()
    if suffix in {".csv", ".tsv"}:
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise InvalidInputError(
        f"cannot tell the format of {str(path)!r} from its name: use a .csv or .jsonl file, "
        "or name the format (format='csv' or 'jsonl')"
    )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One record of an export, with its 1-based line number in the file."""

    line: int
    record: Mapping[str, Any] | None
    error: SocialcareError | None = None


def iter_records(stream: TextIO, format: Format) -> Iterator[ExportRow]:
    """Stream the records of an open export, one `ExportRow` per data row.

    A row that cannot be read (bad JSON, a JSON value that is not an object) comes back with
    its error instead of a record, and reading goes on.
    """
    if format == "csv":
        reader = csv.DictReader(stream)
        if reader.fieldnames is None:
            return
        for record in reader:
            if None in record:
                yield ExportRow(
                    reader.line_num,
                    None,
                    InvalidInputError(
                        f"line {reader.line_num} has more cells than the header has columns"
                    ),
                )
                continue
            yield ExportRow(
                reader.line_num, {k: (v if v != "" else None) for k, v in record.items()}
            )
        return
    if format != "jsonl":
        raise InvalidInputError(f"format must be 'csv' or 'jsonl', got {format!r}")
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ExportRow(
                number, None, InvalidInputError(f"line {number}: invalid JSON ({exc.msg})")
            )
            continue
        if not isinstance(value, dict):
            yield ExportRow(
                number, None, InvalidInputError(f"line {number}: expected a JSON object")
            )
            continue
        yield ExportRow(number, value)


def iter_posts(
    source: str | Path | TextIO | Iterable[Mapping[str, Any]],
    mapping: ColumnMapping | str = "socialcare",
    *,
    format: Format | None = None,
) -> Iterator[tuple[int, Post | RowError]]:
    """Stream posts from an export: ``(line, Post)`` or ``(line, RowError)`` per data row.

    Args:
        source: a path, an open text stream, or an iterable of records (dicts).
        mapping: a `ColumnMapping` or the name of a preset (see `PRESETS`).
        format: ``"csv"`` or ``"jsonl"``; taken from the file name when not given.

    Examples:
        >>> rows = io.StringIO(
        ...     "tweet_id,author_id,inbound,created_at,text,in_response_to_tweet_id\\n"
        ...     "1,ana,True,Tue Oct 31 22:10:47 +0000 2017,help,\\n")
        >>> [(line, post.author.is_brand) for line, post in iter_posts(rows, "twcs", format="csv")]
        [(2, False)]
    """
    chosen = _mapping(mapping)
    for row in _rows(source, format):
        if row.error is not None or row.record is None:
            error = row.error or InvalidInputError(f"line {row.line}: empty row")
            yield row.line, RowError(row.line, error, None)
            continue
        try:
            post = Post.parse(chosen.to_post_data(row.record), assume_tz=chosen.assume_tz)
        except SocialcareError as exc:
            raw_id = row.record.get(chosen.column_for("id"))
            yield row.line, RowError(row.line, exc, None if raw_id is None else str(raw_id))
            continue
        yield row.line, post


def _mapping(mapping: ColumnMapping | str) -> ColumnMapping:
    if isinstance(mapping, ColumnMapping):
        return mapping
    try:
        return PRESETS[mapping]
    except KeyError:
        raise InvalidInputError(
            f"unknown export preset {mapping!r}: use one of {sorted(PRESETS)} or a ColumnMapping"
        ) from None


def _rows(
    source: str | Path | TextIO | Iterable[Mapping[str, Any]], format: Format | None
) -> Iterator[ExportRow]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        chosen = format or detect_format(path)
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise InvalidInputError(f"cannot open {str(path)!r}: {exc.strerror}") from None
        with handle:
            try:
                yield from iter_records(handle, chosen)
            except UnicodeDecodeError:
                raise InvalidInputError(
                    f"{str(path)!r} is not UTF-8 text: re-export it as UTF-8"
                ) from None
        return
    if isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        if format is None:
            raise InvalidInputError("name the format ('csv' or 'jsonl') when reading a stream")
        yield from iter_records(source, format)  # type: ignore[arg-type]
        return
    for number, record in enumerate(source, start=1):
        if isinstance(record, Mapping):
            yield ExportRow(number, record)
        else:
            yield ExportRow(
                number, None, InvalidInputError(f"row {number} is not a mapping: {record!r}")
            )
