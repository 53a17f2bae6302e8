"""A safe file format for trained text classifiers: numpy arrays and JSON in a zip.

Nothing in a file is executed when it is loaded: arrays are read with
``allow_pickle=False`` and metadata is plain JSON. The metadata records the format name and
version and a SHA-256 digest of every array, so a truncated, edited or foreign file fails with
a :class:`~socialcare.PersistenceError` that says what is wrong. (The digest detects accidental
or careless tampering; it is not a signature. The format cannot carry code, so a malicious file
can at worst hold wrong numbers.) Pickle and joblib files are refused unless the caller passes
``trusted=True``.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from typing import Any

import numpy as np

from socialcare._errors import PersistenceError

__all__ = ["FORMAT", "FORMAT_VERSION", "read_archive", "unpickle_trusted", "write_archive"]

FORMAT = "socialcare-text-model"
FORMAT_VERSION = 1
_META = "meta.json"
_MAGIC_ZIP = b"PK\x03\x04"


def _digest(array: Any) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_archive(meta: dict[str, Any], arrays: dict[str, Any]) -> bytes:
    """Serialise metadata and named arrays into the zip format (deterministic bytes)."""
    meta = dict(meta, format=FORMAT, format_version=FORMAT_VERSION)
    meta["arrays"] = {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "sha256": _digest(a)}
        for name, a in arrays.items()
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(_META, date_time=(2000, 1, 1, 0, 0, 0))
        archive.writestr(info, json.dumps(meta, sort_keys=True, indent=1), zipfile.ZIP_DEFLATED)
        for name, array in arrays.items():
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(info, payload.getvalue(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _looks_like_pickle(data: bytes) -> bool:
    return data[:1] == b"\x80" or data[:2] in (b"(d", b"(l", b"cc")


def read_archive(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and verify an archive written by :func:`write_archive`; never runs code."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PersistenceError(f"expected the bytes of a saved model, got {type(data).__name__}")
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
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            meta = json.loads(archive.read(_META))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise PersistenceError(f"not a socialcare model file (format is not {FORMAT!r})")
            version = meta.get("format_version")
            if version != FORMAT_VERSION:
                raise PersistenceError(
                    f"model file format version {version!r} is not supported by this socialcare "
                    f"(which reads version {FORMAT_VERSION}); retrain or save it again with "
                    "a matching socialcare version"
                )
            arrays: dict[str, Any] = {}
            for name, spec in meta["arrays"].items():
                with archive.open(f"{name}.npy") as handle:
                    array = np.lib.format.read_array(io.BytesIO(handle.read()), allow_pickle=False)
                if str(array.dtype) != spec["dtype"] or list(array.shape) != spec["shape"]:
                    raise PersistenceError(f"array {name!r} has the wrong type or shape")
                if _digest(array) != spec["sha256"]:
                    raise PersistenceError(
                        f"array {name!r} does not match its checksum: the file was modified or "
                        "corrupted"
                    )
                arrays[name] = array
    except PersistenceError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError) as exc:
        raise PersistenceError(f"model file is damaged or incomplete: {exc}") from exc
    return meta, arrays


def unpickle_trusted(data: bytes) -> Any:
    """Unpickle bytes the caller explicitly trusts (this can run code from the file)."""
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise PersistenceError(f"cannot unpickle the trusted file: {exc}") from exc
