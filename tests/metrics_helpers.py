"""Shared fixtures for the metrics tests: a hand-checked set of conversations, a fake window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from socialcare import Author, Conversation, Post, StatusChange, Survey

UTC = timezone.utc
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday
ANA = Author(id="u1")
BEN = Author(id="u2")
CAT = Author(id="u3")
AGENT = Author(id="a1", is_brand=True)
AGENT2 = Author(id="a2", is_brand=True)
BOT = Author(id="bot", is_brand=True, is_bot=True)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def conv(
    cid: str,
    posts: list[tuple[Author, float]],
    *,
    resolved: tuple[float, ...] = (),
    reopened: tuple[float, ...] = (),
    surveys: tuple[tuple[str, int], ...] = (),
    platform: str = "twitter",
    **labels: Any,
) -> Conversation:
    changes = [StatusChange(at=at(m), status="resolved") for m in resolved]
    changes += [StatusChange(at=at(m), status="reopened") for m in reopened]
    return Conversation(
        id=cid,
        posts=[
            Post(id=f"{cid}-{i}", platform=platform, author=a, created_at=at(m))
            for i, (a, m) in enumerate(posts)
        ],
        status_changes=changes,
        surveys=[Survey(kind=k, score=s) for k, s in surveys],  # type: ignore[arg-type]
        **labels,
    )


def sample_conversations() -> list[Conversation]:
    """Six conversations whose every metric is worked out by hand in test_metrics_values."""
    return [
        conv(
            "c1",
            [(ANA, 0), (AGENT, 10), (ANA, 20), (AGENT, 50)],
            resolved=(60,),
            surveys=(("csat", 5), ("nps", 9)),
            route="agent",
            intent="billing",
            sentiment="negative",
        ),
        conv(
            "c2",
            [(BEN, 0), (BOT, 1), (AGENT2, 30)],
            resolved=(40, 70),
            reopened=(50,),
            surveys=(("csat", 3),),
            route="agent",
            intent="delivery",
            sentiment="neutral",
            platform="facebook",
        ),
        conv(
            "c3",
            [(CAT, 0), (AGENT, 5)],
            resolved=(15,),
            surveys=(("csat", 4), ("nps", 6)),
            route="agent",
            intent="billing",
            sentiment="positive",
        ),
        conv("c4", [(ANA, 0)], route="none", intent="praise", sentiment="positive"),
        conv("c5", [(BEN, 0)], route="agent", intent="delivery", sentiment="negative"),
        conv("c6", [(AGENT, 0)]),  # a campaign post: no customer
    ]


class DailyWindow:
    """A fake service window: open every day from ``open_hour`` to ``close_hour`` UTC."""

    def __init__(self, open_hour: int = 9, close_hour: int = 17) -> None:
        self.open_hour = open_hour
        self.close_hour = close_hour

    def elapsed_many(self, starts: Any, ends: Any) -> Any:
        out = []
        for s, e in zip(np.asarray(starts).tolist(), np.asarray(ends).tolist(), strict=True):
            total = timedelta(0)
            day = datetime(s.year, s.month, s.day)
            while day <= e:
                lo = max(s, day + timedelta(hours=self.open_hour))
                hi = min(e, day + timedelta(hours=self.close_hour))
                if hi > lo:
                    total += hi - lo
                day += timedelta(days=1)
            out.append(total)
        return np.array(out, dtype="timedelta64[us]")


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)
