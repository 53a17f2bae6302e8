"""Benchmark: `socialcare triage FILE` streaming a large export, memory flat in the file size.

Run: ``python benchmarks/cli_triage.py [--rows 1000000]``.

Writes synthetic exports in the shape of Twitter's customer-support dataset (texts drawn from
the bundled corpus) at 1/10 and full size, runs the command on each in a child process, and
reports rows/s and the child's peak memory. Next to it, the path a notebook user would pick
without streaming: pandas.read_csv of the whole file, then socialcare.pandas.triage_frame, at
the smaller size (its memory grows with the file). The machine is small and shared; read
ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path


def corpus_texts() -> list[str]:
    texts: list[str] = []
    folder = resources.files("socialcare") / "_triage" / "corpus"
    for entry in folder.iterdir():
        if entry.name.endswith(".jsonl"):
            for line in entry.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    texts.append(json.loads(line)["text"])
    return texts


def write_export(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    texts = corpus_texts()
    start = datetime(2017, 10, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "tweet_id",
                "author_id",
                "inbound",
                "created_at",
                "text",
                "response_tweet_id",
                "in_response_to_tweet_id",
            ]
        )
        for i in range(rows):
            moment = start + timedelta(seconds=i * 3)
            writer.writerow(
                [
                    i + 1,
                    rng.randrange(10**6),
                    "True",
                    moment.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    rng.choice(texts),
                    "",
                    "",
                ]
            )


def _timed_child(body: str) -> tuple[float, float]:
    """Run ``body`` in a fresh interpreter; return its seconds and its own peak RSS (MiB)."""
    code = (
        "import resource, sys, time\n"
        "t = time.perf_counter()\n"
        f"{body}\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    seconds, peak = result.stdout.split()
    return float(seconds), float(peak) / 1024


def run_cli(path: Path, out: Path) -> tuple[float, float]:
    """The command's main(), streaming the file (its exit status is ignored)."""
    return _timed_child(
        "from socialcare.cli import main\n"
        f"main(['triage', {str(path)!r}, '--preset', 'twcs', '-o', {str(out)!r},"
        " '--no-progress'], err=open('/dev/null', 'w'))"
    )


def run_pandas(path: Path) -> tuple[float, float]:
    """The in-memory notebook path: read the whole file, then triage the frame."""
    return _timed_child(
        "import pandas as pd\n"
        "from socialcare.pandas import triage_frame\n"
        f"triage_frame(pd.read_csv({str(path)!r}))"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    small_rows = max(args.rows // 10, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        for rows in (small_rows, args.rows):
            path = folder / f"export_{rows}.csv"
            write_export(path, rows)
            seconds, peak = run_cli(path, folder / "out.csv")
            lines = sum(1 for _ in (folder / "out.csv").open(encoding="utf-8")) - 1
            assert lines == rows, (lines, rows)
            results[rows] = (seconds, peak)
            print(
                f"socialcare triage, {rows:>9,} rows: {seconds:7.1f} s, "
                f"{rows / seconds:9,.0f} rows/s, peak RSS {peak:6.0f} MiB "
                f"(file {path.stat().st_size / 2**20:,.0f} MiB)"
            )
        (s_small, m_small), (_, m_big) = results[small_rows], results[args.rows]
        print(
            f"memory at {args.rows // small_rows}x the rows: {m_big / m_small:.2f}x "
            "(flat means streaming works)"
        )
        path = folder / f"export_{small_rows}.csv"
        p_seconds, p_peak = run_pandas(path)
        print(
            f"pandas.read_csv + triage_frame, {small_rows:,} rows: {p_seconds:.1f} s, "
            f"{small_rows / p_seconds:,.0f} rows/s, peak RSS {p_peak:.0f} MiB"
        )
        print(
            f"CLI vs in-memory pandas path at {small_rows:,} rows: time ratio "
            f"{s_small / p_seconds:.2f} (CLI includes interpreter start, model load and "
            f"full validation of every row), memory ratio {m_small / p_peak:.2f}"
        )


if __name__ == "__main__":
    main()
