"""Confidence thresholds: when may a predicted intent be answered without a person?"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from socialcare._base import Frozen
from socialcare._errors import InvalidInputError

__all__ = ["IntentThreshold", "ThresholdPolicy", "ThresholdTuning", "tune_thresholds"]


class ThresholdPolicy(Frozen):
    """Decides whether a prediction is sure enough to automate.

    A prediction is *certain* when its top probability reaches the threshold of its intent
    (``per_intent``, else the global ``threshold``) and beats the runner-up by at least
    ``min_margin``. Anything else is *uncertain* and goes to a person. An intent mapped to
    ``None`` is never certain.

    >>> policy = ThresholdPolicy(threshold=0.7, per_intent={"query": 0.6, "spam": None},
    ...                          min_margin=0.2)
    >>> policy.accepts("query", 0.65, 0.3), policy.accepts("praise", 0.65, 0.3)
    (True, False)
    >>> policy.accepts("spam", 0.99, 0.98), policy.accepts("query", 0.65, 0.1)
    (False, False)
    """

    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    per_intent: dict[str, float | None] = Field(default_factory=dict)
    min_margin: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("per_intent")
    @classmethod
    def _in_unit_interval(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        for intent, threshold in value.items():
            if threshold is not None and not 0.0 <= threshold <= 1.0:
                raise ValueError(
                    f"threshold for {intent!r} is {threshold}; use a value in [0, 1], "
                    "or None to never automate it"
                )
        return value

    def threshold_for(self, intent: str) -> float | None:
        """The threshold that applies to ``intent`` (None: never automated)."""
        return self.per_intent.get(intent, self.threshold)

    def accepts(self, intent: str, confidence: float, margin: float = 1.0) -> bool:
        """Whether a prediction of ``intent`` with this confidence and margin is certain."""
        threshold = self.threshold_for(intent)
        return threshold is not None and confidence >= threshold and margin >= self.min_margin

    def accept_mask(self, proba: Any, classes: Any) -> Any:
        """Vectorised `accepts` over a probability matrix; returns a boolean array."""
        import numpy as np

        proba = np.asarray(proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != len(classes):
            raise InvalidInputError(
                f"proba must have shape (n, {len(classes)}) to match classes, got {proba.shape}"
            )
        limits = np.array(
            [np.inf if (t := self.threshold_for(str(c))) is None else t for c in classes]
        )
        top = np.argmax(proba, axis=1)
        rows = np.arange(proba.shape[0])
        confidence = proba[rows, top]
        if proba.shape[1] > 1:
            second = np.partition(proba, -2, axis=1)[:, -2]
        else:
            second = np.zeros(proba.shape[0])
        margin = confidence - second
        return (confidence >= limits[top]) & (margin >= self.min_margin)


class IntentThreshold(Frozen):
    """What tuning chose for one intent, measured on out-of-fold predictions."""

    threshold: float | None
    predicted: int = Field(description="Posts predicted as this intent.")
    automated: int = Field(description="Of those, posts at or above the threshold.")
    precision: float | None = Field(description="Precision of the automated ones (None if 0).")


class ThresholdTuning(Frozen):
    """The result of [tune_thresholds][socialcare.tune_thresholds]: a policy and what it buys.

    ``curve_coverage`` and ``curve_precision`` trace every operating point the tuning
    considered (coverage = share of all posts automated, precision = share of automated posts
    whose intent was right), best-first; plot one against the other.
    """

    policy: ThresholdPolicy
    target_precision: float
    precision: float | None
    coverage: float
    accuracy: float
    n_samples: int
    per_intent: dict[str, IntentThreshold]
    curve_coverage: list[float]
    curve_precision: list[float]


def _operating_points(
    predicted: Any, confidence: Any, correct: Any, eligible: Any, classes: Any
) -> tuple[Any, Any, Any]:
    """Score each eligible prediction by the best precision its intent can still reach.

    Within one intent, predictions are sorted by confidence; the score of the i-th is the
    highest cumulative precision at any cut at or below it. Scores fall as confidence falls,
    so accepting every prediction scored above a level accepts a top slice of each intent.
    Returns (order of eligible items by score, their scores, their correctness).
    """
    import numpy as np

    index = np.flatnonzero(eligible)
    score = np.zeros(index.shape[0])
    for k in range(len(classes)):
        members = np.flatnonzero(predicted[index] == k)
        if members.shape[0] == 0:
            continue
        members = members[np.argsort(-confidence[index[members]], kind="stable")]
        conf = confidence[index[members]]
        hits = np.cumsum(correct[index[members]])
        precision = hits / np.arange(1, members.shape[0] + 1)
        # Equal confidences are accepted or refused together: cut only after the last of them.
        ends = np.flatnonzero(np.concatenate((conf[1:] != conf[:-1], [True])))
        precision = precision[ends[np.searchsorted(ends, np.arange(members.shape[0]))]]
        score[members] = np.maximum.accumulate(precision[::-1])[::-1]
    order = np.lexsort((-confidence[index], -score))
    return index[order], score[order], correct[index[order]]


def tune_thresholds(
    texts: Any,
    labels: Any,
    *,
    target_precision: float = 0.95,
    cv: int = 5,
    classifier: Any = None,
    min_margin: float = 0.0,
    z: float = 1.0,
    per_intent: bool = False,
    random_state: int = 0,
    n_jobs: int | None = None,
) -> ThresholdTuning:
    """Choose per-intent thresholds so that automated answers reach ``target_precision``.

    The classifier (an unfitted `IntentClassifier` by default, or any scikit-learn
    classifier with ``predict_proba``) is cross-validated; on the out-of-fold probabilities,
    each intent gets the lowest threshold that keeps the precision of all automated posts
    together at or above the target while automating as many posts as possible (or, with
    ``per_intent=True``, the precision of each intent's automated posts). Intents that cannot
    reach it are never automated (threshold None).

    Args:
        texts: labelled posts (strings).
        labels: their true intents.
        target_precision: share of automated answers that must have the right intent.
        cv: number of stratified folds.
        classifier: the estimator to cross-validate (cloned, never modified).
        min_margin: also require this gap between the top two probabilities.
        z: safety margin. The chosen operating point must reach the target with the lower
            Wilson bound of its precision at ``z`` standard errors (0 = the point estimate;
            1 = about 84% one-sided confidence). Thresholds learnt out-of-fold are applied to
            a model trained on all the data, and the best of many cuts is picked, so the point
            estimate is optimistic; the margin pays for that.
        per_intent: require the target for each intent on its own instead of for all
            automated posts together. Stricter (coverage is lower), but no intent is starved
            to make room for easier ones: use it when intents are routed differently (for
            example only queries are answered automatically).
        n_jobs: folds fitted in parallel (joblib).

    >>> texts = ["where is my order?", "when do you open?", "love it!", "great job, thanks"] * 5
    >>> labels = ["query", "query", "praise", "praise"] * 5
    >>> result = tune_thresholds(texts, labels, target_precision=0.9, cv=2)
    >>> result.precision >= 0.9, result.coverage
    (True, 1.0)
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from socialcare._triage._classifier import IntentClassifier, _as_labels, as_texts

    if not (isinstance(target_precision, int | float) and 0.0 < target_precision <= 1.0):
        raise InvalidInputError(f"target_precision must be in (0, 1], got {target_precision!r}")
    if not (isinstance(cv, int) and cv >= 2):
        raise InvalidInputError(f"cv must be an int >= 2, got {cv!r}")
    if not (isinstance(z, int | float) and 0.0 <= z <= 5.0):
        raise InvalidInputError(f"z must be in [0, 5], got {z!r}")
    if not 0.0 <= min_margin <= 1.0:
        raise InvalidInputError(f"min_margin must be in [0, 1], got {min_margin!r}")
    items = as_texts(texts)
    y = _as_labels(labels, len(items))
    classes, encoded = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise InvalidInputError("labels hold a single intent; tuning needs at least two")
    smallest = int(np.bincount(encoded).min())
    if smallest < cv:
        raise InvalidInputError(
            f"the rarest intent has {smallest} examples, fewer than cv={cv} folds; "
            "label more examples or lower cv"
        )
    estimator = clone(classifier) if classifier is not None else IntentClassifier()
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    proba = _out_of_fold(estimator, items, classes, encoded, folds, n_jobs)
    return _tune_from_proba(
        proba, encoded, classes, target_precision, min_margin, z, per_intent_target=per_intent
    )


def _out_of_fold(
    estimator: Any, items: list[str], classes: Any, encoded: Any, folds: Any, n_jobs: Any
) -> Any:
    """Out-of-fold probabilities, columns in ``classes`` order.

    Each fold's clone is fitted on the label names themselves (``cross_val_predict`` would
    hand it integers), so a classifier that knows intents by name (a stub, a rule) works.
    """
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.base import clone

    names = np.asarray(classes)[encoded]

    def one(train: Any, test: Any) -> tuple[Any, Any, Any]:
        model = clone(estimator).fit([items[i] for i in train], names[train])
        proba = np.asarray(model.predict_proba([items[i] for i in test]), dtype=np.float64)
        return test, [str(c) for c in np.asarray(model.classes_).tolist()], proba

    index = {str(name): k for k, name in enumerate(np.asarray(classes).tolist())}
    out = np.zeros((len(items), len(index)), dtype=np.float64)
    splits = list(folds.split(np.zeros(len(items)), encoded))
    for test, fold_classes, proba in Parallel(n_jobs=n_jobs)(
        delayed(one)(train, test) for train, test in splits
    ):
        unknown = [c for c in fold_classes if c not in index]
        if unknown:
            raise InvalidInputError(
                f"the classifier predicts classes the labels do not hold: {unknown}"
            )
        out[np.ix_(test, [index[c] for c in fold_classes])] = proba
    return out


def _wilson_lower(hits: Any, n: Any, z: float) -> Any:
    import numpy as np

    p = hits / n
    if z <= 0:
        return p
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / denom


def _per_intent_accepted(
    predicted: Any,
    confidence: Any,
    correct: Any,
    eligible: Any,
    classes: Any,
    target: float,
    z: float,
) -> Any:
    """For each intent alone, the largest top slice whose precision reaches the target."""
    import numpy as np

    chosen: list[Any] = []
    for k in range(len(classes)):
        members = np.flatnonzero(eligible & (predicted == k))
        if members.shape[0] == 0:
            continue
        members = members[np.argsort(-confidence[members], kind="stable")]
        conf = confidence[members]
        hits = np.cumsum(correct[members])
        counts = np.arange(1, members.shape[0] + 1)
        boundary = np.concatenate((conf[1:] != conf[:-1], [True]))
        ok = np.flatnonzero(boundary & (_wilson_lower(hits, counts, z) >= target - 1e-12))
        if ok.shape[0]:
            chosen.append(members[: int(ok[-1]) + 1])
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def _tune_from_proba(
    proba: Any,
    encoded: Any,
    classes: Any,
    target_precision: float,
    min_margin: float,
    z: float = 1.0,
    *,
    per_intent_target: bool = False,
) -> ThresholdTuning:
    import numpy as np

    n = proba.shape[0]
    predicted = np.argmax(proba, axis=1)
    confidence = proba[np.arange(n), predicted]
    second = np.partition(proba, -2, axis=1)[:, -2]
    eligible = confidence - second >= min_margin
    correct = predicted == encoded
    order, score, hits = _operating_points(predicted, confidence, correct, eligible, classes)
    cum_hits = np.cumsum(hits)
    counts = np.arange(1, order.shape[0] + 1)
    precision_curve = cum_hits / counts
    # Only cut between different scores, so that each intent keeps a clean top slice.
    boundary = np.ones(order.shape[0], dtype=bool)
    boundary[:-1] = score[1:] != score[:-1]
    lower = _wilson_lower(cum_hits, counts, z)
    ok = np.flatnonzero(boundary & (lower >= target_precision - 1e-12))
    n_accepted = int(ok[-1]) + 1 if ok.shape[0] else 0
    accepted = order[:n_accepted]
    if per_intent_target:
        accepted = _per_intent_accepted(
            predicted, confidence, correct, eligible, classes, target_precision, z
        )

    per_intent: dict[str, IntentThreshold] = {}
    thresholds: dict[str, float | None] = {}
    for k, name in enumerate(classes.tolist()):
        label = str(name)
        mine = accepted[predicted[accepted] == k]
        n_pred = int(np.sum(predicted == k))
        threshold = float(confidence[mine].min()) if mine.shape[0] else None
        thresholds[label] = threshold
        per_intent[label] = IntentThreshold(
            threshold=threshold,
            predicted=n_pred,
            automated=int(mine.shape[0]),
            precision=float(correct[mine].mean()) if mine.shape[0] else None,
        )
    finite = [t for t in thresholds.values() if t is not None]
    policy = ThresholdPolicy(
        threshold=max(finite) if finite else 1.0, per_intent=thresholds, min_margin=min_margin
    )
    # Re-apply the policy: ties at a threshold are automated too, as they will be in use.
    automated = policy.accept_mask(proba, [str(c) for c in classes.tolist()])
    realised = float(correct[automated].mean()) if automated.any() else None
    step = max(1, boundary.sum() // 400)
    points = np.flatnonzero(boundary)[::step]
    return ThresholdTuning(
        policy=policy,
        target_precision=float(target_precision),
        precision=realised,
        coverage=float(automated.mean()),
        accuracy=float(correct.mean()),
        n_samples=n,
        per_intent=per_intent,
        curve_coverage=[float(x) for x in (points + 1) / n],
        curve_precision=[float(x) for x in precision_curve[points]],
    )
