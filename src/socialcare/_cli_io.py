"""The command line's input/output safety layer: checked files, bad rows, safe output.

Everything here is about the edge, not about what a command computes: the input file is
checked before anything is written and never written to; bad rows are reported with their
file line; a file named with ``-o`` is written to a temporary file beside it and renamed into
place only when the run ends normally, so it is either complete or untouched; CSV text cells
that a spreadsheet would run as formulas are guarded. The commands live in
`socialcare.cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from socialcare._conversation import RowError
from socialcare._errors import SocialcareError
from socialcare._models import Platform, Post
from socialcare._progress import Progress
from socialcare._time import resolve_timezone
from socialcare.exports import (
    PRESETS,
    ColumnMapping,
    MissingColumnsError,
    detect_format,
    iter_posts,
    iter_records,
)

_SHOWN_ERRORS = 20
#: A CSV text cell starting with one of these is prefixed with ``'`` so that a spreadsheet
#: shows it as text instead of running it as a formula (``--no-formula-guard`` turns it off).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _UsageError(Exception):
    """The file or the arguments are unusable: exit status 2."""


class _Terminated(BaseException):
    """SIGTERM arrived (raised by the handler `main_entry` installs)."""


# The library's messages name Python arguments; on the command line they are flags.
_PYTHON_SPEAK = (
    (re.compile(r"assume_tz='([^']*)'"), r"--assume-tz \1"),
    (re.compile(r"\(format='csv' or 'jsonl'\)"), "(--format csv or --format jsonl)"),
)


def _cli_text(message: str) -> str:
    for pattern, replacement in _PYTHON_SPEAK:
        message = pattern.sub(replacement, message)
    return message


def _where(error: RowError) -> str:
    """``line N`` (a line of the input file) or ``row N`` (0-based position) of a bad row."""
    text = f"line {error.line}" if error.line is not None else f"row {error.index}"
    return text + (f" (id {error.id!r})" if error.id is not None else "")


# Arguments --------------------------------------------------------------------------------


def _zone_arg(value: str) -> str:
    try:
        resolve_timezone(value)
    except SocialcareError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _idle_arg(value: str) -> timedelta:
    from socialcare._inbox import _check_idle

    try:
        span = _check_idle(value)
    except SocialcareError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if span is None:  # only for None, which argparse never passes
        raise argparse.ArgumentTypeError("give a duration such as 7d")
    return span


def _platform_arg(value: str) -> str:
    try:
        return str(Platform(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _delimiter_arg(value: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    chosen = named.get(value.lower(), value)
    if len(chosen) != 1 or chosen in '"\r\n' or chosen.isalnum():
        raise argparse.ArgumentTypeError(
            f"a delimiter is one character such as ',' ';' '|' or 'tab', got {value!r}"
        )
    return chosen


def _quantile_error_arg(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.01, got {value!r}") from None
    if not 1e-6 <= number <= 0.5:
        raise argparse.ArgumentTypeError(
            f"must be from 0.000001 to 0.5 (0.01 for 1%), got {value}"
        )
    return number


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


# Reading ----------------------------------------------------------------------------------


def _mapping(args: argparse.Namespace) -> ColumnMapping:
    base = PRESETS[args.preset]
    columns = dict(_pairs(args.map, "--map"))
    defaults: dict[str, Any] = dict(_pairs(args.default, "--default"))
    if args.platform:
        defaults["platform"] = args.platform
    try:
        return base.with_overrides(columns=columns, defaults=defaults, assume_tz=args.assume_tz)
    except SocialcareError as exc:
        raise _UsageError(_cli_text(str(exc))) from None


def _pairs(values: Sequence[str] | None, flag: str) -> Iterator[tuple[str, str]]:
    for value in values or ():
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise _UsageError(f"{flag} takes FIELD=VALUE (for example id=tweet_id), got {value!r}")
        yield field.strip(), column.strip()


@dataclasses.dataclass(frozen=True)
class _Source:
    """The input file, checked before anything is written."""

    path: Path
    format: str


def _source(args: argparse.Namespace) -> _Source:
    path = Path(args.file)
    if not path.exists():
        raise _UsageError(f"{path}: no such file")
    if path.is_dir():
        raise _UsageError(f"{path}: is a directory, not an export file")
    fmt = args.format
    if fmt is None:
        try:
            fmt = detect_format(path)
        except SocialcareError:
            raise _UsageError(
                f"{path}: cannot tell the format from the name: use a .csv, .tsv or .jsonl "
                "file, or name it with --format csv or --format jsonl"
            ) from None
    if path.is_file() and path.stat().st_size == 0:
        raise _UsageError(f"{path}: the file is empty (0 bytes): there is nothing to read")
    return _Source(path, fmt)


def _read(
    source: _Source, mapping: ColumnMapping, args: argparse.Namespace, progress: Progress
) -> Iterator[tuple[int, Post | RowError]]:
    """The rows of the input; file-level problems become `_UsageError` (exit 2)."""
    named = [field for field, _ in _pairs(args.map, "--map")]
    rows = iter_posts(
        source.path,
        mapping,
        format=source.format,  # type: ignore[arg-type]
        delimiter=args.delimiter,
        require=named,
    )
    try:
        for line, value in rows:
            progress.update()
            yield line, value
    except MissingColumnsError as exc:
        raise _UsageError(_missing_columns(source.path, exc, named)) from None
    except SocialcareError as exc:
        raise _UsageError(f"{source.path}: {_cli_text(str(exc))}") from None
    except OSError as exc:
        raise _UsageError(f"{source.path}: cannot read it: {exc.strerror or exc}") from None


def _warn_unmapped_keys(source: _Source, args: argparse.Namespace, err: TextIO) -> None:
    """JSON Lines has no header to check: warn when the first record lacks a ``--map`` key."""
    named = dict(_pairs(args.map, "--map"))
    if source.format != "jsonl" or not named or not source.path.is_file():
        return
    with source.path.open(encoding="utf-8-sig", errors="replace", newline="\n") as handle:
        try:
            first = next((r.record for r in iter_records(handle, "jsonl") if r.record), None)
        except SocialcareError:
            return  # reading proper reports it
    if first is None:
        return
    for field, column in named.items():
        if column not in first:
            err.write(
                f"warning: {source.path}: the first record has no key {column!r} (named by "
                f"--map {field}={column}); check the name, or {field} is empty in every post "
                "that lacks it\n"
            )


def _missing_columns(path: Path, exc: MissingColumnsError, named: Sequence[str]) -> str:
    wanted = "; ".join(
        f"{column!r} for {field}"
        + (f" (named by --map {field}={column})" if field in named else "")
        for field, column in exc.missing
    )
    shown = ", ".join(repr(column) for column in exc.header[:12])
    if len(exc.header) > 12:
        shown += f" and {len(exc.header) - 12} more"
    hint = (
        " The header is one column: if the file is split by another character, name it with"
        " --delimiter."
        if len(exc.header) == 1
        else ""
    )
    return (
        f"{path}: the header (first line) has no column {wanted}; it has {shown}.{hint} If "
        "the first line is a post rather than a header, add a header line; otherwise name "
        "the columns with --map FIELD=COLUMN or choose a --preset. No row was read."
    )


def _primed(rows: Iterator[Any]) -> Iterator[Any]:
    """Read the first row now (so the header is checked before any output is opened)."""
    first = list(itertools.islice(rows, 1))
    return itertools.chain(first, rows)


def _report_bad_rows(errors: Sequence[RowError], stream: TextIO, *, kept: bool) -> None:
    if not errors:
        return
    fate = "kept in the output with their error" if kept else "left out of the figures"
    stream.write(f"{len(errors):,} bad row(s), {fate}:\n")
    for error in errors[:_SHOWN_ERRORS]:
        stream.write(f"  {_where(error)}: {_cli_text(str(error.error))}\n")
    if len(errors) > _SHOWN_ERRORS:
        stream.write(f"  ... and {len(errors) - _SHOWN_ERRORS:,} more\n")


# Writing ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Target:
    """Where results go: stdout (``path`` None) or a file, checked before the input is read."""

    path: Path | None
    format: str
    direct: bool = False  # a device or pipe (/dev/null): written in place, not renamed onto


def _target(value: str | None, fmt: str | None, source: _Source | None) -> _Target:
    if value in (None, "-"):
        return _Target(None, fmt or "csv")
    assert value is not None
    if not value.strip():
        raise _UsageError("-o: the output file name is empty")
    path = Path(os.path.realpath(value))  # write through a symlink, as opening it would
    if path.is_dir():
        raise _UsageError(f"-o {value}: is a directory; name a file")
    if not path.parent.is_dir():
        raise _UsageError(f"-o {value}: the directory {str(path.parent)!r} does not exist")
    if source is not None and _same_file(path, source.path):
        raise _UsageError(
            f"-o {value}: is the input file; socialcare never overwrites its input: name "
            "another output file"
        )
    if path.exists() and not path.is_file():  # a device or a pipe: CSV unless named otherwise
        suffix = path.suffix.lower()
        return _Target(path, fmt or ("jsonl" if suffix in _JSONL else "csv"), direct=True)
    chosen = fmt or _format_of(value)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise _UsageError(f"-o {value}: cannot write in the directory {str(path.parent)!r}")
    if path.exists() and not os.access(path, os.W_OK):
        raise _UsageError(f"-o {value}: the file is not writable")
    return _Target(path, chosen)


def _same_file(output: Path, source: Path) -> bool:
    if output == Path(os.path.realpath(source)):
        return True
    try:
        return output.exists() and os.path.samefile(output, source)  # hard links
    except OSError:
        return False


_JSONL = frozenset({".jsonl", ".ndjson", ".json"})


def _format_of(target: str) -> str:
    suffix = Path(target).suffix.lower()
    if suffix in _JSONL:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise _UsageError(
        f"-o {target}: cannot tell the output format from the name: use .csv or .jsonl, or "
        "--output-format csv or jsonl"
    )


def _guarded(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Writer:
    """Writes dict rows as CSV or JSON Lines; the CSV header goes out with the first row."""

    def __init__(
        self, handle: TextIO, fmt: str, columns: Sequence[str], *, formula_guard: bool
    ) -> None:
        self.format = fmt
        self.columns = list(columns)
        self._handle = handle
        self._guard = formula_guard and fmt == "csv"
        self._csv: Any = csv.DictWriter(handle, fieldnames=self.columns) if fmt == "csv" else None
        self._started = False
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        if not self._started:
            self._start()
        if self._csv is not None:
            if self._guard:
                row = {key: _guarded(value) for key, value in row.items()}
            self._csv.writerow(row)
        else:
            self._handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self.rows += 1

    def _start(self) -> None:
        self._started = True
        if self._csv is not None:
            self._csv.writeheader()

    def finish(self) -> None:
        """End the output: a CSV with no rows still gets its header."""
        if not self._started:
            self._start()
        self._handle.flush()


@contextlib.contextmanager
def _output(
    target: _Target, columns: Sequence[str], stdout: TextIO, *, formula_guard: bool
) -> Iterator[_Writer]:
    """A writer to ``target``; a file only replaces the target when the block ends normally.

    Text that cannot be encoded (a lone surrogate from a JSON escape) is written with a
    backslash escape instead of stopping the run.
    """
    if target.path is None:
        writer = _Writer(stdout, target.format, columns, formula_guard=formula_guard)
        yield writer
        writer.finish()
        return
    if target.direct:
        with _open_text(target.path) as handle:
            writer = _Writer(handle, target.format, columns, formula_guard=formula_guard)
            yield writer
            writer.finish()
        return
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.path.name}.", suffix=".part", dir=target.path.parent
        )
    except OSError as exc:
        raise _UsageError(f"-o {target.path}: cannot create a file there: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
            writer = _Writer(handle, target.format, columns, formula_guard=formula_guard)
            yield writer
            writer.finish()
        os.chmod(temporary, _mode_for(target.path))
        os.replace(temporary, target.path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _open_text(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8", errors="backslashreplace", newline="")
    except OSError as exc:
        raise _UsageError(f"-o {path}: cannot write to it: {exc.strerror}") from None


def _mode_for(path: Path) -> int:
    """The permissions a file written in place would have: the old file's, or the umask's."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _progress_on(args: argparse.Namespace, err: TextIO) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    return bool(getattr(err, "isatty", lambda: False)())
