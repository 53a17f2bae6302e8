"""`socialcare report --idle`: idle conversations closed while reading, the same report."""

from __future__ import annotations

import csv
import heapq
import io
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import socialcare._cli_idle as cli_idle
from socialcare import metrics
from socialcare._cli_idle import IdleReport, _HashSet
from socialcare._cli_report import PostColumns
from socialcare.cli import _triager, main
from socialcare.exports import PRESETS, iter_posts
from test_cli_streaming import BRAND, CUSTOMER, HEADER

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
BUSINESS_HOURS = {
    "window": {"timezone": "Europe/London", "hours": {"mon-fri": "08:00-18:00"}},
    "at_risk": 0.6,
    "targets": [
        {"metric": "first_response", "duration": "30m", "when": {"priority": ["urgent", "high"]}},
        {"metric": "first_response", "duration": "4h", "count_automated": True},
        {"metric": "next_response", "duration": "1h", "when": {"sentiment": "negative"}},
        {"metric": "resolution", "duration": "1d", "when": {"intent": "complaint"}},
        {"metric": "resolution", "duration": "3d", "when": {"route": ["agent", "specialist"]}},
    ],
}
BRAND_ARGS = ("--brand", "AcmeHelp", "--brand", "AcmeBot")


def in_time_order(n: int, seed: int, *, gap: float = 1800, days: int = 20) -> list[dict[str, str]]:
    """Threads (customer, agents by handle, a bot) starting over ``days`` days, their posts in
    time order; replies follow within about ``gap`` seconds, a tenth carry a thread id and a
    few reply to a post that is not in the file."""
    rng = random.Random(seed)
    mean = 86400 * days / max(1.0, n / 3)
    start = START
    pending: list[tuple[datetime, int, dict[str, str]]] = []
    made = 0
    rows: list[dict[str, str]] = []
    while made < n:
        start += timedelta(seconds=rng.expovariate(1 / mean))
        while pending and pending[0][0] <= start:
            rows.append(heapq.heappop(pending)[2])
        t = start.replace(microsecond=0)
        customer = f"u{rng.randrange(200)}"
        platform = rng.choice(("twitter", "facebook"))
        channel = rng.choice(("public", "private"))
        parent = "404" if rng.random() < 0.03 else ""
        thread = f"t{made}" if rng.random() < 0.1 else ""
        for k in range(rng.choice((1, 2, 3, 4, 6))):
            post_id = str(10**12 + made)
            if k % 2 == 0:
                author, handle, bot, text = customer, f"h_{customer}", "false", rng.choice(CUSTOMER)
            elif rng.random() < 0.2:
                author, handle, bot, text = "bot", "AcmeBot", "true", "An agent will reply soon."
            else:
                author, handle, bot = f"agent{rng.randrange(3)}", "AcmeHelp", "false"
                text = rng.choice(BRAND)
            values = [post_id, platform, author, handle, bot, t.strftime("%Y-%m-%dT%H:%M:%SZ")]
            row = dict(zip(HEADER, [*values, text, parent, thread, channel], strict=True))
            heapq.heappush(pending, (t, made, row))
            made += 1
            parent = post_id
            t += timedelta(seconds=min(int(rng.expovariate(1 / gap)), int(4 * gap)))
    rows += [item[2] for item in sorted(pending)]
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def feed(
    path: Path, policy: Any, idle: timedelta, min_rows: int, **settings: Any
) -> tuple[IdleReport, list[int]]:
    """An `IdleReport` fed the posts of ``path``; the posts held after each one."""
    posts = PostColumns(["AcmeHelp", "AcmeBot"], track_rows=True)
    report = IdleReport(
        posts,
        idle=idle,
        policy=policy,
        now=None,
        triager=_triager,
        accumulator=metrics.Accumulator(**settings),
        min_rows=min_rows,
    )
    held = []
    for index, (line, item) in enumerate(iter_posts(path, PRESETS["socialcare"])):
        posts.add(item, index, line)  # type: ignore[arg-type]
        report.added()
        held.append(len(posts))
    return report, held


