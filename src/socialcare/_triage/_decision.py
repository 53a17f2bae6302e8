"""What triage decides for one post: the `Decision` model and its columns.

This module imports neither numpy nor scikit-learn, so the edges (exports, the CLI, pandas)
can name the decision columns without loading a model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from socialcare._base import Frozen

__all__ = [
    "DECISION_COLUMNS",
    "PRIORITY_RANK",
    "Decision",
    "Priority",
    "Route",
    "Sentiment",
    "decision_row",
    "make_decision",
    "make_ordered_decision",
    "plain_decision",
]

Route = Literal["auto", "agent", "specialist", "none"]
Priority = Literal["urgent", "high", "normal", "low"]
Sentiment = Literal["negative", "neutral", "positive"]

#: How priorities rank in a queue: larger is more urgent.
PRIORITY_RANK: dict[str | None, int] = {"urgent": 3, "high": 2, "normal": 1, "low": 0, None: -1}


class Decision(Frozen):
    """What to do with one post (or the open turn of a conversation), and why.

    ``route``: ``auto`` (an automated answer is safe), ``agent`` (a person), ``specialist``
    (influencers, sensitive posts) or ``none`` (no reply needed). ``intent`` is the top intent
    even when ``uncertain``; ``confidence`` its probability. ``priority`` is ``None`` for posts
    that need no triage at all (the brand's own posts, automation). ``take_private`` flags a
    public post that needs private details (order, account, payment...) to be answered.
    ``urgency`` orders a queue: see [`queue_key`][socialcare.queue_key].

    >>> d = Decision(route="agent", intent="complaint", confidence=0.9, uncertain=False,
    ...              priority="high", sensitive=None, sentiment="negative",
    ...              take_private=False, influencer=False, reasons=("intent 'complaint'",))
    >>> d.urgency, d.route
    (20, 'agent')
    """

    route: Route
    intent: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    uncertain: bool
    priority: Priority | None
    sensitive: str | None
    sentiment: Sentiment
    take_private: bool
    influencer: bool = False
    crisis: bool = Field(
        default=False,
        description="A self-harm post: show crisis resources, page a lead (always urgent).",
    )
    language: str | None = Field(default=None, description="The post's language, if known.")
    reasons: tuple[str, ...]
    error: str | None = Field(default=None, description="Why the input could not be read.")

    @property
    def urgency(self) -> int:
        """Priority and influence as one number (larger first): ``10 * rank + influencer``.

        ``rank`` is 3 for urgent, 2 high, 1 normal, 0 low, -1 without priority.
        """
        return 10 * PRIORITY_RANK[self.priority] + (1 if self.influencer else 0)


_FIELDS = tuple(Decision.model_fields)
_FIELD_SET = frozenset(_FIELDS)

#: The columns of a decision where one is written out (a file, a DataFrame), in order.
DECISION_COLUMNS: tuple[str, ...] = _FIELDS


def decision_row(decision: Decision) -> dict[str, Any]:
    """The decision as one flat row of `DECISION_COLUMNS` (reasons joined by ``; ``).

    >>> d = Decision(route="none", intent=None, confidence=0.0, uncertain=True, priority=None,
    ...              sensitive=None, sentiment="neutral", take_private=False, reasons=("a", "b"))
    >>> decision_row(d)["reasons"], list(decision_row(d)) == list(DECISION_COLUMNS)
    ('a; b', True)
    """
    values = decision.__dict__
    row = {name: values[name] for name in _FIELDS}
    row["reasons"] = "; ".join(decision.reasons)
    return row


def make_decision(fields: dict[str, Any]) -> Decision:
    """A Decision from values the rules produced and already checked (no validation).

    The fast path of every decision: equal to ``Decision(**fields)`` when ``fields`` holds every
    field with valid values (a test asserts it), without the validation that would cost more
    than the rest of a decision. It sets the model's documented attributes only, in the
    model's field order (so dumps and JSON list them as a validated decision does); a missing
    field raises ``KeyError``.
    """
    return make_ordered_decision({name: fields[name] for name in _FIELDS})


def make_ordered_decision(fields: dict[str, Any]) -> Decision:
    """`make_decision` for fields already in the model's order (the rules' hot path).

    The order is not checked here: a test asserts that the rules build theirs in order.
    """
    decision = _new(Decision)
    _set(decision, "__dict__", fields)
    _set(decision, "__pydantic_fields_set__", _ALL_SET)
    _set(decision, "__pydantic_extra__", None)
    _set(decision, "__pydantic_private__", None)
    return decision


_new = Decision.__new__
_set = object.__setattr__
# Every decision made here shares one set of field names: a frozen model's set is never
# changed in place (``model_copy`` copies it), and one set fewer per post is one object fewer
# for the garbage collector to track.
_ALL_SET = set(_FIELD_SET)


def plain_decision(route: Route, reason: str, **fields: Any) -> Decision:
    """A decision with no model behind it: nothing flagged, unless ``fields`` say otherwise.

    For the decisions the rules make without signals (an unreadable row, a conversation with
    no customer post, a test double): every field not given takes the "nothing known" value.

    >>> plain_decision("none", "nothing to answer").priority is None
    True
    """
    values: dict[str, Any] = {
        "route": route,
        "intent": None,
        "confidence": 0.0,
        "uncertain": True,
        "priority": None,
        "sensitive": None,
        "sentiment": "neutral",
        "take_private": False,
        "influencer": False,
        "crisis": False,
        "language": None,
        "reasons": (reason,),
        "error": None,
    }
    values.update(fields)
    return make_decision(values)


def field_order() -> tuple[str, ...]:
    """The Decision's field names in order (the shape of a decision sent between processes)."""
    return _FIELDS
