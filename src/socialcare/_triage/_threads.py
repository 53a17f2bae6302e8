"""Triage of whole conversations: the open customer turn, decided with the thread as context.

A conversation is decided on its latest customer turn (the customer's consecutive posts since
the brand last spoke, read as one text), then the thread rules of `thread_rules` apply:

- a thread once sensitive stays sensitive (to a specialist);
- a follow-up in a complaint thread stays a complaint (never auto-answered);
- a customer's answer to the brand's question is not a new query (a person continues).

Every earlier customer turn is decided in the same batch, so a list of conversations costs one
engine pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare._models import Channel, Post
from socialcare._triage._decision import Decision, make_decision, plain_decision
from socialcare._triage._input import TriageInput
from socialcare._triage._rules import TriageRules

if TYPE_CHECKING:
    from socialcare._triage._triager import Triager

__all__ = [
    "Turn",
    "customer_turns",
    "decide_threads",
    "thread_labels",
    "thread_rules",
    "triage_conversations",
]

_QUESTION_MARKS = ("?", "¿", "؟")


class Turn:
    """Consecutive customer posts, read as one text, and what the brand said just before."""

    __slots__ = ("brand_asked", "posts")

    def __init__(self, posts: Sequence[Post], *, brand_asked: bool) -> None:
        self.posts = tuple(posts)
        self.brand_asked = brand_asked

    def as_input(self) -> TriageInput:
        """The turn as one triage input: the texts joined, the first post's author and channel."""
        first = self.posts[0]
        author = first.author
        return TriageInput.model_construct(
            text="\n".join(post.text for post in self.posts),
            platform=first.platform,
            followers=author.followers,
            verified=author.verified,
            public=first.channel == Channel.PUBLIC,
            is_brand=False,
            automated=False,
            language=first.language,
        )


def customer_turns(conversation: Conversation) -> tuple[list[Turn], bool]:
    """The customer turns of a conversation, oldest first, and whether the last one is open.

    A turn is *open* when no brand post follows it. ``brand_asked`` is set on a turn that
    follows a brand post holding a question mark.
    """
    turns: list[Turn] = []
    current: list[Post] = []
    last_brand: Post | None = None
    asked = False
    for post, role in zip(conversation.posts, conversation.timeline.roles, strict=True):
        if role == "customer":
            if not current:
                asked = last_brand is not None and _asks(last_brand.text)
            current.append(post)
            continue
        if current:
            turns.append(Turn(current, brand_asked=asked))
            current = []
        last_brand = post
    if current:
        turns.append(Turn(current, brand_asked=asked))
    is_open = bool(turns) and conversation.timeline.roles[-1] == "customer"
    return turns, is_open


def _asks(text: str) -> bool:
    return any(mark in text for mark in _QUESTION_MARKS)


