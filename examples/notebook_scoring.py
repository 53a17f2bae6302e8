"""Scoring an export the way a notebook would: DataFrame in, DataFrame out, plots to look at.

Reads the bundled demo export (a JSON Lines file, as a social tool exports it), triages every
post in one batch, builds conversations and labels them with ``triage_conversations`` (each
decided on its latest customer turn, the thread as context), runs the SLA clocks and the
metrics report, and saves three plots. Needs ``pip install 'socialcare[pandas,plot]'``.
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
    triage_conversations,
)
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

NEEDS_REPLY = {"route": ["auto", "agent", "specialist"]}
# Best practice for social care: 15 minutes to a first answer, 24/7; sensitive threads faster.
POLICY = SLAPolicy.from_dict(
    {
        "name": "social care best practice",
        "window": "always",
        "targets": [
            {
                "metric": "first_response",
                "duration": "5m",
                "when": {"sensitive": ["legal_threat", "safety", "media_crisis"]},
            },
            {"metric": "first_response", "duration": "15m", "when": NEEDS_REPLY},
            {"metric": "next_response", "duration": "1h", "when": NEEDS_REPLY},
            {"metric": "resolution", "duration": "4h", "when": {**NEEDS_REPLY, "intent": "query"}},
            {"metric": "resolution", "duration": "2d", "when": NEEDS_REPLY},
        ],
    }
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
    triager = Triager.default()
    decisions = triage_frame(
        frame,
        followers="followers",
        verified="verified",
        channel="channel",
        is_brand="is_brand",  # the brand's own replies: route none, no priority
        triager=triager,
    )
    scored = frame.join(decisions)
    customers = scored[~scored["is_brand"]]
    print("routes of customer posts by platform:")
    print(pd.crosstab(customers["platform"], customers["route"]).to_string(), "\n")

    # One batch for every conversation: intent, route, priority, sentiment, sensitive, language.
    conversations = triage_conversations(build_conversations(posts).conversations, triager)
    labels = pd.DataFrame([{"route": c.route, "priority": c.priority} for c in conversations])
    print("conversations by route and priority:")
    print(pd.crosstab(labels["route"], labels["priority"].fillna("-")).to_string(), "\n")

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

    now = max(p.created_at for p in posts) + timedelta(seconds=1)
    states = sla_frame(conversations, POLICY, now)
    print("SLA states:")
    print(pd.crosstab(states["metric"], states["state"]).to_string(), "\n")
    report = report_frame(conversations, by=["platform"], policy=POLICY, now=now)
    print(f"report: {len(report)} rows x {len(report.columns)} columns")

    first_response_distribution(conversations).figure.savefig(out_dir / "frt.png")
    sla_attainment_over_time(conversations, POLICY, now).figure.savefig(out_dir / "sla.png")
    volume_by(conversations).figure.savefig(out_dir / "volume.png")
    print(f"plots written to {out_dir}")


if __name__ == "__main__":
    main()
