"""`socialcare report` streams: the same output as the object path, without a Post per row."""

from __future__ import annotations

import csv
import gc
import io
import json
import random
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from socialcare import Post, SLAPolicy, build_conversations, metrics
from socialcare._cli_report import PostColumns
from socialcare.cli import (
    DEFAULT_POLICY,
    _flat_rows,
    _render_table,
    _report_columns,
    _triager,
    main,
)
from socialcare.exports import PRESETS, iter_posts

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
CUSTOMER = (
    "where is my parcel? it was due yesterday",
    "my order never arrived and nobody answers, this is the worst service",
    "thanks so much, all sorted now!",
    "I was charged twice for the same order, please refund me",
    "WIN A FREE IPHONE click here",
    "¿dónde está mi pedido? llevo una semana esperando",
)
BRAND = ("Sorry! Could you DM us the order number?", "We've passed it to the team.", "Glad!")
HEADER = [
    "id",
    "platform",
    "author.id",
    "author.handle",
    "author.is_bot",
    "created_at",
    "text",
    "in_reply_to",
    "conversation_id",
    "channel",
]
POLICY = {
    "window": {"timezone": "Europe/London", "hours": {"mon-fri": "08:00-18:00"}},
    "at_risk": 0.6,
    "targets": [
        {"metric": "first_response", "duration": "30m", "when": {"priority": ["urgent", "high"]}},
        {"metric": "first_response", "duration": "2h", "when": {"channel": "private"}},
        {"metric": "first_response", "duration": "4h", "count_automated": True},
        {"metric": "next_response", "duration": "1h", "when": {"sentiment": "negative"}},
        {"metric": "next_response", "duration": "3h", "window": "calendar"},
        {"metric": "resolution", "duration": "1d", "when": {"intent": "complaint"}},
        {"metric": "resolution", "duration": "3d", "when": {"route": ["agent", "specialist"]}},
    ],
}


