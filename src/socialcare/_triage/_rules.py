"""The routing rules: a pure function from one post's signals and input to a decision.

[`TriageRules`][socialcare.TriageRules] holds the rules as data;
[`apply_rules`][socialcare.apply_rules] applies them to one post's
[`Signals`][socialcare.Signals] and [`TriageInput`][socialcare.TriageInput]. Nothing here
knows of numpy, models or batch size: every rule is testable by building a ``Signals`` by hand.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PrivateAttr

from socialcare._base import Frozen
from socialcare._triage._decision import (
    Decision,
    Priority,
    Route,
    Sentiment,
    make_ordered_decision,
    plain_decision,
)
from socialcare._triage._input import TriageInput
from socialcare._triage._lexicon import (
    KINDS,
    anger_keywords,
    grievance_keywords,
    private_keywords,
    sensitive_keywords,
)
from socialcare._triage._signals import ANGER, GRIEVANCE, Signals
from socialcare._triage._thresholds import ThresholdPolicy

__all__ = ["PriorityRule", "TriageRules", "apply_rules", "unreadable"]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


def _praise_needs_positive() -> dict[str, tuple[Sentiment, float]]:
    return {"praise": ("positive", 0.85)}


_RANK = {kind: rank for rank, kind in enumerate(KINDS)}  # the first kind listed wins


class PriorityRule(Frozen):
    """``priority`` applies when every condition given matches (None = any value).

    >>> PriorityRule(priority="high", intents={"complaint"}, sentiments={"negative"})
    PriorityRule(priority='high', intents=frozenset({'complaint'}), sensitive=None, sentiments=frozenset({'negative'}), influencer=None, routes=None)
    """  # noqa: E501

    priority: Priority
    intents: frozenset[str] | None = None
    sensitive: frozenset[str] | None = Field(
        default=None, description="Sensitivity kinds; the rule needs one of them."
    )
    sentiments: frozenset[Sentiment] | None = None
    influencer: bool | None = None
    routes: frozenset[Route] | None = None

    def matches(
        self, intent: str, sensitive: str | None, sentiment: str, *, influencer: bool, route: str
    ) -> bool:
        """Whether all the conditions of this rule hold."""
        return (
            (self.intents is None or intent in self.intents)
            and (self.sensitive is None or sensitive in self.sensitive)
            and (self.sentiments is None or sentiment in self.sentiments)
            and (self.influencer is None or influencer == self.influencer)
            and (self.routes is None or route in self.routes)
        )


DEFAULT_PRIORITY_RULES: tuple[PriorityRule, ...] = (
    PriorityRule(
        priority="urgent",
        sensitive=frozenset({"self_harm", "safety", "legal_threat", "media_crisis"}),
    ),
    PriorityRule(priority="high", sensitive=frozenset({"privacy", "harassment"})),
    PriorityRule(priority="high", influencer=True, routes=frozenset({"specialist", "agent"})),
    PriorityRule(
        priority="high", intents=frozenset({"complaint"}), sentiments=frozenset({"negative"})
    ),
    PriorityRule(priority="low", routes=frozenset({"none"})),
    PriorityRule(priority="low", intents=frozenset({"feedback"})),
)


class TriageRules(Frozen):
    """The routing rules as data: change any field without subclassing.

    Routes, in order: bad or empty input -> ``agent`` (uncertain); posts by automation or by
    the brand -> ``none``, with no priority and no sensitivity flag; sensitive posts ->
    ``specialist``; influencers -> ``specialist`` (unless certain spam); certain predictions
    of a ``no_reply_intents`` intent -> ``none``, unless a safety net holds (a negative post,
    anger words, grievance words, a question, spam below ``no_reply_min_confidence``, praise
    not surely positive: ``no_reply_sentiments``); certain predictions of an
    ``auto_intents`` intent -> ``auto``, unless the post is negative
    (``never_auto_sentiments``), holds anger words or might be sensitive
    (``never_auto_sensitive_p``, and a lower floor for self-harm and safety:
    ``never_auto_danger_p``); everything else -> ``agent``.
    Priority: the first matching rule of ``priority_rules``, else ``default_priority``.

    >>> rules = TriageRules(influencer_followers=5_000, auto_intents={"query", "request"})
    >>> rules.influencer_followers, sorted(rules.auto_intents)
    (5000, ['query', 'request'])
    """

    policy: ThresholdPolicy = Field(default_factory=lambda: ThresholdPolicy(threshold=0.6))
    auto_intents: frozenset[str] = frozenset({"query"})
    no_reply_intents: frozenset[str] = frozenset({"praise", "spam"})
    never_none_sentiments: frozenset[Sentiment] = Field(
        default=frozenset({"negative"}),
        description=(
            "A post of these sentiments never goes to ``none``, whatever its intent: an angry"
            " post read as praise or spam still reaches a person."
        ),
    )
    never_none_questions: bool = Field(
        default=True,
        description="A post that asks something (a question mark) never goes to ``none``.",
    )
    no_reply_min_confidence: dict[str, Probability] = Field(
        default_factory=lambda: {"spam": 0.9},
        description=(
            "Intent -> the confidence a no-reply prediction needs, besides its threshold, to"
            " leave a post without a reply: spam must be near-certain."
        ),
    )
    no_reply_sentiments: dict[str, tuple[Sentiment, Probability]] = Field(
        default_factory=_praise_needs_positive,
        description=(
            "Intent -> (sentiment, probability): a no-reply prediction of this intent leaves a"
            " post without a reply only when the sentiment model reads the post as that"
            " sentiment with at least that probability. Sarcastic complaints read as praise,"
            " but less surely positive: out of fold on the bundled corpus's training split,"
            " 0.85 kept 26 of the 36 negative posts, complaints, queries and requests that"
            " certain praise would have dropped, and still closed 61% of the praise. Without a"
            " sentiment model every post reads neutral, so praise always reaches a person;"
            " ``{}``: no such net."
        ),
    )
    never_auto_sentiments: frozenset[Sentiment] = Field(
        default=frozenset({"negative"}),
        description="A post of these sentiments is never answered automatically.",
    )
    never_auto_sensitive_p: float | None = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description=(
            "A post that the sensitivity model gives at least this probability of being"
            " sensitive (``1 - P(none)``) is never answered automatically, even when no kind"
            " reaches its threshold: a person reads what might be danger. The bundled model"
            " gives 0.2 or more to 95.4% of its out-of-fold self-harm posts and 95.4% of its"
            " safety posts, and to 12.6% of its ordinary queries. None: no such net."
        ),
    )
    never_auto_danger_p: Probability | None = Field(
        default=0.1,
        description=(
            "A post that the sensitivity model gives at least this probability of being about"
            " self-harm or a safety hazard (``P(self_harm) + P(safety)``, `DANGER_KINDS`) is"
            " never answered automatically: a lower floor than ``never_auto_sensitive_p`` for"
            " the two kinds a person must never miss. Out of fold on the bundled corpus's"
            " training split, with ``never_auto_sensitive_p`` at 0.2, it keeps 96.9% of the"
            " self-harm posts and 97.1% of the safety posts from an automated answer (95.4% and"
            " 95.4% without it), and 14.8% of the ordinary queries (12.6% without it). None: no"
            " such net."
        ),
    )
    influencer_followers: int | None = Field(default=10_000, ge=0)
    verified_is_influencer: bool = True
    sensitivity_threshold: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Flag a post as sensitive when the sensitivity model gives this probability that it"
            " is sensitive (``1 - P(none)``), for kinds without their own threshold; the kind"
            " flagged is the model's most likely kind."
        ),
    )
    sensitivity_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Kind -> the probability that a post is sensitive (``1 - P(none)``) that flags it"
            " when that kind is the model's most likely. The bundled model's are calibrated on"
            " out-of-fold predictions to a budget of false alarms (a larger one for self_harm"
            " and safety, which must not be missed; a small one for the rest, which must not"
            " flood specialists)."
        ),
    )
    sensitive_keywords: dict[str, tuple[str, ...]] = Field(
        default_factory=sensitive_keywords,
        description="Kind -> keywords; the first kind listed wins when several match.",
    )
    private_keywords: tuple[str, ...] = Field(default_factory=private_keywords)
    anger_keywords: tuple[str, ...] = Field(
        default_factory=anger_keywords,
        description=(
            "Anger and strong-dissatisfaction words (``keywords/anger/<language>.txt``): a"
            " post that holds one is never left without a reply nor answered automatically,"
            " whatever the models read (they can take sarcasm or 'worst service ever' for"
            " praise). Never a sensitivity flag."
        ),
    )
    grievance_keywords: tuple[str, ...] = Field(
        default_factory=grievance_keywords,
        description=(
            "Words that state a service failure as a fact (``keywords/grievance/<language>"
            ".txt``: '3 hour delay', 'lost my bag', 'charged twice'): a post that holds one is"
            " never left without a reply. Sarcastic thanks ('thanks for the 2 hour delay 👏')"
            " read as surely positive praise to the models; nothing else changes (no flag, and"
            " a question about a delay may still be answered automatically)."
        ),
    )
    take_private_intents: frozenset[str] = frozenset({"query", "request", "complaint"})
    min_letters: int = Field(default=2, ge=0, description="Fewer letters/digits: uncertain.")
    max_length: int = Field(
        default=5_000, ge=1, description="Longer posts are unusual: uncertain, to a person."
    )
    priority_rules: tuple[PriorityRule, ...] = DEFAULT_PRIORITY_RULES
    default_priority: Priority = "normal"
    detect_language: bool = Field(
        default=False,
        description=(
            "Detect the language of posts that come without one (needs the pycld2 package:"
            " pip install 'socialcare[language]'). Off by default: it costs a third to a half"
            " more time per distinct post, which triage's speed bar has no room for. Off, or"
            " without pycld2, a decision's language is the caller's hint or None."
        ),
    )

    _compiled: _Memo = PrivateAttr(default_factory=lambda: _Memo())

    def compiled(self) -> _Compiled:
        """The rules prepared for deciding many posts (made once per rules object).

        A copy (``model_copy``, ``copy.copy``) carries its original's private attributes:
        its prepared rules are remade, never shared (they would hold the original's values).
        """
        private = self.__pydantic_private__  # (the documented store of private attributes)
        memo = private["_compiled"] if private else self._compiled
        compiled = memo.compiled
        if compiled is None or compiled.rules is not self:
            if compiled is not None:  # the original's memo, shared by a copy: take one's own
                memo = _Memo()
                self._compiled = memo
            compiled = _Compiled(self)
            memo.compiled = compiled
        return compiled


class _Memo:
    """Holds a rules object's prepared form, which is not part of its value.

    Every memo equals every other, so rules with equal fields stay equal (pydantic compares
    private attributes too) whether or not one of them has decided posts yet.
    """

    __slots__ = ("compiled",)

    def __init__(self) -> None:
        self.compiled: _Compiled | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Memo)

    __hash__ = None  # type: ignore[assignment]


class _Compiled:
    """What the rules need per post, looked up once: thresholds, and priorities as memo.

    The memo fills as combinations of (intent, sensitive, sentiment, influencer, route) are
    met; a combination always gets the same priority, so the memo changes speed only.
    """

    __slots__ = (
        "auto",
        "followers",
        "max_length",
        "min_letters",
        "min_margin",
        "never_auto",
        "never_auto_danger_p",
        "never_auto_p",
        "never_none",
        "never_none_questions",
        "no_reply",
        "no_reply_min_confidence",
        "no_reply_sentiments",
        "priorities",
        "rules",
        "sensitivity_threshold",
        "sensitivity_thresholds",
        "take_private_intents",
        "threshold_reasons",
        "thresholds",
        "verified_counts",
    )

    def __init__(self, rules: TriageRules) -> None:
        self.rules = rules
        self.thresholds: dict[str, tuple[float | None, str]] = {}
        self.priorities: dict[tuple[str | None, str | None, str, bool, str], Priority] = {}
        self.min_margin = rules.policy.min_margin
        self.min_letters = rules.min_letters
        self.max_length = rules.max_length
        self.followers = rules.influencer_followers
        self.verified_counts = rules.verified_is_influencer
        self.auto = rules.auto_intents
        self.no_reply = rules.no_reply_intents
        self.never_none = rules.never_none_sentiments
        self.never_none_questions = rules.never_none_questions
        self.no_reply_min_confidence = rules.no_reply_min_confidence
        self.no_reply_sentiments = rules.no_reply_sentiments
        self.never_auto = rules.never_auto_sentiments
        p = rules.never_auto_sensitive_p
        self.never_auto_p = 2.0 if p is None else p  # (above any probability: no net)
        p = rules.never_auto_danger_p
        self.never_auto_danger_p = 2.0 if p is None else p
        self.take_private_intents = rules.take_private_intents
        self.sensitivity_threshold = rules.sensitivity_threshold
        self.sensitivity_thresholds = rules.sensitivity_thresholds

    def unreadable_text(self, signals: Signals, reasons: list[str]) -> None:
        """Why a post's text cannot be classified with confidence: too little, or too long."""
        if signals.letters < self.min_letters:
            reasons.append(
                "empty post: nothing to classify"
                if signals.blank
                else "too little text to classify (empty, whitespace, emoji or symbols only)"
            )
        if signals.length > self.max_length:
            reasons.append(
                f"unusually long post ({signals.length:,} characters, limit {self.max_length:,})"
            )
        elif 0 <= signals.read < signals.length:
            reasons.append(
                f"long post: the models read its first {signals.read:,} of "
                f"{signals.length:,} characters; a person should read the rest"
            )

    def sensitivity(self, signals: Signals, reasons: list[str]) -> str | None:
        """The sensitivity kind: a phrase pattern's, else the model's at its kind's threshold.

        Patterns are phrases in context, written per kind and language, and flag on their
        own; the model flags a kind when its probability reaches that kind's calibrated
        threshold. When both speak, the kind listed first in `KINDS` wins.
        """
        return self.sensitive_kind(
            signals.sensitive_kind, signals.sensitive_p, signals.keyword, reasons
        )

    def sensitive_kind(
        self,
        kind: str | None,
        kind_p: float,
        keyword: tuple[str, str] | None,
        reasons: list[str],
    ) -> str | None:
        """`sensitivity` from the signals it reads."""
        if keyword is not None and keyword[0] in (ANGER, GRIEVANCE):
            keyword = None  # anger and grievance words are not a sensitivity
        if kind is not None and kind_p < self.sensitivity_thresholds.get(
            kind, self.sensitivity_threshold
        ):
            kind = None  # the model is not sure enough of its kind
        last = len(_RANK)  # (a kind of your own ranks after the built-in ones)
        if keyword is not None and (
            kind is None or _RANK.get(keyword[0], last) <= _RANK.get(kind, last)
        ):
            reasons.append(f"sensitive: {keyword[0]} (phrase {keyword[1]!r})")
            return keyword[0]
        if kind is not None:
            reasons.append(f"sensitive: {kind} (model, sensitive at {kind_p:.2f})")
        return kind

    def apply(self, signals: Signals, item: TriageInput) -> Decision:
        """`apply_rules` with these rules."""
        # (one unpacking: a NamedTuple's attributes cost a call each, in the hot loop)
        (
            intent, confidence, margin, letters, length, read, sentiment, sentiment_p,
            kind, kind_p, keyword, private, _, language, asks, danger_p,
        ) = signals  # fmt: skip
        threshold, intent_repr = self.thresholds.get(intent) or self.threshold(intent)
        min_margin = self.min_margin
        certain = threshold is not None and confidence >= threshold and margin >= min_margin
        if item.is_brand or item.automated:
            return _not_triaged(signals, item, certain=certain)
        reasons: list[str] = []
        enough = letters >= self.min_letters
        if not enough or length > self.max_length or 0 <= read < length:
            certain = False
            self.unreadable_text(signals, reasons)
        elif certain:
            reasons.append(f"intent {intent_repr} at {confidence:.2f} (threshold {threshold:.2f})")
        else:
            reasons.append(_uncertain_reason(signals, threshold, intent_repr, min_margin))

        angry = grievance = None
        if keyword is not None:
            if keyword[0] == ANGER:
                angry = keyword[1]
            elif keyword[0] == GRIEVANCE:
                grievance = keyword[1]
        sensitive = self.sensitive_kind(kind, kind_p, keyword, reasons)
        followers = item.followers
        limit = self.followers
        influencer = (item.verified and self.verified_counts) or (
            limit is not None and followers >= limit
        )
        if influencer:
            reasons.append(
                f"influencer: {followers:,} followers" + (", verified" if item.verified else "")
            )
        route: Route
        if sensitive is not None or (influencer and not (certain and intent == "spam")):
            route = "specialist"
        elif (
            certain
            and intent in self.no_reply
            and not self.keeps_reply(
                intent,
                confidence,
                sentiment,
                sentiment_p,
                asks=asks,
                angry=angry,
                grievance=grievance,
                reasons=reasons,
            )
        ):
            route = "none"
            reasons.append(f"no reply needed for {intent_repr}")
        elif (
            certain
            and intent in self.auto
            and sentiment not in self.never_auto
            and not angry
            and kind_p < self.never_auto_p
            and danger_p < self.never_auto_danger_p
        ):
            route = "auto"
            reasons.append(f"{intent_repr} is answered automatically")
        else:
            route = "agent"
            if certain and intent in self.auto:
                if angry:
                    why = f"angry words ({angry!r})"
                elif sentiment in self.never_auto:
                    why = f"{sentiment} post"
                elif kind_p >= self.never_auto_p:
                    why = f"might be sensitive ({kind_p:.2f})"
                else:
                    why = f"might be about self-harm or safety ({danger_p:.2f})"
                reasons.append(f"{why}: a person answers, never an automated reply")
            elif certain and intent not in self.no_reply:
                reasons.append(f"{intent_repr} needs a person (not an auto-reply intent)")
        take_private = False
        needs_private = sensitive == "privacy" or (
            private is not None and intent in self.take_private_intents
        )
        if needs_private and item.public and route != "none" and enough:
            take_private = True
            why = "privacy" if private is None else repr(private)
            reasons.append(f"public post needs private details ({why}): take it private")
        key = (intent, sensitive, sentiment, influencer, route)
        priority = self.priorities.get(key) or self.priority(*key)
        return make_ordered_decision(
            {
                "route": route,
                "intent": intent,
                "confidence": confidence,
                "uncertain": not certain,
                "priority": priority,
                "sensitive": sensitive,
                "sentiment": sentiment,
                "take_private": take_private,
                "influencer": influencer,
                "crisis": sensitive == "self_harm",
                "language": language if item.language is None else item.language,
                "reasons": tuple(reasons),
                "error": None,
            }
        )

    def keeps_reply(
        self,
        intent: str,
        confidence: float,
        sentiment: str,
        sentiment_p: float,
        *,
        asks: bool,
        angry: str | None,
        grievance: str | None,
        reasons: list[str],
    ) -> bool:
        """Whether a safety net keeps a no-reply prediction from dropping the post."""
        if angry:
            reasons.append(f"angry words ({angry!r}): never left without a reply")
            return True
        if grievance:
            reasons.append(f"states a failed service ({grievance!r}): never left without a reply")
            return True
        if sentiment in self.never_none:
            reasons.append(f"{sentiment} post: never left without a reply")
            return True
        if asks and self.never_none_questions:
            reasons.append("the post asks something: never left without a reply")
            return True
        floor = self.no_reply_min_confidence.get(intent)
        if floor is not None and confidence < floor:
            reasons.append(
                f"{intent!r} at {confidence:.3f} is not near-certain (needs {floor:g} to "
                "leave a post without a reply)"
            )
            return True
        needs = self.no_reply_sentiments.get(intent)
        if needs is not None and (sentiment != needs[0] or sentiment_p < needs[1]):
            reasons.append(
                f"{intent!r} is left without a reply only when {needs[0]} at {needs[1]:g} or"
                f" more; read {sentiment} at {sentiment_p:.3f}"
            )
            return True
        return False

    def threshold(self, intent: str) -> tuple[float | None, str]:
        found = self.thresholds.get(intent)
        if found is None:
            found = (self.rules.policy.threshold_for(intent), repr(intent))
            self.thresholds[intent] = found
        return found

    def priority(
        self,
        intent: str | None,
        sensitive: str | None,
        sentiment: str,
        influencer: bool,  # noqa: FBT001 - a memo key, called positionally in the hot loop
        route: str,
    ) -> Priority:
        key = (intent, sensitive, sentiment, influencer, route)
        found = self.priorities.get(key)
        if found is None:
            found = self.rules.default_priority
            for rule in self.rules.priority_rules:
                if rule.matches(
                    intent or "", sensitive, sentiment, influencer=influencer, route=route
                ):
                    found = rule.priority
                    break
            self.priorities[key] = found
        return found


def unreadable(error: str, rules: TriageRules) -> Decision:
    """The decision for an input that cannot be read: uncertain, to a person, with why.

    >>> unreadable("not a post: None", TriageRules()).route
    'agent'
    """
    return plain_decision(
        "agent",
        f"cannot read this row ({error}); a person should look",
        priority=rules.default_priority,
        error=error,
    )


def apply_rules(signals: Signals, item: TriageInput, rules: TriageRules) -> Decision:
    """Decide one post from its signals and input: route, priority, flags and reasons.

    A pure function: the same arguments always give the same decision.

    >>> s = Signals(intent="query", confidence=0.95, margin=0.9, sentiment="neutral",
    ...             letters=30, length=35)
    >>> d = apply_rules(s, TriageInput(text="where is my parcel?"), TriageRules())
    >>> d.route, d.priority, d.reasons[-1]
    ('auto', 'normal', "'query' is answered automatically")
    >>> apply_rules(s, TriageInput(text="...", is_brand=True), TriageRules()).route
    'none'
    """
    return rules.compiled().apply(signals, item)


def _not_triaged(signals: Signals, item: TriageInput, *, certain: bool) -> Decision:
    """The brand's own posts and automation: no reply, no priority, no sensitivity flag."""
    who = "the brand itself" if item.is_brand else "automation"
    return make_ordered_decision(
        {
            "route": "none",
            "intent": signals.intent,
            "confidence": signals.confidence,
            "uncertain": not certain,
            "priority": None,
            "sensitive": None,
            "sentiment": signals.sentiment,
            "take_private": False,
            "influencer": False,
            "crisis": False,
            "language": signals.language if item.language is None else item.language,
            "reasons": (f"posted by {who}: no reply",),
            "error": None,
        }
    )


def _uncertain_reason(
    signals: Signals, threshold: float | None, intent_repr: str, min_margin: float
) -> str:
    if threshold is None:
        return f"uncertain: intent {intent_repr} is never automated by the policy"
    if signals.confidence < threshold:
        return (
            f"uncertain: {intent_repr} at {signals.confidence:.2f} is below its threshold "
            f"{threshold:.2f}"
        )
    return (
        f"uncertain: {intent_repr} leads the runner-up by only {signals.margin:.2f} "
        f"(minimum {min_margin:.2f})"
    )
