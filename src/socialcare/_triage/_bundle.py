"""Reading model bundles without scikit-learn: a shared featuriser plus linear heads.

The Triager scores posts with numpy alone, so loading the default model does not import
scikit-learn (which alone takes most of a second to import).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from socialcare._errors import InvalidInputError, PersistenceError
from socialcare._triage._capping import check_max_tf
from socialcare._triage._features import HashedTfidf
from socialcare._triage._persist import read_archive

__all__ = ["DEFAULT_MODEL", "KIND", "Head", "read_bundle", "read_default_bundle", "softmax"]

DEFAULT_MODEL = "default_model.zip"
KIND = "triage-bundle"


def softmax(scores: Any) -> Any:
    """Row-wise softmax, in place on a float64 array (returned)."""
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


@dataclass(frozen=True)
class Head:
    """One trained linear head: class labels, ``(n_features, n_classes)`` weights, intercept."""

    classes: Any
    coef_t: Any
    intercept: Any
    params: dict[str, Any]


def read_bundle(data: bytes) -> tuple[HashedTfidf, dict[str, Head], dict[str, Any]]:
    """Read a bundle saved by ``save_bundle`` (safe: no code runs) into numpy structures.

    Every parameter is checked as the constructors check it, and every array against the
    others (dtypes, shapes, bucket range, finite weights): a failure is a `PersistenceError`.
    """
    meta, arrays = read_archive(data)
    if meta.get("kind") != KIND:
        raise PersistenceError(f"model file holds {meta.get('kind')!r}, not a {KIND}")
    try:
        features = _features(meta.get("features"), arrays)
        heads = _heads(meta.get("heads"), arrays, features.n_features)
    except PersistenceError:
        raise
    except Exception as exc:  # a crafted file must never escape as anything else
        raise PersistenceError(
            f"model file is incomplete or from another version ({type(exc).__name__}: {exc})"
        ) from exc
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise PersistenceError("model file is inconsistent: 'extra' is not an object")
    return features, heads, extra


# Bounds on loaded numbers. A fitted idf is 1 + log((1 + n) / (1 + df)), in [1, 1 + log(1 + n)];
# logistic weights are small. Wider bounds than these cannot come from fit() and could overflow
# the float32 sums of scoring into inf (and the probabilities into NaN).
_MAX_IDF = 1e4
_MAX_WEIGHT = 1e9


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ngram_range(name: str, value: Any) -> tuple[int, int]:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_int(v) for v in value)
        and 0 <= value[0] <= value[1] <= 8
    ):
        raise PersistenceError(
            f"model file is invalid: features.{name} is {value!r}, not [min, max] with "
            "0 <= min <= max <= 8"
        )
    return int(value[0]), int(value[1])


def _array(arrays: dict[str, Any], name: str, dtype: Any, shape: tuple[int, ...]) -> Any:
    array = arrays.get(name)
    if array is None:
        raise PersistenceError(f"model file is incomplete: array {name!r} is missing")
    if array.dtype != np.dtype(dtype) or array.shape != shape:
        raise PersistenceError(
            f"model file is inconsistent: array {name!r} is {array.dtype} {array.shape}, "
            f"expected {np.dtype(dtype)} {shape}"
        )
    return array


def _features(spec: Any, arrays: dict[str, Any]) -> HashedTfidf:
    if not isinstance(spec, dict):
        raise PersistenceError("model file is invalid: no 'features' object")
    if spec.get("sublinear_tf") is not False:
        if spec.get("sublinear_tf") is True:  # a field kept for other versions
            raise PersistenceError(
                "model file uses sublinear term frequencies, which this version of socialcare"
                " does not support; load it with the version that saved it"
            )
        raise PersistenceError("model file is invalid: features.sublinear_tf is not false")
    bits: Any = spec.get("bits")
    if not (_is_int(bits) and 10 <= bits <= 24):
        raise PersistenceError(f"model file is invalid: features.bits is {bits!r}, not 10..24")
    char_range = _ngram_range("char_range", spec.get("char_range"))
    word_range = _ngram_range("word_range", spec.get("word_range"))
    if char_range[1] == 0 and word_range[1] == 0:
        raise PersistenceError("model file is invalid: it uses neither characters nor words")
    max_chars: Any = spec.get("max_chars")
    if not (_is_int(max_chars) and max_chars >= 1):
        raise PersistenceError(f"model file is invalid: features.max_chars is {max_chars!r}")
    max_tf: Any = spec.get("max_tf")  # (files saved before bounded term frequencies: None)
    try:
        check_max_tf(max_tf)
    except InvalidInputError as exc:
        raise PersistenceError(f"model file is invalid: features.{exc}") from exc
    buckets = arrays.get("buckets")
    if buckets is None or buckets.ndim != 1:
        raise PersistenceError("model file is incomplete: no 1-D 'buckets' array")
    n = int(buckets.shape[0])
    buckets = _array(arrays, "buckets", np.uint32, (n,))
    idf = _array(arrays, "idf", np.float32, (n,))
    if n and (int(buckets[-1]) >= 1 << bits or bool(np.any(buckets[1:] <= buckets[:-1]))):
        raise PersistenceError(
            f"model file is inconsistent: buckets are not increasing and below 2**{bits}"
        )
    if not bool(np.all((idf > 0) & (idf <= _MAX_IDF))):  # also refuses NaN
        raise PersistenceError(
            f"model file is invalid: idf values are not finite numbers in (0, {_MAX_IDF:g}]"
        )
    return HashedTfidf(
        buckets=buckets,
        idf=idf,
        bits=bits,
        char_range=char_range,
        word_range=word_range,
        max_chars=max_chars,
        max_tf=max_tf,
    )


def _classes(name: str, values: Any) -> Any:
    if not (isinstance(values, list) and len(values) >= 2):
        raise PersistenceError(f"model file is invalid: head {name!r} lists fewer than 2 classes")
    if all(isinstance(v, str) for v in values):
        classes = np.asarray(values, dtype=str)
    elif all(_is_int(v) for v in values):
        try:
            classes = np.asarray(values, dtype=np.int64)
        except OverflowError as exc:
            raise PersistenceError(
                f"model file is invalid: a class of head {name!r} is out of range"
            ) from exc
    else:
        raise PersistenceError(
            f"model file is invalid: classes of head {name!r} must be all strings or all ints"
        )
    if np.unique(classes).shape[0] != classes.shape[0]:
        raise PersistenceError(f"model file is invalid: head {name!r} repeats a class")
    return classes


def _finite_weights(name: str, array: Any) -> None:
    if not bool(np.all(np.abs(array) <= _MAX_WEIGHT)):  # also refuses NaN and inf
        raise PersistenceError(
            f"model file is invalid: array {name!r} holds NaN, infinite or absurd weights"
        )


def _heads(spec: Any, arrays: dict[str, Any], n_features: int) -> dict[str, Head]:
    if not isinstance(spec, dict) or not spec:
        raise PersistenceError("model file is invalid: no 'heads' object")
    expected = {"buckets", "idf"} | {f"{h}.{part}" for h in spec for part in ("coef", "intercept")}
    unknown = sorted(set(arrays) - expected)
    if unknown:
        raise PersistenceError(f"model file holds arrays no head uses: {unknown[:5]}")
    heads: dict[str, Head] = {}
    for name, head_meta in spec.items():
        if not isinstance(head_meta, dict) or not isinstance(head_meta.get("params"), dict):
            raise PersistenceError(f"model file is invalid: head {name!r} is malformed")
        classes = _classes(name, head_meta.get("classes"))
        k = int(classes.shape[0])
        coef = _array(arrays, f"{name}.coef", np.float32, (k, n_features))
        intercept = _array(arrays, f"{name}.intercept", np.float64, (k,))
        _finite_weights(f"{name}.coef", coef)
        _finite_weights(f"{name}.intercept", intercept)
        params = {
            key: tuple(v) if isinstance(v, list) else v
            for key, v in head_meta["params"].items()
        }
        coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        coef_t.flags.writeable = False
        heads[name] = Head(classes, coef_t, intercept, params)
    return heads


def read_default_bundle() -> tuple[HashedTfidf, dict[str, Head], dict[str, Any]]:
    """Load the bundled default model (intent, sentiment and sensitivity heads)."""
    try:
        data = resources.files("socialcare._triage").joinpath(DEFAULT_MODEL).read_bytes()
    except OSError as exc:
        raise PersistenceError(
            f"the bundled model {DEFAULT_MODEL} is missing from the installed package: {exc}"
        ) from exc
    return read_bundle(data)


def write_bundle(features: HashedTfidf, heads: dict[str, Head], extra: dict[str, Any]) -> bytes:
    """Serialise a featuriser and its heads (``extra``: JSON data) in the safe format."""
    from socialcare import __version__
    from socialcare._triage._persist import write_archive

    arrays: dict[str, Any] = {"buckets": features.buckets, "idf": features.idf}
    meta_heads: dict[str, Any] = {}
    for name, head in heads.items():
        classes: list[Any] = []
        for value in np.asarray(head.classes).tolist():
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise PersistenceError(
                    f"cannot save class label {value!r}: only str and int labels can be saved"
                )
            classes.append(value)
        arrays[f"{name}.coef"] = np.ascontiguousarray(np.asarray(head.coef_t).T)
        arrays[f"{name}.intercept"] = np.asarray(head.intercept)
        meta_heads[name] = {"classes": classes, "params": dict(head.params)}
    meta = {
        "kind": KIND,
        "socialcare_version": __version__,
        "features": {
            "bits": features.bits,
            "char_range": list(features.char_range),
            "word_range": list(features.word_range),
            "sublinear_tf": False,  # (a field of the file format; never set)
            "max_chars": features.max_chars,
            "max_tf": features.max_tf,
        },
        "heads": meta_heads,
        "extra": extra,
    }
    return write_archive(meta, arrays)
