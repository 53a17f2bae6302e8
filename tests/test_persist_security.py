"""Loading model files is safe: crafted, damaged or huge files only ever give PersistenceError.

Each test crafts one kind of hostile file (zip bombs, extra members, deep JSON, wrong dtypes,
object arrays, wrong shapes, absurd parameters, NaN weights, special files) and checks that
loading it fails with a `PersistenceError` saying what is wrong, without spending memory.
"""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare import PersistenceError
from socialcare._triage import _persist, _zipguard
from socialcare._triage._bundle import read_bundle
from socialcare._triage._classifier import IntentClassifier, load_bundle
from socialcare._triage._persist import write_archive
from triage_data import synthetic

# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def small() -> IntentClassifier:
    texts, labels = synthetic(6)
    return IntentClassifier(hash_bits=10, char_ngram_range=(2, 3), calibration=None).fit(
        texts, labels
    )


@pytest.fixture(scope="module")
def model_bytes(small: IntentClassifier) -> bytes:
    return small.to_bytes()


def _parts(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The metadata and arrays of a valid file (read with plain zipfile and numpy)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        meta = json.loads(archive.read("meta.json"))
        arrays = {
            info.filename[: -len(".npy")]: np.load(io.BytesIO(archive.read(info)))
            for info in archive.infolist()
            if info.filename.endswith(".npy")
        }
    for key in ("arrays", "format", "format_version"):
        del meta[key]
    return meta, arrays


def _craft(
    data: bytes,
    meta_change: Callable[[dict[str, Any]], None] | None = None,
    array_change: Callable[[dict[str, Any]], None] | None = None,
) -> bytes:
    """A self-consistent file (digests, dtypes, shapes recorded) with changed content."""
    meta, arrays = _parts(data)
    if array_change:
        array_change(arrays)
    if meta_change:
        meta_change(meta)
    return write_archive(meta, arrays)


def _rezip(
    data: bytes, change: Callable[[str, bytes], list[tuple[str, bytes]]], method: int = 8
) -> bytes:
    """Rewrite members through ``change`` (which returns the members to write instead)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", method) as dst:
        for info in src.infolist():
            for name, payload in change(info.filename, src.read(info)):
                dst.writestr(name, payload)
    return out.getvalue()


def _raw_zip(members: list[tuple[str, bytes, int, int, int, int]]) -> bytes:
    """A zip written by hand: ``(name, stored bytes, method, crc, declared size, flags)``.

    Lets a member lie about its inflated size, which ``zipfile`` would never write.
    """
    body = io.BytesIO()
    central = io.BytesIO()
    for name, stored, method, crc, size, flags in members:
        encoded = name.encode()
        offset = body.tell()
        body.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, len(stored), size,
                len(encoded), 0,
            )
        )
        body.write(encoded + stored)
        central.write(
            struct.pack(
                "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc, len(stored),
                size, len(encoded), 0, 0, 0, 0, 0, offset,
            )
        )
        central.write(encoded)
    start = body.tell()
    body.write(central.getvalue())
    n = len(members)
    size = len(central.getvalue())
    body.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, size, start, 0))
    return body.getvalue()


def _deflate_zeros(size: int) -> bytes:
    """Raw deflate of ``size`` zero bytes (about 1 KiB per MiB), built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    out = [packer.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*out, packer.flush()])


