"""Benchmark: metrics.report over 1,000,000 conversations' columns vs pandas groupby.

Run: python benchmarks/metrics_benchmark.py  (needs pandas: pip install pandas)

Synthetic, seeded columns: 1M conversations, ~1.6M customer turns, 100k CSAT and 50k NPS
scores, SLA states. Both sides compute the same aggregates per (platform, week in
America/New_York): first response, next response, reply wait and resolution time
(count/mean/median/p90/p95/min/max/pending), four rates, unique customers, CSAT, NPS,
sentiment counts, SLA met/breached. pandas starts from DataFrames already built (its
construction is not timed), which favours pandas. Also times the object path: building
columns from 100k Conversation objects. The machine has 2 cores and is shared with other
jobs: expect noise of +-20%; the best of 3 runs is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from socialcare import Author, Conversation, Post, StatusChange, metrics

N = 1_000_000
RNG = np.random.default_rng(20240506)
MIN = np.timedelta64(60_000_000, "us")


def synthetic(n: int) -> dict[str, Any]:
    start = np.datetime64("2024-01-01T00:00", "us")
    first = start + (RNG.integers(0, 90 * 24 * 60, n) * MIN)
    answered = RNG.random(n) < 0.9
    wait = (RNG.lognormal(3, 1.5, n) * 60_000_000).astype(np.int64).view("timedelta64[us]")
    human = np.where(answered, first + wait, np.datetime64("NaT", "us"))
    bot = np.where(RNG.random(n) < 0.3, first + MIN, np.datetime64("NaT", "us"))
    any_reply = np.where(
        np.isnat(human), bot, np.where(np.isnat(bot), human, np.minimum(human, bot))
    )
    resolved_mask = answered & (RNG.random(n) < 0.75)
    resolved = np.where(resolved_mask, human + 30 * MIN, np.datetime64("NaT", "us"))
    reopened = resolved_mask & (RNG.random(n) < 0.05)
    touches = np.where(answered, RNG.integers(1, 4, n), 0)
    # Customer turns: 1-2 per conversation; the first starts at first_customer_at.
    turns = RNG.integers(1, 3, n)
    conv = np.repeat(np.arange(n), turns)
    is_first = np.ones(len(conv), dtype=bool)
    is_first[1:] = conv[1:] != conv[:-1]
    offset = np.where(is_first, 0, RNG.integers(60, 600, len(conv))) * MIN
    customer_at = first[conv] + offset
    turn_wait = (RNG.lognormal(3, 1.2, len(conv)) * 60_000_000).astype(np.int64)
    reply_at = np.where(is_first, human[conv], customer_at + turn_wait.view("timedelta64[us]"))
    csat_conv = RNG.choice(n, 100_000, replace=False)
    nps_conv = RNG.choice(n, 50_000, replace=False)
    return {
        "first_customer_at": first,
        "first_response_at": any_reply,
        "first_human_response_at": human,
        "resolved_at": resolved,
        "first_resolved_at": resolved,
        "reopened": reopened,
        "brand_touches": touches,
        "human_touches": touches,
        "platform": (RNG.integers(0, 5, n), ["twitter", "facebook", "instagram", "x2", "y"]),
        "intent": (RNG.integers(-1, 20, n), [f"intent{i}" for i in range(20)]),
        "route": (RNG.integers(0, 4, n), ["auto", "agent", "specialist", "none"]),
        "sentiment": (RNG.integers(0, 3, n), ["negative", "neutral", "positive"]),
        "agent": (np.where(answered, RNG.integers(0, 200, n), -1), [f"a{i}" for i in range(200)]),
        "customer": (RNG.integers(0, 400_000, n), [f"c{i}" for i in range(400_000)]),
        "exchange_conv": conv,
        "exchange_customer_at": customer_at,
        "exchange_reply_at": reply_at,
        "csat_conv": csat_conv,
        "csat_score": RNG.integers(1, 6, 100_000).astype(float),
        "nps_conv": nps_conv,
        "nps_score": RNG.integers(0, 11, 50_000).astype(float),
        "sla": {
            "first_response": (
                RNG.integers(0, 5, n),
                ["pending", "at_risk", "met", "breached", "paused"],
            )
        },
    }


def best_of(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def pandas_report(pd: Any, frame: Any, turns: Any, csat: Any, nps: Any) -> Any:
    """The same aggregates with pandas groupby, as a notebook user would write them."""
    keys = ["platform", "week"]
    needs = frame["first_customer_at"].notna() & (frame["route"] != "none")
    frame = frame.assign(
        needs=needs,
        frt=(frame["first_human_response_at"] - frame["first_customer_at"]),
        ttr=(frame["resolved_at"] - frame["first_customer_at"]),
        replied=needs & frame["first_human_response_at"].notna(),
        resolved=needs & frame["resolved_at"].notna(),
    )
    frame["frt_pending"] = needs & frame["frt"].isna()
    frame["ttr_pending"] = needs & frame["ttr"].isna()
    frame["one_touch"] = frame["resolved"] & (frame["human_touches"] == 1) & ~frame["reopened"]
    frame["ever"] = needs & frame["first_resolved_at"].notna()
    frame["reopen"] = frame["ever"] & frame["reopened"]
    for s in ("negative", "neutral", "positive"):
        frame[s] = frame["sentiment"] == s
    for s in ("met", "breached"):
        frame[f"sla_{s}"] = frame["sla_first_response"] == s
    g = frame.groupby(keys, observed=True, sort=True)
    sums = g[
        [
            "needs",
            "replied",
            "resolved",
            "frt_pending",
            "ttr_pending",
            "one_touch",
            "ever",
            "reopen",
            "negative",
            "neutral",
            "positive",
            "sla_met",
            "sla_breached",
        ]
    ].sum()
    sums["conversations"] = g.size()
    sums["unique_customers"] = g["customer"].nunique()

    def durations(series_group: Any, name: str) -> Any:
        stats = series_group.agg(["count", "mean", "median", "min", "max"])
        q = series_group.quantile([0.9, 0.95]).unstack()
        stats[["p90", "p95"]] = q.to_numpy()
        return stats.add_prefix(f"{name}_")

    parts = [sums, durations(g["frt"], "frt"), durations(g["ttr"], "ttr")]
    t = turns.merge(frame[[*keys, "needs"]], left_on="conv", right_index=True)
    t["wait"] = t["reply_at"] - t["customer_at"]
    t["pending"] = t["needs"] & t["wait"].isna()
    tg = t.groupby(keys, observed=True, sort=True)
    parts.append(durations(tg["wait"], "reply_wait"))
    parts.append(tg["pending"].sum().rename("reply_wait_pending"))
    later = t[~t["first"]].groupby(keys, observed=True, sort=True)
    parts.append(durations(later["wait"], "nrt"))
    for name, scores, cut in (("csat", csat, 4), ("nps", nps, 9)):
        s = scores.merge(frame[keys], left_on="conv", right_index=True)
        s["top"] = s["score"] >= cut
        parts.append(s.groupby(keys, observed=True)["top"].agg(["sum", "count"]).add_prefix(name))
    return pd.concat(parts, axis=1)


def build_conversations(n: int) -> list[Conversation]:
    t0 = datetime(2024, 5, 6, 9, tzinfo=timezone.utc)
    brand = Author(id="acme", is_brand=True)
    out = []
    for i in range(n):
        customer = Author(id=f"u{i % 5000}")
        start = t0 + timedelta(minutes=i % 10_000)
        out.append(
            Conversation(
                id=f"c{i}",
                posts=[
                    Post(id=f"{i}a", platform="twitter", author=customer, created_at=start),
                    Post(
                        id=f"{i}b",
                        platform="twitter",
                        author=brand,
                        created_at=start + timedelta(minutes=7),
                    ),
                    Post(
                        id=f"{i}c",
                        platform="twitter",
                        author=customer,
                        created_at=start + timedelta(minutes=9),
                    ),
                ],
                status_changes=[StatusChange(at=start + timedelta(hours=1), status="resolved")],
                route="agent",
                intent="billing",
            )
        )
    return out


def main() -> None:
    import pandas as pd

    print(f"metrics benchmark: {N:,} conversations (2-core shared machine; noisy, best of 3)")
    raw = synthetic(N)
    cols = metrics.from_columns(**raw)
    tz = "America/New_York"
    t_ours, rep = best_of(lambda: metrics.report(cols, by=["platform", "period"], tz=tz))
    print(f"socialcare report(by=[platform, period], week, {tz}): {t_ours:.3f} s, {len(rep)} rows")

    def lab(pair: Any) -> Any:
        codes, cats = pair
        return pd.Categorical.from_codes(codes, categories=cats)

    frame = pd.DataFrame(
        {
            k: raw[k]
            for k in (
                "first_customer_at",
                "first_human_response_at",
                "resolved_at",
                "first_resolved_at",
                "reopened",
                "human_touches",
            )
        }
    )
    for k in ("platform", "intent", "route", "sentiment", "agent", "customer"):
        frame[k] = lab(raw[k])
    frame["sla_first_response"] = lab(raw["sla"]["first_response"])
    local = frame["first_customer_at"].dt.tz_localize("UTC").dt.tz_convert(tz)
    frame["week"] = local.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    turns = pd.DataFrame(
        {
            "conv": raw["exchange_conv"],
            "customer_at": raw["exchange_customer_at"],
            "reply_at": raw["exchange_reply_at"],
        }
    )
    turns["first"] = ~turns["conv"].duplicated()
    csat = pd.DataFrame({"conv": raw["csat_conv"], "score": raw["csat_score"]})
    nps = pd.DataFrame({"conv": raw["nps_conv"], "score": raw["nps_score"]})
    t_pd, out = best_of(lambda: pandas_report(pd, frame, turns, csat, nps))
    print(
        f"pandas {pd.__version__} groupby, same aggregates (frames prebuilt): {t_pd:.3f} s, "
        f"{len(out)} rows"
    )
    print(f"ratio pandas / socialcare: {t_pd / t_ours:.2f}x")
    t_many, many = best_of(lambda: metrics.report(cols, by=["agent", "intent", "period"], tz=tz))
    print(
        f"socialcare report(by=[agent, intent, period]): {t_many:.3f} s, {len(many)} rows "
        "(typed row objects dominate with tens of thousands of groups)"
    )
    # Cross-check one figure so the two sides compute the same thing.
    ours = {tuple(r.keys.values()): r for r in rep}
    key = next(iter(ours))
    theirs = out.loc[(key[0], pd.Timestamp(key[1]))]
    assert ours[key].first_response_time.count == int(theirs["frt_count"])
    assert ours[key].reply_rate.numerator == int(theirs["replied"])

    n_obj = 100_000
    t = time.perf_counter()
    convs = build_conversations(n_obj)
    t_build = time.perf_counter() - t
    t_cols, _ = best_of(lambda: metrics.to_columns(convs), runs=1)
    t_cols_warm, _ = best_of(lambda: metrics.to_columns(convs), runs=1)
    print(
        f"object path: building {n_obj:,} Conversation objects {t_build:.2f} s (not ours to "
        f"optimise here); to_columns {t_cols:.2f} s cold (timelines computed), "
        f"{t_cols_warm:.2f} s warm, per 100k conversations"
    )


if __name__ == "__main__":
    main()
