"""Benchmark: socialcare.dask.report on a local cluster against the one-process pandas path.

Run: python benchmarks/dask_report.py [--rows 10000000] [--workers 2] [--partitions N]
(needs the dask extra: pip install -e '.[dask]')

Synthetic, seeded posts in the shape of the twcs export (``mapping="twcs"``): threads of 1 to 8
posts (customer, brand, customer...) over four weeks, shuffled so that the replies of a thread
sit in other partitions, written once to Parquet files (not timed). Both sides then read the
same files and compute ``report(by=["route", "period"], policy=<the CLI's default>)``:

- one process: ``pandas.read_parquet`` -> ``socialcare.pandas.posts_from_frame`` ->
  ``build_conversations`` -> ``triage_conversations`` -> ``metrics.report`` (the CLI's
  ``report`` path, from a frame instead of a CSV), in a child process of its own so that its
  peak memory is its own;
- Dask: ``dask.dataframe.read_parquet`` -> ``socialcare.dask.report`` on a
  ``distributed.LocalCluster`` of ``--workers`` processes with one thread each.

Prints wall time, peak resident memory of the one process and of each Dask worker (and of the
client), the ratios, and whether the two reports are equal (they must be).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from _common import machine_note

T0 = datetime(2024, 5, 6, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=30)
OPENINGS = (
    "where is my order",
    "my card was charged twice",
    "how do I reset my password",
    "the app keeps crashing",
    "thanks so much, great service",
    "I want a refund",
    "can I change my delivery address",
    "your website is down again",
    "I have been waiting for two weeks",
    "what are your opening hours",
)
ENDINGS = ("", "!!", "?", " please help", " this is ridiculous", " :)", " order", " today")
REPLIES = (
    "We're sorry! Can you DM us your order number?",
    "Thanks, we have fixed it.",
    "Could you tell us more?",
    "Happy to help!",
)


def synthetic(rows: int, seed: int = 20241130) -> Any:
    """``rows`` posts in threads of 1 to 8, shuffled: the twcs export's columns."""
    import pandas as pd

    rnd = random.Random(seed)
    ids: list[int] = []
    authors: list[str] = []
    inbound: list[bool] = []
    created: list[str] = []
    texts: list[str] = []
    parents: list[float] = []
    next_id = 1
    while len(ids) < rows:
        at = T0 + timedelta(seconds=rnd.randrange(28 * 86_400))
        customer = f"c{rnd.randrange(rows // 3 + 1)}"
        parent = float("nan")
        for depth in range(min(rnd.randrange(1, 9), rows - len(ids))):
            brand = depth % 2 == 1
            ids.append(next_id)
            authors.append("AcmeHelp" if brand else customer)
            inbound.append(not brand)
            created.append(at.strftime("%a %b %d %H:%M:%S +0000 %Y"))
            if brand:
                texts.append(rnd.choice(REPLIES))
            else:
                texts.append(f"{rnd.choice(OPENINGS)}{rnd.choice(ENDINGS)} #{rnd.randrange(10**6)}")
            parents.append(parent)
            parent = float(next_id)
            next_id += 1
            at += timedelta(seconds=rnd.randrange(30, 4 * 3600))
    order = list(range(rows))
    rnd.shuffle(order)
    frame = pd.DataFrame(
        {
            "tweet_id": ids,
            "author_id": authors,
            "inbound": inbound,
            "created_at": created,
            "text": texts,
            "in_response_to_tweet_id": parents,
        }
    )
    return frame.iloc[order].reset_index(drop=True)


def settings() -> dict[str, Any]:
    from socialcare import SLAPolicy
    from socialcare.cli import DEFAULT_POLICY

    return {
        "by": ["route", "period"],
        "policy": SLAPolicy.from_dict(DEFAULT_POLICY),
        "now": NOW,
        "tz": "UTC",
    }


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def one_process(data: Path, out: Path) -> None:
    """The one-process path (run in a child process); writes its timings and report."""
    import pickle

    import pandas as pd

    from socialcare import build_conversations, metrics
    from socialcare._triage._threads import triage_conversations
    from socialcare._triage._triager import Triager
    from socialcare.pandas import posts_from_frame

    start = time.perf_counter()
    frame = pd.read_parquet(data)
    posts, _ = posts_from_frame(frame, "twcs")
    del frame
    built = build_conversations(posts)
    del posts
    labelled = triage_conversations(built.conversations, Triager.default())
    del built
    report = metrics.report(labelled, **settings())
    seconds = time.perf_counter() - start
    out.write_bytes(pickle.dumps({"seconds": seconds, "peak": peak_mib(), "report": report}))


def on_cluster(data: Path, workers: int) -> dict[str, Any]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import socialcare.dask as sd

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        posts = dd.read_parquet(data)
        report = sd.report(posts, mapping="twcs", **settings())
        seconds = time.perf_counter() - start
        peaks = client.run(peak_mib)
        limit = cluster.workers[next(iter(cluster.workers))].memory_manager.memory_limit
    return {
        "seconds": seconds,
        "peaks": sorted(peaks.values()),
        "client": peak_mib(),
        "report": report,
        "partitions": posts.npartitions,
        "limit": limit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="posts (default 10M)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument(
        "--partitions", type=int, default=0, help="Parquet files (default: one per 250k posts)"
    )
    parser.add_argument("--one-process", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_process:
        one_process(Path(args.one_process[0]), Path(args.one_process[1]))
        return
    import pickle

    print(machine_note())
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "posts"
        data.mkdir()
        start = time.perf_counter()
        frame = synthetic(args.rows)
        parts = args.partitions or max(1, -(-args.rows // 250_000))
        size = -(-len(frame) // parts)
        for number, begin in enumerate(range(0, len(frame), size)):
            frame.iloc[begin : begin + size].to_parquet(data / f"part-{number:04d}.parquet")
        del frame
        print(
            f"{args.rows:,} posts in {parts} Parquet files, written in "
            f"{time.perf_counter() - start:.1f} s (not timed below)"
        )
        out = Path(tmp) / "one.pickle"
        subprocess.run(
            [sys.executable, __file__, "--one-process", str(data), str(out)], check=True
        )
        one = pickle.loads(out.read_bytes())
        print(f"one process: {one['seconds']:.1f} s, peak RSS {one['peak']:,.0f} MiB")
        dist = on_cluster(data, args.workers)
    peaks = ", ".join(f"{p:,.0f}" for p in dist["peaks"])
    print(
        f"dask, {args.workers} workers x 1 thread, {dist['partitions']} partitions: "
        f"{dist['seconds']:.1f} s, peak RSS per worker {peaks} MiB "
        f"(limit {dist['limit'] / 2**20:,.0f} MiB each), client {dist['client']:,.0f} MiB"
    )
    rows = sum(row.conversations for row in one["report"])
    print(
        json.dumps(
            {
                "rows": args.rows,
                "conversations": rows,
                "time_ratio_dask_over_one": round(dist["seconds"] / one["seconds"], 2),
                "peak_ratio_worker_over_one": round(max(dist["peaks"]) / one["peak"], 2),
                "reports_equal": dist["report"] == one["report"],
            }
        )
    )


if __name__ == "__main__":
    main()