def _members(data: bytes) -> list[tuple[str, bytes, int, int, int, int]]:
    """The members of a valid file as `_raw_zip` input (stored, honest sizes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            (info.filename, archive.read(info), 0, zlib.crc32(archive.read(info)),
             info.file_size, 0)
            for info in archive.infolist()
        ]


def _peak_mib(action: Callable[[], object]) -> float:
    """Peak Python memory (MiB) while running ``action``, which must raise PersistenceError."""
    tracemalloc.start()
    try:
        with pytest.raises(PersistenceError):
            action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _refused(data: bytes, match: str = ".") -> None:
    with pytest.raises(PersistenceError, match=match):
        IntentClassifier.from_bytes(data)
    with pytest.raises(PersistenceError, match=match):
        read_bundle(data)


# ------------------------------------------------------------------------ sanity


def test_valid_small_model_round_trips(small: IntentClassifier, model_bytes: bytes) -> None:
    again = IntentClassifier.from_bytes(model_bytes)
    texts = ["where is my order?", "worst service ever"]
    np.testing.assert_array_equal(again.predict_proba(texts), small.predict_proba(texts))
    # the crafting helper itself makes loadable files when nothing is changed
    IntentClassifier.from_bytes(_craft(model_bytes))
    IntentClassifier.from_bytes(_raw_zip(_members(model_bytes)))


def test_bundled_default_model_loads_and_decides_the_same() -> None:
    data = resources.files("socialcare._triage").joinpath("default_model.zip").read_bytes()
    loaded = IntentClassifier.from_bytes(data)
    default = IntentClassifier.default()
    texts = ["where is my order??", "I will sue you", "love it 😍", "refund now!!!", ""]
    np.testing.assert_array_equal(loaded.predict_proba(texts), default.predict_proba(texts))
    assert set(load_bundle(data)) == {"intent", "sentiment", "sensitivity"}


# -------------------------------------------------------------------- zip bombs


def test_member_lying_about_its_size_is_not_inflated(model_bytes: bytes) -> None:
    # meta.json declares 200 bytes but its deflate stream inflates to 128 MiB
    bomb = _deflate_zeros(128 << 20)
    members = _members(model_bytes)
    members[0] = ("meta.json", bomb, 8, zlib.crc32(bytes(200)), 200, 0)
    assert len(bomb) < 1 << 20
    data = _raw_zip(members)
    assert _peak_mib(lambda: IntentClassifier.from_bytes(data)) < 16
    _refused(data, "does not inflate to its declared size")


def test_array_member_lying_about_its_size_is_not_inflated(model_bytes: bytes) -> None:
    members = _members(model_bytes)
    index = next(i for i, m in enumerate(members) if m[0] == "idf.npy")
    honest = members[index]
    # the real bytes, then 128 MiB of zeros in the same stream; declared: the real size
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = packer.compress(honest[1]) + _deflate_zeros(128 << 20)
    members[index] = ("idf.npy", stream, 8, honest[3], honest[4], 0)
    data = _raw_zip(members)
    assert _peak_mib(lambda: IntentClassifier.from_bytes(data)) < 16
    _refused(data, "does not inflate to its declared size")


def test_honest_bomb_is_refused_before_inflating(model_bytes: bytes) -> None:
    size = 1 << 30  # declares 1 GiB of zeros, stored in about 1 MiB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = b"".join(packer.compress(bytes(1 << 20)) for _ in range(64)) + packer.flush()
    members = [*_members(model_bytes), ("extra.bin", stream, 8, 0, size, 0)]
    data = _raw_zip(members)
    assert _peak_mib(lambda: IntentClassifier.from_bytes(data)) < 16
    with pytest.raises(PersistenceError, match="zip bomb"):
        IntentClassifier.from_bytes(data)


def test_arrays_may_not_inflate_past_their_metadata(model_bytes: bytes) -> None:
    # an idf member padded far beyond what meta.json's shape for it describes
    def pad(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        return [(name, payload + bytes(4 << 20) if name == "idf.npy" else payload)]

    _refused(_rezip(model_bytes, pad), "claims|bytes")


# ---------------------------------------------------------------- zip structure


def test_extra_members_are_refused(model_bytes: bytes) -> None:
    def add(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        extra = [("notes.txt", b"hello")] if name == "meta.json" else []
        return [(name, payload), *extra]

    _refused(_rezip(model_bytes, add), "should not")


def test_duplicate_members_are_refused(model_bytes: bytes) -> None:
    members = _members(model_bytes)
    with pytest.warns(UserWarning, match="Duplicate"):
        twice = _rezip(model_bytes, lambda n, p: [(n, p), (n, p)] if n == "idf.npy" else [(n, p)])
    assert len(members) + 1 == len(zipfile.ZipFile(io.BytesIO(twice)).infolist())
    _refused(twice, "twice")


@pytest.mark.parametrize(
    ("method", "flags", "match"),
    [(12, 0, "compression method"), (14, 0, "compression method"), (99, 0, "compression"),
     (0, 1, "encrypted")],
)
def test_other_compression_and_encryption_are_refused(
    model_bytes: bytes, method: int, flags: int, match: str
) -> None:
    members = _members(model_bytes)
    name, stored, _, crc, size, _ = members[1]
    members[1] = (name, stored, method, crc, size, flags)
    _refused(_raw_zip(members), match)


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.8, 0.97, 0.999])
def test_truncated_files_are_refused(model_bytes: bytes, fraction: float) -> None:
    _refused(model_bytes[: int(len(model_bytes) * fraction)])


def test_truncated_deflate_stream_is_refused(model_bytes: bytes) -> None:
    # a member cut short inside its deflate stream (zlib.error before), sizes still honest
    members = _members(model_bytes)
    index = next(i for i, m in enumerate(members) if m[0] == "idf.npy")
    name, stored, _, crc, size, _ = members[index]
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = packer.compress(stored) + packer.flush()
    members[index] = (name, stream[: len(stream) // 2], 8, crc, size, 0)
    _refused(_raw_zip(members))


# -------------------------------------------------------------------- metadata


def test_deeply_nested_metadata_is_refused(model_bytes: bytes) -> None:
    def nest(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        if name == "meta.json":
            payload = payload[:-1] + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        return [(name, payload)]

    _refused(_rezip(model_bytes, nest), "nested")

    def nest_some(meta: dict[str, Any]) -> None:
        value: Any = 1
        for _ in range(200):  # within json's recursion limit, beyond ours
            value = [value]
        meta["extra"] = {"x": value}

    _refused(_craft(model_bytes, nest_some), "nested")


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'"text"',
        b"\xff\xfe not utf-8",
        b'{"format": "socialcare-text-model"}',
        b"NaN",
        b'{"format": "socialcare-text-model", "format_version": 1, "x": 1e400}',
        b'{"format": "socialcare-text-model", "format_version": 1, "x": -Infinity}',
    ],
)
def test_malformed_metadata_is_refused(model_bytes: bytes, payload: bytes) -> None:
    _refused(_rezip(model_bytes, lambda n, p: [(n, payload if n == "meta.json" else p)]))


def _edit_json(model_bytes: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    def change(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        if name == "meta.json":
            meta = json.loads(payload)
            edit(meta)
            payload = json.dumps(meta).encode()
        return [(name, payload)]

    return _rezip(model_bytes, change)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m: m.update(arrays=[1, 2]), "arrays"),
        (lambda m: m["arrays"].update(idf="x"), "malformed"),
        (lambda m: m["arrays"]["idf"].update(dtype="object"), "holds only"),
        (lambda m: m["arrays"]["idf"].update(dtype="<U10"), "holds only"),
        (lambda m: m["arrays"]["idf"].update(shape=[10**12]), "bytes|shape"),
        (lambda m: m["arrays"]["idf"].update(shape=[-1]), "shape"),
        (lambda m: m["arrays"]["idf"].update(shape="12"), "shape"),
        (lambda m: m["arrays"]["idf"].update(sha256=None), "checksum"),
        (lambda m: m["arrays"].update({"../evil": m["arrays"]["idf"]}), "not allowed"),
        (lambda m: m.update(format_version=True), "format version"),
        (lambda m: m.update(kind=["x"]), "not a triage-bundle"),
    ],
)
def test_lying_array_table_is_refused(
    model_bytes: bytes, edit: Callable[[dict[str, Any]], None], match: str
) -> None:
    _refused(_edit_json(model_bytes, edit), match)


# ---------------------------------------------------------------------- arrays


def _npy(array: Any) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=True)
    return out.getvalue()


def test_object_array_is_refused_without_unpickling(model_bytes: bytes) -> None:
    evil = np.array([{"a": 1}, None], dtype=object)

    def change(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        return [(name, _npy(evil) if name == "idf.npy" else payload)]

    _refused(_rezip(model_bytes, change), "type or shape|header")


def test_npy_header_disagreeing_with_metadata_is_refused(model_bytes: bytes) -> None:
    _, arrays = _parts(model_bytes)
    n = arrays["idf"].shape[0]
    for wrong in (
        arrays["idf"].astype(np.float64),  # dtype
        arrays["idf"].astype(">f4"),  # byte order
        np.asfortranarray(np.zeros((n, 2), dtype=np.float32)),  # shape and order
        np.zeros(n, dtype=np.complex64),  # a complex header
    ):
        blob = _npy(wrong)
        _refused(
            _rezip(model_bytes, lambda n_, p, b=blob: [(n_, b if n_ == "idf.npy" else p)]),
            "type or shape",
        )
    huge = _npy(np.zeros(3, dtype=np.float32)).replace(b"(3,)", b"(9999999999,)")
    _refused(_rezip(model_bytes, lambda n_, p: [(n_, huge if n_ == "idf.npy" else p)]))


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("buckets", np.float64), ("buckets", np.int64), ("idf", np.float64),
     ("idf", np.float16), ("intent.coef", np.float64), ("intent.intercept", np.float32)],
)
def test_wrong_dtypes_are_refused(model_bytes: bytes, name: str, dtype: Any) -> None:
    def change(arrays: dict[str, Any]) -> None:
        arrays[name] = arrays[name].astype(dtype)

    _refused(_craft(model_bytes, array_change=change), "expected|holds only")


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.update(idf=a["idf"][:-1]),
        lambda a: a.update(buckets=a["buckets"][:-1]),
        lambda a: a.update({"intent.coef": a["intent.coef"][:, :-1]}),
        lambda a: a.update({"intent.coef": a["intent.coef"][:-1]}),
        lambda a: a.update({"intent.coef": a["intent.coef"].ravel()}),
        lambda a: a.update({"intent.intercept": a["intent.intercept"][:-1]}),
        lambda a: a.update(buckets=a["buckets"].reshape(1, -1), idf=a["idf"].reshape(1, -1)),
        lambda a: a.pop("intent.intercept"),
        lambda a: a.update(spare=np.zeros(3)),
    ],
)
def test_inconsistent_shapes_are_refused(
    model_bytes: bytes, change: Callable[[dict[str, Any]], None]
) -> None:
    _refused(_craft(model_bytes, array_change=change))


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("intent.coef", np.nan, "NaN"),
        ("intent.coef", np.inf, "NaN"),
        ("intent.coef", 3e38, "absurd"),
        ("intent.intercept", np.nan, "NaN"),
        ("idf", np.nan, "idf"),
        ("idf", -1.0, "idf"),
        ("idf", np.inf, "idf"),
    ],
)
def test_non_finite_values_are_refused(
    model_bytes: bytes, name: str, value: float, match: str
) -> None:
    def change(arrays: dict[str, Any]) -> None:
        array = arrays[name].copy()
        array.flat[0] = value
        arrays[name] = array

    _refused(_craft(model_bytes, array_change=change), match)


def test_buckets_out_of_range_or_unsorted_are_refused(model_bytes: bytes) -> None:
    def too_high(arrays: dict[str, Any]) -> None:
        arrays["buckets"] = arrays["buckets"].copy()
        arrays["buckets"][-1] = 1 << 10  # bits is 10

    def unsorted(arrays: dict[str, Any]) -> None:
        arrays["buckets"] = arrays["buckets"][::-1].copy()

    _refused(_craft(model_bytes, array_change=too_high), "buckets")
    _refused(_craft(model_bytes, array_change=unsorted), "buckets")


# ------------------------------------------------------------------ parameters


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(meta: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = meta
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("features.bits", 30, "bits"),
        ("features.bits", 33, "bits"),
        ("features.bits", 9, "bits"),
        ("features.bits", 10.5, "bits"),
        ("features.bits", True, "bits"),
        ("features.bits", "20", "bits"),
        ("features.max_chars", 0, "max_chars"),
        ("features.max_chars", -5, "max_chars"),
        ("features.max_chars", 1e9, "max_chars"),
        ("features.char_range", [5, 2], "char_range"),
        ("features.char_range", [0, 9], "char_range"),
        ("features.char_range", [1], "char_range"),
        ("features.word_range", [-1, 2], "word_range"),
        ("features.word_range", "12", "word_range"),
        ("features.sublinear_tf", "no", "sublinear"),
        ("features.max_tf", "1", "max_tf"),
        ("features.max_tf", 0, "max_tf"),
        ("features.max_tf", 1.0, "max_tf"),
        ("features.max_tf", 10**30, "max_tf"),
        ("features.max_tf", 1, "inconsistent"),
        ("heads.intent.params.max_tf", 2, "inconsistent"),
        ("heads.intent.params.max_tf", -2, "max_tf must be"),
        ("features", None, "features"),
        ("heads", {}, "heads"),
        ("heads.intent.classes", ["a", "a", "b"], "repeats|shape"),
        ("heads.intent.classes", ["complaint", "praise", "complaint"], "repeats"),
        ("heads.intent.classes", ["complaint", 1, "query"], "all strings"),
        ("heads.intent.classes", [[1], [2], [3]], "all strings"),
        ("heads.intent.classes", [1, 2, 10**30], "range"),
        ("heads.intent.classes", ["a", "b"], "expected"),
        ("heads.intent.params.hash_bits", 40, "hash_bits"),
        ("heads.intent.params.C", -1, "C must"),
        ("heads.intent.params.max_chars", 0, "max_chars"),
        ("heads.intent.params.max_iter", "lots", "max_iter"),
        ("heads.intent.params.char_ngram_range", [3, 1], "char_ngram_range"),
        ("heads.intent.params.evil", 1, "unknown parameters"),
        ("heads.intent.params", [1], "malformed"),
        ("extra", [1], "extra"),
    ],
)
def test_invalid_parameters_are_refused(
    model_bytes: bytes, path: str, value: Any, match: str
) -> None:
    data = _craft(model_bytes, _set(path, value))
    with pytest.raises(PersistenceError, match=match):
        IntentClassifier.from_bytes(data)


def test_classes_from_two_class_model_still_load() -> None:
    clf = IntentClassifier(hash_bits=10, calibration=None).fit(
        ["good", "great", "bad", "awful"], [1, 1, 0, 0]
    )
    again = IntentClassifier.from_bytes(clf.to_bytes())
    assert again.classes_.tolist() == [0, 1]


# ---------------------------------------------------------------------- files


def test_special_files_are_refused_without_reading(tmp_path: Path) -> None:
    with pytest.raises(PersistenceError, match="directory"):
        IntentClassifier.load(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(PersistenceError, match="a character device, not a regular file"):
            IntentClassifier.load("/dev/zero")
    with pytest.raises(PersistenceError, match="cannot read"):
        IntentClassifier.load(tmp_path / "missing.zip")
    with pytest.raises(PersistenceError, match="path"):
        IntentClassifier.load(123)  # type: ignore[arg-type]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "model.zip"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            IntentClassifier.load(fifo)
            outcome.append(None)
        except BaseException as exc:  # recorded for the main thread
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader (it waited for a writer: the bug)
        with open(fifo, "wb"):
            pass
        worker.join(10)
        pytest.fail("loading a FIFO blocked waiting for a writer")
    assert isinstance(outcome[0], PersistenceError)
    assert "a FIFO (named pipe), not a regular file" in str(outcome[0])


def test_oversized_file_and_bytes_are_refused(
    model_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(model_bytes)
    monkeypatch.setattr(_persist, "MAX_FILE_BYTES", len(model_bytes) - 1)
    with pytest.raises(PersistenceError, match="more than"):
        IntentClassifier.load(path)
    with pytest.raises(PersistenceError, match="more than"):
        IntentClassifier.from_bytes(model_bytes)
    monkeypatch.setattr(_persist, "MAX_FILE_BYTES", len(model_bytes))
    assert IntentClassifier.load(path).classes_.shape[0] >= 2


# ---------------------------------------------------------------------- fuzzing


def _valid_or_refused(data: bytes) -> None:
    try:
        clf = IntentClassifier.from_bytes(data)
    except PersistenceError as exc:
        message = str(exc)
        assert len(message) > 10, message
        return
    proba = clf.predict_proba(["where is my order?", "worst ever", ""])
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


_FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_FUZZ
@given(
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), max_size=4),
    keep=st.none() | st.floats(0, 1),
)
def test_mutated_file_is_valid_or_refused(
    model_bytes: bytes, flips: list[tuple[float, int]], keep: float | None
) -> None:
    data = bytearray(model_bytes)
    for where, xor in flips:
        data[int(where * len(data))] ^= xor
    if keep is not None:
        data = data[: int(keep * len(data))]
    _valid_or_refused(bytes(data))


@_FUZZ
@given(
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3
    )
)
def test_mutated_metadata_is_valid_or_refused(
    model_bytes: bytes, flips: list[tuple[float, int]]
) -> None:
    # mutate meta.json itself (stored uncompressed) so the changes reach the JSON checks
    def change(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        if name == "meta.json":
            text = bytearray(payload)
            for where, xor in flips:
                text[int(where * len(text))] ^= xor
            payload = bytes(text)
        return [(name, payload)]

    _valid_or_refused(_rezip(model_bytes, change, method=zipfile.ZIP_STORED))


def test_overflowing_number_in_metadata_is_refused(model_bytes: bytes) -> None:
    def change(name: str, payload: bytes) -> list[tuple[str, bytes]]:
        if name == "meta.json":
            assert b'"C": 10.0' in payload
            payload = payload.replace(b'"C": 10.0', b'"C": 1e400')
        return [(name, payload)]

    _refused(_rezip(model_bytes, change), "too large")


def test_many_members_are_refused_before_parsing_them(model_bytes: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("meta.json", b"{}")
        for index in range(20_000):
            archive.writestr(zipfile.ZipInfo(str(index)), b"")
    data = out.getvalue()
    # zipfile would build 20,000 ZipInfo objects (~12 MiB) before a count could be checked
    assert _peak_mib(lambda: IntentClassifier.from_bytes(data)) < 4
    _refused(data, "too many")


def test_zip64_records_are_refused(model_bytes: bytes) -> None:
    end = model_bytes.rfind(b"PK\x05\x06")
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1)
    _refused(model_bytes[:end] + locator + model_bytes[end:], "ZIP64")


def test_saving_refuses_a_model_too_large_to_load(
    small: IntentClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small.to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(_zipguard, "INFLATION_FLOOR", 0)
    monkeypatch.setattr(_zipguard, "MAX_INFLATED_BYTES", size - 1)
    with pytest.raises(PersistenceError, match="too large to save"):
        small.to_bytes()
    monkeypatch.setattr(_zipguard, "MAX_INFLATED_BYTES", size)
    IntentClassifier.from_bytes(small.to_bytes())
