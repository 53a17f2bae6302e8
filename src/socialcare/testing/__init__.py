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
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from socialcare._conversation import Conversation, StatusChange
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._models import Author, Channel, Platform, Post, Survey
from socialcare.testing._stubs import StubClassifier, StubTriager

__all__ = [
    "ConversationFactory",
    "FixedClock",
    "PostFactory",
    "StubClassifier",
    "StubTriager",
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
# Post and conversation ids are unique in the process, across every factory: two factories
# (or two tests) never make the same id, so their posts can be mixed in one batch.
_POST_IDS = itertools.count(1)
_CONVERSATION_IDS = itertools.count(1)
_ID_LOCK = threading.Lock()


def _next_post_id() -> str:
    with _ID_LOCK:
        return str(next(_POST_IDS))


def _next_conversation_id() -> str:
    with _ID_LOCK:
        return f"conv-{next(_CONVERSATION_IDS)}"


_BRAND_TEXTS = (
    "Sorry to hear that! Could you DM us your order number?",
    "Thanks for reaching out, we're on it.",
    "We open at 10:00 on Sundays.",
    "Thank you so much! We'll pass it on to the team.",
)


def _shifted(moment: datetime, step: timedelta) -> datetime:
    """``moment + step`` in UTC; leaving datetime's range is an InvalidInputError."""
    try:
        return moment.astimezone(UTC) + step
    except OverflowError:
        raise InvalidInputError(
            f"{moment.isoformat()} + {step} falls outside the years 1 to 9999 in UTC"
        ) from None


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
            self._now = _shifted(self._now, step)
            return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (aware)."""
        if moment.tzinfo is None:
            raise TimezoneError("FixedClock.set() needs an aware datetime")
        with self._lock:
            self._now = _shifted(moment, timedelta(0))
            return self._now


class PostFactory:
    """Makes valid posts with unique ids; any field can be overridden.

    Ids are unique across all factories in the process (a shared counter), so posts of two
    factories never collide; everything else follows ``seed``.

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
        self.start = _shifted(start, timedelta(0))
        self._random = random.Random(seed)

    def _next_id(self) -> str:
        return _next_post_id()

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
            "created_at": _shifted(self.start, timedelta(minutes=minutes)),
        }
        data.update(fields)
        if "author" not in data:
            data["author"] = self.author()
        return Post(**data)

    def customer(self, *, minutes: float = 0, text: str | None = None, **fields: Any) -> Post:
        """A customer post; ``text`` is what the customer wrote (a sample text if ``None``)."""
        if text is not None:
            fields["text"] = text
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

    Every shape takes ``text``: what the customer wrote (one text for every customer post, or
    one per customer post in order). Post and conversation ids are unique across factories.

    >>> factory = ConversationFactory()
    >>> factory.unanswered().first_response_at is None
    True
    >>> factory.answered(text="where is my parcel?").customer_posts[0].text
    'where is my parcel?'
    """

    def __init__(
        self,
        *,
        platform: Platform | str = Platform.TWITTER,
        start: datetime = DEFAULT_START,
        seed: int = 0,
    ) -> None:
        self.posts = PostFactory(platform=platform, start=start, seed=seed)

    def _conversation_id(self) -> str:
        return _next_conversation_id()

    def from_script(
        self,
        script: Iterable[tuple[str, float] | tuple[str, float, str]],
        *,
        text: str | Sequence[str] | None = None,
        customer: Author | None = None,
        channel: Channel | str = Channel.PUBLIC,
        surveys: Sequence[Survey] = (),
        resolved_after_minutes: float | None = None,
        **labels: Any,
    ) -> Conversation:
        """A conversation from ``(role, minute)`` or ``(role, minute, text)`` steps.

        Roles: customer, agent, bot. ``text`` gives the customer's words: one text for every
        customer post, or a list with one per customer post in order; a step's own text wins.

        >>> conv = ConversationFactory().from_script([("customer", 0, "refund please"),
        ...                                           ("bot", 1), ("agent", 30)])
        >>> conv.timeline.roles, conv.posts[0].text
        (('customer', 'bot', 'agent'), 'refund please')
        """
        steps: list[tuple[Any, ...]] = [tuple(step) for step in script]
        customer_steps = sum(1 for step in steps if step and step[0] == "customer")
        if text is None or isinstance(text, str):
            customer_texts: list[str | None] = [text] * customer_steps
        else:
            customer_texts = list(text)
            if len(customer_texts) != customer_steps:
                raise InvalidInputError(
                    f"text has {len(customer_texts)} entries but the script has "
                    f"{customer_steps} customer posts; give one text per customer post, or one "
                    "text for all"
                )
        who = customer or self.posts.author()
        made: list[Post] = []
        parent: str | None = None
        turn = 0
        for step in steps:
            if len(step) not in (2, 3):
                raise InvalidInputError(
                    f"a script step is (role, minute) or (role, minute, text), got {step!r}"
                )
            role: Any = step[0]
            minute: float = step[1]
            words: Any = step[2] if len(step) == 3 else None
            if words is not None and not isinstance(words, str):
                raise InvalidInputError(f"a step's text must be a string, got {words!r}")
            extra: dict[str, Any] = {} if words is None else {"text": words}
            if role == "customer":
                said = words if words is not None else customer_texts[turn]
                turn += 1
                post = self.posts.customer(
                    minutes=minute, text=said, author=who, channel=channel, in_reply_to=parent
                )
            elif role == "agent":
                post = self.posts.agent(
                    minutes=minute, channel=channel, in_reply_to=parent, **extra
                )
            elif role == "bot":
                post = self.posts.bot(minutes=minute, channel=channel, in_reply_to=parent, **extra)
            else:
                raise InvalidInputError(f"unknown role {role!r}: use customer, agent or bot")
            made.append(post)
            parent = post.id
        changes: list[StatusChange] = []
        if resolved_after_minutes is not None:
            changes.append(
                StatusChange(
                    at=_shifted(self.posts.start, timedelta(minutes=resolved_after_minutes)),
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

    def answered(
        self, *, after_minutes: float = 10, text: str | None = None, **options: Any
    ) -> Conversation:
        """A customer post (saying ``text``) answered by a person ``after_minutes`` later."""
        return self.from_script([("customer", 0), ("agent", after_minutes)], text=text, **options)

    def unanswered(self, *, text: str | None = None, **options: Any) -> Conversation:
        """A customer post (saying ``text``) nobody answered yet."""
        return self.from_script([("customer", 0)], text=text, **options)

    def bot_then_agent(
        self,
        *,
        bot_minutes: float = 1,
        agent_minutes: float = 20,
        text: str | None = None,
        **options: Any,
    ) -> Conversation:
        """A customer post (saying ``text``), an automated acknowledgement, then a person."""
        return self.from_script(
            [("customer", 0), ("bot", bot_minutes), ("agent", agent_minutes)],
            text=text,
            **options,
        )
