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

import codecs
import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from socialcare._conversation import RowError
from socialcare._errors import InvalidInputError, SocialcareError
from socialcare._models import Post
from socialcare._triage._decision import DECISION_COLUMNS

__all__ = [
    "CSV_DELIMITERS",
    "DECISION_COLUMNS",
    "MAX_CELL_CHARS",
    "MAX_LINE_LENGTH",
    "MAX_METADATA_DEPTH",
    "PRESETS",
    "ColumnMapping",
    "ExportRow",
    "MissingColumnsError",
    "detect_delimiter",
    "detect_format",
    "iter_posts",
    "iter_records",
]

Format = Literal["csv", "jsonl"]

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

    def missing_columns(
        self, header: Iterable[str], fields: Iterable[str] = ()
    ) -> tuple[tuple[str, str], ...]:
        """``(field, column)`` for each field whose column ``header`` lacks.

        The fields checked are the ones a post needs (``id``, ``platform``, ``author.id``,
        ``created_at``) unless a default fills them, and ``fields``.

        >>> ColumnMapping(defaults={"platform": "x"}).missing_columns(["id", "text"], ["text"])
        (('author.id', 'author.id'), ('created_at', 'created_at'))
        """
        present = set(header)
        named = tuple(fields)
        missing: list[tuple[str, str]] = []
        for name in dict.fromkeys((*_REQUIRED_FIELDS, *named)):
            if name in self.defaults and name not in named:
                continue
            column = self.column_for(name)
            if column not in present:
                missing.append((name, column))
        return tuple(missing)

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
            if _deeper_than(record["metadata"], MAX_METADATA_DEPTH):
                raise InvalidInputError(
                    f"metadata is nested more than {MAX_METADATA_DEPTH} levels deep"
                )
            post["metadata"] = dict(record["metadata"])
        post["author"] = author
        return post


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON-like ``value`` nests (objects and arrays) more than ``limit`` deep."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            inner
            for item in level
            for inner in (item.values() if isinstance(item, Mapping) else item)
            if isinstance(inner, (Mapping, list))
        ]
        if not level:
            return False
    return True


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


#: The longest a line of an export may be, line break included: bytes of UTF-8 in a file read
#: by path, characters in a text stream. A CSV record spread over several lines (a quoted cell
#: with line breaks) may not be longer in total either.
#: A longer one means the file is not a line-based export (or has an unclosed quote): reading
#: stops with `InvalidInputError` rather than holding the whole file in memory.
MAX_LINE_LENGTH = 4_194_304
#: The longest a CSV cell may be (characters): Python's default ``csv.field_size_limit()``. A
#: row with a longer cell is a bad row; the rest of the file is read as usual.
MAX_CELL_CHARS = 131_072
#: How deep the ``metadata`` of a post may nest (JSON objects and arrays); deeper is a bad row.
MAX_METADATA_DEPTH = 64
#: The delimiters a CSV header line is searched for, in order of preference on a tie.
CSV_DELIMITERS = (",", "\t", ";", "|")

# Stands for a bare carriage return inside a CSV line while the csv module parses it (the
# module would otherwise end the record there). A lone surrogate cannot come out of decoding
# UTF-8, so it cannot clash with text read from a file.
_CR = "\udbff"
_REQUIRED_FIELDS = ("id", "platform", "author.id", "created_at")


def detect_format(path: str | Path) -> Format:
    """``csv`` or ``jsonl`` from the file name (``.csv``, ``.tsv``; ``.jsonl``, ``.ndjson``,
    ``.json``)."""
    suffix = Path(path).suffix.lower()
    if suffix in {".csv", ".tsv"}:
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise InvalidInputError(
        f"cannot tell the format of {str(path)!r} from its name: use a .csv, .tsv or .jsonl "
        "file, or name the format (format='csv' or 'jsonl')"
    )


