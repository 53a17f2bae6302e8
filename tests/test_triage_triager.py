"""Triager routing rules, bad inputs, batches and threads."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from socialcare import Author, Decision, InvalidInputError, Post, PriorityRule, Triager, TriageRules
from socialcare._triage._classifier import fit_shared
from socialcare._triage._thresholds import ThresholdPolicy
from triage_data import synthetic


@pytest.fixture(scope="module")
def triager() -> Triager:
    texts, labels = synthetic(60)
    sentiment = {"complaint": "negative", "praise": "positive", "query": "neutral"}
    heads = fit_shared(texts, {"intent": labels, "sentiment": [sentiment[y] for y in labels]})
    rules = TriageRules(policy=ThresholdPolicy(threshold=0.5), auto_intents={"query"})
    return Triager(heads["intent"], sentiment=heads["sentiment"], rules=rules)


def _post(text: str, followers: int = 10, verified: bool = False, **extra: object) -> Post:
    return Post(
        id="p1",
        platform="x",
        author=Author(id="a1", followers=followers, verified=verified, **extra),  # type: ignore[arg-type]
        text=text,
        created_at=datetime(2024, 5, 1, tzinfo=timezone.utc),
    )


def test_routes(triager: Triager) -> None:
    query = triager.decide("when will my parcel arrive?")
    assert (query.route, query.intent, query.uncertain) == ("auto", "query", False)
    praise = triager.decide("love your team 😍")
    assert (praise.route, praise.priority, praise.sentiment) == ("none", "low", "positive")
    complaint = triager.decide("worst service ever!!!")
    assert (complaint.route, complaint.priority, complaint.sentiment) == (
        "agent",
        "high",
        "negative",
    )
    assert isinstance(complaint, Decision)
    assert complaint.reasons
    # The fast construction equals a validated model.
    assert Decision.model_validate(complaint.model_dump()) == complaint
    assert hash(complaint) == hash(Decision.model_validate(complaint.model_dump()))


def test_influencers_go_to_specialists(triager: Triager) -> None:
    big = triager.decide(_post("love your team 😍", followers=250_000))
    assert big.route == "specialist"
    assert any("influencer" in r for r in big.reasons)
    verified = triager.decide(_post("when will my parcel arrive?", verified=True))
    assert verified.route == "specialist"
    relaxed = triager.with_rules(
        TriageRules(verified_is_influencer=False, influencer_followers=None)
    )
    assert relaxed.decide(_post("when will my parcel arrive?", verified=True)).route == "auto"


def test_sensitive_keywords_go_to_specialists(triager: Triager) -> None:
    decision = triager.decide("where is my order? my lawyer will hear about this")
    assert decision.sensitive == "legal_threat"
    assert decision.route == "specialist"
    assert decision.priority == "urgent"
    assert (
        triager.decide("El cargador se incendió y mi hijo tiene quemaduras").sensitive == "safety"
    )
    assert triager.decide("Ada kebocoran data pribadi saya?").sensitive == "privacy"


def test_take_private(triager: Triager) -> None:
    public = triager.decide("where is my order 123456789?")
    assert public.take_private
    assert any("private" in r for r in public.reasons)
    dm = Post(
        id="d1",
        platform="x",
        author=Author(id="a1"),
        text="where is my order 123456789?",
        created_at=datetime(2024, 5, 1, tzinfo=timezone.utc),
        channel="private",
    )
    assert not triager.decide(dm).take_private
    assert not triager.decide("love your team 😍").take_private


def test_brand_and_automated_posts_need_no_reply(triager: Triager) -> None:
    assert triager.decide(_post("where is my order?", is_brand=True)).route == "none"


def test_rules_are_data(triager: Triager) -> None:
    rules = TriageRules(
        auto_intents=frozenset(),
        no_reply_intents={"spam"},
        priority_rules=(PriorityRule(priority="urgent", intents={"praise"}),),
        policy=ThresholdPolicy(threshold=0.5),
    )
    custom = triager.with_rules(rules)
    assert custom.decide("when will my parcel arrive?").route == "agent"
    praise = custom.decide("love your team 😍")
    assert (praise.route, praise.priority) == ("agent", "urgent")
    never = triager.with_rules(TriageRules(policy=ThresholdPolicy(per_intent={"query": None})))
    decision = never.decide("when will my parcel arrive?")
    assert decision.uncertain
    assert decision.intent == "query"
    quiet = triager.with_rules(TriageRules(private_keywords=(), policy=ThresholdPolicy()))
    assert not quiet.decide("where is my order 123456789?").take_private
    with pytest.raises(InvalidInputError, match="private_keywords"):
        TriageRules(private_keywords="order")  # type: ignore[arg-type]


def test_bad_inputs_never_sink_a_batch(triager: Triager) -> None:
    items = [None, 3.5, "", "   ", "😍😍😍", "x" * 100_000, "when will my parcel arrive?", b"hi"]
    decisions = triager.decide_many(items)
    assert len(decisions) == len(items)
    for d in decisions[:6] + decisions[7:]:
        assert d.uncertain
        assert d.route == "agent"
        assert d.reasons
    assert decisions[0].error is not None
    assert decisions[0].intent is None
    assert decisions[2].error is None
    assert decisions[2].intent is not None
    assert decisions[6].route == "auto"
    assert triager.decide(None).route == "agent"
    with pytest.raises(InvalidInputError):
        triager.decide_many("not a list")


def test_batch_equals_one_by_one_and_threads(triager: Triager) -> None:
    texts, _ = synthetic(40, seed=5)
    batch = triager.decide_many(texts)

    assert batch == [triager.decide(t) for t in texts]  # bit-identical, not rounded
    results: list[list[Decision]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        results[i] = triager.decide_many(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == batch for r in results)

    many = texts * 60  # many chunks: each call keeps its own word memo
    serial = triager.decide_many(many)
    threads = [
        threading.Thread(target=lambda i=i: results.__setitem__(i, triager.decide_many(many)))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == serial for i in range(4))
    assert serial[: len(texts)] == batch


def test_decide_many_on_two_processes_equals_one() -> None:
    from socialcare._triage.train_default import load_corpus

    triager = Triager.default()
    post = Post(
        id="p1",
        platform="x",
        author=Author(id="a", followers=50_000),
        text="my lawyer will hear about this",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    texts = [row["text"] for row in load_corpus()]
    items: list[object] = [*texts, None, "", post, 42, *texts]  # > 4096 rows: split in two
    parallel = triager.decide_many(items, n_jobs=2)
    assert parallel == triager.decide_many(items)
    assert parallel[len(texts)].error is not None
    assert parallel[len(texts) + 2].route == "specialist"


def test_default_triager() -> None:
    triager = Triager.default()
    assert set(triager.intents) >= {"query", "request", "complaint", "praise", "feedback", "spam"}
    decision = triager.decide("Where is my order #123456? It's been 2 weeks")
    assert decision.take_private
    assert decision.sentiment in ("negative", "neutral", "positive")
    threat = triager.decide("My lawyer will contact you, see you in court")
    assert threat.sensitive == "legal_threat"
    assert threat.route == "specialist"


def test_default_batch_equals_one_by_one_on_corpus_and_bad_inputs() -> None:
    from socialcare._triage.train_default import load_corpus

    triager = Triager.default()
    texts = [row["text"] for row in load_corpus()][::8]
    posts = [
        _post(t, followers=f, verified=v, is_brand=b)
        for t, f, v, b in zip(
            texts[:60],
            [0, 50, 10_000, 250_000] * 15,
            [False, False, True] * 20,
            [None, None, None, True, False] * 12,
            strict=True,
        )
    ]
    bad = [None, 3.5, "", "   ", "😍😍😍", "x" * 100_000, "a " * 3_000, b"hi", "?", "𝐚𝐛"]
    items: list[object] = [*texts, *posts, *bad, *(t[:3] for t in texts[:40])]
    batch = triager.decide_many(items)

    assert len(batch) == len(items)
    assert batch == [triager.decide(x) for x in items]  # bit-identical, not rounded
    assert {d.route for d in batch} == {"auto", "agent", "specialist", "none"}
    assert any(d.take_private for d in batch)
    assert any(d.sensitive for d in batch)
