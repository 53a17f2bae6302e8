"""Scoring an export the way a notebook would: DataFrame in, DataFrame out, plots to look at.

Reads the bundled demo export (a JSON Lines file, as a social tool exports it), triages every
post in one batch, builds conversations, runs the SLA clocks and the metrics report, and saves
three plots. Needs ``pip install 'socialcare[pandas,plot]'``.
Run: ``python examples/notebook_scoring.py [OUTPUT_DIR]``.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from socialcare import (
    SLAPolicy,
    Triager,
    build_conversations,
)
from socialcare.cli import DEFAULT_POLICY
from socialcare.exports import iter_posts
from socialcare.pandas import (
    conversations_frame,
    report_frame,
    sla_frame,
    triage_frame,
)
from socialcare.plot import (
    first_response_distribution,
    sla_attainment_over_time,
    volume_by,
)


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    export = resources.files("socialcare") / "_data" / "demo_posts.jsonl"
    with resources.as_file(export) as path:
        parsed = list(iter_posts(path))
    posts = [p for _, p in parsed if not hasattr(p, "error")]
    frame = pd.DataFrame(
        {
            "id": [p.id for p in posts],
            "platform": [str(p.platform) for p in posts],
            "text": [p.text for p in posts],
            "followers": [p.author.followers for p in posts],
            "verified": [p.author.verified for p in posts],
            "channel": [p.channel.value for p in posts],
            "is_brand": [bool(p.author.is_brand) for p in posts],
        }
    )
    customers = frame[~frame["is_brand"]]
    decisions = triage_frame(
        customers,
        followers="followers",
        verified="verified",
        channel="channel",
        triager=Triager.default(),
    )
    scored = customers.join(decisions)
    print("routes by platform:")
    print(pd.crosstab(scored["platform"], scored["route"]).to_string(), "\n")

    by_id = dict(zip(scored["id"], scored.to_dict("records"), strict=True))
    conversations = []
    for conversation in build_conversations(posts):
        first = next(iter(conversation.customer_posts), None)
        row = by_id.get(first.id) if first is not None else None
        if row is None:
            conversations.append(conversation)
            continue
        conversations.append(
            conversation.attach(
                intent=row["intent"], route=row["route"], sentiment=row["sentiment"]
            )
        )
    per_conversation = conversations_frame(conversations)
    print("first human response, minutes, by intent (median):")
    medians = (
        per_conversation.assign(
            minutes=per_conversation["first_human_response_time"].dt.total_seconds() / 60
        )
        .groupby("intent", observed=True)["minutes"]
        .median()
        .round(1)
    )
    print(medians.to_string(), "\n")

    policy = SLAPolicy.from_dict(DEFAULT_POLICY)
    now = max(p.created_at for p in posts) + timedelta(seconds=1)
    states = sla_frame(conversations, policy, now)
    print("SLA states:")
    print(pd.crosstab(states["metric"], states["state"]).to_string(), "\n")
    report = report_frame(conversations, by=["platform"], policy=policy, now=now)
    print(f"report: {len(report)} rows x {len(report.columns)} columns")

    first_response_distribution(conversations).figure.savefig(out_dir / "frt.png")
    sla_attainment_over_time(conversations, policy, now).figure.savefig(out_dir / "sla.png")
    volume_by(conversations).figure.savefig(out_dir / "volume.png")
    print(f"plots written to {out_dir}")


if __name__ == "__main__":
    main()