def same_report(tmp_path: Path, rows: list[dict[str, str]]) -> tuple[int, str, str]:
    """Write ``rows``; check ``report --idle 1d`` says exactly what ``report`` says."""
    path = write(tmp_path / "posts.csv", rows)
    exact = run("report", str(path), *BRAND_ARGS)
    assert run("report", str(path), *BRAND_ARGS, "--idle", "1d") == exact
    return exact


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Close every 40 posts read (instead of 25,000), so small files close many times."""
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 40)


def test_idle_report_equals_the_exact_report_with_repeats_after_their_post_closed(
    tmp_path: Path, often: None
) -> None:
    rows = in_time_order(1500, 1)
    # Repeats long after their post's conversation closed: one exact, one with new content;
    # and an unreadable row.
    rows += [dict(rows[10]), {**rows[20], "text": "changed"}, {**rows[30], "created_at": "soon"}]
    path = write(tmp_path / "posts.csv", rows)
    exact = run("report", str(path), *BRAND_ARGS)
    idle = run("report", str(path), *BRAND_ARGS, "--idle", "1d")
    assert exact[0] == idle[0] == 1
    assert idle[1] == exact[1]
    assert idle[2] == exact[2]  # summary line and bad rows, in file order
    assert "1 duplicate(s) dropped" in idle[2]
    assert f"line {len(rows)}" in idle[2]  # the conflicting repeat, found after it closed
    assert "warning" not in idle[2]


@pytest.mark.parametrize("now", [None, "2024-01-09T12:00:00Z"])
def test_idle_report_with_business_hours_equals_the_exact_report(
    tmp_path: Path, often: None, now: str | None
) -> None:
    path = write(tmp_path / "posts.csv", in_time_order(1200, 2, gap=600, days=12))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(BUSINESS_HOURS), encoding="utf-8")
    args = [str(path), *BRAND_ARGS, "--policy", str(policy), "--by", "route,period,agent"]
    args += ["--tz", "Europe/Paris", *(["--now", now] if now else [])]
    outputs = []
    for idle in ([], ["--idle", "3h"]):
        target = tmp_path / f"report{len(outputs)}.jsonl"
        status, _, err = run("report", *args, *idle, "-o", str(target))
        assert status == 0, err
        assert "warning" not in err
        outputs.append(target.read_text(encoding="utf-8"))
    assert outputs[1] == outputs[0]
    assert len(outputs[0].splitlines()) > 5


def test_conversations_whose_clocks_still_run_are_kept(tmp_path: Path) -> None:
    """Idle, but a business-hours clock not yet due: kept until no state can change."""
    from socialcare import SLAPolicy

    path = write(tmp_path / "posts.csv", in_time_order(1200, 2, gap=600, days=12))
    kw = {"by": ["route"]}
    policy = SLAPolicy.from_dict(BUSINESS_HOURS)
    idle, live = feed(path, policy, timedelta(hours=3), 40, **kw)
    now = idle.finish()
    assert idle.kept_for_clocks > 0
    assert idle.late == 0
    assert max(live) < 600  # of 1,200 posts: clocks of up to 3 business days keep some
    exact = PostColumns(["AcmeHelp", "AcmeBot"])
    for index, (line, post) in enumerate(iter_posts(path, PRESETS["socialcare"])):
        exact.add(post, index, line)  # type: ignore[arg-type]
    threads = exact.thread_posts()
    columns = threads.columns(labels=exact.labels(threads, _triager()), policy=policy, now=now)
    assert idle.accumulator.report() == metrics.report(columns, **kw)  # type: ignore[arg-type]
    assert idle.conversations == len(threads)
    assert idle.missing_parents == threads.missing_parents


def test_memory_follows_the_open_conversations(tmp_path: Path) -> None:
    """30 days of posts, about 100 a day, idle after a day: about two days' posts are held."""
    rows = in_time_order(3000, 6, days=30)
    path = write(tmp_path / "posts.csv", rows)
    idle, held = feed(path, None, timedelta(days=1), 50)
    idle.finish()
    assert idle.closings > 20
    assert max(held[500:]) < 2 * (2 * 100 + 50)  # a day idle, a day being read, 50 between
    assert len(idle.columns) == 0
    assert idle.columns._names == {}  # no author id outlives its posts
    assert idle.accumulator.report().rows[0].conversations == idle.conversations


def test_a_shuffled_export_warns_of_posts_after_their_conversation_closed(
    tmp_path: Path, often: None
) -> None:
    rows = in_time_order(600, 3)
    random.Random(3).shuffle(rows)
    path = write(tmp_path / "posts.csv", rows)
    status, out, err = run("report", str(path), *BRAND_ARGS, "--idle", "2h")
    assert status == 0
    assert "convs" in out
    assert "came after their conversation had been closed as idle (--idle)" in err
    late = int(err.split("warning: ")[1].split(" post(s)")[0].replace(",", ""))
    assert 0 < late < len(rows)


