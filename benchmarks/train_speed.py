"""Training speed: IntentClassifier().fit against the plain scikit-learn pipeline.

Run: ``python benchmarks/train_speed.py [--data DIR] [--slurp FILE] [--skip-a | --skip-b]``
(DIR holds BANKING77 train.csv and test.csv, default ../shared/data/banking77; FILE is the
SLURP text JSONL, default ../shared/data/slurp_text/slurp_text.jsonl).

(a) BANKING77 train (10,003 posts, 77 intents): fit time (wall and CPU, same run) of
IntentClassifier() with its defaults (temperature calibration: a full fit and, side by
side, one fit from scratch on two thirds scored on the last third, from 3,000 posts), of
IntentClassifier(calibration=None), and of the plain pipeline (TF-IDF word 1-2 + char_wb
2-5, sublinear tf, LogisticRegression C=10 max_iter=1000); test accuracy of each. Target
from issue #12: within 2x the plain pipeline.

(b) 15,000 posts over 150 intents, built deterministically: the 77 BANKING77 intents plus
the SLURP intents with at least ``--min-slurp`` posts; the largest BANKING77 intents are split
in two (by a CRC32 of the text) until there are 150 labels; rows are all SLURP posts of the
kept intents, all BANKING77 train posts and, to reach exactly 15,000, BANKING77 test posts
drawn by a seeded RNG. Target: IntentClassifier().fit under 60 s on 2 cores; the plain
pipeline is timed in the same run, for the ratio.

BLAS and OpenMP are kept to one thread (``one_core``); IntentClassifier's own fold fits use
2 threads. The machine is shared and noisy: read the ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_BANKING77, ROOT, machine_note, one_core, read_csv

one_core()

import numpy as np  # noqa: E402

DEFAULT_SLURP = ROOT.parent / "shared" / "data" / "slurp_text" / "slurp_text.jsonl"
N_ROWS = 15_000
N_INTENTS = 150


def timed(fit: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process, all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fit()
    return out, time.perf_counter() - start, time.process_time() - cpu


def plain_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=10.0, max_iter=1000),
    )


def build_150(
    data: Path, slurp: Path, min_slurp: int, seed: int
) -> tuple[list[str], list[str], str]:
    """15,000 (text, label) rows over 150 labels, and a note of how they were made."""
    train_x, train_y = read_csv(data / "train.csv")
    test_x, test_y = read_csv(data / "test.csv")
    with slurp.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    counts = Counter(r["intent"] for r in rows)
    kept = sorted(k for k, v in counts.items() if v >= min_slurp)
    n_split = N_INTENTS - len(set(train_y)) - len(kept)
    if n_split < 0:  # more SLURP intents than needed: keep the largest
        kept = sorted(sorted(kept, key=lambda k: (-counts[k], k))[: len(kept) + n_split])
        n_split = 0
    by_size = Counter(train_y)
    split = set(sorted(by_size, key=lambda k: (-by_size[k], k))[:n_split])

    def banking(text: str, label: str) -> str:
        if label in split:
            return f"banking:{label}/{zlib.crc32(text.encode('utf-8')) % 2}"
        return f"banking:{label}"

    texts = [r["text"] for r in rows if r["intent"] in kept]
    labels = [f"slurp:{r['intent']}" for r in rows if r["intent"] in kept]
    texts += train_x
    labels += [banking(t, y) for t, y in zip(train_x, train_y, strict=True)]
    missing = N_ROWS - len(texts)
    if missing > 0:
        pick = np.sort(np.random.default_rng(seed).permutation(len(test_x))[:missing])
        texts += [test_x[i] for i in pick]
        labels += [banking(test_x[i], test_y[i]) for i in pick]
    elif missing < 0:
        keep = np.sort(np.random.default_rng(seed).permutation(len(texts))[:N_ROWS])
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
    sizes = Counter(labels)
    note = (
        f"{len(kept)} SLURP intents with >= {min_slurp} posts (of {len(counts)}; the rest are "
        f"tiny), {len(set(train_y))} BANKING77 intents of which the {n_split} largest are split "
        f"in two by CRC32(text) % 2; {max(missing, 0)} BANKING77 test posts added to reach "
        f"{N_ROWS:,}; smallest label {min(sizes.values())} posts, largest {max(sizes.values())}"
    )
    return texts, labels, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_BANKING77)
    parser.add_argument("--slurp", type=Path, default=DEFAULT_SLURP)
    parser.add_argument("--min-slurp", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-a", action="store_true", help="only run part (b)")
    parser.add_argument("--skip-b", action="store_true", help="only run part (a)")
    args = parser.parse_args()

    from socialcare import IntentClassifier

    print(machine_note())
    print("times: wall (perf_counter) and CPU (process_time, all threads of this process)")
    if not args.skip_a:
        train_x, train_y = read_csv(args.data / "train.csv")
        test_x, test_y = read_csv(args.data / "test.csv")
        y_test = np.array(test_y)
        print()
        print(
            f"(a) BANKING77: {len(train_x)} train, {len(test_x)} test, {len(set(train_y))} intents"
        )
        runs = {
            "plain pipeline (TF-IDF + LR C=10)": plain_pipeline,
            "IntentClassifier() (defaults)": IntentClassifier,
            "IntentClassifier(calibration=None)": lambda: IntentClassifier(calibration=None),
        }
        results: dict[str, tuple[float, float]] = {}
        width = max(len(k) for k in runs)
        print(f"  {'model':<{width}}  fit wall  fit CPU  test accuracy")
        for name, make in runs.items():
            model, wall, cpu = timed(lambda make=make: make().fit(train_x, train_y))
            acc = float((model.predict(test_x) == y_test).mean())
            results[name] = (wall, cpu)
            print(f"  {name:<{width}}  {wall:7.1f}s  {cpu:6.1f}s  {acc:.2%}", flush=True)
        base_wall, base_cpu = results["plain pipeline (TF-IDF + LR C=10)"]
        for name in list(runs)[1:]:
            wall, cpu = results[name]
            print(
                f"  {name} / plain: wall {wall / base_wall:.2f}x, CPU {cpu / base_cpu:.2f}x "
                "(target: within 2x)"
            )

    if args.skip_b:
        return
    texts, labels, note = build_150(args.data, args.slurp, args.min_slurp, args.seed)
    print()
    print(f"(b) {len(texts):,} posts over {len(set(labels))} intents: {note}")
    walls: dict[str, tuple[float, float]] = {}
    for name, make in {
        "plain pipeline (TF-IDF + LR C=10)": plain_pipeline,
        "IntentClassifier() (defaults)": IntentClassifier,
        "IntentClassifier(calibration=None)": lambda: IntentClassifier(calibration=None),
    }.items():
        _, wall, cpu = timed(lambda make=make: make().fit(texts, labels))
        walls[name] = (wall, cpu)
        verdict = "" if name.startswith("plain") else f" ({'under' if wall < 60 else 'OVER'} 60 s)"
        print(f"  {name}: fit {wall:.1f} s wall{verdict}, {cpu:.1f} s CPU", flush=True)
    base_wall, base_cpu = walls["plain pipeline (TF-IDF + LR C=10)"]
    for name, (wall, cpu) in list(walls.items())[1:]:
        print(f"  {name} / plain: wall {wall / base_wall:.2f}x, CPU {cpu / base_cpu:.2f}x")


if __name__ == "__main__":
    main()
