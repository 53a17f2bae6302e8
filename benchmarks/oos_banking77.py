"""Out-of-scope detection on BANKING77: 10 intents held out, which confidence score rejects them.

Run: ``python benchmarks/oos_banking77.py [--data DIR] [--seed 0]`` (DIR holds
train.csv and test.csv; default ../shared/data/banking77 next to the repository).

Ten intents, drawn by a seeded RNG from the sorted label names, are out of scope (OOS): the
models train on the other 67 intents' train rows only. On test, every score is thresholded so
that 90% (then 80%) of the in-scope posts are accepted; the table gives the accuracy of the
accepted in-scope posts and the OOS recall (share of OOS test posts rejected), plus the AUROC
of the score for in-scope vs OOS. A last column, "far rec@90%", is the share of SLURP posts
(voice commands to an assistant: a different domain) rejected at the 90% threshold.
Thresholds are set on the test posts themselves (an oracle, the same for every score): the
figures compare scores, they are not deployable numbers.

Scores: max probability of the plain scikit-learn pipeline (TF-IDF word 1-2 + char_wb 2-5,
sublinear tf, LogisticRegression C=10); IntentClassifier() calibrated max probability; the
same model's raw logits (``decision_function * temperature_`` equals the calibration=None
model: the full fit is the same, only divided by T) as max probability, max logit and energy
(logsumexp of the logits); coverage (share of a post's n-gram occurrences the featuriser
learned at fit time), alone and as ``maxprob * coverage**a``; and a distance check: the cosine
similarity of the post's TF-IDF vector to its nearest training post.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_BANKING77, machine_note, one_core, read_csv

one_core()

import numpy as np  # noqa: E402

ACCEPT = (0.90, 0.80)
DEFAULT_SLURP = DEFAULT_BANKING77.parent / "slurp_text" / "slurp_text.jsonl"


def pick_oos(labels: list[str], seed: int, n: int = 10) -> list[str]:
    """``n`` labels drawn by a seeded RNG from the sorted label names."""
    names = sorted(set(labels))
    rng = np.random.default_rng(seed)
    return sorted(str(v) for v in rng.choice(names, size=n, replace=False))


def logsumexp(z: np.ndarray) -> np.ndarray:
    top = z.max(axis=1)
    return top + np.log(np.exp(z - top[:, None]).sum(axis=1))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def coverage(clf: object, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(all n-grams, word n-grams only): share of each post's n-gram occurrences seen in fit."""
    from socialcare._triage._features import ngram_cells
    from socialcare._triage._text import normalise_batch

    features = clf.features_  # type: ignore[attr-defined]
    cut = [t[: features.max_chars] for t in texts]
    cells = ngram_cells(
        normalise_batch(cut, tidy=False), features.char_range, features.word_range, features.bits
    )
    row, keys, is_word = cells.rows_and_buckets()
    known = features.table[keys] != features._unknown
    n = len(texts)
    total = np.bincount(row, minlength=n).astype(float)
    hit = np.bincount(row, weights=known, minlength=n)
    words = np.bincount(row, weights=is_word, minlength=n)
    word_hit = np.bincount(row, weights=known & is_word, minlength=n)
    return hit / np.maximum(total, 1), word_hit / np.maximum(words, 1)


def nearest_cosine(train: object, test: object) -> np.ndarray:
    """Cosine similarity of each test row to its most similar training row (rows L2-normed)."""
    from sklearn.preprocessing import normalize

    a = normalize(test)
    b = normalize(train).T.tocsc()
    out = np.empty(a.shape[0])
    for start in range(0, a.shape[0], 500):
        sims = (a[start : start + 500] @ b).toarray()
        out[start : start + 500] = sims.max(axis=1)
    return out


