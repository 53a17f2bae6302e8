"""Test kit for apps that integrate socialcare: factories, a fixed clock, a stub classifier.

Also a pytest plugin (registered on install): the fixtures ``socialcare_clock``,
``post_factory`` and ``conversation_factory`` are available in any test suite. Hypothesis
strategies live in `socialcare.testing.strategies` (needs ``hypothesis``).

>>> from socialcare.testing import ConversationFactory
>>> conv = ConversationFactory(seed=1).answered(after_minutes=12)
>>> conv.first_response_at - conv.first_customer_at
datetime.timedelta(seconds=720)
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from socialcare._conversation import Conversation, StatusChange
from socialcare._errors import InvalidInputError, NotFittedError, TimezoneError
from socialcare._models import Author, Channel, Platform, Post, Survey

__all__ = [
    "ConversationFactory",
    "FixedClock",
    "PostFactory",
    "StubClassifier",
]

UTC = timezone.utc
DEFAULT_START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday morning

_CUSTOMER_TEXTS = (
    "@acme where is my order #A1234? it's been a week",
    "my card was charged twice, please refund",
    "what time do you open on sunday?",
    "love the new app, great job!!",
    "the delivery guy left my parcel in the rain 😡",
    "how do I change my delivery address?",
    "you should add dark mode",
    "follow me for free crypto signals 🚀",
)
_BRAND_TEXTS = (
    "Sorry to hear that! Could you DM us your order number?",
    "Thanks for reaching out, we're on it.",
    "We open at 10:00 on Sundays.",
    "Thank you so much! We'll pass it on to the team.",
)


class FixedClock:
    """A clock that says what the test tells it; pass ``clock.now()`` where ``now`` is due.

    >>> clock = FixedClock("2024-03-04T09:00:00Z")
    >>> clock.advance(minutes=15).isoformat()
    '2024-03-04T09:15:00+00:00'
    """

    def __init__(self, start: datetime | str = DEFAULT_START) -> None:
        from socialcare._time import parse_timestamp

        self._now = parse_timestamp(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        return self._now

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move the clock forward (``advance(minutes=5)``) and return the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise InvalidInputError("a clock only moves forward; use set() to go back")
        with self._lock:
            self._now += step
            return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (aware)."""
        if moment.tzinfo is None:
            raise TimezoneError("FixedClock.set() needs an aware datetime")
        with self._lock:
            self._now = moment.astimezone(UTC)
            return self._now


class PostFactory:
    """Makes valid posts with unique ids; any field can be overridden.

    >>> factory = PostFactory()
    >>> factory.customer(text="hi").author.is_brand, factory.agent().author.is_brand
    (False, True)
    """

    def __init__(
        self,
        *,
        platform: Platform | str = Platform.TWITTER,
        start: datetime = DEFAULT_START,
        seed: int = 0,
    ) -> None:
        if start.tzinfo is None:
            raise TimezoneError("PostFactory needs an aware start datetime")
        self.platform = Platform(platform)
        self.start = start.astimezone(UTC)
        self._random = random.Random(seed)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _next_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    def author(self, **fields: Any) -> Author:
        """A customer author (``is_brand=False``) unless fields say otherwise."""
        data: dict[str, Any] = {"id": f"user{self._random.randrange(10**6)}", "is_brand": False}
        data.update(fields)
        data.setdefault("handle", data["id"])
        return Author(**data)

    def post(self, *, minutes: float = 0, **fields: Any) -> Post:
        """A post ``minutes`` after the factory's start; fields override the defaults."""
        data: dict[str, Any] = {
            "id": self._next_id(),
            "platform": self.platform,
            "text": self._random.choice(_CUSTOMER_TEXTS),
            "created_at": self.start + timedelta(minutes=minutes),
        }
        data.update(fields)
        if "author" not in data:
            data["author"] = self.author()
        return Post(**data)

    def customer(self, *, minutes: float = 0, **fields: Any) -> Post:
        """A customer post."""
        return self.post(minutes=minutes, **fields)

    def agent(self, *, minutes: float = 0, **fields: Any) -> Post:
        """A brand post by a person."""
        fields.setdefault("author", Author(id="agent-1", handle="AcmeHelp", is_brand=True))
        fields.setdefault("text", self._random.choice(_BRAND_TEXTS))
        return self.post(minutes=minutes, **fields)

    def bot(self, *, minutes: float = 0, **fields: Any) -> Post:
        """An automated brand post."""
        fields.setdefault("author", Author(id="acme-bot", is_brand=True, is_bot=True))
        fields.setdefault("text", "Thanks! An agent will be with you shortly.")
        return self.post(minutes=minutes, **fields)


