"""Tests for the pandas adapter: DataFrame in, DataFrame out, no row lost."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from socialcare import InvalidInputError, SLAPolicy
from socialcare.testing import ConversationFactory

pd = pytest.importorskip("pandas")

from socialcare.pandas import (  # noqa: E402
    DECISION_COLUMNS,
    conversations_frame,
    posts_from_frame,
    report_frame,
    sla_frame,
    triage_frame,
)


def test_triage_frame_keeps_index_and_every_row() -> None:
    frame = pd.DataFrame(
        # (the praise post is one the model is sure of: this tests the adapter, not the model)
        {"text": ["where is my parcel?", None, "thank you so much, love it!!", "  "]},
        index=["a", "b", "c", "d"],
    )
    decisions = triage_frame(frame)
    assert list(decisions.index) == ["a", "b", "c", "d"]
    assert list(decisions.columns) == list(DECISION_COLUMNS)
    assert decisions.loc["b", "error"]
    assert decisions.loc["b", "route"] == "agent"
    assert decisions.loc["c", "intent"] == "praise"
    assert decisions["confidence"].between(0, 1).all()


def test_triage_frame_uses_author_columns_for_rules() -> None:
    frame = pd.DataFrame(
        {
            "body": ["my order never arrived", "my order never arrived", "hello", "x", "hi", "ok"],
            "fans": [50, 2_000_000, float("nan"), 10, "12k", -3],
            "blue": [False, False, False, "maybe", False, False],
            "where": ["public", "public", "private", "sideways", "public", "public"],
        }
    )
    decisions = triage_frame(frame, text="body", followers="fans", verified="blue", channel="where")
    assert decisions.loc[1, "route"] == "specialist"
    assert decisions.loc[0, "route"] != "specialist" or decisions.loc[0, "sensitive"]
    # a missing cell keeps the field's default; an unreadable one is an error, to a person
    assert pd.isna(decisions.loc[2, "error"])
    assert "channel" in decisions.loc[3, "error"]
    assert "followers" in decisions.loc[4, "error"]  # "12k" does not sink the frame
    assert "followers" in decisions.loc[5, "error"]
    for bad in (3, 4, 5):
        assert decisions.loc[bad, "route"] == "agent"
        assert decisions.loc[bad, "uncertain"]


def test_triage_frame_brand_and_automated_rows_get_no_triage() -> None:
    frame = pd.DataFrame(
        {
            "text": ["my lawyer will sue you", "we are sorry, DM us", "your ticket is #55"],
            "brand": [False, True, False],
            "bot": [False, False, True],
            "lang": ["en", "en", None],
        }
    )
    decisions = triage_frame(frame, is_brand="brand", automated="bot", language="lang")
    assert decisions.loc[0, "route"] == "specialist"
    assert decisions.loc[0, "language"] == "en"
    for row in (1, 2):
        assert decisions.loc[row, "route"] == "none"
        assert pd.isna(decisions.loc[row, "priority"])
        assert pd.isna(decisions.loc[row, "sensitive"])


def test_triage_frame_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="no column 'message'"):
        triage_frame(pd.DataFrame({"text": ["a"]}), text="message")
    with pytest.raises(InvalidInputError, match="DataFrame"):
        triage_frame([{"text": "a"}])  # type: ignore[arg-type]


def test_posts_from_frame_reports_bad_rows() -> None:
    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "platform": ["x", "x"],
            "author.id": ["u1", None],
            "text": ["hi", "yo"],
            "created_at": ["2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"],
        }
    )
    posts, errors = posts_from_frame(frame)
    assert [p.id for p in posts] == ["1"]
    assert [(e.index, e.id) for e in errors] == [(1, "2")]


def test_conversations_sla_and_report_frames() -> None:
    factory = ConversationFactory()
    convs = [factory.answered(after_minutes=m, intent="query") for m in (5, 20)]
    convs.append(factory.unanswered(intent="complaint"))
    frame = conversations_frame(convs)
    assert len(frame) == 3
    assert frame["first_human_response_time"].dt.total_seconds().tolist()[:2] == [300, 1200]
    assert pd.isna(frame["first_human_response_time"].iloc[2])
    assert str(frame["first_customer_at"].dt.tz) == "UTC"

    policy = SLAPolicy.from_dict(
        {"window": "always", "targets": [{"metric": "first_response", "duration": "15m"}]}
    )
    now = datetime(2024, 3, 5, tzinfo=timezone.utc)
    states = sla_frame(convs, policy, now)
    assert states["state"].tolist() == ["met", "breached", "breached"]

    report = report_frame(convs, by=["intent"])
    assert set(report["intent"]) == {"query", "complaint"}
    with pytest.raises(InvalidInputError):
        conversations_frame(["not a conversation"])  # type: ignore[list-item]
