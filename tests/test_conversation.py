"""Tests for conversations and build_conversations."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import (
    Author,
    BuildResult,
    Channel,
    Conversation,
    InvalidInputError,
    Post,
    StatusChange,
    Survey,
    TimezoneError,
    build_conversations,
)

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
ANA = Author(id="u1", handle="ana")
BEN = Author(id="u2", handle="ben")
AGENT = Author(id="a1", handle="AcmeHelp")  # is_brand unset: decided by `brand`
BRAND_AGENT = Author(id="a2", is_brand=True)
BOT = Author(id="bot", is_brand=True, is_bot=True)


def post(
    id: str,
    author: Author,
    minute: float,
    reply_to: str | None = None,
    **extra: Any,
) -> Post:
    return Post(
        id=id,
        platform=extra.pop("platform", "twitter"),
        author=author,
        text=extra.pop("text", f"post {id}"),
        created_at=T0 + timedelta(minutes=minute),
        in_reply_to=reply_to,
        **extra,
    )


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


class TestConversation:
    def test_posts_sorted_and_roles(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("3", BOT, 2), post("1", ANA, 0), post("4", BRAND_AGENT, 10)],
        )
        assert [p.id for p in conv.posts] == ["1", "3", "4"]
        assert conv.timeline.roles == ("customer", "bot", "agent")
        assert conv.customer == ANA
        assert conv.first_customer_at == at(0)
        assert conv.first_response_at == at(2)
        assert conv.first_automated_response_at == at(2)
        assert conv.first_human_response_at == at(10)
        assert conv.timeline.agent_id == "a2"
        assert conv.timeline.brand_touches == 2
        assert conv.timeline.human_touches == 1
        assert [p.id for p in conv.automated_replies] == ["3"]
        assert [p.id for p in conv.human_replies] == ["4"]
        assert [p.id for p in conv.brand_posts] == ["3", "4"]

    def test_brand_from_ids_or_handles(self) -> None:
        posts = [post("1", ANA, 0), post("2", AGENT, 5)]
        by_handle = Conversation(id="c", posts=posts, brand=frozenset({"@acmehelp"}))
        by_id = Conversation(id="c", posts=posts, brand=frozenset({"a1"}))
        nobody = Conversation(id="c", posts=posts)
        assert by_handle.first_response_at == by_id.first_response_at == at(5)
        assert nobody.first_response_at is None
        assert [p.id for p in nobody.customer_posts] == ["1", "2"]

    def test_explicit_is_brand_false_wins_over_brand_list(self) -> None:
        not_brand = Author(id="a1", is_brand=False)
        conv = Conversation(
            id="c", posts=[post("1", ANA, 0), post("2", not_brand, 1)], brand=frozenset({"a1"})
        )
        assert conv.first_response_at is None

    def test_brand_post_before_customer_is_not_a_response(self) -> None:
        conv = Conversation(id="c", posts=[post("0", BRAND_AGENT, 0), post("1", ANA, 5, "0")])
        assert conv.first_customer_at == at(5)
        assert conv.first_response_at is None
        assert conv.timeline.brand_touches == 0

    def test_no_customer_post(self) -> None:
        conv = Conversation(id="c", posts=[post("0", BRAND_AGENT, 0)])
        assert conv.customer is None
        assert conv.first_customer_at is None
        assert conv.exchanges() == ()
        assert conv.channel is Channel.PUBLIC

    def test_exchanges_human_and_automated(self) -> None:
        conv = Conversation(
            id="c",
            posts=[
                post("1", ANA, 0),
                post("2", ANA, 1),  # same turn
                post("3", BOT, 2),
                post("4", ANA, 5),
                post("5", BRAND_AGENT, 20),
                post("6", ANA, 30),
            ],
        )
        every = conv.exchanges(include_automated=True)
        assert [(e.customer_at, e.reply_at) for e in every] == [
            (at(0), at(2)),
            (at(5), at(20)),
            (at(30), None),
        ]
        assert every[0].reply_automated
        assert not every[1].reply_automated
        human = conv.exchanges()
        assert [(e.customer_at, e.reply_at, e.reply_author_id) for e in human] == [
            (at(0), at(20), "a2"),
            (at(30), None, None),
        ]

    def test_status_changes_resolved_and_reopened(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("1", ANA, 0)],
            status_changes=[
                StatusChange(at=at(60), status="reopened"),
                StatusChange(at=at(30), status="resolved"),
            ],
        )
        assert conv.resolved_at is None
        assert conv.reopened
        assert conv.timeline.first_resolved_at == at(30)
        closed = conv.attach(status_changes=[{"at": at(90), "status": "resolved"}])
        assert closed.resolved_at == at(90)
        assert closed.timeline.reopened_at == (at(60),)

    def test_reopened_without_prior_resolution_does_not_count(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("1", ANA, 0)],
            status_changes=[StatusChange(at=at(1), status="reopened")],
        )
        assert not conv.reopened

    def test_attach_validates_and_copies(self) -> None:
        conv = Conversation(id="c", posts=[post("1", ANA, 0)])
        labelled = conv.attach(surveys=[Survey(kind="csat", score=5)], intent="query")
        assert labelled.intent == "query"
        assert labelled.surveys[0].score == 5
        assert conv.surveys == ()
        with pytest.raises(InvalidInputError, match="between 1 and 5"):
            conv.attach(surveys=[{"kind": "csat", "score": 6}])
        with pytest.raises(InvalidInputError, match="unknown labels"):
            conv.attach(colour="red")

    def test_model_copy_recomputes_derived_values(self) -> None:
        conv = Conversation(id="c", posts=[post("1", ANA, 0), post("2", AGENT, 3)])
        assert conv.first_response_at is None
        branded = conv.model_copy(update={"brand": frozenset({"a1"})})
        assert branded.first_response_at == at(3)

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"posts": []}, "at least 1"),
            ({"posts": [post("1", ANA, 0), post("1", ANA, 0)]}, "appears twice"),
            (
                {"posts": [post("1", ANA, 0), post("2", ANA, 1, platform="facebook")]},
                "one platform",
            ),
        ],
    )
    def test_invalid(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidInputError, match=message):
            Conversation(id="c", **data)

    def test_json_round_trip(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("1", ANA, 0), post("2", AGENT, 3, "1")],
            brand=frozenset({"a1"}),
            surveys=[Survey(kind="csat", score=4)],
            status_changes=[StatusChange(at=at(9), status="resolved", by="a1")],
            intent="query",
            tags=frozenset({"vip"}),
        )
        again = Conversation.model_validate_json(conv.model_dump_json())
        assert again == conv
        assert again.first_response_at == at(3)
        assert Conversation.model_json_schema()["additionalProperties"] is False


class TestBuildConversations:
    def test_reply_chain_grouping(self) -> None:
        result = build_conversations(
            [
                post("3", ANA, 10, "2"),
                post("2", AGENT, 5, "1"),
                post("1", ANA, 0),
                post("9", BEN, 1),
            ],
            brand=["AcmeHelp"],
        )
        assert isinstance(result, BuildResult)
        assert [c.id for c in result] == ["1", "9"]
        first = result[0]
        assert [p.id for p in first.posts] == ["1", "2", "3"]
        assert first.first_response_at == at(5)
        assert len(result) == 2
        assert result.ok

    def test_conversation_id_wins_and_replies_inherit_it(self) -> None:
        result = build_conversations(
            [
                post("1", ANA, 0, conversation_id="T"),
                post("2", BRAND_AGENT, 1, conversation_id="T"),
                post("3", ANA, 2, "2"),  # no thread id: follows its parent into T
                post("4", BEN, 3, conversation_id="U", text="unrelated"),
            ]
        )
        assert sorted(c.id for c in result) == ["T", "U"]
        thread = next(c for c in result if c.id == "T")
        assert [p.id for p in thread.posts] == ["1", "2", "3"]

    def test_missing_parent_starts_its_own_conversation(self) -> None:
        result = build_conversations([post("5", ANA, 0, "404"), post("6", AGENT, 1, "5")])
        assert result.missing_parents == 1
        assert [c.id for c in result] == ["5"]
        assert len(result[0].posts) == 2

    def test_exact_duplicates_dropped_and_counted(self) -> None:
        p = post("1", ANA, 0)
        same = Post.model_validate(p.model_dump())
        result = build_conversations([p, same, p])
        assert result.duplicates_dropped == 2
        assert len(result) == 1
        assert result.ok

    def test_same_id_different_content_is_a_row_error(self) -> None:
        result = build_conversations([post("1", ANA, 0), post("1", ANA, 0, text="edited")])
        assert len(result) == 1
        assert result[0].posts[0].text == "post 1"
        assert [(e.index, e.id) for e in result.errors] == [(1, "1")]
        assert "different content" in str(result.errors[0])
        with pytest.raises(InvalidInputError, match="different content"):
            build_conversations(
                [post("1", ANA, 0), post("1", ANA, 0, text="edited")], on_error="raise"
            )

    def test_reply_cycles_are_broken(self) -> None:
        result = build_conversations(
            [post("a", ANA, 0, "c"), post("b", BRAND_AGENT, 1, "a"), post("c", ANA, 2, "b")]
        )
        assert result.cycles_broken == 1
        assert [c.id for c in result] == ["a"]
        assert [p.id for p in result[0].posts] == ["a", "b", "c"]

    def test_bad_rows_reported_never_lost(self) -> None:
        rows: list[Any] = [
            {"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01T00:00Z"},
            {"id": "2", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01 00:00"},
            {"id": "3", "platform": "x", "author": {"id": ""}, "created_at": 0},
            "not a row",
            post("4", ANA, 0),
        ]
        result = build_conversations(rows)
        assert sorted(c.id for c in result) == ["1", "4"]
        assert [(e.index, e.id) for e in result.errors] == [(1, "2"), (2, "3"), (3, None)]
        assert isinstance(result.errors[0].error, TimezoneError)
        assert not result.ok
        with pytest.raises(TimezoneError):
            build_conversations(rows[:2], on_error="raise")

    def test_assume_tz_for_naive_rows(self) -> None:
        rows = [
            {"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01 09:00"}
        ]
        result = build_conversations(rows, assume_tz="Asia/Jakarta")
        assert result[0].first_customer_at == datetime(2024, 1, 1, 2, 0, tzinfo=UTC)

    def test_same_thread_id_on_two_platforms_is_split(self) -> None:
        result = build_conversations(
            [
                post("1", ANA, 0, conversation_id="T"),
                post("2", ANA, 1, conversation_id="T", platform="facebook"),
            ]
        )
        assert sorted(c.id for c in result) == ["facebook:T", "twitter:T"]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"posts": "abc"}, "iterable of Post"),
            ({"posts": [], "brand": [""]}, "brand entries"),
            ({"posts": [], "on_error": "ignore"}, "on_error"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidInputError, match=message):
            build_conversations(**kwargs)

    def test_empty_input(self) -> None:
        result = build_conversations([])
        assert len(result) == 0
        assert result.ok


@st.composite
def threads(draw: st.DrawFn) -> list[Post]:
    """Random forests of reply chains, with some broken parents, shuffled."""
    count = draw(st.integers(min_value=1, max_value=40))
    posts: list[Post] = []
    for index in range(count):
        parent = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count + 3)))
        reply_to = None if parent is None or parent == index else str(parent)
        author = draw(st.sampled_from([ANA, BEN, AGENT, BOT]))
        posts.append(post(str(index), author, draw(st.integers(0, 500)), reply_to))
    order = draw(st.permutations(range(count)))
    return [posts[i] for i in order]


@settings(max_examples=150, deadline=None)
@given(threads())
def test_every_post_lands_in_exactly_one_conversation(posts: list[Post]) -> None:
    result = build_conversations(posts, brand=["acmehelp"])
    placed = [p.id for c in result for p in c.posts]
    assert sorted(placed) == sorted(p.id for p in posts)
    for conv in result:
        times = [p.created_at for p in conv.posts]
        assert times == sorted(times)
        by_id = {p.id: p for p in posts}
        for p in conv.posts:
            parent = by_id.get(p.in_reply_to or "")
            if parent is not None and result.cycles_broken == 0:
                assert parent in conv.posts
    shuffled = list(posts)
    random.Random(0).shuffle(shuffled)
    again = build_conversations(shuffled, brand=["acmehelp"])
    assert {c.id: c.posts for c in again} == {c.id: c.posts for c in result}


# Hardening (issue #15) ------------------------------------------------------------------------


class TestPostIdsPerPlatform:
    def test_same_id_on_two_platforms_is_two_posts(self) -> None:
        result = build_conversations(
            [post("1", ANA, 0), post("1", BEN, 1, platform="facebook", text="other")]
        )
        assert result.ok
        assert result.duplicates_dropped == 0
        assert sorted((str(c.platform), c.id) for c in result) == [
            ("facebook", "facebook:1"),
            ("twitter", "twitter:1"),
        ]

    def test_replies_resolve_within_their_platform(self) -> None:
        result = build_conversations(
            [
                post("1", ANA, 0),
                post("1", BEN, 0, platform="facebook"),
                post("2", AGENT, 5, "1", platform="facebook"),
                post("3", AGENT, 7, "1"),
            ],
            brand=["a1"],
        )
        by_platform = {str(c.platform): c for c in result}
        assert [p.id for p in by_platform["facebook"].posts] == ["1", "2"]
        assert by_platform["facebook"].customer == BEN
        assert [p.id for p in by_platform["twitter"].posts] == ["1", "3"]
        assert by_platform["twitter"].customer == ANA
        assert result.missing_parents == 0

    def test_a_parent_on_another_platform_is_missing(self) -> None:
        result = build_conversations([post("1", ANA, 0), post("2", BEN, 1, "1", platform="fb")])
        assert result.missing_parents == 1
        assert len(result) == 2

    def test_conflicts_and_duplicates_are_per_platform(self) -> None:
        twitter = post("1", ANA, 0)
        result = build_conversations(
            [twitter, post("1", ANA, 0, platform="facebook"), twitter, post("1", ANA, 0, text="x")]
        )
        assert result.duplicates_dropped == 1
        assert [(e.index, e.id) for e in result.errors] == [(3, "1")]
        assert "on twitter" in str(result.errors[0])


class TestOneBrandString:
    def test_one_string_is_one_brand_not_its_letters(self) -> None:
        e = Author(id="e")
        acme = Author(id="AcmeHelp")
        result = build_conversations([post("1", e, 0), post("2", acme, 5, "1")], brand="AcmeHelp")
        (conv,) = result
        assert conv.customer == e
        assert conv.brand == frozenset({"AcmeHelp"})
        assert conv.first_response_at == at(5)
        assert build_conversations([post("1", e, 0)], brand="@acmehelp")[0].brand == frozenset(
            {"@acmehelp"}
        )

    def test_conversation_takes_one_string_too(self) -> None:
        conv = Conversation(id="c", posts=[post("1", ANA, 0), post("2", AGENT, 3)], brand="a1")
        assert conv.timeline.roles == ("customer", "agent")


class TestNotACollection:
    @pytest.mark.parametrize("posts", [None, 5, datetime(2024, 1, 1, tzinfo=UTC)])
    def test_posts_must_be_a_collection(self, posts: Any) -> None:
        with pytest.raises(InvalidInputError, match="iterable of Post objects or mappings"):
            build_conversations(posts)

    @pytest.mark.parametrize("brand", [5, b"acme", {"acme": 1}])
    def test_brand_must_be_text_or_a_collection(self, brand: Any) -> None:
        with pytest.raises(InvalidInputError, match="brand is an author id or handle"):
            build_conversations([], brand=brand)


class TestOutOfRangeRows:
    @pytest.mark.parametrize(
        "created_at",
        ["0001-01-01T00:00+05:00", "9999-12-31T23:00-05:00", 10**400],
        ids=["year-0", "year-10000", "huge-epoch"],
    )
    def test_each_is_a_row_error_and_the_batch_goes_on(self, created_at: Any) -> None:
        rows: list[Any] = [
            {"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": created_at},
            {"id": "2", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01T00:00Z"},
        ]
        result = build_conversations(rows)
        assert [c.id for c in result] == ["2"]
        assert [(e.index, e.id) for e in result.errors] == [(0, "1")]
        assert isinstance(result.errors[0].error, InvalidInputError)
        assert "1 to 9999" in str(result.errors[0])
        with pytest.raises(InvalidInputError, match="1 to 9999"):
            build_conversations(rows, on_error="raise")

    def test_naive_row_beyond_range_in_its_zone_is_a_timezone_error(self) -> None:
        rows = [{"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": "0001-01-01"}]
        result = build_conversations(rows, assume_tz="Asia/Tokyo")
        assert isinstance(result.errors[0].error, TimezoneError)


class TestResolutionBeforeTheCustomer:
    def test_a_resolution_before_the_first_customer_post_does_not_count(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("1", ANA, 0)],
            status_changes=[
                StatusChange(at=at(-60), status="resolved"),
                StatusChange(at=at(-30), status="reopened"),
            ],
        )
        assert conv.resolved_at is None
        assert conv.timeline.first_resolved_at is None
        assert not conv.reopened

    def test_later_resolutions_still_count(self) -> None:
        conv = Conversation(
            id="c",
            posts=[post("1", ANA, 0)],
            status_changes=[
                StatusChange(at=at(-60), status="resolved"),
                StatusChange(at=at(0), status="resolved"),
            ],
        )
        assert conv.resolved_at == at(0)
        assert conv.timeline.first_resolved_at == at(0)


@st.composite
def threads_on_two_platforms(draw: st.DrawFn) -> list[Post]:
    """Reply forests on two platforms that reuse the same ids, shuffled together."""
    out: list[Post] = []
    for platform in ("twitter", "facebook"):
        count = draw(st.integers(min_value=1, max_value=15))
        for index in range(count):
            parent = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count + 2)))
            reply_to = None if parent is None or parent == index else str(parent)
            author = draw(st.sampled_from([ANA, BEN, AGENT]))
            minute = draw(st.integers(0, 300))
            out.append(post(str(index), author, minute, reply_to, platform=platform))
    order = draw(st.permutations(range(len(out))))
    return [out[i] for i in order]


@settings(max_examples=100, deadline=None)
@given(threads_on_two_platforms())
def test_posts_are_keyed_by_platform_and_id(posts: list[Post]) -> None:
    result = build_conversations(posts, brand="acmehelp")
    assert result.ok
    assert result.duplicates_dropped == 0
    placed = [(str(p.platform), p.id) for c in result for p in c.posts]
    assert sorted(placed) == sorted((str(p.platform), p.id) for p in posts)
    home = {(str(p.platform), p.id): c.id for c in result for p in c.posts}
    for conv in result:
        assert len({p.platform for p in conv.posts}) == 1
    if result.cycles_broken == 0:
        for p in posts:
            parent = (str(p.platform), p.in_reply_to or "")
            if parent in home:
                assert home[parent] == home[(str(p.platform), p.id)]
