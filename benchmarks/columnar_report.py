"""Benchmark: posts to a metrics report, object path vs columnar path vs pandas; CLI `report`.

Run: ``python benchmarks/columnar_report.py [--rows 1000000] [--cli-rows 1000000]
[--skip-object] [--skip-cli]``.

Part 1 (in-process, on ``--rows`` synthetic posts as columns of Python values; each variant
runs in its own child process so peak memory is its own):

- object path: ``build_conversations`` on row dicts, ``SLAPolicy.evaluate`` per conversation
  and ``metrics.report`` (what the library offered before ``socialcare.columnar``);
- columnar path: ``socialcare.columnar.thread`` + ``Threads.columns(policy=, now=)`` +
  ``metrics.report``;
- the pandas a user would write: thread roots by repeated merges on the parent id, then a
  ``groupby`` for first customer post / first brand reply and the medians (no SLA, no
  exchanges: less than either socialcare path computes);
- networkx weakly connected components, the alternative for threading alone.

Part 2: ``socialcare report FILE`` on a CSV export of ``--cli-rows`` rows in a child process:
wall time and the child's peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``).

Part 3 (``--idle-rows``, default 1,000,000; 0 skips it): the same kind of threads written in
time order, as a helpdesk exports them, over 120 days; ``socialcare report`` against
``socialcare report --idle 1d`` (conversations closed as they go idle, so memory follows the
open ones), each in a child process: wall time, peak RSS, and whether the two reports are
byte-identical.

The machine is small (2 cores) and shared; read ratios from the same run, not absolute times.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CUSTOMER_TEXTS = (
    "where is my parcel? it was due yesterday",
    "my order never arrived and nobody answers, this is the worst service",
    "thanks so much, all sorted now!",
    "how do I change the delivery address?",
    "I was charged twice for the same order, please refund me",
    "can you tell me when the store opens on sunday?",
    "WIN A FREE IPHONE click here",
    "¿dónde está mi pedido? llevo una semana esperando",
    "mon colis est bloqué depuis lundi, que se passe-t-il ?",
    "paket saya belum sampai, tolong dicek",
)
BRAND_TEXTS = (
    "Sorry about this! Could you DM us the order number?",
    "We've passed it to the team and will update you shortly.",
    "Glad to hear it!",
    "Can you confirm the postcode please?",
)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
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
    "language",
]


def _thread(
    rng: random.Random, size: int, first_id: int, thread: int, t: datetime
) -> Iterator[dict[str, Any]]:
    """One thread of ``size`` posts from ``t``: a customer, the brand's agents (by handle) and
    its bot, replies chained by in_reply_to; a tenth with a thread id, some missing parents."""
    customer = f"u{rng.randrange(200_000)}"
    platform = rng.choice(("twitter", "twitter", "facebook", "instagram"))
    channel = rng.choice(("public", "public", "private"))
    parent = "404" if rng.random() < 0.02 else None
    with_thread = rng.random() < 0.1
    for k in range(size):
        post_id = str(10**12 + first_id + k)
        if k % 2 == 0:
            author, handle, bot = customer, f"user_{customer}", False
            text = rng.choice(CUSTOMER_TEXTS)
        elif rng.random() < 0.15:
            author, handle, bot = "acme_bot", "AcmeBot", True
            text = "Thanks for your message, an agent will reply soon."
        else:
            author, handle, bot = f"agent{rng.randrange(20)}", "AcmeHelp", False
            text = rng.choice(BRAND_TEXTS)
        yield {
            "id": post_id,
            "platform": platform,
            "author.id": author,
            "author.handle": handle,
            "author.is_bot": "true" if bot else "false",
            "created_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": text,
            "in_reply_to": parent or "",
            "conversation_id": f"t{thread}" if with_thread else "",
            "channel": channel,
            "language": "",
        }
        parent = post_id
        t += timedelta(seconds=int(rng.expovariate(1 / 1800)))


def _size(rng: random.Random, left: int) -> int:
    return min(rng.choice((1, 2, 2, 3, 3, 4, 5, 9)), left)


def _generate(n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Threads of 1-9 posts (`_thread`), each starting at random over 120 days, thread by
    thread."""
    made = 0
    thread = 0
    while made < n:
        size = _size(rng, n - made)
        t = START + timedelta(seconds=rng.randrange(86400 * 120))
        yield from _thread(rng, size, made, thread, t)
        made += size
        thread += 1


