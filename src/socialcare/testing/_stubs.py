"""Test doubles that drive the real thing: a keyword classifier and a fixed-route triager."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, NotFittedError
from socialcare._models import Post

if TYPE_CHECKING:
    from socialcare._triage._decision import Decision, Route

__all__ = ["StubClassifier", "StubTriager"]

_DEFAULT_CLASSES = ("complaint", "feedback", "praise", "query", "request", "spam")


class StubClassifier:
    """A deterministic keyword classifier with the scikit-learn classifier interface.

    For tests that need predictable intents without the real model: the first keyword found
    (case-insensitive) decides, with ``confidence``; no keyword gives ``default`` with nearly
    uniform probabilities (the default class a little ahead), which any sensible threshold
    treats as uncertain. It clones like a scikit-learn estimator (``get_params``), so it
    works inside a [`Triager`][socialcare.Triager] and in
    [`tune_thresholds`][socialcare.tune_thresholds]. Fitted on labels, its classes are the
    labels' (keywords naming another label are ignored); fitted on nothing, ``classes``.

    >>> stub = StubClassifier({"refund": "request", "love": "praise"}).fit([], [])
    >>> stub.predict(["I want a REFUND", "hello"]).tolist()
    ['request', 'query']
    """

    def __init__(
        self,
        keywords: Mapping[str, str] | None = None,
        *,
        default: str = "query",
        confidence: float = 0.95,
        classes: Sequence[str] = _DEFAULT_CLASSES,
    ) -> None:
        self.keywords = keywords
        self.default = default
        self.confidence = confidence
        self.classes = classes

    # scikit-learn's estimator protocol (clone, GridSearchCV), without importing it here
    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: FBT001, FBT002
        """The constructor's arguments (scikit-learn's ``get_params``)."""
        return {
            "keywords": self.keywords,
            "default": self.default,
            "confidence": self.confidence,
            "classes": self.classes,
        }

    def set_params(self, **params: Any) -> StubClassifier:
        """Set constructor arguments (scikit-learn's ``set_params``)."""
        for name, value in params.items():
            if name not in self.get_params():
                raise InvalidInputError(f"StubClassifier has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(one_d_array=True, two_d_array=False, string=True),
        )

    def fit(self, texts: Any = None, labels: Any = None) -> StubClassifier:
        """Check the configuration, take the classes from ``labels`` if any; return self."""
        import numpy as np

        if not isinstance(self.confidence, int | float) or not 0.0 < self.confidence <= 1.0:
            raise InvalidInputError(f"confidence must be in (0, 1], got {self.confidence!r}")
        keywords = dict(self.keywords or {"refund": "request", "love": "praise"})
        seen = [] if labels is None else [str(label) for label in labels]
        if seen:
            classes = sorted(set(seen))
            keywords = {k: v for k, v in keywords.items() if v in classes}
            self.default_ = self.default if self.default in classes else classes[0]
        else:
            classes = sorted(set(self.classes) | set(keywords.values()) | {self.default})
            self.default_ = self.default
        self.keywords_ = {k.lower(): v for k, v in keywords.items()}
        self.classes_ = np.array(classes, dtype=object)
        return self

    def _index(self, text: Any) -> int | None:
        lowered = str(text or "").lower()
        for keyword, label in self.keywords_.items():
            if keyword in lowered:
                return int(list(self.classes_).index(label))
        return None

    def predict_proba(self, texts: Iterable[Any]) -> Any:
        """Probabilities per class, one row per text."""
        import numpy as np

        if not hasattr(self, "classes_"):
            raise NotFittedError("StubClassifier is not fitted: call fit() first")
        items = list(texts)
        n_classes = len(self.classes_)
        out = np.full((len(items), n_classes), 0.0)
        default = list(self.classes_).index(self.default_)
        for row, text in enumerate(items):
            index = self._index(text)
            if index is None:  # unsure: nearly uniform, the default a little ahead
                out[row, :] = 1.0 / (n_classes + 1)
                out[row, default] = 2.0 / (n_classes + 1)
                continue
            out[row, :] = (1.0 - self.confidence) / max(n_classes - 1, 1)
            out[row, index] = self.confidence if n_classes > 1 else 1.0
        return out

    def predict(self, texts: Iterable[Any]) -> Any:
        """The most likely class per text."""
        proba = self.predict_proba(texts)
        return self.classes_[proba.argmax(axis=1)]


class StubTriager:
    """A triager with fixed routes by regular expression: ``decide``/``decide_many`` as a
    [`Triager`][socialcare.Triager]'s, without a model.

    The first pattern (searched case-insensitively) that matches a post's text gives its
    route; no match gives ``default``. Posts, texts, ``TriageInput``s, mappings and
    conversations (their latest customer turn) are read as a Triager reads them; an
    unreadable item gets an uncertain decision to an agent with ``error`` set.

    >>> stub = StubTriager(routes={r"lawyer|sue": "specialist", r"thank": "none"})
    >>> [d.route for d in stub.decide_many(["my lawyer...", "thanks!", "where is it?"])]
    ['specialist', 'none', 'agent']
    """

    def __init__(
        self, routes: Mapping[str, Route] | None = None, *, default: Route = "agent"
    ) -> None:
        valid = ("auto", "agent", "specialist", "none")
        self.routes: list[tuple[re.Pattern[str], Route]] = []
        for pattern, route in (routes or {}).items():
            if route not in valid:
                raise InvalidInputError(f"route for {pattern!r} must be one of {valid}")
            try:
                self.routes.append((re.compile(pattern, re.IGNORECASE), route))
            except re.error as exc:
                raise InvalidInputError(f"bad pattern {pattern!r}: {exc}") from None
        if default not in valid:
            raise InvalidInputError(f"default must be one of {valid}, got {default!r}")
        self.default: Route = default

    def decide(self, item: Any) -> Decision:
        """The fixed decision for one post, text, input or conversation."""
        from socialcare._triage._decision import plain_decision
        from socialcare._triage._input import as_input

        text: str | None
        error: str | None = None
        if isinstance(item, Conversation):
            turn = [
                p for p, r in zip(item.posts, item.timeline.roles, strict=True) if r == "customer"
            ]
            text = turn[-1].text if turn else ""
        else:
            read, error = as_input(item)
            text = None if read is None else read.text
        route: Route = self.default
        reason = f"stub: no pattern matched, default {self.default!r}"
        if text is None:
            route, reason = "agent", f"cannot read this row ({error}); a person should look"
        else:
            for pattern, fixed in self.routes:
                if pattern.search(text):
                    route, reason = fixed, f"stub: matched {pattern.pattern!r}"
                    break
        return plain_decision(
            route,
            reason,
            confidence=0.0 if text is None else 1.0,
            uncertain=text is None,
            priority="low" if route == "none" else "normal",
            error=error if text is None else None,
        )

    def decide_many(self, items: Iterable[Any], *, n_jobs: int | None = None) -> list[Decision]:
        """One fixed decision per item, in order (``n_jobs`` is accepted and ignored)."""
        if items is None or isinstance(items, str | Post | Conversation):
            raise InvalidInputError("decide_many takes a sequence of posts; use decide() for one")
        return [self.decide(item) for item in items]
