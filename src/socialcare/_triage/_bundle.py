"""Reading model bundles without scikit-learn: a shared featuriser plus linear heads.

The Triager scores posts with numpy alone, so loading the default model does not import
scikit-learn (which alone takes most of a second to import).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from socialcare._errors import PersistenceError
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
    """Read a bundle saved by ``save_bundle`` (safe: no code runs) into numpy structures."""
    meta, arrays = read_archive(data)
    if meta.get("kind") != KIND:
        raise PersistenceError(f"model file holds {meta.get('kind')!r}, not a {KIND}")
    try:
        spec = meta["features"]
        if spec["sublinear_tf"]:  # a field kept for other versions; this one never sets it
            raise PersistenceError(
                "model file uses sublinear term frequencies, which this version of socialcare"
                " does not support; load it with the version that saved it"
            )
        features = HashedTfidf(
            buckets=arrays["buckets"],
            idf=arrays["idf"],
            bits=int(spec["bits"]),
            char_range=(int(spec["char_range"][0]), int(spec["char_range"][1])),
            word_range=(int(spec["word_range"][0]), int(spec["word_range"][1])),
            max_chars=int(spec["max_chars"]),
        )
        n_features = features.n_features
        if features.idf.shape != (n_features,):
            raise PersistenceError("model file is inconsistent: idf and buckets differ in length")
        heads: dict[str, Head] = {}
        for name, head_meta in meta["heads"].items():
            params = {
                k: tuple(v) if isinstance(v, list) else v for k, v in head_meta["params"].items()
            }
            coef = arrays[f"{name}.coef"]
            intercept = arrays[f"{name}.intercept"].astype(np.float64)
            classes = np.asarray(head_meta["classes"])
            if coef.shape != (classes.shape[0], n_features) or intercept.shape != (
                classes.shape[0],
            ):
                raise PersistenceError(f"model file is inconsistent: head {name!r} has bad shapes")
            coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
            coef_t.flags.writeable = False
            heads[name] = Head(classes, coef_t, intercept, params)
    except PersistenceError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise PersistenceError(f"model file is incomplete or from another version: {exc}") from exc
    extra = meta.get("extra", {})
    if not isinstance(extra, dict):
        raise PersistenceError("model file is inconsistent: 'extra' is not an object")
    return features, heads, extra


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
        },
        "heads": meta_heads,
        "extra": extra,
    }
    return write_archive(meta, arrays)
