"""The routing rules without any model: hand-built Signals in, a Decision out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import Decision, PriorityRule, Signals, TriageInput, TriageRules, apply_rules
from socialcare._triage._rules import unreadable
from socialcare._triage._signals import ANGER, GRIEVANCE
from socialcare._triage._thresholds import ThresholdPolicy

RULES = TriageRules(policy=ThresholdPolicy(threshold=0.6))


def sig(**fields: Any) -> Signals:
    """A certain, neutral query of plenty of letters, with ``fields`` changed."""
    base: dict[str, Any] = {
        "intent": "query",
        "confidence": 0.95,
        "margin": 0.9,
        "letters": 30,
        "length": 35,
    }
    base.update(fields)
    return Signals(**base)


def text(**fields: Any) -> TriageInput:
    return TriageInput(text="where is my parcel?", **fields)


def test_certain_query_is_answered_automatically() -> None:
    d = apply_rules(sig(), text(), RULES)
    assert (d.route, d.intent, d.uncertain, d.priority) == ("auto", "query", False, "normal")
    assert d.confidence == 0.95
    assert (d.sensitive, d.take_private, d.influencer, d.error) == (None, False, False, None)
    assert d.reasons[0] == "intent 'query' at 0.95 (threshold 0.60)"
    assert d.reasons[-1] == "'query' is answered automatically"


def test_uncertain_goes_to_an_agent_with_the_reason() -> None:
    low = apply_rules(sig(confidence=0.4, margin=0.1), text(), RULES)
    assert (low.route, low.uncertain, low.intent) == ("agent", True, "query")
    assert low.reasons == ("uncertain: 'query' at 0.40 is below its threshold 0.60",)
    close = apply_rules(
        sig(confidence=0.7, margin=0.05),
        text(),
        TriageRules(policy=ThresholdPolicy(threshold=0.6, min_margin=0.2)),
    )
    assert (close.route, close.uncertain) == ("agent", True)
    assert "leads the runner-up by only 0.05 (minimum 0.20)" in close.reasons[0]
    never = apply_rules(
        sig(), text(), TriageRules(policy=ThresholdPolicy(per_intent={"query": None}))
    )
    assert (never.route, never.uncertain) == ("agent", True)
    assert never.reasons[0] == "uncertain: intent 'query' is never automated by the policy"


def test_certain_but_not_an_auto_intent_needs_a_person() -> None:
    d = apply_rules(sig(intent="request"), text(), RULES)
    assert (d.route, d.uncertain) == ("agent", False)
    assert d.reasons[-1] == "'request' needs a person (not an auto-reply intent)"
    praise = apply_rules(
        sig(intent="praise", sentiment="positive", sentiment_confidence=0.9), text(), RULES
    )
    assert (praise.route, praise.priority) == ("none", "low")


def test_negative_posts_are_never_left_without_a_reply() -> None:
    # "@united Just had the worst experience ever" read as praise at 0.98
    d = apply_rules(sig(intent="praise", confidence=0.98, sentiment="negative"), text(), RULES)
    assert (d.route, d.intent) == ("agent", "praise")
    assert "negative post: never left without a reply" in d.reasons
    off = RULES.model_copy(
        update={"never_none_sentiments": frozenset(), "no_reply_sentiments": {}}
    )
    assert apply_rules(sig(intent="praise", sentiment="negative"), text(), off).route == "none"


@pytest.mark.parametrize(
    ("sentiment", "p", "route"),
    [
        ("positive", 0.85, "none"),
        ("positive", 0.99, "none"),
        ("positive", 0.84, "agent"),
        ("positive", 0.849, "agent"),  # the reason must not print it as 0.85
        ("neutral", 0.99, "agent"),  # also every post of a Triager without a sentiment model
    ],
)
def test_praise_is_left_without_a_reply_only_when_surely_positive(
    sentiment: str, p: float, route: str
) -> None:
    # "Super gemacht, Essen kam nach 90 Minuten eiskalt. 10/10 würde wieder hungern." is
    # certain praise; sarcasm reads as less surely positive than thanks do
    post = sig(intent="praise", confidence=0.98, sentiment=sentiment, sentiment_confidence=p)
    d = apply_rules(post, text(), RULES)
    assert (d.route, d.intent) == (route, "praise")
    if route == "agent":
        assert d.reasons[-1] == (
            f"'praise' is left without a reply only when positive at 0.85 or more; read"
            f" {sentiment} at {p:.3f}"
        )
    off = RULES.model_copy(update={"no_reply_sentiments": {}})
    assert apply_rules(post, text(), off).route == "none"
    stricter = RULES.model_copy(update={"no_reply_sentiments": {"praise": ("positive", 0.995)}})
    assert apply_rules(post, text(), stricter).route == "agent"


@pytest.mark.parametrize(
    "bad",
    [{"praise": ("positive", 1.5)}, {"praise": ("glad", 0.9)}, {"praise": ("positive",)}],
)
def test_no_reply_sentiments_are_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no_reply_sentiments"):
        TriageRules(no_reply_sentiments=bad)
    with pytest.raises(ValueError, match="no_reply_min_confidence"):
        TriageRules(no_reply_min_confidence={"spam": -0.1})


def test_questions_are_never_left_without_a_reply() -> None:
    # "Good for u! R u eliminating SLC to LHR nonstops??" read as spam
    d = apply_rules(sig(intent="spam", confidence=0.97, asks=True), text(), RULES)
    assert d.route == "agent"
    assert "the post asks something: never left without a reply" in d.reasons
    off = RULES.model_copy(update={"never_none_questions": False})
    assert apply_rules(sig(intent="spam", confidence=0.97, asks=True), text(), off).route == "none"


@pytest.mark.parametrize(
    ("confidence", "route"), [(0.89, "agent"), (0.899, "agent"), (0.9, "none"), (0.99, "none")]
)
def test_spam_must_be_near_certain_to_go_unanswered(confidence: float, route: str) -> None:
    d = apply_rules(sig(intent="spam", confidence=confidence), text(), RULES)
    assert d.route == route
    if route == "agent":
        assert any("is not near-certain (needs 0.9 to" in r for r in d.reasons)
    lenient = RULES.model_copy(update={"no_reply_min_confidence": {}})
    assert apply_rules(sig(intent="spam", confidence=confidence), text(), lenient).route == "none"


def test_anger_words_keep_a_post_from_none_and_auto_and_are_no_sensitivity() -> None:
    # "Schlechtester Service ever." read as praise, positive
    angry = sig(intent="praise", sentiment="positive", keyword=(ANGER, "schlechtester"))
    d = apply_rules(angry, text(), RULES)
    assert (d.route, d.sensitive, d.priority) == ("agent", None, "normal")
    assert "angry words ('schlechtester'): never left without a reply" in d.reasons
    query = apply_rules(sig(keyword=(ANGER, "thanks for nothing")), text(), RULES)
    assert query.route == "agent"
    assert query.reasons[-1] == (
        "angry words ('thanks for nothing'): a person answers, never an automated reply"
    )
    assert all("sensitive" not in r for r in query.reasons)


def test_grievance_words_keep_a_post_from_none_only() -> None:
    # "thanks for the 3 hour delay, really made my day" read as surely positive praise
    sarcastic = sig(
        intent="praise",
        confidence=0.99,
        sentiment="positive",
        sentiment_confidence=0.99,
        keyword=(GRIEVANCE, "delay"),
    )
    d = apply_rules(sarcastic, text(), RULES)
    assert (d.route, d.sensitive, d.priority, d.uncertain) == ("agent", None, "normal", False)
    assert d.reasons[-1] == "states a failed service ('delay'): never left without a reply"
    assert apply_rules(sarcastic._replace(keyword=None), text(), RULES).route == "none"
    spam = sig(intent="spam", confidence=0.99, keyword=(GRIEVANCE, "never arrived"))
    assert apply_rules(spam, text(), RULES).route == "agent"
    # no flag and no veto on automation: "is my flight delayed?" may be answered by a bot
    query = apply_rules(sig(keyword=(GRIEVANCE, "delayed")), text(), RULES)
    assert (query.route, query.sensitive) == ("auto", None)
    assert all("failed service" not in r for r in query.reasons)
    # anger speaks first when a post holds both (the engine reports the higher-ranked hit)
    angry = apply_rules(sarcastic._replace(keyword=(ANGER, "worst")), text(), RULES)
    assert "angry words ('worst'): never left without a reply" in angry.reasons


def test_anger_is_never_answered_automatically() -> None:
    d = apply_rules(sig(sentiment="negative"), text(), RULES)
    assert (d.route, d.uncertain) == ("agent", False)
    assert d.reasons[-1] == "negative post: a person answers, never an automated reply"
    off = RULES.model_copy(update={"never_auto_sentiments": frozenset()})
    assert apply_rules(sig(sentiment="negative"), text(), off).route == "auto"


def test_a_post_that_might_be_sensitive_is_never_answered_automatically() -> None:
    # Below every kind's threshold (no flag), but not surely ordinary: a person answers.
    rules = RULES.model_copy(update={"sensitivity_thresholds": {"safety": 0.9}})
    maybe = sig(sensitive_kind="safety", sensitive_p=0.2)
    d = apply_rules(maybe, text(), rules)
    assert (d.route, d.sensitive, d.uncertain) == ("agent", None, False)
    assert d.reasons[-1] == "might be sensitive (0.20): a person answers, never an automated reply"
    below = sig(sensitive_kind="safety", sensitive_p=0.19)
    assert apply_rules(below, text(), rules).route == "auto"
    off = rules.model_copy(update={"never_auto_sensitive_p": None})
    assert apply_rules(maybe, text(), off).route == "auto"
    with pytest.raises(ValueError, match="never_auto_sensitive_p"):
        TriageRules(never_auto_sensitive_p=1.5)


def test_a_post_that_might_be_about_danger_has_a_lower_floor() -> None:
    # P(self_harm) + P(safety) at 0.1 keeps a query from an automated answer, though the
    # post is below never_auto_sensitive_p (0.2) and no kind is flagged
    danger = sig(sensitive_kind="privacy", sensitive_p=0.15, danger_p=0.1)
    d = apply_rules(danger, text(), RULES)
    assert (d.route, d.sensitive, d.uncertain) == ("agent", None, False)
    assert d.reasons[-1] == (
        "might be about self-harm or safety (0.10): a person answers, never an automated reply"
    )
    assert apply_rules(danger._replace(danger_p=0.099), text(), RULES).route == "auto"
    # the sensitive floor speaks first when both hold
    both = apply_rules(danger._replace(sensitive_p=0.3), text(), RULES)
    assert both.reasons[-1].startswith("might be sensitive (0.30)")
    off = RULES.model_copy(update={"never_auto_danger_p": None})
    assert apply_rules(danger, text(), off).route == "auto"
    strict = RULES.model_copy(update={"never_auto_danger_p": 0.05})
    assert apply_rules(danger._replace(danger_p=0.06), text(), strict).route == "agent"
    # it never sends a post to none or flags it: praise with some danger is still closed
    praise = sig(intent="praise", sentiment="positive", sentiment_confidence=0.99, danger_p=0.5)
    assert apply_rules(praise, text(), RULES).route == "none"
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="never_auto_danger_p"):
            TriageRules(never_auto_danger_p=bad)


@pytest.mark.parametrize("letters", [0, 1])
def test_below_min_letters_is_uncertain(letters: int) -> None:
    d = apply_rules(sig(letters=letters, length=3), TriageInput(text="🙂🙂"), RULES)
    assert (d.route, d.uncertain) == ("agent", True)
    assert d.reasons[0].startswith("too little text to classify")
    assert not any(r.startswith("intent ") for r in d.reasons)


def test_blank_post_says_empty_post() -> None:
    d = apply_rules(sig(letters=0, length=3, blank=True), TriageInput(text="  ."), RULES)
    assert (d.route, d.uncertain) == ("agent", True)
    assert d.reasons[0] == "empty post: nothing to classify"
    # min_letters is data: zero letters are enough when min_letters is 0
    lax = apply_rules(sig(letters=0, length=3), text(), RULES.model_copy(update={"min_letters": 0}))
    assert lax.route == "auto"


def test_too_long_is_uncertain() -> None:
    d = apply_rules(sig(length=5_001), text(), RULES)
    assert (d.route, d.uncertain) == ("agent", True)
    assert d.reasons == ("unusually long post (5,001 characters, limit 5,000)",)
    at_limit = apply_rules(sig(length=5_000), text(), RULES)
    assert at_limit.route == "auto"


def test_sensitive_model_kind_at_or_above_threshold_goes_to_a_specialist() -> None:
    limit = RULES.sensitivity_threshold
    at = apply_rules(sig(sensitive_kind="legal_threat", sensitive_p=limit), text(), RULES)
    assert (at.route, at.sensitive, at.priority) == ("specialist", "legal_threat", "urgent")
    assert f"sensitive: legal_threat (model, sensitive at {limit:.2f})" in at.reasons
    below = apply_rules(sig(sensitive_kind="legal_threat", sensitive_p=limit - 1e-4), text(), RULES)
    # not flagged, but not surely ordinary either: a person answers (never_auto_sensitive_p)
    assert (below.route, below.sensitive) == ("agent", None)
    high = apply_rules(sig(sensitive_kind="privacy", sensitive_p=0.9), text(), RULES)
    assert (high.route, high.priority) == ("specialist", "high")


def test_each_kind_has_its_own_threshold() -> None:
    rules = TriageRules(sensitivity_threshold=0.9, sensitivity_thresholds={"self_harm": 0.2})
    low = sig(sensitive_kind="self_harm", sensitive_p=0.25)
    d = apply_rules(low, text(), rules)
    assert (d.route, d.sensitive, d.priority, d.crisis) == (
        "specialist",
        "self_harm",
        "urgent",
        True,
    )
    other = apply_rules(sig(sensitive_kind="privacy", sensitive_p=0.25), text(), rules)
    assert (other.sensitive, other.crisis) == (None, False)


def test_phrase_goes_to_a_specialist_and_the_first_kind_listed_wins() -> None:
    d = apply_rules(sig(keyword=("safety", "burn")), text(), RULES)
    assert (d.route, d.sensitive, d.priority) == ("specialist", "safety", "urgent")
    assert "sensitive: safety (phrase 'burn')" in d.reasons
    both = apply_rules(
        sig(sensitive_kind="harassment", sensitive_p=0.9, keyword=("safety", "burn")),
        text(),
        RULES,
    )
    assert both.sensitive == "safety"  # safety is listed before harassment
    self_harm = apply_rules(
        sig(sensitive_kind="self_harm", sensitive_p=0.9, keyword=("legal_threat", "sue")),
        text(),
        RULES,
    )
    assert (self_harm.sensitive, self_harm.crisis) == ("self_harm", True)


@pytest.mark.parametrize("intent", ["query", "praise", "spam"])
def test_self_harm_and_safety_are_never_auto_or_none(intent: str) -> None:
    """Whatever the intent, confidence or author (short of the brand itself)."""
    for kind in ("self_harm", "safety"):
        for item in (text(), text(followers=10**6, verified=True), text(public=False)):
            d = apply_rules(
                sig(intent=intent, confidence=1.0, margin=1.0, keyword=(kind, "x")), item, RULES
            )
            assert d.route == "specialist"
            assert d.priority == "urgent"


def test_influencers_by_followers_and_by_verified() -> None:
    limit = RULES.influencer_followers
    assert limit is not None
    big = apply_rules(sig(), text(followers=limit), RULES)
    assert (big.route, big.influencer, big.priority) == ("specialist", True, "high")
    assert f"influencer: {limit:,} followers" in big.reasons
    small = apply_rules(sig(), text(followers=limit - 1), RULES)
    assert (small.route, small.influencer) == ("auto", False)
    verified = apply_rules(sig(), text(verified=True), RULES)
    assert (verified.route, verified.influencer) == ("specialist", True)
    assert "influencer: 0 followers, verified" in verified.reasons
    relaxed = RULES.model_copy(update={"verified_is_influencer": False})
    plain = apply_rules(sig(), text(verified=True), relaxed)
    assert (plain.route, plain.influencer) == ("auto", False)
    nobody = RULES.model_copy(update={"influencer_followers": None})
    assert not apply_rules(sig(), text(followers=10**9), nobody).influencer


def test_certain_spam_from_an_influencer_is_not_for_a_specialist() -> None:
    spam = apply_rules(sig(intent="spam"), text(followers=1_000_000), RULES)
    assert (spam.route, spam.influencer) == ("none", True)
    unsure = apply_rules(sig(intent="spam", confidence=0.3), text(followers=1_000_000), RULES)
    assert unsure.route == "specialist"


@pytest.mark.parametrize("who", [{"is_brand": True}, {"automated": True}])
def test_brand_and_automated_inputs_are_not_triaged(who: dict[str, bool]) -> None:
    loud = sig(
        intent="complaint",
        sentiment="negative",
        keyword=("legal_threat", "lawyer"),
        sensitive_kind="safety",
        sensitive_p=0.99,
        private="order",
    )
    d = apply_rules(loud, text(followers=1_000_000, verified=True, **who), RULES)
    assert (d.route, d.priority, d.sensitive, d.take_private) == ("none", None, None, False)
    assert (d.influencer, d.intent, d.sentiment, d.uncertain) == (
        False,
        "complaint",
        "negative",
        False,
    )
    expected = "the brand itself" if "is_brand" in who else "automation"
    assert d.reasons == (f"posted by {expected}: no reply",)


def test_take_private() -> None:
    public = apply_rules(sig(private="order"), text(), RULES)
    assert public.take_private
    assert public.reasons[-1] == "public post needs private details ('order'): take it private"
    complaint = apply_rules(sig(intent="complaint", private="account"), text(), RULES)
    assert complaint.take_private
    # not in take_private_intents
    assert not apply_rules(sig(intent="praise", private="order"), text(), RULES).take_private
    assert not apply_rules(
        sig(intent="feedback", private="order", confidence=0.3), text(), RULES
    ).take_private
    # a private channel: already private
    assert not apply_rules(sig(private="order"), text(public=False), RULES).take_private
    assert not apply_rules(
        sig(sensitive_kind="privacy", sensitive_p=0.9), text(public=False), RULES
    ).take_private
    # no private word
    assert not apply_rules(sig(), text(), RULES).take_private
    # privacy is sensitive enough by itself, whatever the intent
    privacy = apply_rules(sig(intent="praise", keyword=("privacy", "leak")), text(), RULES)
    assert privacy.take_private
    assert privacy.reasons[-1] == "public post needs private details (privacy): take it private"
    # too little text: nothing to take private
    assert not apply_rules(sig(private="order", letters=1), text(), RULES).take_private
    narrow = RULES.model_copy(update={"take_private_intents": frozenset({"complaint"})})
    assert not apply_rules(sig(private="order"), text(), narrow).take_private


def test_priority_rules_apply_in_order() -> None:
    first = PriorityRule(priority="low", intents=frozenset({"complaint"}))
    second = PriorityRule(priority="urgent", sentiments=frozenset({"negative"}))
    angry = sig(intent="complaint", sentiment="negative")
    low_first = RULES.model_copy(update={"priority_rules": (first, second)})
    assert apply_rules(angry, text(), low_first).priority == "low"
    urgent_first = RULES.model_copy(update={"priority_rules": (second, first)})
    assert apply_rules(angry, text(), urgent_first).priority == "urgent"
    # no rule matches: the default
    calm = sig(intent="request", sentiment="neutral")
    fallback = RULES.model_copy(
        update={"priority_rules": (first, second), "default_priority": "high"}
    )
    assert apply_rules(calm, text(), fallback).priority == "high"
    # default rules: the complaint rule needs negative sentiment
    assert apply_rules(angry, text(), RULES).priority == "high"
    assert apply_rules(sig(intent="complaint"), text(), RULES).priority == "normal"
    # a rule on routes and influence
    by_route = RULES.model_copy(
        update={
            "priority_rules": (
                PriorityRule(priority="urgent", routes=frozenset({"auto"}), influencer=False),
            )
        }
    )
    assert apply_rules(sig(), text(), by_route).priority == "urgent"
    assert apply_rules(sig(), text(followers=10**6), by_route).priority == "normal"


def test_a_copy_of_used_rules_applies_its_own_values() -> None:
    """Regression: a copy shared its original's prepared thresholds and priority memo."""
    used = TriageRules(policy=ThresholdPolicy(threshold=0.6))
    assert apply_rules(sig(), text(), used).route == "auto"  # prepares ``used``
    copy = used.model_copy(
        update={
            "policy": ThresholdPolicy(threshold=0.99),
            "priority_rules": (PriorityRule(priority="urgent"),),
        }
    )
    d = apply_rules(sig(), text(), copy)
    assert (d.route, d.uncertain, d.priority) == ("agent", True, "urgent")
    assert d.reasons[0] == "uncertain: 'query' at 0.95 is below its threshold 0.99"
    assert apply_rules(sig(), text(), used).route == "auto"  # the original is untouched


