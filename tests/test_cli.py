"""Tests for the socialcare command line: demo, triage and report, bad files included."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from socialcare.cli import main

TWCS = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@sprintcare my phone is not working,2,\n"
    "2,sprintcare,False,Tue Oct 31 22:15:00 +0000 2017,@115712 please DM us,,1\n"
    "3,115713,True,Tue Oct 31 23:00:00 +0000 2017,@sprintcare love the new plan!,,\n"
    "4,115714,True,yesterday-ish,@sprintcare hello?,,\n"
)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def twcs(tmp_path: Path) -> Path:
    path = tmp_path / "twcs.csv"
    path.write_text(TWCS, encoding="utf-8")
    return path


def test_demo_runs_everything() -> None:
    status, out, _ = run("demo")
    assert status == 0
    assert "conversations" in out
    assert "routes:" in out
    assert "first response" in out
    assert "SLA first_response" in out
    assert "By platform" in out


def test_triage_writes_one_row_per_input_row(twcs: Path, tmp_path: Path) -> None:
    output = tmp_path / "decisions.csv"
    status, _, err = run("triage", str(twcs), "--preset", "twcs", "-o", str(output))
    assert status == 1  # one bad row
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert [row["line"] for row in rows] == ["2", "3", "4", "5"]
    assert rows[0]["route"] in {"auto", "agent", "specialist", "none"}
    assert rows[0]["intent"]
    assert rows[3]["error"]
    assert not rows[3]["route"]
    assert "line 5" in err
    assert "1 bad row" in err


def test_triage_jsonl_to_stdout(twcs: Path) -> None:
    status, out, _ = run(
        "triage", str(twcs), "--preset", "twcs", "--output-format", "jsonl", "--chunk-size", "2"
    )
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 4
    assert {r["line"] for r in records} == {2, 3, 4, 5}


def test_report_table_and_file(twcs: Path, tmp_path: Path) -> None:
    status, out, err = run("report", str(twcs), "--preset", "twcs", "--by", "platform")
    assert status == 1
    assert "twitter" in out
    assert "FRT median" in out
    assert "2 conversation(s)" in err
    output = tmp_path / "report.jsonl"
    status, _, _ = run("report", str(twcs), "--preset", "twcs", "-o", str(output))
    assert status == 1
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert rows
    assert "conversations" in rows[0]


def test_report_with_policy_file(twcs: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {"window": "always", "targets": [{"metric": "first_response", "duration": "1m"}]}
        ),
        encoding="utf-8",
    )
    status, out, _ = run("report", str(twcs), "--preset", "twcs", "--policy", str(policy))
    assert status == 1
    assert "0%" in out  # the 4-minute reply breached a 1-minute target
    bad = tmp_path / "bad.json"
    bad.write_text('{"targets": []}', encoding="utf-8")
    status, _, err = run("report", str(twcs), "--preset", "twcs", "--policy", str(bad))
    assert status == 2
    assert "error" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["triage", "missing.csv"], "no such file"),
        (["triage", "{file}", "--map", "oops"], "FIELD=VALUE"),
        (["triage", "{file}", "--map", "colour=c"], "unknown post field"),
        (["triage", "{file}", "-o", "out.xlsx"], "output format"),
        (["report", "{file}", "--preset", "twcs", "--now", "soon"], "--now"),
    ],
)
def test_bad_arguments_exit_2(
    twcs: Path, tmp_path: Path, argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, err = run(*(a.replace("{file}", str(twcs)) for a in argv))
    assert status == 2
    assert message in err


def test_not_a_known_format(tmp_path: Path) -> None:
    path = tmp_path / "posts.txt"
    path.write_text("hello", encoding="utf-8")
    status, _, err = run("triage", str(path))
    assert status == 2
    assert "format" in err


def test_clean_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "1",
                "platform": "x",
                "author": {"id": "u"},
                "text": "where is my order?",
                "created_at": "2024-01-01T10:00:00Z",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    status, out, err = run("triage", str(path), "--progress")
    assert status == 0
    assert "1 posts" in err or "triaged 1" in err
    assert out.count("\n") == 2  # header + one row
