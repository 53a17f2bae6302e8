"""A helpdesk embedding socialcare: decide, thread and time every incoming post.

What a helpdesk backend does when a webhook delivers a post: triage it (route, intent,
priority, take-it-private), add it to its conversation, ask the SLA policy what is due when,
and show agents a queue: each conversation decided on its open turn with the thread as
context, the most urgent first (``queue_key``).
Run: ``python examples/helpdesk_embedding.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from socialcare import (
    Author,
    Conversation,
    Post,
    RowError,
    ServiceWindow,
    SLAPolicy,
    Triager,
    build_conversations,
    queue_key,
)

BRAND = Author(id="acme_care", handle="AcmeCare", is_brand=True)
START = datetime(2024, 11, 8, 16, 40, tzinfo=timezone.utc)  # a Friday afternoon in Madrid

# The brand answers 24/7 on public channels, business hours in Madrid on private ones.
MADRID_OFFICE = ServiceWindow.weekly(
    "Europe/Madrid", {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}
)
POLICY = SLAPolicy.from_dict(
    {
        "targets": [
            {
                "metric": "first_response",
                "duration": "15m",
                "window": "always",
                "when": {"channel": "public"},
            },
            {"metric": "first_response", "duration": "1h", "window": MADRID_OFFICE.to_dict()},
            {"metric": "resolution", "duration": "2d", "window": "always"},
        ]
    }
)


class Inbox:
    """The helpdesk's view: posts so far, and a decision per customer post."""

    def __init__(self) -> None:
        self.triager = Triager.default()
        self.posts: list[Post] = []

    def receive(self, post: Post) -> None:
        self.posts.append(post)
        if post.author.is_brand:
            return
        decision = self.triager.decide(post)
        flags = []
        if decision.take_private:
            flags.append("ask to move to DM")
        if decision.sensitive:
            flags.append(f"sensitive: {decision.sensitive}")
        print(
            f"[{post.platform}] {post.text[:60]!r}\n    -> {decision.route} "
            f"({decision.intent}, {decision.confidence:.2f}, priority {decision.priority})"
            + (f"; {', '.join(flags)}" if flags else "")
        )

    def conversations(self) -> list[Conversation]:
        return list(build_conversations(self.posts).conversations)


def main() -> None:
    inbox = Inbox()
    customer = Author(id="u1", handle="laura_m", followers=310)
    star = Author(id="u2", handle="techreviewer", followers=480_000, verified=True)
    inbox.receive(
        Post(
            id="1",
            platform="twitter",
            author=customer,
            created_at=START,
            text="@AcmeCare my order #A-5512 still hasn't arrived, 10 days now 😤",
        )
    )
    inbox.receive(
        Post(
            id="2",
            platform="instagram",
            author=star,
            created_at=START + timedelta(minutes=2),
            text="Unboxing the new Acme blender... and it's cracked. Not great.",
        )
    )
    inbox.receive(
        Post(
            id="3",
            platform="whatsapp",
            author=customer,
            channel="private",
            created_at=START + timedelta(minutes=5),
            conversation_id="wa-1",
            text="Hola, ¿abrís mañana sábado?",
        )
    )
    inbox.receive(
        Post(
            id="4",
            platform="twitter",
            author=BRAND,
            in_reply_to="1",
            created_at=START + timedelta(minutes=11),
            text="Sorry Laura! Please DM us and we'll chase it right away.",
        )
    )

    now = START + timedelta(minutes=20)
    conversations = inbox.conversations()
    queue = []
    for conversation, report in zip(
        conversations, POLICY.evaluate_many(conversations, now), strict=True
    ):
        if isinstance(report, RowError):
            print(f"  could not evaluate: {report}")
            continue
        # The latest customer turn, with the thread as context (a sensitive thread stays
        # sensitive, a complaint's follow-up stays a complaint). For many conversations at
        # once, decide_many(conversations) does them in one batch.
        decision = inbox.triager.decide(conversation)
        waiting = conversation.timeline.first_customer_at
        key = queue_key(decision, report, now=now, waiting_since=waiting)
        queue.append((key, conversation.id, decision, report))

    print(f"\nQueue at {now:%a %H:%M} UTC, most urgent first:")
    for _, conversation_id, decision, report in sorted(queue, key=lambda item: item[0]):
        print(f"  {conversation_id:<5} {decision.route:<10} priority {decision.priority}")
        for result in report:
            due = "-" if result.due_at is None else f"{result.due_at:%a %H:%M} UTC"
            print(
                f"        {result.metric:<15} {result.state.value:<9} "
                f"due {due}, used {result.share:.0%}"
            )


if __name__ == "__main__":
    main()