def test_rules_equal_by_their_fields_used_or_not() -> None:
    """Regression: rules that had decided a post compared unequal to fresh equal rules."""
    used, fresh = TriageRules(min_letters=3), TriageRules(min_letters=3)
    apply_rules(sig(), text(), used)
    assert used == fresh
    assert fresh == used
    assert used != TriageRules(min_letters=4)
    assert TriageRules.model_validate(used.model_dump()) == used


def test_unreadable() -> None:
    d = unreadable("not a post: None", RULES)
    assert isinstance(d, Decision)
    assert (d.route, d.intent, d.confidence, d.uncertain) == ("agent", None, 0.0, True)
    assert (d.priority, d.sensitive, d.error) == ("normal", None, "not a post: None")
    assert d.reasons == ("cannot read this row (not a post: None); a person should look",)
    assert d == Decision.model_validate(d.model_dump())
    assert unreadable("x", RULES.model_copy(update={"default_priority": "low"})).priority == "low"


# ----------------------------------------------------------------------------- properties

INTENTS = ["query", "request", "complaint", "praise", "feedback", "spam"]
KINDS = ["self_harm", "safety", "harassment", "privacy", "legal_threat", "media_crisis"]
unit = st.floats(0.0, 1.0, allow_nan=False)

signals = st.builds(
    Signals,
    intent=st.sampled_from(INTENTS),
    confidence=unit,
    margin=unit,
    letters=st.integers(0, 50),
    length=st.integers(0, 6_000),
    sentiment=st.sampled_from(["negative", "neutral", "positive"]),
    sentiment_confidence=unit,
    sensitive_kind=st.none() | st.sampled_from(KINDS),
    sensitive_p=unit,
    keyword=st.none()
    | st.tuples(st.sampled_from([*KINDS, ANGER]), st.sampled_from(["sue", "leak", "worst"])),
    private=st.none() | st.sampled_from(["order", "account"]),
    blank=st.booleans(),
    asks=st.booleans(),
)
inputs = st.builds(
    TriageInput,
    text=st.just("a post"),
    followers=st.integers(0, 50_000),
    verified=st.booleans(),
    public=st.booleans(),
    is_brand=st.booleans(),
    automated=st.booleans(),
    language=st.none() | st.sampled_from(["en", "es"]),
)
rules = st.builds(
    TriageRules,
    policy=st.builds(ThresholdPolicy, threshold=unit, min_margin=unit),
    auto_intents=st.frozensets(st.sampled_from(INTENTS)),
    influencer_followers=st.none() | st.integers(0, 50_000),
    verified_is_influencer=st.booleans(),
    sensitivity_threshold=unit,
    never_auto_sensitive_p=st.none() | unit,
    min_letters=st.integers(0, 5),
    max_length=st.integers(1, 6_000),
)