def export(
    path: Path, n: int, seed: int, platforms: tuple[str, ...] = ("twitter", "facebook")
) -> Path:
    """A CSV export: threads of customers, agents (by handle) and a bot, in random order,
    with unreadable rows, exact repeats and one conflicting repeat."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    while len(rows) < n:
        t = START + timedelta(seconds=rng.randrange(86400 * 10))
        customer = f"u{rng.randrange(300)}"
        parent = "404" if rng.random() < 0.05 else ""
        thread = f"t{len(rows)}" if rng.random() < 0.1 else ""
        platform = rng.choice(platforms)
        channel = rng.choice(("public", "private"))
        for k in range(rng.choice((1, 2, 3, 4, 6))):
            post_id = str(10**12 + len(rows))
            if k % 2 == 0:
                author, handle, bot, text = customer, f"h_{customer}", "false", rng.choice(CUSTOMER)
            elif rng.random() < 0.2:
                author, handle, bot, text = "bot", "AcmeBot", "true", "An agent will reply soon."
            else:
                author, handle, bot = f"agent{rng.randrange(3)}", "AcmeHelp", "false"
                text = rng.choice(BRAND)
            rows.append(
                dict(
                    zip(
                        HEADER,
                        [
                            post_id,
                            platform,
                            author,
                            handle,
                            bot,
                            t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            text,
                            parent,
                            thread,
                            channel,
                        ],
                        strict=True,
                    )
                )
            )
            parent = post_id
            t += timedelta(seconds=int(rng.expovariate(1 / 2400)))
    rows += [dict(rows[3]), dict(rows[7]), {**rows[11], "text": "changed"}]
    rows.append({**rows[5], "id": "bad", "created_at": "yesterday"})
    rng.shuffle(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def object_path(
    path: Path, brand: list[str] | None, policy: dict[str, Any], by: list[str], **kw: Any
) -> tuple[metrics.Report, str]:
    """What `report` computed before it streamed: Post objects, build_conversations,
    triage_conversations, metrics.report with the policy; and its summary line."""
    from socialcare import triage_conversations

    posts = [
        value for _, value in iter_posts(path, PRESETS["socialcare"]) if isinstance(value, Post)
    ]
    built = build_conversations(posts, brand=brand)
    labelled = triage_conversations(built.conversations, _triager())
    now = kw.pop("now", None) or max(p.created_at for p in posts) + timedelta(seconds=1)
    rep = metrics.report(
        labelled, by=by, policy=SLAPolicy.from_dict(policy), now=now, period="week", **kw
    )
    summary = (
        f"{len(posts):,} post(s), {len(built):,} conversation(s), "
        f"{built.duplicates_dropped:,} duplicate(s) dropped, "
        f"{built.missing_parents:,} reply(ies) without their parent\n"
    )
    return rep, summary


@pytest.mark.parametrize("seed", [1, 2])
def test_streaming_report_table_equals_the_object_path(tmp_path: Path, seed: int) -> None:
    path = export(tmp_path / "posts.csv", 600, seed)
    status, out, err = run("report", str(path), "--brand", "AcmeHelp", "--brand", "AcmeBot")
    expected, summary = object_path(
        path, ["AcmeHelp", "AcmeBot"], DEFAULT_POLICY, ["platform"], tz="UTC"
    )
    assert status == 1  # the unreadable row and the conflicting repeat
    assert out == _render_table(expected)
    assert summary in err
    assert "2 bad row(s), left out of the figures" in err


def test_streaming_report_file_equals_the_object_path_with_a_business_hours_policy(
    tmp_path: Path,
) -> None:
    path = export(tmp_path / "posts.csv", 800, 3)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    output = tmp_path / "report.jsonl"
    by = ["platform", "intent", "route", "agent", "period"]
    status, _, _ = run(
        "report",
        str(path),
        "--brand",
        "AcmeHelp",
        "--brand",
        "AcmeBot",
        "--by",
        ",".join(by),
        "--policy",
        str(policy),
        "--tz",
        "Europe/Paris",
        "--now",
        "2024-01-06T12:00:00Z",
        "-o",
        str(output),
    )
    expected, _ = object_path(
        path,
        ["AcmeHelp", "AcmeBot"],
        POLICY,
        by,
        tz="Europe/Paris",
        now=datetime(2024, 1, 6, 12, tzinfo=timezone.utc),
    )
    assert status == 1
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert written == json.loads(json.dumps(list(_flat_rows(expected)), default=str))
    assert list(written[0]) == _report_columns(expected)[: len(written[0])]


def test_streaming_report_on_the_demo_week_equals_the_object_path(tmp_path: Path) -> None:
    source = resources.files("socialcare") / "_data" / "demo_posts.jsonl"
    path = tmp_path / "demo.jsonl"
    path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    output = tmp_path / "report.csv"
    status, _, err = run("report", str(path), "--by", "platform,intent", "-o", str(output))
    expected, summary = object_path(path, None, DEFAULT_POLICY, ["platform", "intent"], tz="UTC")
    assert status == 0
    assert err == summary
    got = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    want = [
        {k: "" if v is None else str(v) for k, v in row.items()} for row in _flat_rows(expected)
    ]
    assert got == want


def test_report_holds_no_post_objects_and_runs_no_clock_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = export(tmp_path / "posts.csv", 400, 4, platforms=("streamtest",))
    alive: list[int] = []
    real = PostColumns.thread_posts

    def counting(self: PostColumns) -> Any:
        gc.collect()
        alive.append(
            sum(isinstance(o, Post) and o.platform == "streamtest" for o in gc.get_objects())
        )
        return real(self)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an SLA clock ran per conversation")

    monkeypatch.setattr(PostColumns, "thread_posts", counting)
    monkeypatch.setattr(SLAPolicy, "evaluate", refuse)
    monkeypatch.setattr(SLAPolicy, "evaluate_many", refuse)
    status, out, _ = run("report", str(path), "--brand", "AcmeHelp")
    assert status == 1
    assert "convs" in out
    assert len(alive) == 1
    assert alive[0] <= 1  # 400 rows read; at most the last one read is still referenced
