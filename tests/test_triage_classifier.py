"""IntentClassifier: fitting, predicting, scikit-learn compatibility, persistence."""

from __future__ import annotations

import io
import pickle
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from socialcare import InvalidInputError, NotFittedError, PersistenceError, SocialcareError
from socialcare._triage._classifier import IntentClassifier, fit_shared, load_bundle, save_bundle
from triage_data import synthetic


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    return synthetic(40)


@pytest.fixture(scope="module")
def fitted(data: tuple[list[str], list[str]]) -> IntentClassifier:
    return IntentClassifier(C=5.0).fit(*data)


def test_fit_predict_shapes(fitted: IntentClassifier) -> None:
    texts = ["where is my parcel?", "worst service ever!!!", "love your team 😍", ""]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (4, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.classes_.tolist() == ["complaint", "praise", "query"]
    assert fitted.predict(texts[:3]).tolist() == ["query", "complaint", "praise"]
    assert fitted.decision_function(texts).shape == (4, 3)


def test_learns_the_synthetic_task(data: tuple[list[str], list[str]]) -> None:
    texts, labels = data
    test_texts, test_labels = synthetic(20, seed=7)
    clf = IntentClassifier().fit(texts, labels)
    assert clf.score(test_texts, test_labels) > 0.9


def test_init_stores_params_only() -> None:
    clf = IntentClassifier(C=-1.0, hash_bits=3)
    assert clf.get_params()["C"] == -1.0  # validated in fit, not here
    with pytest.raises(InvalidInputError, match="C must be"):
        clf.fit(["a", "b"], ["x", "y"])


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        ([], [], "no data"),
        (["a", "b"], ["x", "x"], "single class"),
        (["a", "b", "c"], ["x", "y"], "3 texts but y has 2"),
        (["a", None], ["x", "y"], r"X\[1\] is NoneType"),
        ("just one string", ["x"], "sequence of strings"),
    ],
)
def test_fit_refuses_bad_data(texts: object, labels: list[str], message: str) -> None:
    with pytest.raises(SocialcareError, match=message):
        IntentClassifier().fit(texts, labels)


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not trained"):
        IntentClassifier().predict(["hi"])