def operating_point(
    score: np.ndarray, correct: np.ndarray, is_oos: np.ndarray, accept: float
) -> tuple[float, float]:
    """(accuracy of accepted in-scope posts, OOS recall) at the threshold accepting ``accept``
    of the in-scope posts (accepted: score >= threshold)."""
    threshold = np.quantile(score[~is_oos], 1.0 - accept, method="higher")
    taken = score >= threshold
    acc = float(correct[~is_oos & taken].mean())
    recall = float((~taken[is_oos]).mean())
    return acc, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_BANKING77)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--far", type=Path, default=DEFAULT_SLURP, help="far-OOS JSONL")
    args = parser.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline, make_union

    from socialcare import IntentClassifier
    from socialcare._triage._classifier import _matrix

    train_x, train_y = read_csv(args.data / "train.csv")
    test_x, test_y = read_csv(args.data / "test.csv")
    oos = pick_oos(train_y, args.seed)
    fit_x = [t for t, y in zip(train_x, train_y, strict=True) if y not in oos]
    fit_y = [y for y in train_y if y not in oos]
    with args.far.open(encoding="utf-8") as handle:
        far_x = [json.loads(line)["text"] for line in handle if line.strip()]
    n_test = len(test_x)
    test_x = test_x + far_x  # scored together; the far rows are split off below
    y_test = np.array(test_y)
    is_oos = np.isin(y_test, oos)
    print(
        f"BANKING77 out-of-scope: {len(set(fit_y))} in-scope intents, {len(fit_x)} train rows; "
        f"test {int((~is_oos).sum())} in-scope + {int(is_oos.sum())} OOS posts; "
        f"far OOS: {len(far_x)} SLURP posts"
    )
    print(f"OOS intents (seed {args.seed}): {', '.join(oos)}")
    print(machine_note())
    print()

    scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (score, correct)

    start, cpu = time.perf_counter(), time.process_time()
    plain = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=10.0, max_iter=1000),
    ).fit(fit_x, fit_y)
    print(
        f"plain pipeline fit {time.perf_counter() - start:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU"
    )
    p_proba = plain.predict_proba(test_x)
    p_correct = np.concatenate(
        [
            plain.classes_[p_proba.argmax(axis=1)][:n_test] == y_test,
            np.zeros(len(far_x), dtype=bool),
        ]
    )
    p_logits = plain.decision_function(test_x)
    scores["plain LR: max prob"] = (p_proba.max(axis=1), p_correct)
    scores["plain LR: max logit"] = (p_logits.max(axis=1), p_correct)
    scores["plain LR: energy"] = (logsumexp(p_logits), p_correct)
    union = plain.steps[0][1]
    p_near = nearest_cosine(union.transform(fit_x), union.transform(test_x))
    scores["plain LR: nearest-train cosine"] = (p_near, p_correct)

    start, cpu = time.perf_counter(), time.process_time()
    ours = IntentClassifier().fit(fit_x, fit_y)
    print(
        f"IntentClassifier() fit {time.perf_counter() - start:.1f} s wall, "
        f"{time.process_time() - cpu:.1f} s CPU; temperature {ours.temperature_:.3f}"
    )
    logits_t = ours.decision_function(test_x)  # calibrated: raw logits / T
    raw = logits_t * ours.temperature_  # = IntentClassifier(calibration=None) logits
    correct = np.concatenate(
        [ours.classes_[raw.argmax(axis=1)][:n_test] == y_test, np.zeros(len(far_x), dtype=bool)]
    )
    maxprob_t = softmax(logits_t).max(axis=1)
    maxprob = softmax(raw).max(axis=1)
    cov, word_cov = coverage(ours, test_x)
    near = nearest_cosine(_matrix(ours.features_, fit_x), _matrix(ours.features_, test_x))
    top2 = np.sort(softmax(raw), axis=1)[:, -2:]
    scores["ours calibrated: max prob"] = (maxprob_t, correct)
    scores["ours calibrated: energy (T)"] = (logsumexp(logits_t), correct)
    scores["ours raw (calibration=None): max prob"] = (maxprob, correct)
    scores["ours raw: margin top1-top2"] = (top2[:, 1] - top2[:, 0], correct)
    scores["ours raw: max logit"] = (raw.max(axis=1), correct)
    scores["ours raw: energy"] = (logsumexp(raw), correct)
    scores["ours: coverage (all n-grams)"] = (cov, correct)
    scores["ours: coverage (word n-grams)"] = (word_cov, correct)
    for a in (0.5, 1.0, 2.0, 4.0):
        scores[f"ours calibrated: max prob * coverage**{a:g}"] = (maxprob_t * cov**a, correct)
    for a in (1.0, 2.0):
        scores[f"ours raw: max prob * coverage**{a:g}"] = (maxprob * cov**a, correct)
    scores["ours: nearest-train cosine"] = (near, correct)
    scores["ours calibrated: max prob * nearest cosine"] = (maxprob_t * near, correct)
    scores["plain LR: max prob * nearest cosine"] = (p_proba.max(axis=1) * p_near, p_correct)

    far: dict[str, np.ndarray] = {}
    for name, (score, ok) in list(scores.items()):
        far[name] = score[n_test:]
        scores[name] = (score[:n_test], ok[:n_test])
    p_correct, correct = p_correct[:n_test], correct[:n_test]

    print()
    print(
        f"in-scope test accuracy (all posts): plain LR {p_correct[~is_oos].mean():.2%}, "
        f"ours {correct[~is_oos].mean():.2%}"
    )
    print(
        "in-scope accept rate fixed on test; acc = accuracy of accepted in-scope posts; "
        "OOS rec = share of OOS posts rejected; AUROC in-scope vs OOS"
    )
    width = max(len(k) for k in scores)
    head = "".join(f"  acc@{a:.0%}  OOS rec@{a:.0%}" for a in ACCEPT)
    print(f"{'score':<{width}}{head}   AUROC  far rec@90%")
    for name, (score, ok) in scores.items():
        cells = ""
        for accept in ACCEPT:
            acc, recall = operating_point(score, ok, is_oos, accept)
            cells += f"  {acc:7.2%}  {recall:11.2%}"
        auroc = roc_auc_score(~is_oos, score)
        threshold = np.quantile(score[~is_oos], 0.1, method="higher")
        far_recall = float((far[name] < threshold).mean())
        print(f"{name:<{width}}{cells}   {auroc:.3f}  {far_recall:10.2%}")


if __name__ == "__main__":
    main()