def post(post_id: str, minute: int, **extra: str) -> dict[str, str]:
    customer = not extra.pop("brand", "")
    return {
        "id": post_id,
        "platform": "twitter",
        "author.id": "u1" if customer else "agent1",
        "author.handle": "h_u1" if customer else "AcmeHelp",
        "author.is_bot": "false",
        "created_at": (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": CUSTOMER[0] if customer else BRAND[0],
        "in_reply_to": "",
        "conversation_id": "",
        "channel": "public",
        **extra,
    }


LATER = [post(f"x{i}", 5000 + i) for i in range(3)]  # three days on: the first thread is idle


@pytest.mark.parametrize(
    ("first", "late"),
    [
        # a reply to a closed post
        ([post("a", 0), post("b", 5, brand="1", in_reply_to="a")],
         post("c", 9000, in_reply_to="b")),
        # a post with a closed conversation's thread id
        ([post("a", 0, conversation_id="T"), post("b", 5, brand="1", conversation_id="T")],
         post("c", 9000, conversation_id="T")),
        # the parent of a closed reply whose parent was missing
        ([post("b", 5, brand="1", in_reply_to="a")], post("a", 0)),
        # a post whose thread id is a closed post's id
        ([post("a", 0), post("b", 5, brand="1", in_reply_to="a")],
         post("c", 9000, conversation_id="a")),
    ],
)  # fmt: skip
def test_each_way_of_coming_late_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: list[dict[str, str]], late: Any
) -> None:
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    path = write(tmp_path / "posts.csv", [*first, *LATER, late])
    exact = run("report", str(path), *BRAND_ARGS)
    status, _, err = run("report", str(path), *BRAND_ARGS, "--idle", "1d")
    assert status == exact[0] == 0
    assert "warning: 1 post(s) came after their conversation had been closed" in err
    assert "warning" not in exact[2]
    assert exact[2].split(" conversation(s)")[0] != err.split(" conversation(s)")[0]


@pytest.mark.parametrize("held", [0, 2])
def test_a_cycle_whose_root_is_a_closed_thread_key_is_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: int
) -> None:
    """A broken reply cycle is keyed by its earliest post's id: here a closed thread's key."""
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    cycle = [
        post("T", 5000, in_reply_to="B"),
        *[post(f"h{i}", 5000 + i, brand="1", in_reply_to="B") for i in range(held)],
        post("B", 5001 + held, brand="1", in_reply_to="T"),
    ]
    first = [post("a", 0, conversation_id="T"), post("b", 5, brand="1", conversation_id="T")]
    path = write(tmp_path / "posts.csv", [*first, *LATER, *cycle])
    exact = run("report", str(path), *BRAND_ARGS)
    _, out, err = run("report", str(path), *BRAND_ARGS, "--idle", "1d")
    assert out != exact[1]  # the exact report merges the cycle into the closed thread
    assert f"warning: {2 + held} post(s) came after" in err


def test_a_root_whose_parent_comes_later_is_not_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    rows = [
        post("a", 0, conversation_id="T"),
        post("b", 5, brand="1", conversation_id="T"),
        *LATER,
        post("T", 6000, in_reply_to="Q"),  # its id is the closed thread's key, but its parent
        post("Q", 6000, brand="1"),  # is listed next: it is not a root, and joins nothing closed
    ]
    same_report(tmp_path, rows)


def test_without_late_posts_nothing_is_counted_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    # Other orphans of the same missing parent, and a new post: none joins a closed thread.
    rows = [
        post("b", 5, brand="1", in_reply_to="a"),
        *LATER,
        post("d", 9000, in_reply_to="a"),
        post("e", 9001, in_reply_to="d", brand="1"),
    ]
    assert "2 reply(ies) without their parent" in same_report(tmp_path, rows)[2]


@pytest.mark.parametrize(
    "repeats",
    [
        ["changed", "changed"],  # the second equals the first repeat, not the original
        ["changed", None],  # the second equals the original (None: an exact copy)
        [None, "changed"],
        [None, None],
    ],
)
def test_two_repeats_of_a_closed_post_are_judged_against_its_first_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repeats: list[str | None]
) -> None:
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 3)
    original = post("a", 0)
    again = [original if text is None else {**original, "text": text} for text in repeats]
    rows = [original, post("b", 5, brand="1", in_reply_to="a"), *LATER, *again]
    report = same_report(tmp_path, rows)
    assert f"{repeats.count(None)} duplicate(s) dropped" in report[2]


@pytest.mark.parametrize(
    ("first", "later"),
    [
        # a thread id that is a closed reply's id (not a thread key): a thread of its own
        ([post("a", 0), post("b", 5, brand="1", in_reply_to="a")],
         post("c", 9000, conversation_id="b")),
        # an id that was a closed thread's key, on a post keyed by its own thread id
        ([post("a", 0, conversation_id="T"), post("b", 5, brand="1", conversation_id="T")],
         post("T", 9000, conversation_id="U")),
        # another reply to the same missing parent as a closed reply
        ([post("b", 5, brand="1", in_reply_to="gone")], post("c", 9000, in_reply_to="gone")),
    ],
)  # fmt: skip
def test_posts_that_join_no_closed_conversation_are_not_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: list[dict[str, str]], later: Any
) -> None:
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    same_report(tmp_path, [*first, *LATER, later])


