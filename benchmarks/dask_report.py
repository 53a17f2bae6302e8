"""Benchmark: socialcare.dask.report on a local cluster against the one-process paths.

Run: python benchmarks/dask_report.py [--rows 10000000] [--workers 2] [--partitions N]
[--one-process {frame,cli,both}] (needs the dask extra: pip install -e '.[dask]')

Synthetic, seeded posts in the shape of the twcs export (``mapping="twcs"``): threads of 1 to 8
posts (customer, brand, customer...) over four weeks, shuffled so that the replies of a thread
sit in other partitions, drawn as numbers and written a part at a time to Parquet files (and,
for the CLI, one CSV with the same rows in the same order; not timed). Every side then computes
``report(by=["route", "period"], policy=<the CLI's default>, now=NOW, tz="UTC")``:

- ``--one-process frame``: ``pandas.read_parquet`` -> ``socialcare.pandas.posts_from_frame``
  -> ``build_conversations`` -> ``triage_conversations`` -> ``metrics.report``, in a child
  process of its own so that its peak memory is its own. It holds every post as a pydantic
  object: about 4.2 GB per million posts (4,245 MiB at 1M, 8,212 MiB at 2M), so 10M would
  need about 42 GB;
- ``--one-process cli``: what one machine runs on a big export, the streaming ``socialcare
  report FILE.csv --preset twcs --by route,period --now NOW --tz UTC -o report.jsonl`` in a
  child process (wall time from start to exit, interpreter start-up and CSV parsing included;
  peak RSS from ``os.wait4``, the child's own);
- the default is ``frame`` up to 2,000,000 rows (what the frame path fits in on a 23 GB
  machine) and ``cli`` above;
- Dask: ``dask.dataframe.read_parquet`` -> ``socialcare.dask.report`` on a
  ``distributed.LocalCluster`` of ``--workers`` processes with one thread each.

Prints wall time, peak resident memory of each one-process side, of each Dask worker and of the
client, the ratios, and whether the reports are equal (they must be): the frame path's `Report`
with ``==``; the CLI's by its JSON Lines output against the Dask `Report` written the way the
CLI writes one (``as_cli_lines``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator
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


class _Posts:
    """The synthetic posts as compact columns (numbers, not strings), before the shuffle."""

    def __init__(self, rows: int, seed: int) -> None:
        import numpy as np

        rnd = random.Random(seed)
        seconds = array("q")  # since T0
        customer = array("q")  # customer number; -1: the brand
        text = array("q")  # brand: reply index; customer: opening * 8 + ending
        number = array("q")  # the customer's "#n" (brand: 0)
        parent = array("q")  # 0: none
        n = 0
        while n < rows:
            at = rnd.randrange(28 * 86_400)
            who = rnd.randrange(rows // 3 + 1)
            up = 0
            for depth in range(min(rnd.randrange(1, 9), rows - n)):
                n += 1
                seconds.append(at)
                if depth % 2 == 1:
                    customer.append(-1)
                    text.append(rnd.choice(range(len(REPLIES))))
                    number.append(0)
                else:
                    customer.append(who)
                    opening = rnd.choice(range(len(OPENINGS)))
                    ending = rnd.choice(range(len(ENDINGS)))
                    text.append(opening * len(ENDINGS) + ending)
                    number.append(rnd.randrange(10**6))
                parent.append(up)
                up = n  # tweet ids are 1, 2, ... in generation order
                at += rnd.randrange(30, 4 * 3600)
        order = list(range(rows))
        rnd.shuffle(order)
        self.order = np.array(order, dtype=np.int64)
        del order
        self.seconds = np.frombuffer(seconds, dtype=np.int64)
        self.customer = np.frombuffer(customer, dtype=np.int64)
        self.text = np.frombuffer(text, dtype=np.int64)
        self.number = np.frombuffer(number, dtype=np.int64)
        self.parent = np.frombuffer(parent, dtype=np.int64)

    def frame(self, begin: int, end: int) -> Any:
        """Rows ``begin:end`` of the shuffled export, as a twcs-shaped DataFrame."""
        import numpy as np
        import pandas as pd

        at = self.order[begin:end]
        customer = self.customer[at].tolist()
        text = self.text[at].tolist()
        number = self.number[at].tolist()
        brand = [who < 0 for who in customer]
        parent = self.parent[at].astype(np.float64)
        parent[parent == 0] = np.nan
        return pd.DataFrame(
            {
                "tweet_id": at + 1,
                "author_id": [
                    "AcmeHelp" if b else f"c{who}" for b, who in zip(brand, customer, strict=True)
                ],
                "inbound": [not b for b in brand],
                "created_at": [
                    (T0 + timedelta(seconds=s)).strftime("%a %b %d %H:%M:%S +0000 %Y")
                    for s in self.seconds[at].tolist()
                ],
                "text": [
                    REPLIES[t]
                    if b
                    else f"{OPENINGS[t // len(ENDINGS)]}{ENDINGS[t % len(ENDINGS)]} #{k}"
                    for b, t, k in zip(brand, text, number, strict=True)
                ],
                "in_response_to_tweet_id": parent,
            }
        )


def synthetic_parts(rows: int, parts: int, seed: int = 20241130) -> Iterator[Any]:
    """``synthetic(rows, seed)`` cut into ``parts`` consecutive frames, built one at a time.

    The posts are drawn as numbers first (about 50 bytes a post: 10M posts in about 0.5 GB
    with the shuffle order), and the strings of one part are made only when it is written.
    """
    posts = _Posts(rows, seed)
    size = -(-rows // parts)
    for begin in range(0, rows, size):
        yield posts.frame(begin, min(begin + size, rows))


def synthetic(rows: int, seed: int = 20241130) -> Any:
    """``rows`` posts in threads of 1 to 8, shuffled: the twcs export's columns.

    A thread is drawn as: its start (uniform over four weeks), its customer (one of
    ``rows // 3 + 1``), its length (1 to 8); then per post a reply (brand) or an opening, an
    ending and a number (customer), and the gap to the next post (30 s to 4 h); tweet ids
    count up in that order. A seeded shuffle then mixes the threads' posts. Same seed, same
    draws, same frame as the list-built version this replaced (numbers first, strings last).
    """
    return _Posts(rows, seed).frame(0, rows)


FRAME_MAX = 2_000_000  # the frame path needs ~4.2 GB per million posts


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


def by_cli(csv: Path, out: Path) -> dict[str, Any]:
    """The streaming ``socialcare report`` on the CSV, in a child process: time, peak, rows."""
    command = [
        sys.executable,
        "-m",
        "socialcare",
        "report",
        str(csv),
        "--preset",
        "twcs",
        "--by",
        ",".join(settings()["by"]),
        "--now",
        NOW.isoformat(),
        "--tz",
        settings()["tz"],
        "--no-progress",
        "-o",
        str(out),
    ]  # no --policy: the CLI's default is DEFAULT_POLICY, as in settings()
    errors = out.with_suffix(".stderr")
    start = time.perf_counter()
    with errors.open("wb") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak, not all children's
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    said = errors.read_text(encoding="utf-8").strip()
    if child.returncode != 0:
        raise SystemExit(f"socialcare report exited with {child.returncode}: {said}")
    return {
        "seconds": seconds,
        "peak": usage.ru_maxrss / 1024,
        "lines": out.read_text(encoding="utf-8").splitlines(),
        "said": said,
    }


def as_cli_lines(report: Any) -> list[str]:
    """A `Report` as the lines ``socialcare report -o FILE.jsonl`` writes for it."""
    from io import StringIO

    from socialcare._cli_io import _Writer
    from socialcare.cli import _flat_rows, _report_columns

    buffer = StringIO()
    writer = _Writer(buffer, "jsonl", _report_columns(report), formula_guard=False)
    for row in _flat_rows(report):
        writer.write(row)
    return buffer.getvalue().splitlines()


def on_cluster(data: Path, workers: int) -> dict[str, Any]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import socialcare.dask as sd

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
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
    parser.add_argument(
        "--one-process",
        choices=("frame", "cli", "both"),
        help="the one-process side: the pandas frame path, the streaming CLI on a CSV, or both "
        f"(default: frame up to {FRAME_MAX:,} rows, cli above)",
    )
    parser.add_argument("--frame-child", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.frame_child:
        one_process(Path(args.frame_child[0]), Path(args.frame_child[1]))
        return
    import pickle

    variant = args.one_process or ("frame" if args.rows <= FRAME_MAX else "cli")
    print(machine_note())
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min)")
    sides: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "posts"
        data.mkdir()
        csv = Path(tmp) / "posts.csv"
        start = time.perf_counter()
        parts = args.partitions or max(1, -(-args.rows // 250_000))
        for number, frame in enumerate(synthetic_parts(args.rows, parts)):
            frame.to_parquet(data / f"part-{number:04d}.parquet")
            if variant != "frame":
                frame.to_csv(csv, mode="a", header=number == 0, index=False)
        del frame
        print(
            f"{args.rows:,} posts in {parts} Parquet files"
            + (" and one CSV" if variant != "frame" else "")
            + f", written in {time.perf_counter() - start:.1f} s (not timed below)",
            flush=True,
        )
        if variant in ("frame", "both"):
            out = Path(tmp) / "one.pickle"
            subprocess.run(
                [sys.executable, __file__, "--frame-child", str(data), str(out)], check=True
            )
            sides["frame"] = pickle.loads(out.read_bytes())
            print(
                f"one process (frame path): {sides['frame']['seconds']:.1f} s, "
                f"peak RSS {sides['frame']['peak']:,.0f} MiB",
                flush=True,
            )
        if variant in ("cli", "both"):
            sides["cli"] = by_cli(csv, Path(tmp) / "report.jsonl")
            csv.unlink()
            print(
                f"one process (socialcare report on the CSV): {sides['cli']['seconds']:.1f} s, "
                f"peak RSS {sides['cli']['peak']:,.0f} MiB; it said: "
                + sides["cli"]["said"].replace("\n", " | "),
                flush=True,
            )
        dist = on_cluster(data, args.workers)
    peaks = ", ".join(f"{p:,.0f}" for p in dist["peaks"])
    print(
        f"dask, {args.workers} workers x 1 thread, {dist['partitions']} partitions: "
        f"{dist['seconds']:.1f} s, peak RSS per worker {peaks} MiB "
        f"(limit {dist['limit'] / 2**20:,.0f} MiB each), client {dist['client']:,.0f} MiB"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f} (1 min)")
    summary: dict[str, Any] = {
        "rows": args.rows,
        "conversations": sum(row.conversations for row in dist["report"]),
    }
    dask_lines = as_cli_lines(dist["report"])
    for name, side in sides.items():
        summary[f"time_ratio_dask_over_{name}"] = round(dist["seconds"] / side["seconds"], 2)
        summary[f"peak_ratio_worker_over_{name}"] = round(max(dist["peaks"]) / side["peak"], 2)
    if "frame" in sides:
        summary["reports_equal_dask_frame"] = dist["report"] == sides["frame"]["report"]
    if "cli" in sides:
        summary["reports_equal_dask_cli"] = dask_lines == sides["cli"]["lines"]
    if len(sides) == 2:
        summary["reports_equal_frame_cli"] = (
            as_cli_lines(sides["frame"]["report"]) == sides["cli"]["lines"]
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
