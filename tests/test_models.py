"""Tests for the post models: validation, immutability, JSON round trips and schemas."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import pydantic
import pytest

from socialcare import (
    Author,
    Channel,
    InvalidInputError,
    Platform,
    Post,
    Survey,
    TimezoneError,
)

UTC = timezone.utc


def make_post(**changes: Any) -> Post:
    data: dict[str, Any] = {
        "id": "1",
        "platform": "twitter",
        "author": {"id": "9", "handle": "ana"},
        "text": "hello @acme",
        "created_at": "2024-05-01T09:30:00Z",
    }
    data.update(changes)
    return Post.parse(data)


class TestPlatform:
    def test_known_platforms_and_aliases(self) -> None:
        assert Platform("X") is not None
        assert Platform("x") == Platform.TWITTER == "twitter"
        assert Platform("twitter/x") == Platform.TWITTER
        assert Platform(" Instagram ") == Platform.INSTAGRAM
        assert Platform("webchat") == Platform.WEB_CHAT
        assert len(Platform.known()) == 11
        assert all(p.is_known for p in Platform.known())
        assert {"whatsapp", "tiktok", "linkedin", "youtube", "wechat", "email"} <= set(
            Platform.known()
        )

    def test_unlisted_platform_works_without_code_change(self) -> None:
        mastodon = Platform("Mastodon")
        assert mastodon == "mastodon"
        assert not mastodon.is_known
        post = make_post(platform="mastodon")
        assert post.platform == mastodon

    @pytest.mark.parametrize("bad", ["", "  ", "9gag!", "two words", "a" * 60, 3])
    def test_bad_names(self, bad: object) -> None:
        with pytest.raises(ValueError, match="platform"):
            Platform(bad)  # type: ignore[arg-type]

    def test_bad_platform_in_post_names_the_field(self) -> None:
        with pytest.raises(InvalidInputError) as info:
            make_post(platform="no such!")
        assert info.value.issues[0].location == ("platform",)


class TestAuthor:
    def test_defaults_and_handle(self) -> None:
        author = Author(id="1", handle="@Ana_B")
        assert author.handle == "Ana_B"
        assert author.followers == 0
        assert author.is_brand is None
        assert not author.is_bot
        assert not author.verified

    def test_numeric_id_becomes_text(self) -> None:
        assert Author.parse({"id": 12345}).id == "12345"

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"id": ""}, "id"),
            ({"id": "1", "followers": -5}, "followers"),
            ({"id": "1", "handle": "@"}, "handle"),
            ({"id": "1", "nickname": "x"}, "nickname"),
        ],
    )
    def test_bad_fields_are_named(self, data: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidInputError) as info:
            Author.parse(data)
        assert info.value.issues[0].field == field
        assert field in str(info.value)

    def test_frozen(self) -> None:
        author = Author(id="1")
        with pytest.raises(pydantic.ValidationError):
            author.followers = 5  # type: ignore[misc]


class TestPost:
    def test_normalises_created_at_to_utc(self) -> None:
        post = make_post(created_at="2024-05-01T11:30:00+02:00")
        assert post.created_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
        assert post.created_at.tzinfo is UTC

    @pytest.mark.parametrize(
        "created_at",
        ["Wed May 01 09:30:00 +0000 2024", 1714555800, 1714555800000, "1714555800"],
    )
    def test_export_timestamp_shapes(self, created_at: object) -> None:
        assert make_post(created_at=created_at).created_at == datetime(
            2024, 5, 1, 9, 30, tzinfo=UTC
        )

    def test_naive_created_at_is_a_timezone_error_with_the_fix(self) -> None:
        with pytest.raises(TimezoneError, match="assume_tz") as info:
            make_post(created_at="2024-05-01 09:30:00")
        assert info.value.issues[0].location == ("created_at",)
        with pytest.raises(TimezoneError):
            Post(
                id="1",
                platform="x",
                author=Author(id="1"),
                created_at=datetime(2024, 5, 1),  # naive
            )

    def test_naive_created_at_with_named_zone(self) -> None:
        post = Post.parse(
            {
                "id": "1",
                "platform": "x",
                "author": {"id": "1"},
                "created_at": "2024-05-01 16:30:00",
            },
            assume_tz="Asia/Jakarta",
        )
        assert post.created_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
        via_context = Post.model_validate(
            {
                "id": "1",
                "platform": "x",
                "author": {"id": "1"},
                "created_at": "2024-05-01 16:30:00",
            },
            context={"assume_tz": "Asia/Jakarta"},
        )
        assert via_context == post

    def test_defaults_and_flags(self) -> None:
        post = make_post()
        assert post.channel is Channel.PUBLIC
        assert post.in_reply_to is None
        assert post.metadata == {}
        assert not post.is_automated
        assert make_post(automated=True).is_automated
        assert make_post(author={"id": "b", "is_bot": True}).is_automated
        assert make_post(channel="private").channel is Channel.PRIVATE

    def test_empty_cells_mean_missing(self) -> None:
        post = make_post(in_reply_to="", conversation_id=" ", text=None)
        assert post.in_reply_to is None
        assert post.conversation_id is None
        assert post.text == ""

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"id": ""}, "id"),
            ({"channel": "semi-public"}, "channel"),
            ({"created_at": "soon"}, "created_at"),
            ({"created_at": None}, "created_at"),
            ({"author": {"id": "1", "followers": "many"}}, "author.followers"),
            ({"in_reply_to": "1"}, ""),
            ({"colour": "blue"}, "colour"),
        ],
    )
    def test_bad_fields_are_named(self, changes: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidInputError) as info:
            make_post(**changes)
        assert info.value.issues[0].field == field

    @pytest.mark.parametrize(
        ("metadata", "where"),
        [
            ({"tags": {"a", "b"}}, "metadata['tags'] holds a set"),
            ({"raw": object()}, "metadata['raw'] holds a object"),
            ({"when": datetime(2024, 1, 1, tzinfo=UTC)}, "holds a datetime"),
            ({"deep": [1, {"x": b"bytes"}]}, "metadata['deep'][1]['x'] holds a bytes"),
        ],
    )
    def test_metadata_refuses_what_json_cannot_hold(
        self, metadata: dict[str, Any], where: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=re.escape(where)) as info:
            make_post(metadata=metadata)
        assert info.value.issues[0].field == "metadata"
        assert "JSON values only" in str(info.value)

    def test_metadata_refuses_non_text_keys_and_self_reference(self) -> None:
        with pytest.raises(InvalidInputError, match="metadata"):
            make_post(metadata={1: "one"})
        loop: dict[str, Any] = {}
        loop["self"] = loop
        with pytest.raises(InvalidInputError, match="nested more than"):
            make_post(metadata=loop)

    def test_json_metadata_always_serialises(self) -> None:
        metadata = {"likes": 3, "ratio": 0.5, "tags": ["x"], "nested": {"ok": True, "n": None}}
        post = make_post(metadata=metadata)
        assert json.loads(post.model_dump_json())["metadata"] == metadata
        assert Post.parse(post.model_dump_json()) == post

    def test_json_text_input(self) -> None:
        post = make_post()
        assert Post.parse(post.model_dump_json()) == post
        with pytest.raises(InvalidInputError):
            Post.parse("{not json")


class TestSurvey:
    @pytest.mark.parametrize("score", [1, 3, 5, 4.0])
    def test_csat_range(self, score: float) -> None:
        assert Survey(kind="csat", score=score).score == int(score)

    @pytest.mark.parametrize("score", [0, 10])
    def test_nps_range(self, score: int) -> None:
        assert Survey(kind="nps", score=score).score == score

    @pytest.mark.parametrize(
        ("kind", "score", "message"),
        [
            ("csat", 6, "between 1 and 5"),
            ("csat", 0, "between 1 and 5"),
            ("nps", 11, "between 0 and 10"),
            ("nps", -1, "between 0 and 10"),
            ("nps", float("nan"), "NaN"),
            ("csat", 4.5, "whole number"),
            ("csat", True, "boolean"),
            ("ces", 3, "kind"),
        ],
    )
    def test_out_of_range_scores(self, kind: str, score: object, message: str) -> None:
        with pytest.raises(InvalidInputError, match=message):
            Survey.parse({"kind": kind, "score": score})

    def test_groups(self) -> None:
        assert [Survey(kind="csat", score=s).is_satisfied for s in (3, 4)] == [False, True]
        assert [Survey(kind="nps", score=s).nps_group for s in (6, 7, 8, 9)] == [
            "detractor",
            "passive",
            "passive",
            "promoter",
        ]
        assert Survey(kind="nps", score=9).is_satisfied is None
        assert Survey(kind="csat", score=5).nps_group is None

    def test_naive_submitted_at(self) -> None:
        with pytest.raises(TimezoneError):
            Survey.parse({"kind": "csat", "score": 4, "submitted_at": "2024-01-01 10:00"})


MODELS: list[pydantic.BaseModel] = [
    Author(id="1", handle="a", display_name="Ana", followers=10, verified=True, is_brand=False),
    make_post(
        metadata={"likes": 3, "tags": ["x", "y"]},
        language="pt-BR",
        automated=True,
        conversation_id="c1",
        in_reply_to="0",
        channel="private",
    ),
    Survey(kind="nps", score=7, submitted_at="2024-01-01T00:00:00Z", comment="ok"),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_json_round_trip_and_schema(model: pydantic.BaseModel) -> None:
    cls = type(model)
    text = model.model_dump_json()
    assert cls.model_validate_json(text) == model
    assert cls.model_validate(json.loads(text)) == model
    schema = cls.model_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    json.dumps(schema)


def test_platform_schema_is_a_string() -> None:
    schema = Post.model_json_schema()
    assert schema["properties"]["platform"]["type"] == "string"
    assert "twitter" in schema["properties"]["platform"]["examples"]
