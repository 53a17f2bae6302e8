"""Replies: `ReplyBook.reply` over 100,000 decisions, and acknowledgements with an ETA.

Alternative a user would write in an afternoon, measured in the same run: a dict of texts keyed
by (intent, language, platform) with fallbacks and ``str.format`` (no load-time checks, no
cleanup of empty names, no reasons). Goal (issue #13): `reply` for 100,000 decisions in under
one second.

    python benchmarks/replies.py
"""

from __future__ import annotations

import gc
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_note

from socialcare import Author, Conversation, Decision, Post, ReplyBook, SLAPolicy, acknowledge

N = 100_000
LANGUAGES = ("en", "es", "fr", "de", "pt", "id", "ms", "ar", "he")
PLATFORMS = ("twitter", "facebook", "instagram", "whatsapp", "tiktok", "linkedin")
INTENTS = ("query", "request", "complaint", "praise", "feedback")


def _decisions() -> list[Decision]:
    out = []
    for i in range(N):
        out.append(
            Decision(
                route="auto" if i % 10 else "agent",
                intent=INTENTS[i % len(INTENTS)],
                confidence=0.95,
                uncertain=False,
                priority="normal",
                sensitive=None,
                sentiment="neutral",
                take_private=False,
                language=LANGUAGES[i % len(LANGUAGES)],
                reasons=("benchmark",),
            )
        )
    return out


def _best(run, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """The best CPU time of ``repeat`` runs (CPU time: the machine is shared and loaded)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    print(machine_note())
    book = ReplyBook.starter()
    decisions = _decisions()
    platforms = [PLATFORMS[i % len(PLATFORMS)] for i in range(N)]

    # The afternoon alternative: a flat dict with fallbacks, str.format.
    source = book.to_dict()
    flat: dict[tuple[str, str, str], str] = {}
    for key, by_language in source["replies"].items():
        for language, value in by_language.items():
            variants = value if isinstance(value, dict) else {"*": value}
            for platform, text in variants.items():
                flat[key, language, platform] = text

    def plain() -> list[str | None]:
        out: list[str | None] = []
        for d, platform in zip(decisions, platforms, strict=True):
            if d.route != "auto" or d.sensitive is not None or d.intent is None:
                out.append(None)
                continue
            text = (
                flat.get((d.intent, d.language or "en", platform))
                or flat.get((d.intent, d.language or "en", "*"))
                or flat.get((d.intent, "en", "*"))
            )
            out.append(None if text is None else text.format(customer="", agent="", brand=""))
        return out

    def ours() -> list[object]:
        return [book.reply(d, platform=p) for d, p in zip(decisions, platforms, strict=True)]

    ours_s = _best(ours)
    plain_s = _best(plain)
    made = sum(r is not None for r in ours())
    print(
        f"reply() for {N:,} decisions ({made:,} replies): {ours_s:.3f} s "
        f"({ours_s / N * 1e6:.2f} us each; goal < 1 s)"
    )
    print(
        f"dict + str.format alternative: {plain_s:.3f} s; ours / alternative time ratio "
        f"{ours_s / plain_s:.2f}x (ours also checks input, fills defaults, says why)"
    )

    policy = SLAPolicy.from_dict(
        {
            "window": {"timezone": "Europe/Madrid", "hours": {"mon-fri": "09:00-18:00"}},
            "targets": [{"metric": "first_response", "duration": "15m"}],
        }
    )
    start_at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    conversations = [
        Conversation(
            id=f"c{i}",
            posts=(
                Post(
                    id=f"p{i}",
                    platform=PLATFORMS[i % len(PLATFORMS)],
                    author=Author(id=f"u{i}"),
                    text="help",
                    created_at=start_at + timedelta(minutes=37 * i),
                ),
            ),
            route="agent",
            intent="complaint",
            language=LANGUAGES[i % len(LANGUAGES)],
        )
        for i in range(2_000)
    ]
    acknowledge(conversations[0], policy, conversations[0].posts[0].created_at, book=book)

    def acks() -> None:
        for c in conversations:
            acknowledge(c, policy, c.posts[0].created_at, book=book)

    ack_s = _best(acks, repeat=2)
    print(
        f"acknowledge() with the SLA's ETA worded by Babel: {ack_s / len(conversations) * 1e6:.0f}"
        " us per conversation (policy evaluation included)"
    )


if __name__ == "__main__":
    main()
