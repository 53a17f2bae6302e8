"""A safe file format for trained text classifiers: numpy arrays and JSON in a zip.

Nothing in a file is executed when it is loaded: arrays are parsed from their ``.npy`` header
and raw bytes (never unpickled) and metadata is plain JSON. The metadata records the format name
and version and the dtype, shape and SHA-256 digest of every array, so a truncated, edited or
foreign file fails with a `PersistenceError` that says what is wrong. (The digest detects
accidental or careless tampering; it is not a signature. The format cannot carry code, so a
malicious file can at worst hold wrong numbers.) Pickle and joblib files are refused unless the
caller passes ``trusted=True``.

Reading is bounded: the file (`MAX_FILE_BYTES`), the metadata (`MAX_META_BYTES`), every
member's declared and actual inflated size, and their total (`MAX_INFLATED_BYTES`, and at most
`MAX_INFLATION_RATIO` times the file's size beyond `INFLATION_FLOOR`) are checked before any
memory is spent, so a small crafted file cannot cost gigabytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from socialcare._errors import PersistenceError
from socialcare._triage._zipguard import (
    MAX_ARRAYS,
    MAX_FILE_BYTES,
    MAX_INFLATED_BYTES,
    MAX_JSON_DEPTH,
    MAX_META_BYTES,
    META,
    check_directory,
    check_members,
    inflate,
    inflation_budget,
    over_budget,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_META_BYTES",
    "read_archive",
    "read_model_file",
    "unpickle_trusted",
    "write_archive",
]

FORMAT = "socialcare-text-model"
FORMAT_VERSION = 1
_MAGIC_ZIP = b"PK\x03\x04"

_MAX_NDIM = 4
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# numeric dtypes only: a file never holds objects, strings or structured records
_DTYPES = frozenset(
    [
        *("bool", "int8", "int16", "int32", "int64"),
        *("uint8", "uint16", "uint32", "uint64", "float32", "float64"),
    ]
)


def _digest(array: Any) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_archive(meta: dict[str, Any], arrays: dict[str, Any]) -> bytes:
    """Serialise metadata and named arrays into the zip format (deterministic bytes).

    A model that `read_archive` would refuse for its size is refused here, before writing.
    """
    if len(arrays) > MAX_ARRAYS:
        raise PersistenceError(f"a model file holds at most {MAX_ARRAYS} arrays")
    meta = dict(meta, format=FORMAT, format_version=FORMAT_VERSION)
    meta["arrays"] = {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "sha256": _digest(a)}
        for name, a in arrays.items()
    }
    buffer = io.BytesIO()
    text = json.dumps(meta, sort_keys=True, indent=1).encode()
    inflated = len(text)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(META, date_time=(2000, 1, 1, 0, 0, 0))
        archive.writestr(info, text, zipfile.ZIP_DEFLATED)
        for name, array in arrays.items():
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.ascontiguousarray(array), allow_pickle=False)
            inflated += payload.tell()
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(info, payload.getvalue(), zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    if len(data) > MAX_FILE_BYTES or inflated > inflation_budget(len(data)):
        raise PersistenceError(
            f"this model is too large to save: {inflated:,} bytes ({len(data):,} compressed), "
            f"more than a model file may hold ({inflation_budget(len(data)):,} bytes, "
            f"{MAX_FILE_BYTES:,} compressed); use fewer hash_bits or classes"
        )
    return data


def read_model_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a model file: a regular file of at most `MAX_FILE_BYTES`.

    FIFOs, devices (``/dev/zero``), sockets and directories are refused without reading them.
    """
    if not isinstance(path, str | os.PathLike):
        raise PersistenceError(
            f"expected the path of a model file (str or pathlib.Path), got {type(path).__name__}"
        )
    shown = repr(str(Path(path)))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO must not wait for a writer
    except (OSError, ValueError) as exc:
        raise PersistenceError(f"cannot read model file {shown}: {exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PersistenceError(
                f"cannot read model file {shown}: it is {_kind(info.st_mode)}, not a regular "
                "file; give the path of a file written by save()"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise PersistenceError(_too_big(shown, info.st_size))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(info.st_size + 1)  # (read(n) reserves n bytes up front)
    except OSError as exc:
        if isinstance(exc, PersistenceError):
            raise
        raise PersistenceError(f"cannot read model file {shown}: {exc}") from exc
    finally:
        os.close(fd)
    if len(data) != info.st_size:
        raise PersistenceError(
            f"model file {shown} changed while it was read; load it once it is written"
        )
    return data


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _too_big(shown: str, size: int) -> str:
    return (
        f"model file {shown} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a socialcare "
        "model may have; it is not a model saved by save()"
    )


def _looks_like_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" or data[:2] in (b"(d", b"(l", b"cc")


def read_archive(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and verify an archive written by `write_archive`; never runs code.

    Every failure (damaged, truncated, crafted or foreign file) is a `PersistenceError`.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PersistenceError(f"expected the bytes of a saved model, got {type(data).__name__}")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > MAX_FILE_BYTES:
        raise PersistenceError(_too_big("(bytes)", size))
    data = bytes(data)
    if _looks_like_pickle(data):
        raise PersistenceError(
            "this is a pickle (or joblib) file, which can run arbitrary code when loaded; "
            "socialcare refuses it. Pass trusted=True only if you created the file yourself."
        )
    if not data.startswith(_MAGIC_ZIP):
        raise PersistenceError(
            "not a socialcare model file (no zip header); was it saved with save()?"
        )
    try:
        return _read_zip(data)
    except PersistenceError:
        raise
    except Exception as exc:  # a crafted file must never escape as anything else
        raise PersistenceError(
            f"model file is damaged or incomplete ({type(exc).__name__}: {exc}); "
            "save the model again"
        ) from exc


def _read_zip(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    check_directory(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = check_members(archive, len(data))
        meta = _parse_meta(inflate(data, members[META], MAX_META_BYTES))
        specs = _check_meta(meta)
        expected = {f"{name}.npy" for name in specs} | {META}
        unknown = sorted(set(members) - expected)
        if unknown:
            raise PersistenceError(
                f"model file holds members it should not: {', '.join(map(repr, unknown[:5]))}"
            )
        missing = sorted(expected - set(members))
        if missing:
            raise PersistenceError(
                f"model file is incomplete: missing {', '.join(map(repr, missing[:5]))}"
            )
        total = members[META].file_size
        budget = inflation_budget(len(data))
        for name, (dtype, shape, _) in specs.items():
            info = members[f"{name}.npy"]
            size = _npy_size(dtype, shape)
            if info.file_size > size + 65536:
                raise PersistenceError(
                    f"array {name!r} claims {info.file_size:,} bytes but its metadata describes "
                    f"{size:,}; the file is damaged or crafted"
                )
            total += info.file_size
            if total > budget:
                raise PersistenceError(over_budget(total, budget, len(data)))
        arrays: dict[str, Any] = {}
        for name, (dtype, shape, digest) in specs.items():
            payload = inflate(data, members[f"{name}.npy"], MAX_INFLATED_BYTES)
            array = _parse_npy(name, payload, dtype, shape)
            del payload
            if _digest(array) != digest:
                raise PersistenceError(
                    f"array {name!r} does not match its checksum: the file was modified or "
                    "corrupted"
                )
            arrays[name] = array
    return meta, arrays


def _no_constant(name: str) -> Any:
    raise PersistenceError(f"model metadata holds {name}, which is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PersistenceError(f"model metadata holds {text[:20]}, too large to be a number")
    return value


def _parse_meta(raw: bytes) -> dict[str, Any]:
    try:
        meta = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
    except RecursionError as exc:
        raise PersistenceError("model metadata is nested too deeply to be a model's") from exc
    except ValueError as exc:
        raise PersistenceError(f"model metadata is not valid JSON: {exc}") from exc
    _check_depth(meta)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PersistenceError(f"not a socialcare model file (format is not {FORMAT!r})")
    version = meta.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise PersistenceError(
            f"model file format version {version!r} is not supported by this socialcare "
            f"(which reads version {FORMAT_VERSION}); retrain or save it again with "
            "a matching socialcare version"
        )
    return meta


def _check_depth(value: Any) -> None:
    """Refuse JSON nested deeper than `MAX_JSON_DEPTH` (later code may recurse over it)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise PersistenceError(
                f"model metadata is nested more than {MAX_JSON_DEPTH} levels deep"
            )
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _check_meta(meta: dict[str, Any]) -> dict[str, tuple[np.dtype[Any], tuple[int, ...], str]]:
    """``{name: (dtype, shape, sha256)}`` of the arrays the metadata lists (each checked)."""
    arrays = meta.get("arrays")
    if not isinstance(arrays, dict) or len(arrays) > MAX_ARRAYS:
        raise PersistenceError("model metadata has no valid 'arrays' table")
    specs: dict[str, tuple[np.dtype[Any], tuple[int, ...], str]] = {}
    for name, spec in arrays.items():
        if not _NAME.fullmatch(name):
            raise PersistenceError(f"model metadata names an array {name[:40]!r}; not allowed")
        if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "sha256"}:
            raise PersistenceError(f"model metadata of array {name!r} is malformed")
        dtype, shape, digest = spec["dtype"], spec["shape"], spec["sha256"]
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise PersistenceError(
                f"array {name!r} has dtype {dtype!r}; a model holds only bool, integer, float32 "
                "and float64 arrays"
            )
        if not (
            isinstance(shape, list)
            and len(shape) <= _MAX_NDIM
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
        ):
            raise PersistenceError(f"array {name!r} has an invalid shape {shape!r}")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise PersistenceError(f"array {name!r} has an invalid checksum")
        specs[name] = (np.dtype(dtype), tuple(shape), digest)
    return specs


def _npy_size(dtype: np.dtype[Any], shape: tuple[int, ...]) -> int:
    return math.prod(shape) * dtype.itemsize


def _parse_npy(name: str, payload: bytes, dtype: np.dtype[Any], shape: tuple[int, ...]) -> Any:
    """The array in ``.npy`` bytes, which must hold exactly ``dtype`` and ``shape``."""
    stream = io.BytesIO(payload)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(stream)
        else:
            raise PersistenceError(f"array {name!r} uses .npy version {version}; not supported")
    except PersistenceError:
        raise
    except (ValueError, TypeError, SyntaxError, OverflowError) as exc:
        raise PersistenceError(f"array {name!r} has a damaged header: {exc}") from exc
    got_shape, fortran, got_dtype = header
    if got_dtype != dtype or tuple(got_shape) != shape or fortran:
        raise PersistenceError(
            f"array {name!r} has the wrong type or shape ({got_dtype}, {tuple(got_shape)}; "
            f"the metadata says {dtype}, {shape})"
        )
    offset = stream.tell()
    if len(payload) - offset != _npy_size(dtype, shape):
        raise PersistenceError(f"array {name!r} holds the wrong number of bytes")
    count = math.prod(shape)
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape).copy()


def unpickle_trusted(data: bytes) -> Any:
    """Unpickle bytes the caller explicitly trusts (this can run code from the file)."""
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise PersistenceError(f"cannot unpickle the trusted file: {exc}") from exc