def thread_rules(
    latest: Decision,
    earlier: Sequence[Decision],
    rules: TriageRules,
    *,
    brand_asked: bool,
    is_open: bool = True,
) -> Decision:
    """The decision of a conversation's latest turn, corrected by what the thread showed.

    A pure function of decisions: ``latest`` for the latest customer turn, ``earlier`` for
    the turns before it (oldest first).

    >>> def d(intent, route, sensitive=None):
    ...     return Decision(route=route, intent=intent, confidence=0.99, uncertain=False,
    ...                     priority="normal", sensitive=sensitive, sentiment="neutral",
    ...                     take_private=False, reasons=(f"intent {intent!r}",))
    >>> follow_up = thread_rules(d("query", "auto"), [d("complaint", "agent")], TriageRules(),
    ...                          brand_asked=False)
    >>> follow_up.intent, follow_up.route
    ('complaint', 'agent')
    """
    if latest.error is not None or latest.priority is None:
        return latest  # unreadable, or the brand's own words: nothing to correct
    fields = dict(latest.__dict__)
    if latest.language is None:  # ("ok" at the end of a thread in Malay: the thread's language)
        fields["language"] = next(
            (d.language for d in reversed(earlier) if d.language is not None), None
        )
    reasons = list(latest.reasons)
    sensitive = latest.sensitive
    flagged = next((d.sensitive for d in earlier if d.sensitive is not None), None)
    if sensitive is None and flagged is not None:
        sensitive = flagged
        fields["sensitive"] = flagged
        fields["crisis"] = flagged == "self_harm"
        fields["route"] = "specialist"
        reasons.append(f"thread flagged {flagged} earlier: it stays sensitive")
    intent = latest.intent
    if intent != "complaint" and any(d.intent == "complaint" for d in earlier):
        intent = "complaint"
        fields["intent"] = "complaint"
        reasons.append("follow-up in a complaint thread: still a complaint")
    elif (
        brand_asked
        and earlier
        and earlier[-1].intent is not None
        and (intent in rules.auto_intents or intent in rules.no_reply_intents)
    ):
        intent = earlier[-1].intent
        fields["intent"] = intent
        reasons.append("answers the brand's question: the thread's intent continues")
    if fields["route"] in ("auto", "none") and intent != latest.intent:
        fields["route"] = "agent"
        reasons.append("a person continues the thread")
    elif brand_asked and fields["route"] == "auto":
        fields["route"] = "agent"
        reasons.append("answers the brand's question: a person continues")
    if not is_open:
        reasons.append("the brand spoke last: nothing awaits a reply yet")
    fields["reasons"] = tuple(reasons)
    fields["priority"] = rules.compiled().priority(
        fields["intent"], sensitive, fields["sentiment"], fields["influencer"], fields["route"]
    )
    return make_decision(fields)


class _Thread:
    """A conversation's turns, each decided on its own, and how its last turn stands."""

    __slots__ = ("asked", "is_open", "turns")

    def __init__(self, turns: list[Decision], *, asked: bool, is_open: bool) -> None:
        self.turns = turns
        self.asked = asked
        self.is_open = is_open


def _decide_turns(triager: Triager, conversations: Sequence[Conversation]) -> list[_Thread | None]:
    """Every customer turn of every conversation decided in one batch (None: no customer)."""
    inputs: list[TriageInput] = []
    plans: list[tuple[int, int, bool, bool] | None] = []  # (first input, turns, asked, open)
    for conversation in conversations:
        turns, is_open = customer_turns(conversation)
        if not turns:
            plans.append(None)
            continue
        plans.append((len(inputs), len(turns), turns[-1].brand_asked, is_open))
        inputs.extend(turn.as_input() for turn in turns)
    decided = triager._decide_inputs(inputs) if inputs else []
    out: list[_Thread | None] = []
    for plan in plans:
        if plan is None:
            out.append(None)
            continue
        start, count, asked, is_open = plan
        out.append(_Thread(decided[start : start + count], asked=asked, is_open=is_open))
    return out


def decide_threads(triager: Triager, conversations: Sequence[Conversation]) -> list[Decision]:
    """One decision per conversation: its latest customer turn with the thread as context."""
    rules = triager.rules
    return [
        _no_customer(rules)
        if thread is None
        else thread_rules(
            thread.turns[-1],
            thread.turns[:-1],
            rules,
            brand_asked=thread.asked,
            is_open=thread.is_open,
        )
        for thread in _decide_turns(triager, conversations)
    ]


_ROUTE_RANK = {"none": 0, "auto": 1, "agent": 2, "specialist": 3}
_NO_CUSTOMER_LABELS: dict[str, Any] = {
    "intent": None,
    "route": "none",
    "priority": None,
    "sentiment": None,
    "sensitive": None,
    "language": None,
}


