"""Tests for the test kit, through its pytest plugin fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings

from socialcare import (
    Conversation,
    InvalidInputError,
    NotFittedError,
    Post,
    ServiceWindow,
    TimezoneError,
)
from socialcare.testing import ConversationFactory, FixedClock, PostFactory, StubClassifier
from socialcare.testing.strategies import conversations, posts, service_windows, surveys


def test_fixtures_are_registered(
    socialcare_clock: FixedClock,
    post_factory: PostFactory,
    conversation_factory: ConversationFactory,
    stub_classifier: StubClassifier,
) -> None:
    assert socialcare_clock.now().isoformat() == "2024-03-04T09:00:00+00:00"
    assert post_factory.customer().author.is_brand is False
    assert conversation_factory.unanswered().first_response_at is None
    assert stub_classifier.predict(["refund me"]).tolist() == ["request"]


def test_clock(socialcare_clock: FixedClock) -> None:
    start = socialcare_clock()
    assert socialcare_clock.advance(minutes=90) - start == timedelta(minutes=90)
    with pytest.raises(InvalidInputError):
        socialcare_clock.advance(minutes=-1)
    with pytest.raises(TimezoneError):
        socialcare_clock.set(start.replace(tzinfo=None))
    assert socialcare_clock.set(start) == start


def test_factories_make_unique_valid_posts(post_factory: PostFactory) -> None:
    made = [post_factory.customer(), post_factory.agent(), post_factory.bot(minutes=3)]
    assert len({p.id for p in made}) == 3
    assert made[2].is_automated
    assert made[2].created_at - made[0].created_at == timedelta(minutes=3)


def test_conversation_shapes(conversation_factory: ConversationFactory) -> None:
    answered = conversation_factory.answered(after_minutes=12, intent="query")
    assert answered.intent == "query"
    assert answered.first_human_response_at - answered.first_customer_at == timedelta(minutes=12)
    mixed = conversation_factory.bot_then_agent(resolved_after_minutes=60)
    assert mixed.first_automated_response_at is not None
    assert mixed.resolved_at is not None
    with pytest.raises(InvalidInputError, match="unknown role"):
        conversation_factory.from_script([("manager", 0)])


def test_seeded_factories_are_deterministic_but_ids_stay_unique() -> None:
    a = ConversationFactory(seed=3).answered()
    b = ConversationFactory(seed=3).answered()

    def shape(conv: Conversation) -> list[tuple[object, ...]]:
        return [(p.text, p.created_at, p.author, p.channel) for p in conv.posts]

    assert shape(a) == shape(b)
    assert a.id != b.id
    assert not {p.id for p in a.posts} & {p.id for p in b.posts}


def test_stub_classifier_contract() -> None:
    stub = StubClassifier({"broken": "complaint"}, confidence=0.9)
    with pytest.raises(NotFittedError):
        stub.predict(["x"])
    stub.fit()
    proba = stub.predict_proba(["it is broken", "hello"])
    assert proba.shape == (2, len(stub.classes_))
    assert proba.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert proba[0].max() == pytest.approx(0.9)
    assert proba[1].max() < 0.5
    assert stub.predict(["hello"]).tolist() == ["query"]
    with pytest.raises(InvalidInputError):
        StubClassifier(confidence=0).fit()


@settings(max_examples=40, deadline=None)
@given(posts(), conversations(), surveys())
def test_strategies_produce_valid_values(post: Post, conv: Conversation, survey: object) -> None:
    assert Post.model_validate_json(post.model_dump_json()) == post
    assert conv.customer is not None
    assert conv.first_customer_at == conv.posts[0].created_at


@settings(max_examples=60, deadline=None)
@given(service_windows())
def test_window_strategy_builds_usable_windows(window: ServiceWindow) -> None:
    start = datetime(2024, 3, 29, 12, 0, tzinfo=timezone.utc)
    due = window.add(start, timedelta(minutes=30))
    assert due >= start
    assert window.elapsed(start, due) == timedelta(minutes=30)


# Hardening (issue #15) ------------------------------------------------------------------------


def test_every_shape_takes_the_customer_text() -> None:
    factory = ConversationFactory(seed=1)
    said = "my parcel never arrived"
    for conv in (
        factory.answered(text=said),
        factory.unanswered(text=said),
        factory.bot_then_agent(text=said),
        factory.from_script([("customer", 0), ("agent", 5)], text=said),
    ):
        assert [p.text for p in conv.customer_posts] == [said]
        assert all(p.text != said for p in conv.brand_posts)
    assert PostFactory().customer(text=said).text == said


def test_script_texts_per_customer_post_and_per_step() -> None:
    factory = ConversationFactory()
    conv = factory.from_script(
        [("customer", 0), ("agent", 5, "DM us"), ("customer", 9)], text=["first", "second"]
    )
    assert [p.text for p in conv.posts] == ["first", "DM us", "second"]
    own = factory.from_script([("customer", 0, "mine"), ("customer", 1)], text="shared")
    assert [p.text for p in own.posts] == ["mine", "shared"]
    with pytest.raises(InvalidInputError, match="one text per customer post"):
        factory.from_script([("customer", 0), ("customer", 1)], text=["only one"])
    with pytest.raises(InvalidInputError, match="script step"):
        factory.from_script([("customer",)])  # type: ignore[list-item]


def test_ids_are_unique_across_factories() -> None:
    first, second = PostFactory(seed=0), PostFactory(seed=0)
    made = [first.customer(), second.customer(), first.agent(), second.bot()]
    assert len({p.id for p in made}) == len(made)
    convs = [ConversationFactory(seed=0).answered() for _ in range(3)]
    assert len({c.id for c in convs}) == 3
    post_ids = [p.id for c in convs for p in c.posts]
    assert len(set(post_ids)) == len(post_ids)


def test_posts_of_two_factories_build_into_separate_conversations() -> None:
    from socialcare import build_conversations

    a, b = ConversationFactory(seed=0).answered(), ConversationFactory(seed=0).answered()
    result = build_conversations([*a.posts, *b.posts])
    assert result.ok
    assert result.duplicates_dropped == 0
    assert len(result) == 2


def test_clock_and_factories_refuse_instants_beyond_datetime() -> None:
    late = datetime.max.replace(tzinfo=timezone.utc) - timedelta(minutes=1)
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        FixedClock(late).advance(minutes=5)
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        FixedClock().set(datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))))
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        PostFactory(start=late).customer(minutes=10)
