"""The triage engine: a batch of texts in, one `Signals` per text out.

It normalises the batch once, scores every head (intent, sentiment, sensitivity) in one pass,
finds keywords and counts letters, all over the whole chunk with numpy. It knows nothing of
routes or priorities: the rules (``_rules.py``) take its signals from there. Small and large
batches take different roads to identical signals (see ``_fastpaths.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from socialcare._errors import InvalidInputError
from socialcare._triage._bundle import Head, softmax
from socialcare._triage._fastpaths import CHUNK_CHARS, CHUNK_ROWS, FEW_POSTS, NUMPY_LETTERS
from socialcare._triage._features import HashedTfidf, _codepoints
from socialcare._triage._keywords import KeywordMatcher, ScanMatcher
from socialcare._triage._scorer import LinearScorer, WordMemo
from socialcare._triage._signals import ANGER, DANGER_KINDS, GRIEVANCE, Signals
from socialcare._triage._text import SEPARATOR, bmp_table, normalise_batch

__all__ = ["HEADS", "Engine", "ForeignHead", "LinearGroup", "chunk_bounds"]

#: The heads a Triager may have, in the order they are scored; ``intent`` is required.
HEADS = ("intent", "sentiment", "sensitivity")
SENTIMENTS = frozenset({"negative", "neutral", "positive"})
#: How much of a post a classifier without its own limit reads (the default model's limit).
FOREIGN_MAX_CHARS = 5_000


class LinearGroup:
    """Linear heads that share one featuriser, stacked so a chunk is scored once.

    Each head keeps one column fewer than it has classes: its last class's scores are
    subtracted from the others' (weights and intercept), which leaves every softmax as it was
    and makes the stacked rows narrower (the default model's fit one 64-byte cache line).
    """

    def __init__(self, features: HashedTfidf, heads: Mapping[str, Head]) -> None:
        self.features = features
        self.names = list(heads)
        self.params = {name: dict(h.params) for name, h in heads.items()}
        self.classes = {name: [str(c) for c in h.classes.tolist()] for name, h in heads.items()}
        reduced = [_reduced(h) for h in heads.values()]
        coef_t = np.ascontiguousarray(np.hstack([c for c, _ in reduced]))
        intercept = np.concatenate([i for _, i in reduced])
        bounds = np.cumsum([0] + [c.shape[1] for c, _ in reduced])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        invariant = np.concatenate(
            [
                np.full(c.shape[1], h.params.get("norm", "l2") == "repeat_invariant")
                for (c, _), h in zip(reduced, heads.values(), strict=True)
            ]
        )
        self.scorer = LinearScorer(features, coef_t, intercept, invariant)

    def heads(self) -> dict[str, Head]:
        """The heads again, each with its last class's scores at zero (the same softmax)."""
        scorer = self.scorer
        out: dict[str, Head] = {}
        for name, part in zip(self.names, self.slices, strict=True):
            coef_t = scorer.coef_t[:, part]
            out[name] = Head(
                np.asarray(self.classes[name], dtype=object),
                np.hstack([coef_t, np.zeros((coef_t.shape[0], 1), dtype=coef_t.dtype)]),
                np.append(scorer.intercept[part], 0.0),
                self.params[name],
            )
        return out

    def probabilities(
        self, normalised: str, n: int, memo: WordMemo | None, cp: Any
    ) -> dict[str, Any]:
        """Each head's ``(n, k)`` probabilities (the same softmax for any ``n``)."""
        scores = self.scorer.scores(normalised, n, memo, cp)
        out: dict[str, Any] = {}
        for name, part in zip(self.names, self.slices, strict=True):
            full = np.zeros((n, part.stop - part.start + 1), dtype=np.float64)
            full[:, :-1] = scores[:, part]  # (the last class: 0)
            out[name] = softmax(full)
        return out


def _reduced(head: Head) -> tuple[Any, Any]:
    """A head's weights and intercept minus its last class's (float32 weights, as stored)."""
    coef = np.asarray(head.coef_t, dtype=np.float64)
    intercept = np.asarray(head.intercept, dtype=np.float64)
    weights = (coef[:, :-1] - coef[:, -1:]).astype(np.float32)
    return weights, intercept[:-1] - intercept[-1]


class ForeignHead:
    """Any fitted scikit-learn classifier with ``predict_proba`` and ``classes_``.

    It reads the raw texts (cut to the engine's ``max_chars``); its probabilities are used
    as they come.
    """

    def __init__(self, name: str, classifier: Any) -> None:
        if not callable(getattr(classifier, "predict_proba", None)):
            raise InvalidInputError(
                f"the {name} classifier ({type(classifier).__name__}) has no predict_proba: "
                "give a fitted scikit-learn classifier that predicts probabilities"
            )
        classes = getattr(classifier, "classes_", None)
        if classes is None:
            raise InvalidInputError(
                f"the {name} classifier ({type(classifier).__name__}) has no classes_: "
                "is it fitted? call fit(texts, labels) first"
            )
        self.name = name
        self.classifier = classifier
        self.classes = [str(c) for c in np.asarray(classes).tolist()]
        if len(set(self.classes)) != len(self.classes) or not self.classes:
            raise InvalidInputError(f"the {name} classifier's classes_ must be distinct labels")

    def probabilities(self, texts: list[str]) -> Any:
        proba = np.asarray(self.classifier.predict_proba(texts), dtype=np.float64)
        if proba.shape != (len(texts), len(self.classes)):
            raise InvalidInputError(
                f"the {self.name} classifier returned probabilities of shape {proba.shape}, "
                f"expected ({len(texts)}, {len(self.classes)})"
            )
        return proba


class Engine:
    """Models and keyword matchers; turns chunks of texts into per-post signals."""

    def __init__(
        self,
        groups: Sequence[LinearGroup],
        foreign: Sequence[ForeignHead],
        sensitive_keywords: Mapping[str, Sequence[str]],
        private_keywords: Sequence[str],
        anger_keywords: Sequence[str] = (),
        grievance_keywords: Sequence[str] = (),
    ) -> None:
        self.groups = list(groups)
        self.foreign = list(foreign)
        self.classes: dict[str, list[str]] = {h.name: h.classes for h in self.foreign}
        for group in self.groups:
            self.classes.update(group.classes)
        if "intent" not in self.classes:
            raise InvalidInputError("a Triager needs an intent classifier")
        if "sentiment" in self.classes and not set(self.classes["sentiment"]) <= SENTIMENTS:
            raise InvalidInputError(
                "the sentiment classifier must predict negative/neutral/positive, not "
                f"{self.classes['sentiment']}"
            )
        self.max_chars = self.groups[0].features.max_chars if self.groups else FOREIGN_MAX_CHARS
        # one scan of the text, a matcher per list, so no list hides another's words (where
        # words start at one place the longest wins, "on hold for" over "on hold"): a post
        # with a sensitive phrase reports that; one with anger words and no sensitive phrase,
        # ANGER; one with grievance words alone, GRIEVANCE
        self.keywords = ScanMatcher(
            KeywordMatcher(sensitive_keywords),
            KeywordMatcher({ANGER: tuple(anger_keywords)}),
            KeywordMatcher({GRIEVANCE: tuple(grievance_keywords)}),
            KeywordMatcher({"private": private_keywords}),
        )
        self.intents = list(self.classes["intent"])
        sensitivity = self.classes.get("sensitivity")
        self._none_col = (
            sensitivity.index("none") if sensitivity is not None and "none" in sensitivity else None
        )
        kinds = sensitivity or []
        self._danger_cols = [kinds.index(kind) for kind in DANGER_KINDS if kind in kinds]

    def keyword_hits(
        self, texts: Mapping[int, str]
    ) -> dict[int, tuple[tuple[str, str] | None, str | None]]:
        """``(sensitive keyword, private word)`` found in each text (texts by post index)."""
        if not texts:
            return {}
        keys = list(texts)
        normalised = normalise_batch([texts[k] for k in keys], tidy=False)
        *ranked, private = self.keywords.find_all(normalised, len(keys))
        return {
            k: (hit, None if word is None else word[1])
            for k, hit, word in zip(keys, _first_found(ranked), private, strict=True)
        }

    def memos(self, n_chunks: int) -> list[WordMemo | None]:
        """One word memo per featuriser for a batch of ``n_chunks`` chunks (None for one)."""
        return [g.scorer.memo() if n_chunks > 1 else None for g in self.groups]

    def signals(
        self,
        texts: list[str],
        lengths: Sequence[int],
        memos: Sequence[WordMemo | None],
        languages: Sequence[str | None] | None = None,
    ) -> Iterator[Signals]:
        """One `Signals` per text of a chunk (texts already cut to ``max_chars``).

        ``languages``: each post's detected language, if the caller detected them (the
        engine itself detects none).
        """
        n = len(texts)
        normalised = normalise_batch(texts, tidy=False)
        cp = _codepoints(normalised)
        *ranked, private_hits = self.keywords.find_all(normalised, n, cp)
        keyword_hits = _first_found(ranked)
        probs: dict[str, Any] = {}
        first = self.groups[0].features if self.groups else None
        for group, memo in zip(self.groups, memos, strict=True):
            if group.features is first:
                probs.update(group.probabilities(normalised, n, memo, cp))
            else:  # another featuriser: its own limit, its own normalised text
                limit = group.features.max_chars
                own = normalise_batch([t[:limit] for t in texts], tidy=False)
                probs.update(group.probabilities(own, n, memo, None))
        for head in self.foreign:
            probs[head.name] = head.probabilities(texts)
        letters = _letters(normalised, n, cp)
        blank: Iterable[bool] = itertools.repeat(object=False)
        if 0 in letters:
            parts = normalised.split(SEPARATOR)
            blank = [
                count == 0 and not part.strip() for count, part in zip(letters, parts, strict=True)
            ]
        tail = _Tail.small if n <= FEW_POSTS else _Tail.batch
        columns = tail(self, probs)
        max_chars = self.max_chars
        read: Iterable[int] = itertools.repeat(-1)  # every post read whole...
        if max(lengths, default=0) > max_chars:  # ...but these
            read = [min(length, max_chars) for length in lengths]
        # an iterator: each post's signals live only while its rules run (never kept in bulk,
        # so the garbage collector never meets them)
        return map(
            Signals._make,
            zip(
                *columns,
                letters,
                lengths,
                read,
                *_Tail.sentiment(self, probs),
                *_Tail.sensitivity(self, probs, n),
                keyword_hits,
                [None if hit is None else hit[1] for hit in private_hits],
                blank,
                itertools.repeat(None) if languages is None else languages,
                _asks(normalised, n, cp),
                _Tail.danger(self, probs, n),
                strict=False,  # (``read``, ``blank`` and ``languages`` may repeat one value)
            ),
        )


class _Tail:
    """Probabilities to signals: the same results by numpy (batches) or Python (a few posts).

    Only comparisons differ between the twins (which class is largest, which second): the
    probabilities themselves come from the same softmax, so both give identical values.
    """

    @staticmethod
    def batch(engine: Engine, probs: dict[str, Any]) -> tuple[list[str], list[float], list[float]]:
        p = probs["intent"]
        n = p.shape[0]
        top = p.argmax(axis=1)
        conf = p[np.arange(n), top]
        second = np.sort(p, axis=1)[:, -2] if p.shape[1] > 1 else np.zeros(n)
        names = engine.intents
        return [names[k] for k in top.tolist()], conf.tolist(), (conf - second).tolist()

    @staticmethod
    def small(engine: Engine, probs: dict[str, Any]) -> tuple[list[str], list[float], list[float]]:
        names = engine.intents
        intents: list[str] = []
        confidences: list[float] = []
        margins: list[float] = []
        for p in probs["intent"].tolist():
            top = max(range(len(p)), key=p.__getitem__)  # the first maximum, like argmax
            conf = p[top]
            second = sorted(p)[-2] if len(p) > 1 else 0.0
            intents.append(names[top])
            confidences.append(conf)
            margins.append(conf - second)
        return intents, confidences, margins

    @staticmethod
    def sentiment(engine: Engine, probs: dict[str, Any]) -> tuple[list[str], list[float]]:
        p = probs.get("sentiment")
        if p is None:
            n = probs["intent"].shape[0]
            return ["neutral"] * n, [1.0] * n
        names = engine.classes["sentiment"]
        top = p.argmax(axis=1)
        return [names[k] for k in top.tolist()], p[np.arange(p.shape[0]), top].tolist()

    @staticmethod
    def sensitivity(
        engine: Engine, probs: dict[str, Any], n: int
    ) -> tuple[list[str | None], list[float]]:
        p = probs.get("sensitivity")
        if p is None:
            return [None] * n, [0.0] * n
        names = engine.classes["sensitivity"]
        none_col = engine._none_col
        if none_col is None:
            return [names[k] for k in p.argmax(axis=1).tolist()], p.max(axis=1).tolist()
        masked = p.copy()
        masked[:, none_col] = -1.0
        top = masked.argmax(axis=1)
        # the evidence that a post is sensitive is the mass of every kind, not of the likeliest
        # one alone: a post torn between safety and harassment is still surely sensitive
        return [names[k] for k in top.tolist()], (1.0 - p[:, none_col]).tolist()

    @staticmethod
    def danger(engine: Engine, probs: dict[str, Any], n: int) -> list[float]:
        """``P(self_harm) + P(safety)`` per post, added in `DANGER_KINDS` order (the same
        floats by numpy for a batch as by Python for a few posts)."""
        p = probs.get("sensitivity")
        columns = engine._danger_cols
        if p is None or not columns:
            return [0.0] * n
        if n <= FEW_POSTS:  # (numpy's indexing costs more than the sums for a few posts)
            out = []
            for row in p.tolist():
                total = 0.0
                for column in columns:
                    total += row[column]
                out.append(total)
            return out
        sums = np.zeros(n)
        for column in columns:
            sums += p[:, column]
        return sums.tolist()  # type: ignore[no-any-return]


def _first_found(ranked: Sequence[list[tuple[str, str] | None]]) -> list[tuple[str, str] | None]:
    """Per post, the hit of the first list that found one (sensitive, anger, grievance).

    >>> _first_found([[None, ("safety", "gas")], [("<anger>", "worst"), None], [None, None]])
    [('<anger>', 'worst'), ('safety', 'gas')]
    """
    sensitive, anger, grievance = ranked
    return [a or b or c for a, b, c in zip(sensitive, anger, grievance, strict=True)]


def _letters(normalised: str, n_docs: int, cp: Any) -> list[int]:
    """Letters and digits of each post of a ``normalise_batch`` string.

    >>> import numpy as np
    >>> text = " \\x00 ".join([" ab", "?", "a1", "𝐚𝐛 "])
    >>> _letters(text, 4, np.frombuffer(text.encode("utf-32-le"), dtype="<u4"))
    [2, 0, 2, 2]
    """
    if len(normalised) < NUMPY_LETTERS:  # a few posts: counting in Python costs less
        return [sum(map(str.isalnum, part)) for part in normalised.split(SEPARATOR)]
    alnum = bmp_table(str.isalnum)[np.minimum(cp, 0x10000)]
    high = (cp > 0xFFFF).nonzero()[0]
    if high.shape[0]:  # emoji and other high code points: ask str.isalnum, once per character
        chars, inverse = np.unique(cp[high], return_inverse=True)
        alnum[high] = np.array([chr(c).isalnum() for c in chars.tolist()], dtype=bool)[inverse]
    starts = np.zeros(n_docs, dtype=np.intp)
    starts[1:] = (cp == 0).nonzero()[0]
    return np.add.reduceat(alnum.view(np.uint8), starts, dtype=np.intp).tolist()  # type: ignore[no-any-return]


_QUESTION_MARKS = ("?", "\u061f", "\u00bf")  # ?, Arabic ؟, Spanish ¿


def _asks(normalised: str, n_docs: int, cp: Any) -> Iterable[bool]:
    """Whether each post of a ``normalise_batch`` string holds a question mark.

    >>> import numpy as np
    >>> text = " \\x00 ".join([" why ? ", " ok ", " \u00bf donde ", " \u061f "])
    >>> list(_asks(text, 4, np.frombuffer(text.encode("utf-32-le"), dtype="<u4")))
    [True, False, True, True]
    """
    if not any(mark in normalised for mark in _QUESTION_MARKS):
        return itertools.repeat(False, n_docs)  # noqa: FBT003 - the value repeated
    if len(normalised) < NUMPY_LETTERS:
        return [
            any(mark in part for mark in _QUESTION_MARKS) for part in normalised.split(SEPARATOR)
        ]
    marks = (cp == 0x3F) | (cp == 0x61F) | (cp == 0xBF)  # _QUESTION_MARKS
    starts = np.zeros(n_docs, dtype=np.intp)
    starts[1:] = (cp == 0).nonzero()[0]
    return (np.add.reduceat(marks.view(np.uint8), starts, dtype=np.intp) > 0).tolist()  # type: ignore[no-any-return]


def chunk_bounds(lengths: Sequence[int], max_chars: int) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive chunks of posts of these lengths, 2+ posts each.

    A chunk ends at ``CHUNK_ROWS`` posts or ``CHUNK_CHARS`` characters, whichever first;
    a lone last post joins the chunk before it (a chunk's fixed cost is dozens of numpy calls).

    >>> chunk_bounds([15_000, 1, 9_000, 1], 2_000)
    [(0, 4)]
    >>> chunk_bounds([40_000] * 5, 50_000)
    [(0, 2), (2, 5)]
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    size = 0
    for i, length in enumerate(lengths):
        size += min(length, max_chars)
        if (size >= CHUNK_CHARS or i + 1 - start >= CHUNK_ROWS) and i > start:
            bounds.append((start, i + 1))
            start = i + 1
            size = 0
    if start < len(lengths):
        if bounds and len(lengths) - start == 1:
            bounds[-1] = (bounds[-1][0], len(lengths))
        else:
            bounds.append((start, len(lengths)))
    return bounds