def _generate_in_time_order(n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Threads as `_generate` makes them, starting in increasing order over 120 days, their
    posts merged into one stream in time order (memory: the threads still going)."""
    mean_gap = 86400 * 120 / max(1.0, n / 3.6)  # about 3.6 posts a thread
    start = START
    pending: list[tuple[str, int, dict[str, Any]]] = []
    made = 0
    thread = 0
    while made < n:
        start += timedelta(seconds=rng.expovariate(1 / mean_gap))
        first = start.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        while pending and pending[0][0] <= first:
            yield heapq.heappop(pending)[2]
        size = _size(rng, n - made)
        for row in _thread(rng, size, made, thread, start.replace(microsecond=0)):
            heapq.heappush(pending, (row["created_at"], made, row))
            made += 1
        thread += 1
    while pending:
        yield heapq.heappop(pending)[2]


def make_posts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """The synthetic posts as CSV-like rows, in random order."""
    rng = random.Random(seed)
    rows = list(_generate(n, rng))
    rng.shuffle(rows)
    return rows


def make_columns(n: int, seed: int = 7) -> dict[str, Any]:
    """The same posts, in the same order, as columns (never a dict per post in memory)."""
    import numpy as np

    rng = random.Random(seed)
    names = (
        "id",
        "platform",
        "author.id",
        "author.handle",
        "author.is_bot",
        "created_at",
        "in_reply_to",
        "conversation_id",
        "channel",
    )
    lists: dict[str, list[Any]] = {name: [] for name in names}
    for row in _generate(n, rng):
        for name in names:
            lists[name].append(row[name])
    order = list(range(n))
    rng.shuffle(order)  # the permutation make_posts applies (same length, same state)

    def column(name: str) -> list[Any]:
        values = lists.pop(name)
        return [values[i] for i in order]

    return {
        "id": column("id"),
        "platform": column("platform"),
        "author_id": column("author.id"),
        "author_handle": column("author.handle"),
        "author_is_bot": np.array([v == "true" for v in column("author.is_bot")]),
        "created_at": np.array([v[:-1] for v in column("created_at")], dtype="datetime64[us]"),
        "in_reply_to": [v or None for v in column("in_reply_to")],
        "conversation_id": [v or None for v in column("conversation_id")],
        "channel": column("channel"),
    }


def rss_mib() -> float:
    """The resident memory now (Linux), to tell the input's share of the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_export(path: Path, n: int, seed: int = 7, *, bad_every: int = 0) -> None:
    """A CSV export of ``make_posts`` (``bad_every``: every so many rows, an unreadable one)."""
    rows = make_posts(n, seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for i, row in enumerate(rows):
            if bad_every and i % bad_every == bad_every - 1:
                row = {**row, "created_at": "yesterday"}
            writer.writerow(row)


BRAND = ["AcmeHelp", "AcmeBot"]
POLICY = {
    "window": "always",
    "targets": [
        {"metric": "first_response", "duration": "15m"},
        {"metric": "next_response", "duration": "1h"},
        {"metric": "resolution", "duration": "2d"},
    ],
}


def as_dicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "platform": r["platform"],
            "author": {
                "id": r["author.id"],
                "handle": r["author.handle"],
                "is_bot": r["author.is_bot"] == "true",
            },
            "created_at": r["created_at"],
            "text": r["text"],
            "in_reply_to": r["in_reply_to"] or None,
            "conversation_id": r["conversation_id"] or None,
            "channel": r["channel"],
        }
        for r in rows
    ]


def column_now(cols: dict[str, Any]) -> datetime:
    last = cols["created_at"].max().astype("datetime64[us]").item()
    return last.replace(tzinfo=timezone.utc) + timedelta(seconds=1)


def now_of(rows: list[dict[str, Any]]) -> datetime:
    last = max(r["created_at"] for r in rows)
    return datetime.fromisoformat(last.replace("Z", "+00:00")) + timedelta(seconds=1)


