"""Tests for reading exports: CSV and JSON Lines, column mappings, presets, bad rows."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from socialcare import InvalidInputError, Post, RowError, TimezoneError
from socialcare.exports import PRESETS, ColumnMapping, detect_format, iter_posts

TWCS = """tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id
119237,105834,True,Wed Oct 11 06:55:44 +0000 2017,@AppleSupport my phone died,119236,
119236,AppleSupport,False,Wed Oct 11 07:01:12 +0000 2017,@105834 we can help,,119237.0
119238,105835,True,not a date,hello,,
"""


def test_twcs_preset(tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS, encoding="utf-8")
    rows = list(iter_posts(path, "twcs"))
    assert [line for line, _ in rows] == [2, 3, 4]
    customer, brand, bad = (value for _, value in rows)
    assert isinstance(customer, Post)
    assert isinstance(brand, Post)
    assert customer.author.is_brand is False
    assert brand.author.is_brand is True
    assert brand.in_reply_to == "119237"
    assert brand.platform == "twitter"
    assert isinstance(bad, RowError)
    assert (bad.index, bad.line) == (2, 4)  # third data row, fourth line of the file
    assert bad.id == "119238"
    assert "created_at" in str(bad.error)


def test_jsonl_nested_round_trip(tmp_path: Path) -> None:
    post = Post(
        id="1",
        platform="whatsapp",
        author={"id": "a", "followers": 3},
        created_at="2024-01-01T00:00:00Z",
        text="oi",
        metadata={"k": 1},
    )
    path = tmp_path / "posts.jsonl"
    path.write_text(post.model_dump_json() + "\n\n{bad json\n[1, 2]\n", encoding="utf-8")
    rows = list(iter_posts(path))
    assert rows[0] == (1, post)
    assert [(line, type(value).__name__) for line, value in rows[1:]] == [
        (3, "RowError"),
        (4, "RowError"),
    ]
    assert "invalid JSON" in str(rows[1][1])


def test_flat_columns_with_mapping_and_defaults() -> None:
    mapping = ColumnMapping(
        columns={"id": "msg", "author.id": "from", "text": "body", "created_at": "ts"},
        defaults={"platform": "facebook"},
        assume_tz="Europe/Paris",
    )
    stream = io.StringIO("msg,from,body,ts,author.verified\n7,u,hi,2024-07-01 12:00,yes\n")
    ((line, post),) = list(iter_posts(stream, mapping, format="csv"))
    assert line == 2
    assert isinstance(post, Post)
    assert post.author.verified
    assert post.created_at.hour == 10
    assert post.platform == "facebook"


def test_naive_timestamps_without_zone_are_row_errors() -> None:
    stream = io.StringIO(
        json.dumps(
            {"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01 10:00"}
        )
        + "\n"
    )
    ((_, value),) = list(iter_posts(stream, format="jsonl"))
    assert isinstance(value, RowError)
    assert isinstance(value.error, TimezoneError)


def test_records_iterable_and_bad_boolean() -> None:
    rows = list(
        iter_posts(
            [
                {
                    "id": "1",
                    "platform": "x",
                    "author.id": "u",
                    "created_at": 0,
                    "automated": "maybe",
                },
                "oops",  # type: ignore[list-item]
            ]
        )
    )
    assert all(isinstance(value, RowError) for _, value in rows)
    assert "true or false" in str(rows[0][1])


def test_csv_row_with_extra_cells() -> None:
    stream = io.StringIO("id,platform,author.id,created_at\n1,x,u,0,b\n")
    ((_, value),) = list(iter_posts(stream, format="csv"))
    assert isinstance(value, RowError)
    assert "more cells" in str(value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ColumnMapping(columns={"colour": "c"}), "unknown post field"),
        (lambda: ColumnMapping(negate=frozenset({"text"})), "boolean"),
        (lambda: detect_format("posts.xlsx"), "cannot tell the format"),
        (lambda: list(iter_posts("missing.csv")), "cannot open"),
        (lambda: list(iter_posts(io.StringIO(""))), "name the format"),
        (lambda: list(iter_posts([], "nope")), "unknown export preset"),
    ],
)
def test_clear_errors(call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call()  # type: ignore[operator]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,platform,author.id,created_at\n1,x,caf\xe9,0\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="line 2 is not UTF-8"):
        list(iter_posts(path))


def test_presets_are_listed() -> None:
    assert set(PRESETS) >= {"socialcare", "twcs"}
