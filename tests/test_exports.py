"""Tests for reading exports: CSV and JSON Lines, column mappings, presets, bad rows."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from socialcare import InvalidInputError, Post, RowError, TimezoneError
from socialcare.exports import (
    MAX_CELL_CHARS,
    MAX_LINE_LENGTH,
    MAX_METADATA_DEPTH,
    PRESETS,
    ColumnMapping,
    MissingColumnsError,
    detect_format,
    iter_posts,
)

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


# Hardening (issues #11 and #15) -----------------------------------------------------------

HEADER = "id,platform,author.id,created_at,text\n"


def row(i: int, text: str = "hi") -> str:
    return f"{i},x,u,2024-01-01T10:00:00Z,{text}\n"


def test_row_error_index_is_the_position_and_line_the_file_line(tmp_path: Path) -> None:
    # JSON Lines: blank lines are not rows, so index and line part ways.
    good = json.dumps(
        {"id": "1", "platform": "x", "author": {"id": "u"}, "created_at": "2024-01-01T00:00:00Z"}
    )
    path = tmp_path / "posts.jsonl"
    path.write_text(f"{good}\n\n\n{{bad\n", encoding="utf-8")
    (_, first), (line, bad) = list(iter_posts(path))
    assert isinstance(first, Post)
    assert isinstance(bad, RowError)
    assert (line, bad.index, bad.line) == (4, 1, 4)
    assert str(bad).startswith("line 4: invalid JSON")
    # An iterable of records has positions, not lines.
    ((_, value),) = list(iter_posts([{"id": "1"}]))
    assert isinstance(value, RowError)
    assert (value.index, value.line) == (0, None)
    assert str(value).startswith("row 0 (id '1'): ")


def test_csv_record_over_two_lines_is_named_by_its_first_line() -> None:
    stream = io.StringIO(HEADER + row(1, '"two\nlines"') + row(2, "ok") + "3,x,u,never,hi\n")
    rows = list(iter_posts(stream, format="csv"))
    assert [line for line, _ in rows] == [2, 4, 5]
    assert isinstance(rows[0][1], Post)
    assert rows[0][1].text == "two\nlines"
    bad = rows[2][1]
    assert isinstance(bad, RowError)
    assert (bad.index, bad.line) == (2, 5)


def test_tsv_and_bare_carriage_returns_by_path(tmp_path: Path) -> None:
    tsv = tmp_path / "posts.tsv"
    tsv.write_text(HEADER.replace(",", "\t") + "1\tx\tu\t0\thi, there\n", encoding="utf-8")
    ((_, post),) = list(iter_posts(tsv))
    assert isinstance(post, Post)
    assert post.text == "hi, there"
    crlf = tmp_path / "posts.csv"
    crlf.write_bytes((HEADER + row(1, "one\rcell") + row(2)).replace("\n", "\r\n").encode())
    (_, first), (_, second) = list(iter_posts(crlf))
    assert isinstance(first, Post)
    assert isinstance(second, Post)
    assert first.text == "one\rcell"


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
def test_delimiter_detected_or_named(delimiter: str) -> None:
    text = (HEADER + row(1, "a,b")).replace(",", delimiter).replace("a" + delimiter, "a,")
    for named in (None, delimiter):
        ((_, post),) = list(iter_posts(io.StringIO(text), format="csv", delimiter=named))
        assert isinstance(post, Post)
        assert post.text == "a,b"


def test_header_is_checked_before_any_row() -> None:
    stream = io.StringIO(row(1) + row(2))  # no header line: the first post would be lost
    with pytest.raises(MissingColumnsError) as caught:
        list(iter_posts(stream, format="csv"))
    assert ("created_at", "created_at") in caught.value.missing
    assert caught.value.header[0] == "1"
    mapped = io.StringIO(HEADER + row(1))
    text_from_message = ColumnMapping(columns={"text": "message"})
    with pytest.raises(MissingColumnsError, match="'message' for text"):
        list(iter_posts(mapped, text_from_message, format="csv", require=["text"]))
    # A column the caller did not require may be absent (text is then empty).
    unrequired = list(iter_posts(io.StringIO(HEADER + row(1)), text_from_message, format="csv"))
    assert len(unrequired) == 1


def test_empty_csv_has_no_header() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        list(iter_posts(io.StringIO("\n\n"), format="csv"))


def test_huge_cell_and_unclosed_quote_are_bad_rows() -> None:
    text = HEADER + row(1, "a" * (MAX_CELL_CHARS + 1)) + row(2) + row(3, '"never closed') + row(4)
    rows = list(iter_posts(io.StringIO(text), format="csv"))
    assert [(line, type(v).__name__) for line, v in rows] == [
        (2, "RowError"),
        (3, "Post"),
        (4, "RowError"),
    ]
    assert "longer than 131,072" in str(rows[0][1])
    assert "never closed" in str(rows[2][1])


def test_line_limit_is_a_file_error() -> None:
    too_long = io.StringIO(HEADER + "x" * (MAX_LINE_LENGTH + 1))
    with pytest.raises(InvalidInputError, match="line 2 is longer than"):
        list(iter_posts(too_long, format="csv"))
    runaway = io.StringIO(HEADER + '1,x,u,0,"' + ("y" * 1000 + "\n") * 5000)  # never closed
    with pytest.raises(InvalidInputError, match="starts on line 2 runs on"):
        list(iter_posts(runaway, format="csv"))


def test_deep_json_is_a_bad_row() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    meta = '{"id": "2", "platform": "x", "author": {"id": "u"}, "created_at": 0, "metadata": '
    text = deep + "\n" + meta + '{"a": ' + "[" * 80 + "]" * 80 + "}}\n" + "9" * 5000 + "\n"
    rows = [value for _, value in iter_posts(io.StringIO(text), format="jsonl")]
    assert all(isinstance(value, RowError) for value in rows)
    assert [str(value) for value in rows] == [
        "line 1: invalid JSON: nested too deeply",
        f"line 2 (id '2'): metadata is nested more than {MAX_METADATA_DEPTH} levels deep",
        str(rows[2]),
    ]
    assert "invalid JSON" in str(rows[2])


def test_byte_order_mark_on_a_stream() -> None:
    ((_, post),) = list(iter_posts(io.StringIO("\ufeff" + HEADER + row(1)), format="csv"))
    assert isinstance(post, Post)


@pytest.mark.parametrize("header", ['"', '"id,text', 'id,"a"b'])
def test_unreadable_header_is_a_file_error(header: str) -> None:
    with pytest.raises(InvalidInputError, match="header line is not valid CSV"):
        list(iter_posts(io.StringIO(header + "\n1,2\n"), format="csv"))
