"""BANKING77: accuracy and automation precision/coverage, against plain scikit-learn.

Run: ``python benchmarks/banking77.py [--data DIR]`` (DIR holds train.csv and test.csv;
default ../shared/data/banking77 next to the repository).

Trains socialcare's IntentClassifier on train and scores test; tunes thresholds by 5-fold
cross-validation on train (``tune_thresholds``) and applies them to test. In the same run it
trains the plain baseline from the data's README (TF-IDF word 1-2 + char_wb 2-5 n-grams and
LogisticRegression) with one global threshold picked on a held-out 20% of train.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_BANKING77, machine_note, one_core, read_csv

one_core()

import numpy as np  # noqa: E402

BERT = 0.9366
README_BASELINE_ACC = 0.9153
README_BASELINE_AUTO = (0.864, 0.959)


def automation(proba: np.ndarray, classes: np.ndarray, y: np.ndarray, mask: np.ndarray) -> str:
    predicted = classes[proba.argmax(axis=1)]
    precision = float((predicted[mask] == y[mask]).mean()) if mask.any() else float("nan")
    return f"{mask.mean():6.1%} automated at {precision:6.1%} precision"


def global_threshold(proba: np.ndarray, correct: np.ndarray, target: float) -> float:
    """Lowest single threshold whose held-out precision reaches the target."""
    conf = proba.max(axis=1)
    order = np.argsort(-conf)
    precision = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= target)
    return float(conf[order][ok[-1]]) if ok.size else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_BANKING77)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--C", type=float, default=30.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline, make_union

    from socialcare import IntentClassifier

    train_x, train_y = read_csv(args.data / "train.csv")
    test_x, test_y = read_csv(args.data / "test.csv")
    y_test = np.array(test_y)
    print(f"BANKING77: {len(train_x)} train, {len(test_x)} test, {len(set(train_y))} intents")
    print(machine_note())
    print()

    start = time.perf_counter()
    ours = IntentClassifier(C=args.C, calibration=None).fit(train_x, train_y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = ours.predict_proba(test_x)
    predict_s = time.perf_counter() - start
    acc = float((ours.classes_[proba.argmax(axis=1)] == y_test).mean())
    print(
        f"socialcare IntentClassifier(C={args.C:g}, calibration=None: plain logistic probabilities)"
    )
    print(f"  accuracy {acc:.2%}  (fit {fit_s:.1f} s, predict {len(test_x) / predict_s:,.0f}/s)")
    gain = 100 * (acc - README_BASELINE_ACC)
    print(f"  vs README baseline {README_BASELINE_ACC:.2%}: {gain:+.2f} pt")
    print(f"  vs fine-tuned BERT {BERT:.2%}: {100 * (acc - BERT):+.2f} pt")
    ece = expected_calibration_error(proba, ours.classes_, y_test)
    print(f"  expected calibration error (15 bins) {ece:.3f}")

    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from socialcare._triage._thresholds import _tune_from_proba

    # tune_thresholds(train_x, train_y, cv=5) does exactly this; the out-of-fold
    # probabilities are computed once here so that several targets can be shown.
    start = time.perf_counter()
    classes, encoded = np.unique(np.array(train_y), return_inverse=True)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    oof = cross_val_predict(
        IntentClassifier(C=args.C, calibration=None),
        train_x,
        encoded,
        cv=folds,
        method="predict_proba",
    )
    tune_s = time.perf_counter() - start
    print(f"  per-intent thresholds tuned by 5-fold cross-validation on train ({tune_s:.0f} s):")
    for target in (0.95, 0.96, 0.97):
        tuning = _tune_from_proba(oof, encoded, classes, target, 0.0, 1.0)
        mask = tuning.policy.accept_mask(proba, ours.classes_.tolist())
        print(
            f"    target {target:.0%}: out-of-fold {tuning.coverage:.1%} at "
            f"{tuning.precision or 0:.1%}; on test {automation(proba, ours.classes_, y_test, mask)}"
        )
    print(
        f"  README baseline: {README_BASELINE_AUTO[0]:.1%} automated at "
        f"{README_BASELINE_AUTO[1]:.1%} precision"
    )
    curve(proba, ours.classes_, y_test)

    if args.skip_baseline:
        return
    print()
    print("plain scikit-learn: TF-IDF word(1-2) + char_wb(2-5), LogisticRegression")

    def baseline() -> object:
        return make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
            LogisticRegression(C=args.C, max_iter=1000),
        )

    start = time.perf_counter()
    base = baseline().fit(train_x, train_y)
    base_fit = time.perf_counter() - start
    start = time.perf_counter()
    base_proba = base.predict_proba(test_x)
    base_predict = time.perf_counter() - start
    base_acc = float((base.classes_[base_proba.argmax(axis=1)] == y_test).mean())
    print(
        f"  accuracy {base_acc:.2%}  (fit {base_fit:.1f} s, "
        f"predict {len(test_x) / base_predict:,.0f}/s)"
    )
    ece = expected_calibration_error(base_proba, base.classes_, y_test)
    print(f"  expected calibration error (15 bins) {ece:.3f}")
    fit_x, held_x, fit_y, held_y = train_test_split(
        train_x, train_y, test_size=0.2, stratify=train_y, random_state=0
    )
    held_model = baseline().fit(fit_x, fit_y)
    held_proba = held_model.predict_proba(held_x)
    correct = held_model.classes_[held_proba.argmax(axis=1)] == np.array(held_y)
    threshold = global_threshold(held_proba, correct, args.target)
    base_mask = base_proba.max(axis=1) >= threshold
    print(f"  global threshold {threshold:.3f} for {args.target:.0%} on a 20% held-out split")
    print(f"  on test: {automation(base_proba, base.classes_, y_test, base_mask)}")
    print()
    print(
        f"socialcare vs baseline (same run): accuracy {100 * (acc - base_acc):+.2f} pt, "
        f"predict throughput {(len(test_x) / predict_s) / (len(test_x) / base_predict):.1f}x, "
        f"fit time {fit_s / base_fit:.2f}x"
    )


def expected_calibration_error(proba: np.ndarray, classes: np.ndarray, y: np.ndarray) -> float:
    """Mean |accuracy - confidence| over 15 equal-width confidence bins, weighted by size."""
    conf = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    bins = np.minimum((conf * 15).astype(int), 14)
    total = 0.0
    for b in range(15):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def curve(proba: np.ndarray, classes: np.ndarray, y: np.ndarray) -> None:
    """Test-set coverage at a few global confidence thresholds (for the report)."""
    conf = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    print("  global threshold on test  coverage  precision")
    for t in (0.3, 0.5, 0.7, 0.8, 0.9):
        sel = conf >= t
        print(f"    {t:.1f}                     {sel.mean():6.1%}   {correct[sel].mean():6.1%}")


if __name__ == "__main__":
    main()
