"""Quickstart: group a small export of posts into conversations and report first responses.

Run with ``python3 examples/quickstart.py`` after ``python3 -m pip install .``.
"""

from __future__ import annotations

from socialcare import build_conversations

# A few rows as a social tool exports them: mixed timestamp shapes, a duplicate, a bad row.
ROWS = [
    {
        "id": "100",
        "platform": "twitter",
        "author": {"id": "u1", "handle": "@maria_g"},
        "text": "@AcmeAir my flight AC123 got cancelled, what now??",
        "created_at": "2024-03-08T07:58:00Z",
    },
    {
        "id": "101",
        "platform": "twitter",
        "author": {"id": "b1", "handle": "AcmeAirHelp"},
        "text": "Hi Maria, sorry about that! DM us your booking ref and we'll rebook you.",
        "created_at": "2024-03-08T08:09:30Z",
        "in_reply_to": "100",
    },
    {
        "id": "102",
        "platform": "twitter",
        "author": {"id": "u1", "handle": "@maria_g"},
        "text": "sent!",
        "created_at": "2024-03-08T08:15:00Z",
        "in_reply_to": "101",
    },
    {
        "id": "103",
        "platform": "twitter",
        "author": {"id": "b1", "handle": "AcmeAirHelp"},
        "text": "Done: you're on AC125 at 14:05. Safe travels!",
        "created_at": "2024-03-08T08:40:00Z",
        "in_reply_to": "102",
    },
    {
        "id": "m-9",
        "platform": "whatsapp",
        "author": {"id": "+00-555-0101"},
        "text": "Olá, vocês abrem no domingo?",
        "created_at": 1709900000,
        "conversation_id": "wa-77",
        "channel": "private",
    },
    {
        "id": "m-10",
        "platform": "whatsapp",
        "author": {"id": "acme-bot", "is_bot": True, "is_brand": True},
        "text": "Thanks for your message! An agent will reply soon.",
        "created_at": 1709900004,
        "conversation_id": "wa-77",
        "channel": "private",
    },
    {
        "id": "m-11",
        "platform": "whatsapp",
        "author": {"id": "b2", "is_brand": True},
        "text": "Olá! Sim, das 10h às 16h.",
        "created_at": "2024-03-08T12:31:10+00:00",
        "conversation_id": "wa-77",
        "channel": "private",
    },
    {
        "id": "200",
        "platform": "instagram",
        "author": {"id": "u7", "followers": 250_000, "verified": True},
        "text": "Still waiting on my refund 😤",
        "created_at": "Fri Mar 08 09:12:00 +0000 2024",
    },
    # The same post exported twice: dropped and counted.
    {
        "id": "200",
        "platform": "instagram",
        "author": {"id": "u7", "followers": 250_000, "verified": True},
        "text": "Still waiting on my refund 😤",
        "created_at": "Fri Mar 08 09:12:00 +0000 2024",
    },
    # A naive timestamp: reported, never guessed.
    {
        "id": "300",
        "platform": "facebook",
        "author": {"id": "u9"},
        "text": "hello?",
        "created_at": "2024-03-08 10:00:00",
    },
]


def main() -> None:
    result = build_conversations(ROWS, brand=["AcmeAirHelp"])
    print(
        f"{len(result)} conversations, {result.duplicates_dropped} duplicate(s) dropped, "
        f"{len(result.errors)} bad row(s)"
    )
    for conversation in result:
        customer = conversation.customer.id if conversation.customer else "-"
        human = conversation.first_human_response_at
        first = conversation.first_response_at
        start = conversation.first_customer_at
        waited = "no human reply yet" if human is None or start is None else str(human - start)
        bot = "" if first is None or first == human else " (bot acknowledged first)"
        print(
            f"  {conversation.platform:<10} {conversation.id:<6} customer {customer:<13} "
            f"first human reply after {waited}{bot}"
        )
    for error in result.errors:
        print(f"  skipped {error}")


if __name__ == "__main__":
    main()
