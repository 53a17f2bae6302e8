"""Benchmark: the live inbox, one post at a time, against rebuilding on every arrival.

Run: ``python benchmarks/inbox.py [--posts 100000] [--triager]``.

Feeds ``--posts`` posts (threads of 1-6 posts, customer and brand alternating, a tenth with
thread ids, arriving in time order with one in twenty swapped with its neighbour so that
some replies come before their parents, and one in a hundred delivered twice) one at a
time to an `Inbox` with an SLA policy (and the default Triager with ``--triager``), and
prints the per-post latency of ``add()`` (p50, p99, max).

The alternative is what a user writes today without the inbox: on each arrival, rebuild
every conversation with ``build_conversations`` over all the posts so far, find the one
holding the new post, triage it (with ``--triager``) and run its clocks. Its cost grows with
the number of posts so far, so running it for every one of 100,000 posts would take hours:
it is timed for real at a few arrival positions (3 runs each, the best kept: the figure most
favourable to the rebuild), and its p50/p99 over the whole feed are read off those
measurements (the latency at position n is interpolated linearly between measured positions:
p50 is the latency around the middle of the feed, p99 near its end). Only ``add()`` and the
rebuild are timed; validating rows into ``Post`` objects is the same for both and is done
before; the inbox is deleted before the rebuild is timed. On a shared machine the wall time of
a 50 us call is often a scheduler pause: the CPU time of each ``add()`` (``thread_time``) is
printed next to it. The max of ``add()`` is a full (generation 2) garbage collection of the
process heap that happened to start in that call: Python's work, not the inbox's.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from _common import machine_note

from socialcare import Inbox, Post, SLAPolicy, build_conversations

POLICY = SLAPolicy.from_dict(
    {
        "targets": [
            {"metric": "first_response", "duration": "1h"},
            {"metric": "next_response", "duration": "30m"},
            {"metric": "resolution", "duration": "1d"},
        ]
    }
)
CUSTOMER_TEXTS = (
    "where is my parcel? order 123456",
    "my card was charged twice, please refund",
    "still waiting...",
    "thanks, that worked!",
    "the app crashes when I log in",
)


def make_posts(n_posts: int, seed: int = 11) -> list[Post]:
    """Posts in arrival order (see the module notes)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    span = timedelta(days=max(1.0, n_posts / 20_000)).total_seconds()
    made: list[Post] = []
    thread = 0
    while len(made) < n_posts:
        size = min(rng.choice((1, 2, 2, 3, 3, 4, 6)), n_posts - len(made))
        moment = start + timedelta(seconds=rng.random() * span)
        customer = {"id": f"u{rng.randrange(200_000)}", "followers": rng.randrange(5_000)}
        parent = None
        thread_id = f"t{thread}" if rng.random() < 0.1 else None
        for k in range(size):
            post_id = str(10**12 + len(made))
            brand = k % 2 == 1
            made.append(
                Post(
                    id=post_id,
                    platform="twitter",
                    author={"id": "acme", "is_brand": True} if brand else customer,
                    text="Sorry! Please DM us the order id?"
                    if brand
                    else rng.choice(CUSTOMER_TEXTS),
                    created_at=moment,
                    in_reply_to=parent,
                    conversation_id=thread_id,
                )
            )
            parent = post_id
            moment += timedelta(seconds=rng.expovariate(1 / 1800))
        thread += 1
    made.sort(key=lambda p: p.created_at)
    for i in range(0, len(made) - 1):
        if rng.random() < 0.05:
            made[i], made[i + 1] = made[i + 1], made[i]
    arrivals: list[Post] = []
    for p in made:
        arrivals.append(p)
        if rng.random() < 0.01:
            arrivals.append(p)
    return arrivals[:n_posts]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def naive_arrival(posts: list[Post], n: int, triager: Any) -> tuple[float, float]:
    """Wall and CPU seconds for arrival number ``n`` (1-based) the naive way."""
    new = posts[n - 1]
    gc.collect()  # (outside the timing: a full collection is less likely to land inside it)
    t, c = time.perf_counter(), time.thread_time()
    result = build_conversations(posts[:n])
    found = next(
        conv
        for conv in result.conversations
        if any(p.id == new.id and p.platform == new.platform for p in conv.posts)
    )
    if triager is not None:
        triager.decide(found)
    POLICY.evaluate(found, new.created_at)
    return time.perf_counter() - t, time.thread_time() - c