def run_object(n: int) -> dict[str, Any]:
    from socialcare import SLAPolicy, build_conversations, metrics

    rows = make_posts(n)
    now = now_of(rows)
    dicts = as_dicts(rows)
    del rows
    base = rss_mib()
    t = time.perf_counter()
    built = build_conversations(dicts, brand=BRAND)
    policy = SLAPolicy.from_dict(POLICY)
    rep = metrics.report(built.conversations, by=["platform"], policy=policy, now=now)
    return {
        "seconds": time.perf_counter() - t,
        "conversations": len(built),
        "rows": rep.to_dicts(),
        "input_mib": base,
    }


def run_columnar(n: int) -> dict[str, Any]:
    from socialcare import SLAPolicy, columnar, metrics

    cols = make_columns(n)
    now = column_now(cols)
    base = rss_mib()
    t = time.perf_counter()
    threads = columnar.thread(cols, brand=BRAND, assume_tz="UTC")
    policy = SLAPolicy.from_dict(POLICY)
    rep = metrics.report(threads.columns(policy=policy, now=now), by=["platform"])
    return {
        "seconds": time.perf_counter() - t,
        "conversations": len(threads),
        "rows": rep.to_dicts(),
        "input_mib": base,
    }


def run_pandas(n: int) -> dict[str, Any]:
    import pandas as pd

    frame = pd.DataFrame(make_columns(n))
    base = rss_mib()
    t = time.perf_counter()
    frame["brand"] = frame["author_handle"].isin(BRAND)
    key = frame[["platform", "id"]].copy()
    key["root"] = frame["in_reply_to"].where(frame["conversation_id"].isna())
    # Follow parents by repeated merges until no row moves (what a notebook would do).
    parent = frame.set_index(["platform", "id"])["in_reply_to"]
    for _ in range(64):
        step = key.merge(
            parent.rename("up").reset_index().rename(columns={"id": "root"}),
            on=["platform", "root"],
            how="left",
        )
        moved = step["up"].notna()
        if not moved.any():
            break
        key["root"] = step["up"].where(moved, key["root"]).to_numpy()
    key["root"] = key["root"].fillna(frame["conversation_id"]).fillna(frame["id"])
    frame["thread"] = key["platform"] + ":" + key["root"]
    frame = frame.sort_values(["thread", "created_at"])
    first_customer = frame[~frame["brand"]].groupby("thread")["created_at"].min()
    merged = frame.join(first_customer.rename("fc"), on="thread")
    replies = merged[merged["brand"] & (merged["created_at"] >= merged["fc"])]
    first_reply = replies.groupby("thread")["created_at"].min()
    frt = (first_reply - first_customer).dropna()
    platform = frame.groupby("thread")["platform"].first()
    table = frt.groupby(platform.reindex(frt.index)).median()
    return {
        "seconds": time.perf_counter() - t,
        "conversations": int(platform.shape[0]),
        "rows": {str(k): str(v) for k, v in table.items()},
        "input_mib": base,
    }


def run_networkx(n: int) -> dict[str, Any]:
    import networkx as nx

    cols = make_columns(n)
    base = rss_mib()
    t = time.perf_counter()
    graph = nx.DiGraph()
    keys = list(zip(cols["platform"], cols["id"], strict=True))
    graph.add_nodes_from(keys)
    graph.add_edges_from(
        (key, (key[0], parent))
        for key, parent in zip(keys, cols["in_reply_to"], strict=True)
        if parent
    )
    groups = sum(1 for _ in nx.weakly_connected_components(graph))
    return {
        "seconds": time.perf_counter() - t,
        "conversations": groups,
        "rows": None,
        "input_mib": base,
    }


def child(variant: str, n: int) -> None:
    result = {
        "object": run_object,
        "columnar": run_columnar,
        "pandas": run_pandas,
        "networkx": run_networkx,
    }[variant](n)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, default=str))


