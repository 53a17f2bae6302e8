"""`socialcare triage --replies`: the suggested reply or acknowledgement on each row (#13)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from socialcare.cli import main

BOOK = {
    "default_language": "en",
    "replies": {
        "query": {"en": "Hi {customer}, our help centre has the answer."},
        "complaint": {"en": "Sorry {customer}, we are on it."},
        "acknowledgement": {"en": "Thanks {customer}, we will reply {eta}."},
        "acknowledgement/specialist": {"en": "A specialist will reply {eta}."},
    },
}

POSTS = [
    {
        "id": "1",
        "platform": "twitter",
        "author": {"id": "u1", "handle": "ana"},
        "created_at": "2026-12-01T10:00:00+00:00",
        "text": "how do I reset my password?",
    },
    {
        "id": "2",
        "platform": "twitter",
        "author": {"id": "u2"},
        "created_at": "2026-12-01T10:05:00+00:00",
        "text": "I have been waiting three weeks for my refund, this is unacceptable",
    },
    {
        "id": "3",
        "platform": "twitter",
        "author": {"id": "acme"},
        "created_at": "2026-12-01T10:06:00+00:00",
        "text": "We are here to help!",
    },
]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS), encoding="utf-8")
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "book.json"
    path.write_text(json.dumps(BOOK), encoding="utf-8")
    return path


def _rows(output: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))


def test_replies_add_a_reply_or_an_acknowledgement(posts: Path, book: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    status, _, err = run(
        "triage", str(posts), "--replies", str(book), "--brand", "acme", "-o", str(output)
    )
    assert status == 0, err
    rows = _rows(output)
    assert len(rows) == 3
    for row in rows[:2]:
        if row["route"] == "auto":
            assert row["reply_kind"] == "reply"
            assert row["reply"].startswith(("Hi", "Sorry"))
        elif row["route"] in {"agent", "specialist"}:
            assert row["reply_kind"] == "acknowledgement"
            # the default policy: 15 minutes, 24/7
            assert row["reply"].endswith("in 15 minutes.")
    assert {r["reply_kind"] for r in rows[:2]} <= {"reply", "acknowledgement"}
    assert any(r["reply"] for r in rows[:2])
    assert rows[2]["route"] == "none"
    assert rows[2]["reply"] == ""
    assert rows[2]["reply_kind"] == ""


def test_without_replies_the_columns_stay_as_they_were(posts: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.csv"
    run("triage", str(posts), "-o", str(output))
    assert "reply" not in _rows(output)[0]


def test_a_bad_book_is_a_clear_error_and_no_output(posts: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"default_language": "en", "replies": {"query": {"en": "{oops}"}}}))
    output = tmp_path / "out.csv"
    status, _, err = run("triage", str(posts), "--replies", str(bad), "-o", str(output))
    assert status != 0
    assert "unknown placeholder {oops}" in err
    assert not output.exists()
    missing = tmp_path / "missing.json"
    status, _, err = run("triage", str(posts), "--replies", str(missing), "-o", str(output))
    assert status != 0
    assert "cannot read the reply book" in err


def test_one_posts_missing_target_does_not_stop_the_others(
    posts: Path, book: Path, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "targets": [
                    {
                        "metric": "first_response",
                        "duration": "15m",
                        "when": {"platform": "facebook"},
                    }
                ]
            }
        )
    )
    output = tmp_path / "out.csv"
    status, _, err = run(
        "triage",
        str(posts),
        "--replies",
        str(book),
        "--policy",
        str(policy),
        "--brand",
        "acme",
        "-o",
        str(output),
    )
    assert status == 0, err
    rows = _rows(output)
    assert len(rows) == 3
    waiting = [r for r in rows if r["route"] in {"agent", "specialist"}]
    assert waiting
    assert all(r["error"].startswith("no reply: ") for r in waiting)
    assert all(r["reply"] == "" for r in waiting)


def test_policy_without_replies_warns(posts: Path, tmp_path: Path) -> None:
    _, _, err = run("triage", str(posts), "--policy", "p.json", "-o", str(tmp_path / "o.csv"))
    assert "--policy is used only with --replies" in err


def test_detect_language_fills_the_language_column(tmp_path: Path) -> None:
    pytest.importorskip("pycld2")
    path = tmp_path / "posts.jsonl"
    rows = [
        {
            "id": "1",
            "platform": "twitter",
            "author": {"id": "u1"},
            "created_at": "2026-12-01T10:00:00+00:00",
            "text": "Hola, mi pedido no ha llegado todavía y nadie me responde",
        },
        {
            "id": "2",
            "platform": "twitter",
            "author": {"id": "u2"},
            "created_at": "2026-12-01T10:00:00+00:00",
            "text": "ok",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    output = tmp_path / "out.csv"
    status, _, err = run("triage", str(path), "--detect-language", "-o", str(output))
    assert status == 0, err
    assert [r["language"] for r in _rows(output)] == ["es", ""]