def test_pipeline_cross_val_and_grid_search(data: tuple[list[str], list[str]]) -> None:
    texts, labels = data
    pipe = Pipeline([("clf", IntentClassifier())])
    scores = cross_val_score(pipe, texts, labels, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.8
    search = GridSearchCV(IntentClassifier(), {"C": [0.1, 10.0]}, cv=3).fit(texts, labels)
    assert search.best_params_["C"] in (0.1, 10.0)
    assert search.predict(["where is my order?"]).tolist() == ["query"]


def test_sklearn_clone_and_tags() -> None:
    from sklearn.base import clone

    clf = IntentClassifier(C=3.0, char_ngram_range=(1, 3))
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    tags = clf.__sklearn_tags__()
    assert tags.input_tags.string
    assert not tags.input_tags.two_d_array


def test_bytes_and_path_round_trip(fitted: IntentClassifier, tmp_path: Path) -> None:
    texts = ["where is my parcel?", "terrible app", "merci pour votre équipe"]
    expected = fitted.predict_proba(texts)
    again = IntentClassifier.from_bytes(fitted.to_bytes())
    np.testing.assert_allclose(again.predict_proba(texts), expected, rtol=1e-6)
    assert again.get_params() == fitted.get_params()
    path = tmp_path / "model.zip"
    fitted.save(path)
    loaded = IntentClassifier.load(path)
    np.testing.assert_allclose(loaded.predict_proba(texts), expected, rtol=1e-6)
    assert fitted.to_bytes() == loaded.to_bytes()  # deterministic


def _rewrite(data: bytes, name: str, change: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            payload = src.read(item.filename)
            if item.filename == name:
                payload = change(payload)  # type: ignore[operator]
            dst.writestr(item.filename, payload)
    return out.getvalue()


def test_tampered_file_is_refused(fitted: IntentClassifier) -> None:
    data = fitted.to_bytes()

    def flip(payload: bytes) -> bytes:
        return payload[:-1] + bytes([payload[-1] ^ 0xFF])

    with pytest.raises(PersistenceError, match="checksum"):
        IntentClassifier.from_bytes(_rewrite(data, "idf.npy", flip))
    with pytest.raises(PersistenceError, match="format version"):
        IntentClassifier.from_bytes(
            _rewrite(
                data,
                "meta.json",
                lambda p: p.replace(b'"format_version": 1', b'"format_version": 99'),
            )
        )
    with pytest.raises(PersistenceError, match="sublinear"):
        IntentClassifier.from_bytes(
            _rewrite(
                data,
                "meta.json",
                lambda p: p.replace(b'"sublinear_tf": false', b'"sublinear_tf": true'),
            )
        )
    with pytest.raises(PersistenceError, match="damaged or incomplete"):
        IntentClassifier.from_bytes(data[: len(data) // 2])
    with pytest.raises(PersistenceError, match="not a socialcare model"):
        IntentClassifier.from_bytes(b"hello world")
    with pytest.raises(PersistenceError):
        IntentClassifier.load("/nonexistent/model.zip")


def test_foreign_pickle_refused_unless_trusted(fitted: IntentClassifier) -> None:
    evil = pickle.dumps(fitted)
    with pytest.raises(PersistenceError, match="pickle"):
        IntentClassifier.from_bytes(evil)
    trusted = IntentClassifier.from_bytes(evil, trusted=True)
    assert trusted.predict(["where is my order?"]).tolist() == ["query"]
    with pytest.raises(PersistenceError, match="not an IntentClassifier"):
        IntentClassifier.from_bytes(pickle.dumps({"a": 1}), trusted=True)


def test_shared_heads_bundle(data: tuple[list[str], list[str]]) -> None:
    texts, labels = data
    other = ["neg" if y == "complaint" else "pos" for y in labels]
    heads = fit_shared(texts, {"intent": labels, "mood": other}, C=5.0, mood__C=1.0)
    assert heads["mood"].C == 1.0
    assert heads["intent"].features_ is heads["mood"].features_
    loaded = load_bundle(save_bundle(heads))
    assert loaded["mood"].predict(["worst service ever!!!"]).tolist() == ["neg"]


def test_default_model_loads_and_predicts() -> None:
    clf = IntentClassifier.default()
    assert set(clf.classes_) >= {"query", "request", "complaint", "praise", "feedback", "spam"}
    proba = clf.predict_proba(["where is my order??", "😍😍"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_threads_equal_serial(fitted: IntentClassifier) -> None:
    texts, _ = synthetic(30, seed=3)
    serial = fitted.predict_proba(texts)
    results: list[np.ndarray] = [np.empty(0)] * 8

    def work(i: int) -> None:
        results[i] = fitted.predict_proba(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, serial)


def test_many_chunks_equal_small_batches(fitted: IntentClassifier) -> None:
    texts, _ = synthetic(30, seed=4)
    many = texts * 150  # several chunks: words seen in one are reused in the next
    big = fitted.predict_proba(many)
    small = np.vstack([fitted.predict_proba(texts[i : i + 3]) for i in range(0, len(texts), 3)])
    np.testing.assert_array_equal(big, np.tile(small, (150, 1)))


def test_two_classes_and_int_labels() -> None:
    texts, labels = synthetic(20)
    y = [1 if label == "praise" else 0 for label in labels]
    clf = IntentClassifier().fit(texts, y)
    assert clf.classes_.tolist() == [0, 1]
    assert clf.predict(["love your team 😍"]).tolist() == [1]
    again = IntentClassifier.from_bytes(clf.to_bytes())
    assert again.predict(["love your team 😍"]).tolist() == [1]


def test_check_estimator_subset() -> None:
    """scikit-learn's generic checks feed 2-D numeric arrays; text estimators opt out via tags.

    ``parametrize_with_checks`` skips (with a warning) estimators whose tags say they take
    strings, so we run the checks that apply to text input by hand here.
    """
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_no_attributes_set_in_init("IntentClassifier", IntentClassifier())
        check_get_params_invariance("IntentClassifier", IntentClassifier())


def test_temperature_calibration_keeps_predictions(data: tuple[list[str], list[str]]) -> None:
    texts, labels = data
    raw = IntentClassifier(calibration=None).fit(texts, labels)
    scaled = IntentClassifier(calibration="temperature").fit(texts, labels)
    assert raw.temperature_ == 1.0
    assert scaled.temperature_ != 1.0
    probe = ["where is my parcel?", "worst app", "love it", "hmm"]
    assert raw.predict(probe).tolist() == scaled.predict(probe).tolist()
    assert not np.allclose(raw.predict_proba(probe), scaled.predict_proba(probe))
    with pytest.raises(InvalidInputError, match="calibration"):
        IntentClassifier(calibration="isotonic").fit(texts, labels)


@pytest.mark.parametrize(
    ("n", "class_weight", "classes"),
    [
        (200, None, 3),  # 600 posts: three folds
        (1_000, None, 3),  # 3,000 posts: one held-out third
        (1_000, "balanced", 3),  # as the bundled intent and sensitivity heads
        (200, "balanced", 2),  # scikit-learn keeps one row of weights for two classes
    ],
)
def test_temperature_is_fitted_on_scores_the_fold_models_never_saw(
    n: int, class_weight: str | None, classes: int
) -> None:
    """The contract of ``calibration="temperature"``, recomputed by hand: fold models fitted
    from scratch on the other folds (never started from the full model, which saw the
    held-out rows), the log loss of their held-out scores / T minimised, and the full model
    fitted on every row divided by that T."""
    from scipy.optimize import minimize_scalar
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from socialcare._triage._classifier import _matrix
    from socialcare._triage._temperature import ONE_FOLD_FROM

    texts, labels = synthetic(n)
    names = ["complaint", "praise", "query"][:classes]
    kept = [i for i, y in enumerate(labels) if y in names]
    texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    rng = np.random.default_rng(3)  # label noise: the held-out scores are not all right
    flip = rng.random(len(labels)) < 0.25
    labels = [
        str(rng.choice(names)) if f else y for f, y in zip(flip, labels, strict=True)
    ]
    raw = IntentClassifier(calibration=None, class_weight=class_weight).fit(texts, labels)
    scaled = IntentClassifier(class_weight=class_weight).fit(texts, labels)
    matrix = _matrix(raw.features_, texts, raw.norm)
    _, encoded = np.unique(labels, return_inverse=True)
    splits = list(
        StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(texts, encoded)
    )
    if len(texts) >= ONE_FOLD_FROM:
        splits = splits[:1]
    scores, truth = [], []
    for train, test in splits:
        fold = LogisticRegression(C=raw.C, max_iter=raw.max_iter, class_weight=class_weight)
        fold.fit(matrix[train], encoded[train])
        raw_scores = np.asarray(matrix[test] @ fold.coef_.T + fold.intercept_)
        if classes == 2:
            raw_scores = np.hstack([np.zeros_like(raw_scores), raw_scores])
        scores.append(raw_scores)
        truth.append(encoded[test])
    z_all, y = np.vstack(scores), np.concatenate(truth)

    def log_loss(t: float) -> float:
        z = z_all / t
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(y.shape[0]), y]))

    expected = minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded").x
    assert scaled.temperature_ == pytest.approx(expected, rel=1e-6)
    assert 0.05 < scaled.temperature_ < 20.0  # an interior optimum, not a bound
    np.testing.assert_allclose(scaled.coef_ * scaled.temperature_, raw.coef_, rtol=1e-5, atol=1e-7)


def test_temperature_is_one_when_a_class_is_too_small_to_hold_out() -> None:
    texts, labels = synthetic(30)
    texts, labels = [*texts, "a lone feedback post"], [*labels, "feedback"]
    raw = IntentClassifier(calibration=None).fit(texts, labels)
    scaled = IntentClassifier().fit(texts, labels)
    assert scaled.temperature_ == 1.0
    np.testing.assert_array_equal(scaled.coef_, raw.coef_)


def test_fitting_leaves_the_warning_filters_as_they_were() -> None:
    """The fits run in threads; the ConvergenceWarning filter is set once, around them."""
    texts, labels = synthetic(1_000)  # one held-out third: the full and fold fits in threads
    before = list(warnings.filters)
    IntentClassifier(max_iter=2).fit(texts, labels)  # far from converged: warns, silenced
    assert warnings.filters == before


def test_repeat_invariant_norm_bounds_what_repetition_adds() -> None:
    """Pasting a phrase over and over: the l2 score grows without bound, the repeat-invariant
    one levels off (the bundled sensitivity head uses it, issue #16)."""
    texts = ["cancel my order", "where is my parcel", "my data was leaked", "hacked account"]
    labels = ["none", "none", "privacy", "privacy"]
    scores = {}
    for norm in ("l2", "repeat_invariant"):
        clf = IntentClassifier(norm=norm, calibration=None).fit(texts * 5, labels * 5)
        column = list(clf.classes_).index("privacy")
        scores[norm] = [
            float(clf.decision_function([" ".join(["my order was leaked"] * n)])[0][column])
            for n in (1, 4, 16, 64)  # (64 x 20 characters: all read)
        ]
    l2, invariant = scores["l2"], scores["repeat_invariant"]
    assert l2[3] > 3 * l2[1]  # grows with the square root of the repeats
    assert abs(invariant[3] - invariant[2]) < 0.05 * abs(invariant[2]) + 1e-9  # levelled off
    assert abs(invariant[3]) < abs(l2[3]) / 2
    with pytest.raises(InvalidInputError, match="norm"):
        IntentClassifier(norm="l1").fit(texts, labels)


def test_max_tf_repeating_a_phrase_adds_no_evidence() -> None:
    """max_tf=1: a phrase pasted 64 times scores as pasted twice, with either norm, and the
    setting survives saving; counted, the score keeps moving."""
    texts = ["cancel my order", "where is my parcel", "my data was leaked", "hacked account"]
    labels = ["none", "none", "privacy", "privacy"]

    def privacy(clf: IntentClassifier, n: int) -> float:
        column = list(clf.classes_).index("privacy")
        return float(clf.decision_function([" ".join(["my order was leaked"] * n)])[0][column])

    for norm in ("l2", "repeat_invariant"):
        clf = IntentClassifier(norm=norm, max_tf=1, calibration=None)
        clf.fit(texts * 5, labels * 5)
        assert privacy(clf, 64) == pytest.approx(privacy(clf, 2), rel=1e-6)
        again = IntentClassifier.from_bytes(clf.to_bytes())
        assert again.max_tf == 1
        assert privacy(again, 64) == privacy(clf, 64)
    counted = IntentClassifier(calibration=None).fit(texts * 5, labels * 5)
    assert abs(privacy(counted, 64) - privacy(counted, 2)) > 0.1
    capped = IntentClassifier(calibration=None, max_tf=3).fit(texts * 5, labels * 5)
    assert privacy(capped, 64) == pytest.approx(privacy(capped, 4), rel=1e-6)
    assert privacy(capped, 3) != pytest.approx(privacy(capped, 1), rel=1e-3)
    with pytest.raises(InvalidInputError, match="max_tf must be"):
        IntentClassifier(max_tf=0).fit(texts, labels)
    with pytest.raises(InvalidInputError, match="shared by every head"):
        fit_shared(texts, {"intent": labels}, intent__max_tf=1)
    heads = fit_shared(texts * 3, {"intent": labels * 3, "other": labels * 3}, max_tf=1)
    assert {h.max_tf for h in heads.values()} == {1}
    assert heads["intent"].features_.max_tf == 1


def test_a_head_learns_only_from_the_posts_labelled_for_it() -> None:
    texts = ["where is my order?", "when do you open?", "love it!", "great, thanks"] * 3
    intents = ["query", "query", "praise", "praise"] * 3
    texts += ["zzqx vwkj", "zzqx"]  # n-grams no labelled post has
    mood: list[str | None] = ["neutral", "neutral", "positive", "positive"] * 3 + [None, None]
    heads = fit_shared(texts, {"intent": [*intents, None, None], "mood": mood}, C=5.0)
    assert heads["intent"].classes_.tolist() == ["praise", "query"]
    assert heads["mood"].classes_.tolist() == ["neutral", "positive"]
    assert heads["intent"].predict(["where is my parcel?"]).tolist() == ["query"]
    # the featuriser saw every post, labelled or not
    features = heads["mood"].features_
    assert features.transform(["zzqx"]).to_csr(features.n_features).nnz > 0
    alone = fit_shared(texts[:12], {"intent": intents})["intent"].features_
    assert alone.transform(["zzqx"]).to_csr(alone.n_features).nnz == 0
    with pytest.raises(InvalidInputError, match="every label is missing"):
        fit_shared(texts, {"intent": [None] * len(texts)})
    with pytest.raises(InvalidInputError, match="14 texts but y has 13"):
        fit_shared(texts, {"intent": [*intents, None]})


def test_missing_labels_as_pandas_stores_them_are_left_out() -> None:
    pd = pytest.importorskip("pandas")
    texts = ["where is my order?", "when do you open?", "love it!", "great, thanks"] * 3
    texts += ["ok", "fine"]
    labels = ["query", "query", "praise", "praise"] * 3
    for missing in (
        pd.Series([*labels, None, None]),  # stored as NaN
        pd.Series([*labels, None, None], dtype="string"),  # stored as pd.NA
        pd.Series([*labels, float("nan"), np.nan], dtype=object),
        pd.Series([*labels, None, None], dtype="category"),
    ):
        head = fit_shared(texts, {"intent": missing})["intent"]
        assert head.classes_.tolist() == ["praise", "query"], missing.dtype