def thread_labels(turns: Sequence[Decision], latest: Decision) -> dict[str, Any]:
    """What a conversation is about, from all its turns (the labels of ``triage_conversations``).

    ``latest`` is the thread's decision (`thread_rules`); the labels describe the whole
    conversation, not only its open turn, so a query answered and closed with "thanks!" stays
    a query that needed an answer:

    - ``intent``: ``complaint`` if any turn was one, else the first turn's intent;
    - ``route`` and ``priority``: the most demanding of any turn and of ``latest``
      (specialist > agent > auto > none; urgent > high > normal > low);
    - ``sentiment``: ``negative`` if any turn was, else the first turn's;
    - ``sensitive``: the first kind flagged; ``language``: the first turn's.

    >>> def d(intent, route, priority="normal", sentiment="neutral"):
    ...     return Decision(route=route, intent=intent, confidence=0.9, uncertain=False,
    ...                     priority=priority, sensitive=None, sentiment=sentiment,
    ...                     take_private=False, reasons=())
    >>> turns = [d("query", "auto"), d("praise", "none", "low", "positive")]
    >>> labels = thread_labels(turns, turns[-1])
    >>> labels["intent"], labels["route"], labels["priority"], labels["sentiment"]
    ('query', 'auto', 'normal', 'neutral')
    """
    from socialcare._triage._decision import PRIORITY_RANK

    every = [*turns, latest]
    intents = [d.intent for d in turns if d.intent is not None]
    intent = "complaint" if "complaint" in intents else (intents[0] if intents else None)
    sentiments = [d.sentiment for d in turns]
    return {
        "intent": intent,
        "route": max((d.route for d in every), key=_ROUTE_RANK.__getitem__),
        "priority": max((d.priority for d in every), key=PRIORITY_RANK.__getitem__),
        "sentiment": "negative" if "negative" in sentiments else sentiments[0],
        "sensitive": next((d.sensitive for d in every if d.sensitive is not None), None),
        "language": next((d.language for d in every if d.language is not None), None),
    }


def _no_customer(rules: TriageRules) -> Decision:
    return plain_decision("none", "no customer post in this conversation: nothing to answer")


def triage_conversations(
    conversations: Iterable[Conversation], triager: Triager | None = None
) -> list[Conversation]:
    """The conversations labelled by triage, for SLA conditions and metrics.

    Each gets ``intent``, ``route``, ``priority``, ``sentiment``, ``sensitive`` and
    ``language`` from `thread_labels`: every customer turn decided, with the thread
    rules of [`Triager.decide`][socialcare.Triager.decide] on the latest. A conversation with
    no customer post gets route ``none`` and no other label. ``triager`` defaults to
    ``Triager.default()``.

    >>> from datetime import datetime, timezone
    >>> from socialcare import Author, Post, Conversation
    >>> post = Post(id="1", platform="x", author=Author(id="ana"), text="my parcel never came",
    ...             created_at=datetime(2024, 5, 1, tzinfo=timezone.utc))
    >>> [labelled] = triage_conversations([Conversation(id="c1", posts=(post,))])
    >>> labelled.route in {"agent", "specialist"}, labelled.priority is not None
    (True, True)
    """
    if conversations is None or isinstance(conversations, Conversation):
        raise InvalidInputError("triage_conversations takes a list of conversations")
    items = list(conversations)
    for i, item in enumerate(items):
        if not isinstance(item, Conversation):
            raise InvalidInputError(
                f"triage_conversations: item {i} is a {type(item).__name__}, not a Conversation"
            )
    if triager is None:
        from socialcare._triage._triager import Triager

        triager = Triager.default()
    rules = triager.rules
    out: list[Conversation] = []
    for conversation, thread in zip(items, _decide_turns(triager, items), strict=True):
        if thread is None:  # only the brand spoke: nothing awaits a reply
            out.append(conversation.model_copy(update=_NO_CUSTOMER_LABELS))
            continue
        latest = thread_rules(
            thread.turns[-1],
            thread.turns[:-1],
            rules,
            brand_asked=thread.asked,
            is_open=thread.is_open,
        )
        labelled: Conversation = conversation.model_copy(update=thread_labels(thread.turns, latest))
        out.append(labelled)
    return out