class ConversationFactory:
    """Makes conversations of common shapes for tests.

    >>> factory = ConversationFactory()
    >>> factory.unanswered().first_response_at is None
    True
    """

    def __init__(
        self,
        *,
        platform: Platform | str = Platform.TWITTER,
        start: datetime = DEFAULT_START,
        seed: int = 0,
    ) -> None:
        self.posts = PostFactory(platform=platform, start=start, seed=seed)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _conversation_id(self) -> str:
        with self._lock:
            return f"conv-{next(self._ids)}"

    def from_script(
        self,
        script: Iterable[tuple[str, float]],
        *,
        customer: Author | None = None,
        channel: Channel | str = Channel.PUBLIC,
        surveys: Sequence[Survey] = (),
        resolved_after_minutes: float | None = None,
        **labels: Any,
    ) -> Conversation:
        """A conversation from ``(role, minute)`` steps; roles: customer, agent, bot.

        >>> conv = ConversationFactory().from_script([("customer", 0), ("bot", 1),
        ...                                           ("agent", 30)])
        >>> conv.timeline.roles
        ('customer', 'bot', 'agent')
        """
        who = customer or self.posts.author()
        made: list[Post] = []
        parent: str | None = None
        for role, minute in script:
            if role == "customer":
                post = self.posts.customer(
                    minutes=minute, author=who, channel=channel, in_reply_to=parent
                )
            elif role == "agent":
                post = self.posts.agent(minutes=minute, channel=channel, in_reply_to=parent)
            elif role == "bot":
                post = self.posts.bot(minutes=minute, channel=channel, in_reply_to=parent)
            else:
                raise InvalidInputError(f"unknown role {role!r}: use customer, agent or bot")
            made.append(post)
            parent = post.id
        changes: list[StatusChange] = []
        if resolved_after_minutes is not None:
            changes.append(
                StatusChange(
                    at=self.posts.start + timedelta(minutes=resolved_after_minutes),
                    status="resolved",
                )
            )
        return Conversation(
            id=self._conversation_id(),
            posts=made,
            surveys=tuple(surveys),
            status_changes=changes,
            **labels,
        )

    def answered(self, *, after_minutes: float = 10, **options: Any) -> Conversation:
        """A customer post answered by a person ``after_minutes`` later."""
        return self.from_script([("customer", 0), ("agent", after_minutes)], **options)

    def unanswered(self, **options: Any) -> Conversation:
        """A customer post nobody answered yet."""
        return self.from_script([("customer", 0)], **options)

    def bot_then_agent(
        self, *, bot_minutes: float = 1, agent_minutes: float = 20, **options: Any
    ) -> Conversation:
        """An automated acknowledgement, then a person."""
        return self.from_script(
            [("customer", 0), ("bot", bot_minutes), ("agent", agent_minutes)], **options
        )


class StubClassifier:
    """A deterministic keyword classifier with the scikit-learn classifier interface.

    For tests that need predictable intents without the real model: the first keyword found
    (case-insensitive) decides, with ``confidence``; no keyword gives ``default`` with
    nearly uniform probabilities (the default class a little ahead), which any sensible
    threshold treats as uncertain.

    >>> stub = StubClassifier({"refund": "request", "love": "praise"}).fit([], [])
    >>> stub.predict(["I want a REFUND", "hello"]).tolist()
    ['request', 'query']
    """

    def __init__(
        self,
        keywords: Mapping[str, str] | None = None,
        *,
        default: str = "query",
        confidence: float = 0.95,
        classes: Sequence[str] = ("complaint", "feedback", "praise", "query", "request", "spam"),
    ) -> None:
        self.keywords = keywords
        self.default = default
        self.confidence = confidence
        self.classes = classes

    def fit(self, texts: Any = None, labels: Any = None) -> StubClassifier:
        """Check the configuration (the data is ignored) and return self."""
        import numpy as np

        keywords = dict(self.keywords or {"refund": "request", "love": "praise"})
        classes = sorted(set(self.classes) | set(keywords.values()) | {self.default})
        if not 0.0 < self.confidence <= 1.0:
            raise InvalidInputError("confidence must be in (0, 1]")
        self.keywords_ = {k.lower(): v for k, v in keywords.items()}
        self.classes_ = np.array(classes, dtype=object)
        return self

    def _index(self, text: Any) -> int | None:
        lowered = str(text or "").lower()
        for keyword, label in self.keywords_.items():
            if keyword in lowered:
                return int(list(self.classes_).index(label))
        return None

    def predict_proba(self, texts: Iterable[Any]) -> Any:
        """Probabilities per class, one row per text."""
        import numpy as np

        if not hasattr(self, "classes_"):
            raise NotFittedError("StubClassifier is not fitted: call fit() first")
        items = list(texts)
        n_classes = len(self.classes_)
        out = np.full((len(items), n_classes), 0.0)
        for row, text in enumerate(items):
            index = self._index(text)
            if index is None:  # unsure: nearly uniform, the default a little ahead
                out[row, :] = 1.0 / (n_classes + 1)
                out[row, list(self.classes_).index(self.default)] = 2.0 / (n_classes + 1)
                continue
            out[row, :] = (1.0 - self.confidence) / max(n_classes - 1, 1)
            out[row, index] = self.confidence if n_classes > 1 else 1.0
        return out

    def predict(self, texts: Iterable[Any]) -> Any:
        """The most likely class per text."""
        proba = self.predict_proba(texts)
        return self.classes_[proba.argmax(axis=1)]
