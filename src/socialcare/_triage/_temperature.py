"""Temperature calibration: one scalar T that makes a logistic head's probabilities honest.

The head's scores are divided by T, fitted to minimise the log loss of held-out scores. The
held-out scores must come from models that never saw those rows (see `fit_with_temperature`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["ONE_FOLD_FROM", "fit_with_temperature"]

#: From this many posts, the temperature is fitted on one held-out third (scores of about a
#: thousand posts or more pin one scalar down); below it, on all three folds' scores.
ONE_FOLD_FROM = 3_000


def fit_with_temperature(
    fit_lr: Any, matrix: Any, encoded: Any, n_classes: int
) -> tuple[Any, float]:
    """The model fitted on every row, and one temperature T minimising the log loss of
    held-out scores / T (1.0 if a class has fewer than two posts).

    The held-out scores come from models fitted **from scratch** on the other folds: 3-fold
    for small data, one held-out third from `ONE_FOLD_FROM` posts (two more folds would cost
    twice the time for the same T). A fold model must never start from the full model: the
    solver stops as soon as its gradient is small, so a warm start from a model that saw the
    held-out rows hands their in-sample scores to the calibration, and T comes out far too
    sharp (the bundled sensitivity head got 0.21 instead of about 0.6, sentiment 0.05). The
    full model and the fold models are independent, so they are fitted side by side.
    """
    from scipy.optimize import minimize_scalar
    from sklearn.model_selection import StratifiedKFold

    everything = np.arange(encoded.shape[0])
    counts = np.bincount(encoded, minlength=n_classes)
    folds = int(min(3, counts.min()))
    splits: list[tuple[Any, Any]] = []
    if folds >= 2:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        splits = list(splitter.split(np.zeros(encoded.shape[0]), encoded))
        if encoded.shape[0] >= ONE_FOLD_FROM:
            splits = splits[:1]
    from joblib import Parallel, delayed

    # threads: the solver's numerical work runs outside the interpreter lock, and the matrix
    # is shared, not copied
    jobs = [everything] + [train for train, _ in splits]
    models = Parallel(n_jobs=min(len(jobs), os.cpu_count() or 1), prefer="threads")(
        delayed(fit_lr)(rows) for rows in jobs
    )
    if not splits:
        return models[0], 1.0
    parts: list[Any] = []
    truth: list[Any] = []
    for (_, test), model in zip(splits, models[1:], strict=True):
        raw = np.asarray(matrix[test] @ model.coef_.T + model.intercept_)
        if n_classes == 2:
            raw = np.hstack([np.zeros_like(raw), raw])
        parts.append(raw)
        truth.append(encoded[test])
    scores = np.vstack(parts)
    labels = np.concatenate(truth)
    rows = np.arange(labels.shape[0])

    def log_loss(t: float) -> float:
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, labels]))

    result = minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded")
    return models[0], float(result.x)
