"""The typed boundary between the triage engine and the rules: `Signals`, per post.

The engine (models, keywords, text checks) turns a batch of posts into one ``Signals`` per
post; the rules (`socialcare._triage._rules.apply_rules`) turn one ``Signals`` and its
input into a decision, knowing nothing of numpy, models or batch size. Build a ``Signals`` by
hand to test a rule without any model.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ANGER", "DANGER_KINDS", "GRIEVANCE", "Signals", "keyword_rank"]

ANGER = "<anger>"
"""The kind in `Signals.keyword` of anger words (``TriageRules.anger_keywords``): never a
sensitive kind; it keeps a post from ``none`` and ``auto``."""

GRIEVANCE = "<grievance>"
"""The kind in `Signals.keyword` of grievance words (``TriageRules.grievance_keywords``): a
service failure stated as a fact ("3 hour delay", "lost my bag"); never a sensitive kind; it
keeps a post from ``none`` only."""

_MARKERS = {ANGER: 1, GRIEVANCE: 2}


def keyword_rank(keyword: tuple[str, str]) -> int:
    """How a keyword hit ranks when a post holds several: a sensitive phrase (0) outranks
    anger words (1), which outrank grievance words (2).

    >>> keyword_rank(("self_harm", "end my life")), keyword_rank((GRIEVANCE, "delayed"))
    (0, 2)
    """
    return _MARKERS.get(keyword[0], 0)


DANGER_KINDS = ("self_harm", "safety")
"""The sensitive kinds whose probabilities add up to `Signals.danger_p`: a person in crisis,
or a hazard to life and health."""


class Signals(NamedTuple):
    """What the engine found in one post.

    >>> s = Signals(intent="query", confidence=0.9, margin=0.8, letters=20, length=25)
    >>> s.sensitive_kind is None, s.blank
    (True, False)
    """

    intent: str
    """The most likely intent (the first of equals, like ``numpy.argmax``)."""
    confidence: float
    """Its probability."""
    margin: float
    """Its lead over the runner-up intent."""
    letters: int
    """Letters and digits in the post as read (its first ``max_chars`` characters)."""
    length: int
    """The post's full length in characters."""
    read: int = -1
    """How many of its characters the models read (-1: all of them)."""
    sentiment: str = "neutral"
    """negative, neutral or positive (neutral without a sentiment model)."""
    sentiment_confidence: float = 1.0
    """The sentiment's probability (1.0 without a sentiment model)."""
    sensitive_kind: str | None = None
    """The sensitivity model's most likely kind other than ``none`` (None without a model)."""
    sensitive_p: float = 0.0
    """How sure the sensitivity model is that the post is sensitive at all: ``1 - P(none)``
    (the probability of ``sensitive_kind`` for a model without a ``none`` class)."""
    keyword: tuple[str, str] | None = None
    """The first sensitive keyword found: ``(kind, the words that matched)``; the kind is
    `ANGER` when the post holds anger words and no sensitive phrase, `GRIEVANCE` when it
    holds grievance words and neither."""
    private: str | None = None
    """A word showing the post needs private details (order, account...), if any."""
    blank: bool = False
    """Nothing but white space and punctuation."""
    language: str | None = None
    """The language detected in the post (None: unsure, not asked, or no detector)."""
    asks: bool = False
    """The post asks something: it holds a question mark (``?``, ``¿`` or Arabic ``؟``)."""
    danger_p: float = 0.0
    """How sure the sensitivity model is that the post is about self-harm or a safety hazard:
    ``P(self_harm) + P(safety)`` (0.0 without a model, or for a model with neither kind)."""