def interpolate(points: list[tuple[int, float]], n: int) -> float:
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= n <= x1:
            return y0 + (y1 - y0) * (n - x0) / (x1 - x0)
    return points[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--triager", action="store_true", help="triage with Triager.default()")
    args = parser.parse_args()
    print(machine_note())

    triager = None
    if args.triager:
        from socialcare import Triager

        triager = Triager.default()
        triager.decide("warm up")
    posts = make_posts(args.posts)
    inbox = Inbox(triager, POLICY)
    latencies: list[float] = []  # wall time of each add()
    cpu: list[float] = []  # CPU time of this thread in each add() (without preemption)
    wall, thread = time.perf_counter, time.thread_time
    t_all = wall()
    for p in posts:
        t, c = wall(), thread()
        inbox.add(p)
        cpu.append(thread() - c)
        latencies.append(wall() - t)
    total = wall() - t_all
    us = 1e6
    label = "default Triager + SLA policy" if triager else "SLA policy, no triage"
    print(
        f"Inbox.add, {len(posts):,} posts one at a time ({label}): total {total:.2f} s, "
        f"{len(inbox):,} open conversations"
    )
    for name, values in (("wall", latencies), ("cpu", cpu)):
        tenth = max(1, len(values) // 10)
        print(
            f"  {name:4} per post: p50 {percentile(values, 0.5) * us:,.0f} us, "
            f"p99 {percentile(values, 0.99) * us:,.0f} us, max {max(values) * us:,.0f} us; "
            f"p50 over the first tenth of the feed {percentile(values[:tenth], 0.5) * us:,.0f}"
            f" us, over the last tenth {percentile(values[-tenth:], 0.5) * us:,.0f} us"
        )

    del inbox  # the rebuild runs without the inbox's objects on the heap (fairer to it)
    gc.collect()
    positions = sorted(
        {
            min(len(posts), max(1, round(len(posts) * f)))
            for f in (0.01, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0)
        }
    )
    measured: dict[str, list[tuple[int, float]]] = {"wall": [], "cpu": []}
    for n in positions:
        runs = [naive_arrival(posts, n, triager) for _ in range(3)]
        measured["wall"].append((n, min(r[0] for r in runs)))
        measured["cpu"].append((n, min(r[1] for r in runs)))
        print(
            f"  naive rebuild at arrival {n:>7,}: wall {measured['wall'][-1][1] * 1e3:,.1f} ms, "
            f"cpu {measured['cpu'][-1][1] * 1e3:,.1f} ms (measured, best of 3)"
        )
    ours = {"wall": (latencies, total), "cpu": (cpu, sum(cpu))}
    for name, points in measured.items():
        p50 = interpolate(points, len(posts) // 2)
        p99 = interpolate(points, int(len(posts) * 0.99))
        naive_total = sum(interpolate(points, n) for n in range(1, len(posts) + 1, 100)) * 100
        values, our_total = ours[name]
        print(
            f"naive rebuild on each arrival ({name}), {len(posts):,} posts: p50 "
            f"{p50 * us:,.0f} us, p99 {p99 * us:,.0f} us, total about {naive_total:,.0f} s "
            f"({naive_total / 3600:,.1f} h; interpolated between the measured arrivals)"
        )
        print(
            f"  ratio naive/inbox ({name}): p50 {p50 / percentile(values, 0.5):,.0f}x, "
            f"p99 {p99 / percentile(values, 0.99):,.0f}x, total {naive_total / our_total:,.0f}x"
        )


if __name__ == "__main__":
    main()
