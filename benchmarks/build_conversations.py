"""Benchmark: build_conversations on a large export, and the import time of the package.

Run: ``python benchmarks/build_conversations.py [--posts 1000000]``.

Reports posts/s and peak memory for (1) validating raw rows into ``Post`` objects and (2)
grouping ``Post`` objects into conversations, next to networkx's weakly connected components
(the library a user would reach for to group reply chains) on the same posts when networkx is
installed. The machine is small and shared; read ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from typing import Any

from socialcare import Post, build_conversations


def make_rows(n_posts: int, seed: int = 7) -> list[dict[str, Any]]:
    """Threads of 1-6 posts alternating customer and brand, a tenth with thread ids."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
    rows: list[dict[str, Any]] = []
    thread = 0
    while len(rows) < n_posts:
        size = min(rng.choice((1, 2, 2, 3, 3, 4, 6)), n_posts - len(rows))
        t = start + rng.random() * 86400 * 365
        customer = f"u{rng.randrange(200_000)}"
        parent = None
        with_thread = rng.random() < 0.1
        for k in range(size):
            post_id = str(10**12 + len(rows))
            rows.append(
                {
                    "id": post_id,
                    "platform": "twitter",
                    "author": {"id": customer} if k % 2 == 0 else {"id": "brand", "is_brand": True},
                    "text": "where is my parcel?" if k % 2 == 0 else "Sorry! DM us the order id",
                    "created_at": int(t * 1000),
                    "in_reply_to": parent,
                    "conversation_id": f"t{thread}" if with_thread else None,
                }
            )
            parent = post_id
            t += rng.expovariate(1 / 1800)
        thread += 1
    rng.shuffle(rows)
    return rows


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_time() -> tuple[float, float]:
    def best(code: str) -> float:
        times = []
        for _ in range(5):
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            times.append(float(out))
        return min(times)

    return best("import socialcare"), best("import pydantic; from pydantic import BaseModel")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1_000_000)
    args = parser.parse_args()

    ours, pyd = import_time()
    print(
        f"import socialcare: {ours * 1000:.0f} ms   import pydantic (+BaseModel): "
        f"{pyd * 1000:.0f} ms   ratio {ours / pyd:.1f}x"
    )

    rows = make_rows(args.posts)
    gc.collect()
    base = peak_rss_mib()
    t = time.perf_counter()
    posts = [Post.model_validate(row) for row in rows]
    validate_s = time.perf_counter() - t
    print(
        f"validate {len(rows):,} rows -> Post: {validate_s:.2f} s "
        f"({len(rows) / validate_s:,.0f} posts/s)"
    )
    del rows
    gc.collect()

    t = time.perf_counter()
    result = build_conversations(posts)
    build_s = time.perf_counter() - t
    print(
        f"build_conversations on {len(posts):,} Post objects: {build_s:.2f} s "
        f"({len(posts) / build_s:,.0f} posts/s), {len(result):,} conversations, "
        f"peak RSS {peak_rss_mib():,.0f} MiB (+{peak_rss_mib() - base:,.0f} MiB over the rows)"
    )
    assert sum(len(c.posts) for c in result) == len(posts)

    t = time.perf_counter()
    answered = sum(c.first_response_at is not None for c in result)
    derive_s = time.perf_counter() - t
    print(
        f"derive first_response_at for every conversation: {derive_s:.2f} s ({answered:,} answered)"
    )

    try:
        import networkx as nx
    except ImportError:
        print("networkx not installed: comparison skipped (pip install networkx)")
        return
    t = time.perf_counter()
    graph = nx.DiGraph()
    graph.add_nodes_from(p.id for p in posts)
    graph.add_edges_from((p.id, p.in_reply_to) for p in posts if p.in_reply_to)
    groups = list(nx.weakly_connected_components(graph))
    nx_s = time.perf_counter() - t
    print(
        f"networkx weakly_connected_components (grouping only, no ordering or roles): "
        f"{nx_s:.2f} s, {len(groups):,} groups; socialcare/networkx time ratio "
        f"{build_s / nx_s:.2f} (below 1 means socialcare is faster)"
    )


if __name__ == "__main__":
    main()
