"""Write the bundled demo dataset: one simulated week of a brand's social inbox.

Run from the repository root: ``python scripts/make_demo_dataset.py``. It is seeded, so the
output is the same every time for the same corpus. Customer texts are drawn from the held-out
split of the triage corpus (``src/socialcare/_triage/corpus``, ``train_default.is_test``): the
bundled model never trained on any post the demo shows. Timings, platforms, authors, replies,
resolutions and surveys are simulated. Output: ``src/socialcare/_data/demo_posts.jsonl``
(posts, one per line) and ``src/socialcare/_data/demo_outcomes.json`` (status changes and
surveys per conversation).
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from socialcare._triage.train_default import is_test  # noqa: E402

CORPUS = ROOT / "src" / "socialcare" / "_triage" / "corpus"
OUT = ROOT / "src" / "socialcare" / "_data"
UTC = timezone.utc
WEEK_START = datetime(2024, 3, 4, tzinfo=UTC)  # Monday
PLATFORMS = [
    ("twitter", "public", 0.34),
    ("facebook", "public", 0.14),
    ("instagram", "public", 0.16),
    ("messenger", "private", 0.08),
    ("whatsapp", "private", 0.16),
    ("tiktok", "public", 0.06),
    ("linkedin", "public", 0.06),
]
AGENTS = ["agent_maya", "agent_tom", "agent_siti", "agent_yosef", "agent_lucia"]
REPLIES = [
    "Hi! Thanks for reaching out. Could you send us a DM with your order number?",
    "Sorry about this. We've passed it to the team and will update you shortly.",
    "Thanks so much for the kind words! We'll share them with the team.",
    "Hello! Here is the information you asked for: https://help.example/faq",
    "We've processed that for you. Anything else we can help with?",
]
CONVERSATIONS = 420
SEED = 20240304


def load_corpus() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    rows = [r for r in rows if is_test(str(r["text"]))]  # never a post the model trained on
    if not rows:
        raise SystemExit(f"no corpus files in {CORPUS}")
    return rows


def weighted(rng: random.Random, items: list[tuple[str, str, float]]) -> tuple[str, str]:
    point = rng.random() * sum(w for _, _, w in items)
    for name, channel, weight in items:
        point -= weight
        if point <= 0:
            return name, channel
    return items[-1][0], items[-1][1]


def reply_delay(rng: random.Random, when: datetime, intent: str) -> timedelta:
    """Fast in staffed hours (07-22 UTC), slower at night; complaints a little faster."""
    staffed = 7 <= when.hour < 22
    median_minutes = 7.0 if staffed else 45.0
    if intent == "complaint":
        median_minutes *= 0.8
    minutes = median_minutes * math.exp(rng.gauss(0.0, 0.9))
    return timedelta(minutes=max(0.5, minutes))


def main() -> None:
    rng = random.Random(SEED)
    corpus = load_corpus()
    posts: list[dict[str, object]] = []
    outcomes: dict[str, dict[str, list[dict[str, object]]]] = {}
    next_id = 1_770_000_000_000_000_000

    def new_id() -> str:
        nonlocal next_id
        next_id += rng.randrange(1, 5000)
        return str(next_id)

    for number in range(CONVERSATIONS):
        sample = corpus[rng.randrange(len(corpus))]
        intent = str(sample["intent"])
        platform, channel = weighted(rng, PLATFORMS)
        start = WEEK_START + timedelta(seconds=rng.randrange(7 * 86400))
        influencer = rng.random() < 0.04
        followers = (
            int(rng.lognormvariate(5.0, 1.6))
            if not influencer
            else rng.randrange(60_000, 2_000_000)
        )
        customer = {
            "id": f"cust{rng.randrange(10**7):07d}",
            "handle": f"user_{rng.randrange(10**6)}",
            "followers": followers,
            "verified": influencer and rng.random() < 0.6,
            "is_brand": False,
        }
        thread = f"{platform}-{number:04d}" if channel == "private" else None
        first = new_id()
        posts.append(
            {
                "id": first,
                "platform": platform,
                "author": customer,
                "text": sample["text"],
                "created_at": start.isoformat().replace("+00:00", "Z"),
                "channel": channel,
                "conversation_id": thread,
                "language": sample["language"],
            }
        )
        parent, clock = first, start
        if channel == "private" and rng.random() < 0.7:
            clock += timedelta(seconds=rng.randrange(2, 20))
            bot_id = new_id()
            posts.append(
                {
                    "id": bot_id,
                    "platform": platform,
                    "author": {
                        "id": "acme_bot",
                        "handle": "AcmeBot",
                        "is_brand": True,
                        "is_bot": True,
                    },
                    "text": "Thanks for your message! An agent will be with you shortly.",
                    "created_at": clock.isoformat().replace("+00:00", "Z"),
                    "channel": channel,
                    "conversation_id": thread,
                    "in_reply_to": parent,
                }
            )
            parent = bot_id
        answer_probability = {"spam": 0.05, "praise": 0.55}.get(intent, 0.9)
        resolved_at: datetime | None = None
        if rng.random() < answer_probability:
            turns = 1 if intent in {"praise", "spam", "query"} else rng.choice((1, 2, 2, 3))
            agent = rng.choice(AGENTS)
            for turn in range(turns):
                clock += reply_delay(rng, clock, intent)
                reply_id = new_id()
                posts.append(
                    {
                        "id": reply_id,
                        "platform": platform,
                        "author": {"id": agent, "handle": "AcmeCare", "is_brand": True},
                        "text": rng.choice(REPLIES),
                        "created_at": clock.isoformat().replace("+00:00", "Z"),
                        "channel": channel,
                        "conversation_id": thread,
                        "in_reply_to": parent,
                    }
                )
                parent = reply_id
                if turn < turns - 1:
                    clock += timedelta(minutes=rng.expovariate(1 / 40) + 1)
                    follow_id = new_id()
                    posts.append(
                        {
                            "id": follow_id,
                            "platform": platform,
                            "author": customer,
                            "text": rng.choice(
                                (
                                    "ok, sent",
                                    "done",
                                    "still nothing?",
                                    "thanks",
                                    "any update??",
                                    "DM sent 👍",
                                )
                            ),
                            "created_at": clock.isoformat().replace("+00:00", "Z"),
                            "channel": channel,
                            "conversation_id": thread,
                            "in_reply_to": parent,
                        }
                    )
                    parent = follow_id
            if intent != "spam" and rng.random() < 0.8:
                resolved_at = clock + timedelta(minutes=rng.expovariate(1 / 90) + 1)
        key = thread or first
        record: dict[str, list[dict[str, object]]] = {"status_changes": [], "surveys": []}
        if resolved_at is not None:
            record["status_changes"].append(
                {"at": resolved_at.isoformat().replace("+00:00", "Z"), "status": "resolved"}
            )
            if rng.random() < 0.06:
                reopened = resolved_at + timedelta(hours=rng.randrange(1, 30))
                record["status_changes"].append(
                    {"at": reopened.isoformat().replace("+00:00", "Z"), "status": "reopened"}
                )
            if rng.random() < 0.35:
                happy = intent in {"query", "praise"} or rng.random() < 0.6
                score = rng.choice((4, 5, 5)) if happy else rng.choice((1, 2, 3))
                record["surveys"].append({"kind": "csat", "score": score})
            if rng.random() < 0.2:
                record["surveys"].append({"kind": "nps", "score": rng.choice(range(11))})
        if record["status_changes"] or record["surveys"]:
            outcomes[key] = record

    posts.sort(key=lambda row: str(row["created_at"]))
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "demo_posts.jsonl").open("w", encoding="utf-8") as handle:
        for row in posts:
            clean = {k: v for k, v in row.items() if v is not None}
            handle.write(json.dumps(clean, ensure_ascii=False) + "\n")
    with (OUT / "demo_outcomes.json").open("w", encoding="utf-8") as handle:
        json.dump(outcomes, handle, ensure_ascii=False, indent=0, sort_keys=True)
        handle.write("\n")
    print(f"{len(posts)} posts in {CONVERSATIONS} conversations; outcomes for {len(outcomes)}")


if __name__ == "__main__":
    main()
