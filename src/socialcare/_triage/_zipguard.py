"""Reading a model file's zip container within bounds, before ``zipfile`` spends memory.

The size limits of the safe model format (see ``_persist.py``) live here with the checks that
enforce them: the directory is sized up before ``zipfile`` parses it, every member's declared
size is checked against a budget, and each member is inflated by hand, stopping one byte past
what it declared.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

from socialcare._errors import PersistenceError

__all__ = [
    "INFLATION_FLOOR",
    "MAX_ARRAYS",
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_INFLATION_RATIO",
    "MAX_JSON_DEPTH",
    "MAX_META_BYTES",
    "META",
    "check_directory",
    "check_members",
    "inflate",
    "inflation_budget",
    "over_budget",
]

META = "meta.json"
_MAGIC_ZIP = b"PK\x03\x04"
MAX_FILE_BYTES = 1 << 30
"""Largest model file read (1 GiB)."""
MAX_META_BYTES = 4 << 20
"""Largest ``meta.json`` (4 MiB; the bundled model's is 3 KiB)."""
MAX_INFLATED_BYTES = 2 << 30
"""Largest total size of the members once inflated (2 GiB)."""
MAX_INFLATION_RATIO = 32
"""Beyond `INFLATION_FLOOR`, members may inflate to at most this many times the file's size."""
INFLATION_FLOOR = 64 << 20
"""Inflated size (64 MiB) allowed whatever the file's size (numpy arrays barely compress)."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of lists and objects accepted in the metadata."""
MAX_ARRAYS = 1024


_END = struct.Struct("<4s4H2LH")
_MAX_DIRECTORY = 1 << 20


def check_directory(data: bytes) -> None:
    """Refuse a zip directory too big for a model before ``zipfile`` parses it.

    ``zipfile`` builds an object per entry (about 600 bytes for a 46-byte entry), so a file of
    many empty members would cost ten times its size before the member count could be checked.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - _END.size - 65535))
    if end < 0 or len(data) - end < _END.size:
        raise PersistenceError("model file is damaged or incomplete: no zip directory at its end")
    fields = _END.unpack(data[end : end + _END.size])
    entries, size = fields[4], fields[5]
    if data[max(0, end - 20) : max(0, end - 16)] == b"PK\x06\x07":
        raise PersistenceError("model file uses ZIP64 records, which a model never needs")
    if entries > MAX_ARRAYS + 1 or size > _MAX_DIRECTORY:
        raise PersistenceError(
            f"model file lists {entries:,} members in a {size:,}-byte directory; too many for a "
            "model"
        )


def inflation_budget(file_size: int) -> int:
    return min(MAX_INFLATED_BYTES, max(INFLATION_FLOOR, MAX_INFLATION_RATIO * file_size))


def over_budget(total: int, budget: int, file_size: int) -> str:
    return (
        f"model file of {file_size:,} bytes would inflate to more than {budget:,} bytes "
        f"(at least {total:,}); a socialcare model never compresses that well, so it is "
        "refused as a zip bomb"
    )


def check_members(archive: zipfile.ZipFile, file_size: int) -> dict[str, zipfile.ZipInfo]:
    """The members by name, once each, stored or deflated, unencrypted, sizes in bounds."""
    infos = archive.infolist()
    if len(infos) > MAX_ARRAYS + 1:
        raise PersistenceError(f"model file holds {len(infos)} members; too many for a model")
    members: dict[str, zipfile.ZipInfo] = {}
    compressed = 0
    declared = 0
    budget = inflation_budget(file_size)
    for info in infos:
        name = info.filename
        if name in members:
            raise PersistenceError(f"model file holds {name!r} twice")
        if info.is_dir() or info.flag_bits & 0x1:
            raise PersistenceError(f"model file member {name!r} is a directory or encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PersistenceError(
                f"model file member {name!r} uses compression method {info.compress_type}; "
                "socialcare writes deflate only"
            )
        compressed += info.compress_size
        declared += info.file_size
        if compressed > file_size:
            raise PersistenceError(
                "model file is damaged or crafted: its members claim more compressed bytes "
                "than the file holds"
            )
        if declared > budget:
            raise PersistenceError(over_budget(declared, budget, file_size))
        members[name] = info
    if META not in members:
        raise PersistenceError(f"not a socialcare model file: no {META}")
    return members


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def inflate(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, inflated to exactly its declared size and never further.

    The compressed bytes are taken from the file (after the member's local header) and
    inflated with an output limit of the declared size plus one byte, so a member that
    declares a small size but holds a bomb costs only its declared size; one whose stream
    inflates to more or less than it declares, or does not end there, is refused, as is one
    whose CRC-32 differs.
    """
    name = info.filename
    size = info.file_size
    if size > limit:
        raise PersistenceError(
            f"model file member {name!r} declares {size:,} bytes, more than the {limit:,} allowed"
        )
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or header[:4] != _MAGIC_ZIP:
        raise PersistenceError(f"model file is damaged: member {name!r} has no local header")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[-2], fields[-1]
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    raw = data[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise PersistenceError(f"model file is truncated inside member {name!r}")
    if info.compress_type == zipfile.ZIP_STORED:
        payload, complete = raw, True
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            payload = inflater.decompress(raw, size + 1)
        except zlib.error as exc:
            raise PersistenceError(
                f"model file member {name!r} is damaged: its compressed data is invalid ({exc})"
            ) from exc
        complete = inflater.eof and not inflater.unconsumed_tail and not inflater.unused_data
    if len(payload) != size or not complete:
        raise PersistenceError(
            f"model file member {name!r} does not inflate to its declared size "
            f"({size:,} bytes): the file is damaged or crafted"
        )
    if zlib.crc32(payload) != info.CRC:
        raise PersistenceError(f"model file member {name!r} fails its CRC-32: it is damaged")
    return payload


