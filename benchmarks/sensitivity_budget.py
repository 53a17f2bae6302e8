"""Choose the sensitivity budgets on the training split alone: a nested estimate.

Run: ``python benchmarks/sensitivity_budget.py [--budgets 0.01,0.0125,0.015]
[--no-auxiliary]`` (about 6 minutes on 2 cores).

The bundled thresholds are set out of fold (``train_default.calibrate_sensitivity``) and then
used by a model refitted on all the training posts, so the flags on new posts differ from the
out-of-fold ones. This measures that, without the held-out split: the training split is cut
into 5 outer folds; for each, thresholds come from an inner 5-fold over the other four
(auxiliary texts in every fold, as in training), the model is refitted on those four, and the
outer fold is scored. A post is flagged by the model at its kind's threshold or by a phrase
pattern (``keywords/``; they were widened with the training split in view, so the pattern
share is optimistic here). Printed per ``self_harm``/``safety`` budget (the other kinds keep
theirs): ordinary posts flagged, recall per kind and over all sensitive posts.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def main() -> None:
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    from socialcare import Triager
    from socialcare._triage._classifier import IntentClassifier
    from socialcare._triage.train_default import (
        DEFAULT_PARAMS,
        SENSITIVITIES,
        SENSITIVITY_FLOOD_OTHERS,
        budget_thresholds,
        is_test,
        load_auxiliary,
        load_corpus,
    )

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budgets", default="0.01,0.0125,0.015,0.02")
    parser.add_argument("--no-auxiliary", action="store_true")
    args = parser.parse_args()
    budgets = [float(b) for b in args.budgets.split(",")]
    rows = [r for r in load_corpus() if not is_test(r["text"])]
    texts = [r["text"] for r in rows]
    kinds = np.array([r["sensitivity"] or "none" for r in rows])
    extra = [] if args.no_auxiliary else [r["text"] for r in load_auxiliary()]
    hits = Triager.default()._engine.keyword_hits(dict(enumerate(texts)))
    pattern = np.array(
        [h[0][0] if h[0] is not None and h[0][0] in SENSITIVITIES else "" for _, h in
         sorted(hits.items())],
        dtype=object,
    )
    shared = {k: v for k, v in DEFAULT_PARAMS.items() if "__" not in k}
    prefix = "sensitivity__"
    own = {k[len(prefix) :]: v for k, v in DEFAULT_PARAMS.items() if k.startswith(prefix)}

    def fit(index: Any) -> Any:
        labels = [str(kinds[i]) for i in index] + ["none"] * len(extra)
        return IntentClassifier(**{**shared, **own}).fit([texts[i] for i in index] + extra, labels)

    def inner_fold(inner: Any, train: Any, test: Any) -> tuple[Any, list[str], Any]:
        clf = fit(inner[train])
        return test, clf.classes_.tolist(), clf.predict_proba([texts[i] for i in inner[test]])

    flags = [np.full(len(texts), "", dtype=object) for _ in budgets]
    outer = StratifiedKFold(n_splits=5, shuffle=True, random_state=1)
    for number, (inner, held) in enumerate(outer.split(np.zeros(len(texts)), kinds)):
        started = time.perf_counter()
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        parts = Parallel(n_jobs=2)(
            delayed(inner_fold)(inner, train, test)
            for train, test in folds.split(np.zeros(len(inner)), kinds[inner])
        )
        names = parts[0][1]
        proba = np.zeros((len(inner), len(names)))
        for test, fold_names, part in parts:
            proba[np.ix_(test, [names.index(c) for c in fold_names])] = part
        final = fit(inner)
        scores = final.predict_proba([texts[i] for i in held])
        order = [final.classes_.tolist().index(c) for c in names]
        scores = scores[:, order]
        none = names.index("none")
        masked = scores.copy()
        masked[:, none] = -1.0
        top = masked.argmax(axis=1)
        sensitive = 1.0 - scores[:, none]
        for flag, budget in zip(flags, budgets, strict=True):
            chosen = dict.fromkeys(names, SENSITIVITY_FLOOD_OTHERS)
            chosen.update(self_harm=budget, safety=budget)
            cut = budget_thresholds(proba, names, kinds[inner].tolist(), chosen)["thresholds"]
            for j, i in enumerate(held):
                if sensitive[j] >= cut[names[top[j]]]:
                    flag[i] = names[top[j]]
        took = time.perf_counter() - started
        print(f"outer fold {number + 1}/5: {took:.0f} s", file=sys.stderr, flush=True)
    ordinary = kinds == "none"
    print(
        f"Training split: {len(texts):,} posts ({int(ordinary.sum()):,} ordinary); "
        f"auxiliary texts: {len(extra):,}"
    )
    print()
    print("| self_harm/safety budget | ordinary flagged (model) | ordinary flagged | "
          + " | ".join(SENSITIVITIES) + " | all sensitive |")
    print("|---" * (4 + len(SENSITIVITIES)) + "|")
    for flag, budget in zip(flags, budgets, strict=True):
        both = np.where(pattern != "", pattern, flag)
        recall = [
            f"{100 * float(((both == k) & (kinds == k)).sum()) / int((kinds == k).sum()):.1f}%"
            for k in SENSITIVITIES
        ]
        right = float(((both == kinds) & ~ordinary).sum()) / max(int((~ordinary).sum()), 1)
        print(
            f"| {100 * budget:g}% | {100 * float((flag[ordinary] != '').mean()):.2f}% | "
            f"{100 * float((both[ordinary] != '').mean()):.2f}% | {' | '.join(recall)} | "
            f"{100 * right:.1f}% |"
        )


if __name__ == "__main__":
    main()