@settings(max_examples=300, deadline=None)
@given(signals, inputs, rules)
def test_apply_rules_is_pure_and_never_auto_when_unsafe(
    s: Signals, item: TriageInput, r: TriageRules
) -> None:
    d = apply_rules(s, item, r)
    again = apply_rules(s, item, r)
    fresh = apply_rules(s, item, TriageRules.model_validate(r.model_dump()))  # no shared memo
    assert d == again == fresh
    assert d == Decision.model_validate(d.model_dump())  # the unvalidated decision is valid
    if d.sensitive is not None or s.letters < r.min_letters or s.length > r.max_length:
        assert d.route != "auto"
    triaged = not (item.is_brand or item.automated)
    if triaged and (s.letters < r.min_letters or s.length > r.max_length):
        assert d.uncertain
    if d.route == "auto":
        assert not d.uncertain
        assert d.intent in r.auto_intents
        assert not d.influencer
    if item.is_brand or item.automated:
        assert (d.route, d.priority, d.sensitive) == ("none", None, None)
    else:
        assert d.priority is not None
        assert d.reasons
        # the safety nets: never drop a customer who is unhappy or asks something, never
        # leave a post unanswered on spam that is less than near-certain, never auto-answer anger
        angry = s.keyword is not None and s.keyword[0] == ANGER
        if (
            s.sentiment == "negative"
            or s.asks
            or angry
            or (s.intent == "spam" and s.confidence < 0.9)
            or (
                s.intent == "praise"
                and (s.sentiment != "positive" or s.sentiment_confidence < 0.85)
            )
        ):
            assert d.route != "none"
        if s.sentiment == "negative" or angry:
            assert d.route != "auto"
        limit = r.never_auto_sensitive_p
        if limit is not None and s.sensitive_p >= limit:
            assert d.route != "auto"
        if angry and s.sensitive_kind is None:
            assert d.sensitive is None


def test_decisions_from_the_rules_list_their_fields_in_the_models_order() -> None:
    """The rules' hot path skips the order check of make_decision: it must build in order."""
    import json
    from importlib import resources

    from socialcare import Triager
    from socialcare._triage._decision import DECISION_COLUMNS

    triager = Triager.default()
    corpus = resources.files("socialcare._triage") / "corpus" / "en.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()][:400]
    items = [*texts, None, "", {"text": "sorry", "is_brand": True}, "x" * 6_000]
    for decision in triager.decide_many(items):
        assert tuple(decision.__dict__) == DECISION_COLUMNS
        assert decision.model_dump_json() == Decision(**decision.model_dump()).model_dump_json()