def in_child(variant: str, n: int) -> dict[str, Any] | None:
    done = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--rows", str(n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"{variant}: failed or not installed ({done.stderr.strip().splitlines()[-1:]})")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def write_timed_export(path: Path, n: int, seed: int = 7) -> None:
    """A CSV export of ``n`` posts in time order (`_generate_in_time_order`)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(_generate_in_time_order(n, random.Random(seed)))


def cli_run(path: Path, extra: list[str]) -> tuple[float, float, float, int]:
    """Run ``socialcare report`` in a child: wall and CPU seconds, peak RSS (MiB), status.

    The peak is the child's ``VmHWM`` (Linux): the high-water mark of its own memory since
    it started. ``ru_maxrss`` would not do: a child started by fork and exec reports at least
    the parent's resident size at the fork (Linux carries it over), and the parent may have
    just built the whole export in memory.
    """
    code = (
        "import resource, sys, time\n"
        "from socialcare.cli import main\n"
        "def peak():\n"
        "    try:\n"
        "        for line in open('/proc/self/status'):\n"
        "            if line.startswith('VmHWM:'):\n"
        "                return int(line.split()[1]) / 1024\n"
        "    except OSError:\n"
        "        pass\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "t = time.perf_counter()\n"
        f"status = main({['report', str(path), *extra]!r}, out=open('/dev/null', 'w'),"
        " err=open('/dev/null', 'w'))\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(time.perf_counter() - t, use.ru_utime + use.ru_stime, peak(), status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, cpu, peak, status = done.stdout.split()[-4:]
    return float(seconds), float(cpu), float(peak), int(status)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cli-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-object", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--idle-rows", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from _common import machine_note

    print(machine_note())
    print(f"posts -> report(by=platform) with SLA states, {args.rows:,} posts")
    results: dict[str, dict[str, Any]] = {}
    variants = ["columnar", "pandas", "networkx"]
    if not args.skip_object:
        variants.insert(0, "object")
    for variant in variants:
        result = in_child(variant, args.rows)
        if result is None:
            continue
        results[variant] = result
        print(
            f"  {variant:<9} {result['seconds']:8.2f} s  peak RSS {result['peak_mib']:7,.0f} MiB"
            f" (input {result['input_mib']:,.0f} MiB, peak over it "
            f"{result['peak_mib'] - result['input_mib']:,.0f} MiB)"
            f"  {result['conversations']:,} conversations"
        )
    col = results.get("columnar")
    if col is not None:
        for other in ("object", "pandas", "networkx"):
            if other in results:
                ratio = results[other]["seconds"] / col["seconds"]
                print(f"  columnar vs {other}: {ratio:.1f}x faster")
        if "object" in results:
            same = results["object"]["rows"] == col["rows"]
            print(f"  columnar report == object report: {same}")
    if not args.skip_cli:
        cli_part(args.cli_rows)
    if args.idle_rows:
        idle_part(args.idle_rows)


def cli_part(n: int) -> None:
    """``socialcare report`` on a shuffled export of ``n`` rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        write_export(path, n)
        size = path.stat().st_size / 2**20
        extra = ["--brand", "AcmeHelp", "--brand", "AcmeBot"]
        seconds, cpu, peak, status = cli_run(path, extra)
        print(
            f"socialcare report, {n:,} rows ({size:,.0f} MiB CSV): {seconds:.1f} s "
            f"wall, {cpu:.1f} s CPU, {n / seconds:,.0f} rows/s, peak RSS "
            f"{peak:,.0f} MiB (exit {status})"
        )


def idle_part(n: int) -> None:
    """``report`` against ``report --idle 1d`` on a time-ordered export of ``n`` rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in_time_order.csv"
        write_timed_export(path, n)
        size = path.stat().st_size / 2**20
        print(f"socialcare report on {n:,} rows in time order ({size:,.0f} MiB CSV):")
        runs: dict[str, tuple[float, float, float, int, bytes]] = {}
        for name, idle in (("exact", []), ("--idle 1d", ["--idle", "1d"])):
            out = Path(folder) / f"report{len(runs)}.csv"
            extra = ["--brand", "AcmeHelp", "--brand", "AcmeBot", "--by", "route,period"]
            runs[name] = (*cli_run(path, [*extra, *idle, "-o", str(out)]), out.read_bytes())
            seconds, cpu, peak, status, _ = runs[name]
            print(
                f"  {name:<10} {seconds:6.1f} s wall, {cpu:6.1f} s CPU, peak RSS {peak:7,.0f} MiB"
                f" (exit {status})"
            )
        exact, idle_run = runs["exact"], runs["--idle 1d"]
        print(
            f"  --idle 1d vs exact: {exact[0] / idle_run[0]:.2f}x the speed, "
            f"{idle_run[2] / exact[2]:.2f}x the peak; reports byte-identical: "
            f"{exact[4] == idle_run[4]}"
        )


if __name__ == "__main__":
    main()