def test_posts_dated_near_the_end_of_time_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clocks read 200 years on would overflow: such conversations wait for the end."""
    monkeypatch.setattr(cli_idle, "_MIN_ROWS", 1)
    far = [
        {**row, "created_at": row["created_at"].replace("2024", "9850", 1)}
        for row in [post("a", 0), post("b", 3, brand="1", in_reply_to="a"), post("c", 4), *LATER]
    ]
    assert same_report(tmp_path, far)[0] == 0


@pytest.mark.parametrize("value", ["0", "-1h", "soon"])
def test_idle_must_be_a_positive_duration(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "posts.csv", [post("a", 0)])
    status, _, err = run("report", str(path), "--idle", value)
    assert status == 2
    assert "--idle" in err


def test_an_export_without_conversations_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", [{**post("a", 0), "created_at": "never"}])
    status, out, err = run("report", str(path), "--idle", "1d")
    assert status == 1
    assert out == ""
    assert "no conversations in" in err
    assert "1 bad row(s)" in err


def test_the_no_brand_warning_is_given_as_without_idle(tmp_path: Path, often: None) -> None:
    path = write(tmp_path / "posts.csv", in_time_order(300, 4))
    exact = run("report", str(path))
    idle = run("report", str(path), "--idle", "1d")
    assert idle == exact
    assert "no post was found from the brand" in idle[2]
    exact = run("report", str(path), *BRAND_ARGS)
    assert "no post was found from the brand" not in exact[2]


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 9)), max_size=30), max_size=12
    ),
    probe=st.lists(st.integers(-60, 60), max_size=40),
    cap=st.sampled_from([4, 16, 1_000]),
)
def test_the_hash_runs_find_what_was_added(
    batches: list[list[tuple[int, int]]], probe: list[int], cap: int
) -> None:
    old = cli_idle._RUN_CAP
    cli_idle._RUN_CAP = cap
    try:
        hashes = _HashSet(payload=True)
        model: dict[int, set[int]] = {}
        for batch in batches:
            keys = np.array([k for k, _ in batch], dtype=np.int64)
            values = np.array([v for _, v in batch], dtype=np.int64)
            hashes.add(keys, values)
            for k, v in batch:
                model.setdefault(k, set()).add(v)
    finally:
        cli_idle._RUN_CAP = old
    assert len(hashes) == sum(len(batch) for batch in batches)
    found, values = hashes.lookup(np.array(probe, dtype=np.int64))
    for key, hit, value in zip(probe, found.tolist(), values.tolist(), strict=True):
        assert hit == (key in model)
        if hit:
            assert value in model[key]
    for keys, _ in hashes._runs:
        assert (np.diff(keys) >= 0).all()


@pytest.mark.parametrize("idle", [[], ["--idle", "1d"]])
def test_quantile_error_keeps_counts_exact_and_quantiles_within_it(
    tmp_path: Path, often: None, idle: list[str]
) -> None:
    path = write(tmp_path / "posts.csv", in_time_order(1500, 7))
    outputs = []
    for extra in ([], ["--quantile-error", "0.02"]):
        target = tmp_path / f"report{len(outputs)}.jsonl"
        status, _, err = run(
            "report", str(path), *BRAND_ARGS, "--by", "route", *idle, *extra, "-o", str(target)
        )
        assert status == 0, err
        outputs.append([json.loads(line) for line in target.read_text().splitlines()])
    exact, sketched = outputs
    assert len(exact) == len(sketched) > 1
    compared = 0
    for want, got in zip(exact, sketched, strict=True):
        assert got["conversations"] == want["conversations"]
        for key in ("first_response_time_count", "first_response_time_mean_seconds"):
            assert got[key] == pytest.approx(want[key], rel=1e-12)
        for key, value in want.items():
            if key.endswith(("median_seconds", "p90_seconds")) and value:
                assert abs(got[key] - value) <= 0.02 * value + 1e-6, key
                compared += 1
    assert compared > 0
    assert sketched != exact  # the sketch did round something


@pytest.mark.parametrize("value", ["0", "0.9", "one percent"])
def test_quantile_error_must_be_a_small_fraction(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "posts.csv", [post("a", 0)])
    status, _, err = run("report", str(path), "--quantile-error", value)
    assert status == 2
    assert "--quantile-error" in err