def detect_delimiter(header: str) -> str:
    """The CSV delimiter of a header line: the most frequent of `CSV_DELIMITERS`.

    A tie goes to the earlier one; a header with none of them (one column) is comma-separated.

    >>> tuple(detect_delimiter(h) for h in ("id\\ttext\\tcreated_at", "id;text", "id"))
    ('\\t', ';', ',')
    """
    counts = [header.count(candidate) for candidate in CSV_DELIMITERS]
    best = max(range(len(counts)), key=lambda i: (counts[i], -i))
    return CSV_DELIMITERS[best] if counts[best] else ","


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One record of an export, with its 1-based line number in the file.

    ``line`` is the line the record starts on (a CSV record may span several lines).
    """

    line: int
    record: Mapping[str, Any] | None
    error: SocialcareError | None = None


class MissingColumnsError(InvalidInputError):
    """A CSV header lacks columns the column mapping needs; no row was read.

    ``missing`` lists ``(field, column)`` pairs; ``header`` is the header as read.
    """

    def __init__(
        self, message: str, missing: tuple[tuple[str, str], ...], header: tuple[str, ...]
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.header = header


class _Lines:
    """The physical lines of a stream, split on ``\\n`` only, each of bounded length.

    A binary stream (a file opened by path) is decoded line by line as UTF-8, so a decoding
    error names its line; its limit counts bytes. A text stream's limit counts characters.
    """

    def __init__(self, stream: TextIO | BinaryIO, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.number = 0  # lines read so far
        self.record_start = 1
        self._record_length = 0

    def __iter__(self) -> _Lines:
        return self

    def start_record(self) -> None:
        """The next line read starts a record."""
        self.record_start = self.number + 1
        self._record_length = 0

    def __next__(self) -> str:
        try:
            raw = self._stream.readline(self._limit + 1)
        except UnicodeDecodeError:
            raise InvalidInputError(
                f"the text after line {self.number:,} is not UTF-8: re-export the file as UTF-8"
            ) from None
        if not raw:
            raise StopIteration
        self.number += 1
        unit = "bytes" if isinstance(raw, bytes) else "characters"
        if len(raw) > self._limit:
            raise InvalidInputError(
                f"line {self.number:,} is longer than {self._limit:,} {unit}, the limit: "
                "the file has no line breaks where an export has them (is it a CSV or JSON "
                "Lines export, with \\n or \\r\\n line endings?)"
            )
        self._record_length += len(raw)
        if self._record_length > self._limit:
            raise InvalidInputError(
                f"the record that starts on line {self.record_start:,} runs on for more than "
                f'{self._limit:,} {unit}, the limit: is a quote (") left unclosed there?'
            )
        if isinstance(raw, bytes):
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInputError(
                    f"line {self.number:,} is not UTF-8 (byte {exc.start + 1:,} of the line): "
                    "re-export the file as UTF-8"
                ) from None
        if self.number == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]  # a byte order mark on a stream that was not opened as utf-8-sig
        return raw


def _guard_cr(lines: Iterable[str]) -> Iterator[str]:
    """Hide bare carriage returns inside each line from the csv module (see ``_CR``)."""
    for line in lines:
        if "\r" in line and _CR not in line:
            body, end = (line[:-2], "\r\n") if line.endswith("\r\n") else (line, "")
            if "\r" in body:
                line = body.replace("\r", _CR) + end
        yield line


def _open_csv(
    stream: TextIO | BinaryIO, delimiter: str | None
) -> tuple[tuple[str, ...], Iterator[ExportRow]]:
    """Read the header of a CSV stream; return it and an iterator over the records after it."""
    lines = _Lines(stream, MAX_LINE_LENGTH)
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise InvalidInputError("the file is empty: a CSV export starts with a header line")
    delimiter = delimiter or detect_delimiter(first)
    # strict: a quote never closed, or text after a closing quote, is a bad row rather than
    # cells silently swallowing the rows after them.
    reader = csv.reader(
        _guard_cr(itertools.chain([first], lines)), delimiter=delimiter, strict=True
    )
    saved = csv.field_size_limit(MAX_LINE_LENGTH)
    try:
        header = tuple(cell.strip() for cell in next(reader))
    except csv.Error as exc:
        raise InvalidInputError(f"the header line is not valid CSV: {_csv_problem(exc)}") from None
    finally:
        csv.field_size_limit(saved)
    if any(_CR in cell for cell in header):
        raise InvalidInputError(
            "the header line holds a bare carriage return (\\r): lines must end with \\n or "
            "\\r\\n; convert the file's line endings"
        )
    return header, _csv_rows(reader, lines, header)


def _csv_rows(reader: Any, lines: _Lines, header: tuple[str, ...]) -> Iterator[ExportRow]:
    width = len(header)
    while True:
        lines.start_record()
        saved = csv.field_size_limit(MAX_LINE_LENGTH)
        try:
            cells: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, problem = None, _csv_problem(exc)
        finally:
            csv.field_size_limit(saved)
        if cells is not None and not cells:
            continue  # a blank line
        line = lines.record_start
        if cells is not None:
            if len(cells) > width:
                problem = f"{len(cells)} cells: more cells than the header has columns ({width})"
            elif any(len(cell) > MAX_CELL_CHARS for cell in cells):
                problem = f"a cell is longer than {MAX_CELL_CHARS:,} characters, the limit"
        if problem is not None or cells is None:
            yield ExportRow(line, None, InvalidInputError(problem or "unreadable CSV"))
            continue
        record = {
            name: (value.replace(_CR, "\r") if _CR in value else value) or None
            for name, value in zip(header, cells, strict=False)
        }
        for name in header[len(cells) :]:
            record.setdefault(name, None)
        yield ExportRow(line, record)


def _csv_problem(exc: csv.Error) -> str:
    if "unexpected end of data" in str(exc):
        return (
            'a quote (") opened in this row is never closed: the rest of the file was read '
            'as part of this row; close the quote or double it ("") inside a quoted cell'
        )
    return f'unreadable CSV ({exc}): a quote (") inside a cell must be doubled ("")'


def _jsonl_rows(stream: TextIO | BinaryIO) -> Iterator[ExportRow]:
    lines = _Lines(stream, MAX_LINE_LENGTH)
    for text in lines:
        lines.start_record()
        if not text.strip():
            continue
        number = lines.number
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = f"invalid JSON ({exc.msg} at column {exc.colno})"
        except RecursionError:
            problem = "invalid JSON: nested too deeply"
        except ValueError as exc:  # an integer with too many digits, for one
            problem = f"invalid JSON ({exc})"
        else:
            if isinstance(value, dict):
                yield ExportRow(number, value)
                continue
            problem = f"expected a JSON object, got {type(value).__name__}"
        yield ExportRow(number, None, InvalidInputError(problem))


def iter_records(
    stream: TextIO, format: Format, *, delimiter: str | None = None
) -> Iterator[ExportRow]:
    """Stream the records of an open export, one `ExportRow` per data row.

    A row that cannot be read (bad JSON, a JSON value that is not an object, a CSV row with
    more cells than the header or a cell over `MAX_CELL_CHARS`) comes back with its error
    instead of a record, and reading goes on. A file that cannot be read at all (a CSV without
    a header line, text that is not UTF-8, a line over `MAX_LINE_LENGTH`) raises
    `InvalidInputError`.

    Lines end at ``\\n`` (or ``\\r\\n``); a bare ``\\r`` inside a CSV cell is kept in the
    cell. Open a text stream with ``newline="\\n"`` (``io.StringIO``'s default): with
    ``newline=""`` or the default of ``open()``, a bare ``\\r`` ends the line before the
    reader sees it. A path given to `iter_posts` is read as bytes and split on ``\\n``
    only. The CSV ``delimiter`` is found from the header line when not given (see
    `detect_delimiter`).
    """
    if format == "csv":
        _, rows = _open_csv(stream, delimiter)
        return rows
    if format != "jsonl":
        raise InvalidInputError(f"format must be 'csv' or 'jsonl', got {format!r}")
    return _jsonl_rows(stream)


def iter_posts(
    source: str | Path | TextIO | Iterable[Mapping[str, Any]],
    mapping: ColumnMapping | str = "socialcare",
    *,
    format: Format | None = None,
    delimiter: str | None = None,
    require: Iterable[str] = (),
) -> Iterator[tuple[int, Post | RowError]]:
    """Stream posts from an export: ``(line, Post)`` or ``(line, RowError)`` per data row.

    ``line`` is the 1-based line the row starts on in a file or stream, or the 1-based position
    of the record in an iterable. Each `RowError` has ``index``, the 0-based position of
    the row among the records, and ``line``, the file line (``None`` for an iterable).

    Args:
        source: a path, an open text stream, or an iterable of records (dicts).
        mapping: a `ColumnMapping` or the name of a preset (see `PRESETS`).
        format: ``"csv"`` or ``"jsonl"``; taken from the file name when not given.
        delimiter: of a CSV; from the header line when not given (``.tsv`` files: a tab).
        require: post fields whose column a CSV header must have, besides the required ones
            (``id``, ``platform``, ``author.id``, ``created_at``, unless they have a default).

    Raises:
        MissingColumnsError: a CSV header lacks a column it needs, before any row is read.
        InvalidInputError: the file cannot be read at all (see `iter_records`).

    Examples:
        >>> rows = io.StringIO(
        ...     "tweet_id,author_id,inbound,created_at,text,in_response_to_tweet_id\\n"
        ...     "1,ana,True,Tue Oct 31 22:10:47 +0000 2017,help,\\n")
        >>> [(line, post.author.is_brand) for line, post in iter_posts(rows, "twcs", format="csv")]
        [(2, False)]
    """
    chosen = _mapping(mapping)
    required = tuple(require)
    for name in required:
        if not _known_field(name):
            raise InvalidInputError(f"unknown post field {name!r} in require")

    def check(header: tuple[str, ...]) -> None:
        missing = chosen.missing_columns(header, required)
        if missing:
            wanted = ", ".join(f"{column!r} for {name}" for name, column in missing)
            raise MissingColumnsError(
                f"the header has no column {wanted}; it has {', '.join(map(repr, header))}. "
                "If the file has no header line, add one; otherwise name the columns in the "
                "ColumnMapping (columns={field: column})",
                missing,
                header,
            )

    from_file = not _is_records(source)
    for index, row in enumerate(_rows(source, format, delimiter, check)):
        line = row.line if from_file else None
        if row.error is not None or row.record is None:
            error = row.error or InvalidInputError("empty row")
            yield row.line, RowError(index, error, None, line)
            continue
        try:
            post = Post.parse(chosen.to_post_data(row.record), assume_tz=chosen.assume_tz)
        except (SocialcareError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                exc = InvalidInputError("a value is nested too deeply")
            raw_id = row.record.get(chosen.column_for("id"))
            shown = str(raw_id) if isinstance(raw_id, (str, int, float)) else None
            yield row.line, RowError(index, exc, shown, line)
            continue
        yield row.line, post


def _is_records(source: object) -> bool:
    return not isinstance(source, (str, Path, io.TextIOBase)) and not hasattr(source, "read")


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
    source: str | Path | TextIO | Iterable[Mapping[str, Any]],
    format: Format | None,
    delimiter: str | None,
    check: Callable[[tuple[str, ...]], None],
) -> Iterator[ExportRow]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        chosen = format or detect_format(path)
        if delimiter is None and path.suffix.lower() == ".tsv":
            delimiter = "\t"
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InvalidInputError(f"cannot open {str(path)!r}: {exc.strerror}") from None
        with handle:
            yield from _stream_rows(handle, chosen, delimiter, check)
        return
    if not _is_records(source):
        if format is None:
            raise InvalidInputError("name the format ('csv' or 'jsonl') when reading a stream")
        yield from _stream_rows(source, format, delimiter, check)  # type: ignore[arg-type]
        return
    for number, record in enumerate(source, start=1):
        if isinstance(record, Mapping):
            yield ExportRow(number, record)
        else:
            yield ExportRow(
                number,
                None,
                InvalidInputError(f"not a mapping: {type(record).__name__} {record!r:.80}"),
            )


def _stream_rows(
    stream: TextIO | BinaryIO,
    format: Format,
    delimiter: str | None,
    check: Callable[[tuple[str, ...]], None],
) -> Iterator[ExportRow]:
    if format == "csv":
        header, rows = _open_csv(stream, delimiter)
        check(header)
        yield from rows
        return
    if format != "jsonl":
        raise InvalidInputError(f"format must be 'csv' or 'jsonl', got {format!r}")
    yield from _jsonl_rows(stream)
