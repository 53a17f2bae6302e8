"""SLA clocks: load a policy from configuration and see where each conversation stands.

Run with ``python3 examples/sla_policy.py`` after ``python3 -m pip install .``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from socialcare import SLAPolicy, build_conversations

# As it would sit in a helpdesk's configuration file (JSON or YAML).
POLICY = {
    "name": "social care, UK",
    "window": {
        "timezone": "Europe/London",
        "hours": {"mon-fri": "08:00-20:00", "sat,sun": "10:00-16:00"},
        "holidays": ["2024-12-25", "2024-12-26"],
    },
    "targets": [
        {"metric": "first_response", "duration": "15m", "when": {"channel": "public"}},
        {"metric": "first_response", "duration": "1h"},
        {"metric": "next_response", "duration": "30m"},
        {"metric": "resolution", "duration": "8h"},
    ],
}

ROWS = [
    {
        "id": "1",
        "platform": "twitter",
        "author": {"id": "ana"},
        "text": "@Acme my parcel?",
        "created_at": "2024-12-24T19:50:00Z",
    },
    {
        "id": "2",
        "platform": "twitter",
        "author": {"id": "acme"},
        "text": "On it, Ana!",
        "created_at": "2024-12-27T08:10:00Z",
        "in_reply_to": "1",
    },
    {
        "id": "3",
        "platform": "twitter",
        "author": {"id": "ana"},
        "text": "Still nothing",
        "created_at": "2024-12-27T09:00:00Z",
        "in_reply_to": "2",
    },
    {
        "id": "10",
        "platform": "instagram",
        "author": {"id": "bo"},
        "text": "Do you ship to Spain?",
        "created_at": "2024-12-27T09:20:00Z",
        "channel": "private",
    },
]


def main() -> None:
    policy = SLAPolicy.from_dict(POLICY)
    now = datetime(2024, 12, 27, 9, 40, tzinfo=timezone.utc)
    for conversation in build_conversations(ROWS, brand=["acme"]):
        print(f"conversation {conversation.id}:")
        for result in policy.evaluate(conversation, now):
            due = result.due_at.isoformat(timespec="minutes") if result.due_at else "-"
            print(
                f"  {result.metric:<15} {result.state.value:<9} due {due}  "
                f"used {result.share:.0%} of {result.target.duration}"
            )


if __name__ == "__main__":
    main()
