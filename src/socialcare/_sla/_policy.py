"""SLA policies: targets per metric, which conversations they apply to, and the SLA clock.

A policy is a list of targets. Each target names a metric (first response, next response,
resolution), a duration, the service window its clock runs in (calendar time if none), and a
condition on the conversation. For each metric the first target whose condition matches
applies. `SLAPolicy.evaluate` runs the clocks of one conversation as of an instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from socialcare._base import Frozen
from socialcare._conversation import Conversation, RowError
from socialcare._errors import InvalidInputError, SocialcareError, TimezoneError, from_pydantic
from socialcare._models import Channel, Platform
from socialcare._sla._window import ServiceWindow

__all__ = [
    "SLACondition",
    "SLAPolicy",
    "SLAReport",
    "SLAResult",
    "SLAState",
    "SLATarget",
    "parse_duration",
]

UTC = timezone.utc
Metric = Literal["first_response", "next_response", "resolution"]
METRICS: tuple[Metric, ...] = ("first_response", "next_response", "resolution")
_ZERO = timedelta(0)
# The longest target a policy takes: ten years (3660 days) of its clock. Longer is a typo
# ("100000000d"), and due instants past the year 9999 cannot be represented.
MAX_TARGET = timedelta(days=3660)
# The end of an open pause (waiting on the customer now): after any instant.
_OPEN_END = datetime.max.replace(tzinfo=timezone.utc)
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_COMPACT = re.compile(r"^(?:(\d+(?:\.\d+)?)([wdhms]))+$")
_COMPACT_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_ISO = re.compile(
    r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> timedelta:
    """Read a duration: ``"15m"``, ``"2h"``, ``"2d"``, ``"1h30m"``, ISO 8601 ``"PT15M"``,
    a number of seconds, or a ``timedelta``.

    Units are ``w``, ``d``, ``h``, ``m``, ``s``; a day is 24 hours of the clock it is used with
    (in business time, ``"2d"`` is 48 hours of open time, not two working days).

    >>> [parse_duration(v).total_seconds() for v in ("1h30m", "PT15M", 90, "2d")]
    [5400.0, 900.0, 90.0, 172800.0]
    """
    try:
        return _parse_duration(value)
    except OverflowError:
        raise InvalidInputError(
            f"duration {value!r} is too long: a duration must be under 999999999 days "
            "(and an SLA target at most 3660 days)"
        ) from None


def _parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise InvalidInputError(f"a duration cannot be a boolean, got {value!r}")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInputError(f"a duration must be finite, got {value!r}")
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if _COMPACT.match(text):
            seconds = sum(
                float(number) * _UNIT_SECONDS[unit] for number, unit in _COMPACT_PART.findall(text)
            )
            return timedelta(seconds=seconds)
        match = _ISO.match(value.strip().upper())
        if match and any(match.groups()) and not value.strip().upper().endswith("T"):
            weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    raise InvalidInputError(
        f"cannot read duration {value!r}: write it as '15m', '2h', '2d', '1h30m', ISO 8601 "
        "'PT15M', or a number of seconds"
    )


def format_duration(value: timedelta) -> str:
    """The compact text `parse_duration` reads back (``"1h30m"``)."""
    total = value // timedelta(microseconds=1)
    if total % 1_000_000:
        return f"{total / 1_000_000}s"
    seconds = total // 1_000_000
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


class SLAState(str, Enum):
    """Where an SLA clock stands.

    ``pending``: running, below the at-risk share; ``at_risk``: running, past it (75% of the
    target by default); ``met``: stopped within the target; ``breached``: the due instant has
    passed without a stop, or the stop came after it; ``paused``: resolution waits on the
    customer (a brand reply is the last word), so the clock does not run.
    """

    PENDING = "pending"
    AT_RISK = "at_risk"
    MET = "met"
    BREACHED = "breached"
    PAUSED = "paused"


_Model = Frozen


def _choices(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = tuple(value)
        if not items or not all(isinstance(item, str) for item in items):
            raise ValueError(f"expected text or a non-empty list of text, got {value!r}")
        return items
    raise ValueError(f"expected text or a list of text, got {value!r}")


class SLACondition(_Model):
    """Which conversations a target applies to: every named field must match.

    A field left out matches anything. A field given as a list matches any of its values.
    ``tags`` matches when the conversation carries all the listed tags. Labels (intent,
    priority, route, sentiment, sensitive, language, tags) compare without regard to case;
    [`triage_conversations`][socialcare.triage_conversations] sets them from triage.

    >>> SLACondition(platform=["twitter", "instagram"], priority="urgent").platform
    ('twitter', 'instagram')
    """

    platform: tuple[str, ...] | None = None
    channel: tuple[str, ...] | None = None
    intent: tuple[str, ...] | None = None
    priority: tuple[str, ...] | None = None
    route: tuple[str, ...] | None = None
    sentiment: tuple[str, ...] | None = None
    sensitive: tuple[str, ...] | None = None
    language: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None

    @field_validator(
        "intent", "priority", "route", "sentiment", "sensitive", "language", "tags", mode="before"
    )
    @classmethod
    def _labels(cls, value: Any) -> tuple[str, ...] | None:
        return _choices(value)

    @field_validator("platform", mode="before")
    @classmethod
    def _platforms(cls, value: Any) -> tuple[str, ...] | None:
        names = _choices(value)
        return None if names is None else tuple(str(Platform(name)) for name in names)

    @field_validator("channel", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> tuple[str, ...] | None:
        names = _choices(value)
        if names is None:
            return None
        try:
            return tuple(Channel(name.strip().lower()).value for name in names)
        except ValueError:
            raise ValueError(f"a channel is 'public' or 'private', got {value!r}") from None

    def matches(self, conversation: Conversation) -> bool:
        """Whether ``conversation`` meets every field of the condition."""
        if self.platform is not None and str(conversation.platform) not in self.platform:
            return False
        if self.channel is not None and conversation.channel.value not in self.channel:
            return False
        for name in ("intent", "priority", "route", "sentiment", "sensitive", "language"):
            wanted: tuple[str, ...] | None = getattr(self, name)
            if wanted is not None:
                actual = getattr(conversation, name)
                if actual is None or actual.casefold() not in {w.casefold() for w in wanted}:
                    return False
        if self.tags is not None:
            have = {tag.casefold() for tag in conversation.tags}
            if not all(tag.casefold() in have for tag in self.tags):
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, single values unwrapped."""
        out: dict[str, Any] = {}
        for name, value in self:
            if value is not None:
                out[name] = value[0] if len(value) == 1 and name != "tags" else list(value)
        return out


class SLATarget(_Model):
    """One promise: a metric, a duration, the clock it runs on, and where it applies.

    Attributes:
        metric: ``"first_response"`` (first customer post to the first brand reply by a
            person), ``"next_response"`` (each later customer turn to the brand's reply) or
            ``"resolution"`` (first customer post to resolution, paused while waiting on the
            customer).
        duration: the target, more than zero and at most 3660 days (``MAX_TARGET``, about
            ten years; text such as ``"15m"`` is read with `parse_duration`).
        window: the service window the clock runs in; ``ServiceWindow.always()`` (the
            default) is calendar time.
        when: the condition on the conversation (default: every conversation).
        count_automated: whether an automated brand reply stops response clocks (and pauses
            resolution); ``None`` takes the policy's setting.
        name: a label for reports.

    >>> SLATarget(metric="first_response", duration="15m").duration
    datetime.timedelta(seconds=900)
    """

    metric: Metric
    duration: timedelta
    window: ServiceWindow = Field(default_factory=ServiceWindow.always)
    when: SLACondition = Field(default_factory=SLACondition)
    count_automated: bool | None = None
    name: str | None = None

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        duration = parse_duration(value)
        if duration <= _ZERO:
            raise ValueError(f"a target duration must be more than zero, got {value!r}")
        if duration > MAX_TARGET:
            raise ValueError(
                f"a target duration must be at most {MAX_TARGET.days} days (about ten years), "
                f"got {value!r}; check the unit"
            )
        return duration

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() == "calendar"):
            return ServiceWindow.always()
        return value

    @property
    def business_time(self) -> bool:
        """Whether the clock runs in a service window (not plain calendar time)."""
        return not self.window.is_always

    def to_dict(self) -> dict[str, Any]:
        """The plain form `SLAPolicy.from_dict` reads for a target."""
        out: dict[str, Any] = {"metric": self.metric, "duration": format_duration(self.duration)}
        out["window"] = "calendar" if self.window.is_always else self.window.to_dict()
        when = self.when.to_dict()
        if when:
            out["when"] = when
        if self.count_automated is not None:
            out["count_automated"] = self.count_automated
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True, slots=True)
class SLAResult:
    """The clock of one metric for one conversation, as of the evaluation instant.

    ``elapsed`` is the time the clock ran (business time in the target's window, without
    paused stretches); ``remaining`` is ``duration - elapsed`` and negative once over;
    ``share`` is ``elapsed / duration``. ``due_at`` is when the target is (or was) due; for a
    running resolution clock it assumes no further pause, and it is ``None`` while paused.
    ``stopped_at`` is the reply or resolution that stopped the clock, else ``None``. For
    ``next_response`` the fields describe the latest customer turn, ``cycles`` counts the
    turns measured and ``breaches`` those that breached.
    """

    metric: Metric
    target: SLATarget
    state: SLAState
    started_at: datetime
    due_at: datetime | None
    stopped_at: datetime | None
    elapsed: timedelta
    remaining: timedelta
    share: float
    cycles: int = 1
    breaches: int = 0

    @property
    def breached(self) -> bool:
        """Whether this clock (or, for next response, any turn) breached."""
        return self.state is SLAState.BREACHED or self.breaches > 0


@dataclass(frozen=True, slots=True)
class SLAReport:
    """The SLA clocks of one conversation; a metric whose clock never started is absent.

    A conversation without a customer post has no clocks at all; ``next_response`` appears
    once the customer writes again after a brand reply.
    """

    conversation_id: str
    evaluated_at: datetime
    results: tuple[SLAResult, ...]

    def get(self, metric: str) -> SLAResult | None:
        """The result for ``metric``, or ``None`` if its clock never started."""
        for result in self.results:
            if result.metric == metric:
                return result
        return None

    def __getitem__(self, metric: str) -> SLAResult:
        result = self.get(metric)
        if result is None:
            raise KeyError(metric)
        return result

    def __iter__(self) -> Iterator[SLAResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def first_response(self) -> SLAResult | None:
        """The first-response clock."""
        return self.get("first_response")

    @property
    def next_response(self) -> SLAResult | None:
        """The next-response clock (the latest customer turn)."""
        return self.get("next_response")

    @property
    def resolution(self) -> SLAResult | None:
        """The resolution clock."""
        return self.get("resolution")

    @property
    def breached(self) -> bool:
        """Whether any clock breached."""
        return any(result.breached for result in self.results)


# The clock ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Clock:
    elapsed: timedelta
    due_at: datetime | None
    state: SLAState


def _run(
    window: ServiceWindow,
    duration: timedelta,
    start: datetime,
    stop: datetime | None,
    now: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
    at_risk: float,
) -> _Clock:
    """Run a clock from ``start`` until ``stop`` (or ``now``), skipping ``pauses``.

    ``pauses`` are sorted, non-overlapping stretches at or after ``start``; the last may end
    after ``now`` (paused now).
    """
    end = stop if stop is not None else now
    segments: list[tuple[datetime, datetime]] = []
    cursor = start
    paused_now = False
    for pause_start, pause_end in pauses:
        if pause_start >= end:
            break
        if pause_start > cursor:
            segments.append((cursor, pause_start))
        cursor = max(cursor, pause_end)
        if pause_end > end or pause_end == _OPEN_END:
            paused_now = stop is None
            break
    if cursor < end:
        segments.append((cursor, end))
    spent = _ZERO
    due: datetime | None = None
    for seg_start, seg_end in segments:
        part = window.elapsed(seg_start, seg_end)
        if due is None and spent + part >= duration:
            due = window.add(seg_start, duration - spent)
        spent += part
    if stop is not None:
        state = SLAState.MET if due is None or stop <= due else SLAState.BREACHED
        if due is None:
            due = window.add(stop, duration - spent)
        return _Clock(spent, due, state)
    if due is not None and now > due:
        return _Clock(spent, due, SLAState.BREACHED)
    if paused_now:
        return _Clock(spent, due, SLAState.PAUSED)
    if due is None:
        due = window.add(now, duration - spent)
    share = spent / duration
    return _Clock(spent, due, SLAState.AT_RISK if share >= at_risk else SLAState.PENDING)


def _result(
    target: SLATarget, clock: _Clock, start: datetime, stop: datetime | None, **extra: int
) -> SLAResult:
    return SLAResult(
        metric=target.metric,
        target=target,
        state=clock.state,
        started_at=start,
        due_at=clock.due_at,
        stopped_at=stop,
        elapsed=clock.elapsed,
        remaining=target.duration - clock.elapsed,
        share=clock.elapsed / target.duration,
        **extra,
    )


def _as_of(conversation: Conversation, now: datetime) -> Conversation | None:
    """The conversation as it stood at ``now``: later posts and status changes left out."""
    late_posts = conversation.posts[-1].created_at > now
    late_changes = any(change.at > now for change in conversation.status_changes)
    if not late_posts and not late_changes:
        return conversation
    posts = [post for post in conversation.posts if post.created_at <= now]
    if not posts:
        return None
    changes = [change for change in conversation.status_changes if change.at <= now]
    trimmed: Conversation = conversation.model_copy(
        update={"posts": posts, "status_changes": changes}
    )
    return trimmed


def _utc_now(now: datetime) -> datetime:
    try:
        return now.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(
            f"now {now!r} falls outside the years 1 to 9999 once in UTC; give an instant "
            "within datetime's range"
        ) from None


def _known(labels: Iterable[str] | None, name: str) -> frozenset[str] | None:
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise InvalidInputError(f"{name} must be a list of labels, got {labels!r}")
    items = list(labels)
    if not all(isinstance(label, str) for label in items):
        raise InvalidInputError(f"{name} must be a list of text labels, got {items!r}")
    return frozenset(label.casefold() for label in items)


class SLAPolicy(_Model):
    """SLA targets and how to read them; the first matching target per metric applies.

    Attributes:
        targets: the targets, most specific first.
        at_risk: the share of a target after which a running clock is ``at_risk`` (0.75).
        count_automated: whether automated brand replies stop response clocks (and pause
            resolution) for targets that do not say; off by default, as a bot's
            acknowledgement is not an answer.
        name: a label.

    >>> from datetime import datetime, timezone
    >>> from socialcare import Author, Conversation, Post
    >>> policy = SLAPolicy.from_dict({
    ...     "window": {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}},
    ...     "targets": [{"metric": "first_response", "duration": "30m"}],
    ... })
    >>> friday = datetime(2024, 5, 3, 20, 45, tzinfo=timezone.utc)  # 16:45 in New York
    >>> c = Conversation(id="c1", posts=[
    ...     Post(id="a", platform="x", author=Author(id="ana"), text="help", created_at=friday)])
    >>> result = policy.evaluate(c, now=friday).first_response
    >>> result.state.value, result.due_at.isoformat()
    ('pending', '2024-05-06T13:15:00+00:00')
    """

    targets: tuple[SLATarget, ...]
    at_risk: float = Field(default=0.75, gt=0.0, le=1.0)
    count_automated: bool = False
    name: str | None = None

    @field_validator("targets", mode="after")
    @classmethod
    def _some_targets(cls, targets: tuple[SLATarget, ...]) -> tuple[SLATarget, ...]:
        if not targets:
            raise ValueError("a policy needs at least one target")
        return targets

    @model_validator(mode="before")
    @classmethod
    def _default_window(cls, data: Any) -> Any:
        """Give targets without a window the policy-level ``window`` (plain form only)."""
        if not isinstance(data, Mapping) or "window" not in data:
            return data
        data = dict(data)
        window = data.pop("window")
        targets = data.get("targets")
        if isinstance(targets, Sequence) and not isinstance(targets, str):
            data["targets"] = [
                {"window": window, **target}
                if isinstance(target, Mapping) and "window" not in target
                else target
                for target in targets
            ]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SLAPolicy:
        """Build a policy from its plain form (a mapping, or JSON text), as configuration holds.

        Keys: ``targets`` (list of mappings with ``metric``, ``duration``, optional
        ``window``, ``when``, ``count_automated``, ``name``), optional ``window`` (the default
        window of targets that name none: ``"always"``, ``"calendar"`` or ``{"timezone": ...,
        "hours": {...}, "holidays": [...]}``), ``at_risk``, ``count_automated``, ``name``.

        Raises:
            InvalidInputError: the configuration is malformed; ``issues`` says where.
        """
        from pydantic import ValidationError

        try:
            if isinstance(data, (str, bytes, bytearray)):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise from_pydantic(exc, "SLA policy") from None

    def to_dict(self) -> dict[str, Any]:
        """The plain form `from_dict` reads back."""
        out: dict[str, Any] = {"targets": [target.to_dict() for target in self.targets]}
        if self.at_risk != 0.75:
            out["at_risk"] = self.at_risk
        if self.count_automated:
            out["count_automated"] = True
        if self.name is not None:
            out["name"] = self.name
        return out

    def target_for(self, metric: str, conversation: Conversation) -> SLATarget | None:
        """The first target for ``metric`` whose condition ``conversation`` meets."""
        for target in self.targets:
            if target.metric == metric and target.when.matches(conversation):
                return target
        return None

    def unknown_labels(
        self,
        *,
        intents: Iterable[str] | None = None,
        sentiments: Iterable[str] | None = None,
        routes: Iterable[str] | None = None,
        priorities: Iterable[str] | None = None,
    ) -> list[tuple[str, str]]:
        """The labels the targets' conditions name that are not among the known ones.

        A condition on a label nothing produces (``intent="question"`` when the classifier
        says ``query``) never matches, silently. Pass the labels your triage produces; a
        kind left as ``None`` is not checked. Labels compare without regard to case, as
        conditions do. Returns ``(field, label)`` pairs in target order, each once.

        >>> policy = SLAPolicy(targets=[SLATarget(metric="first_response", duration="1h",
        ...                                       when={"intent": ["question", "complaint"]})])
        >>> policy.unknown_labels(intents=["query", "request", "complaint"])
        [('intent', 'question')]
        """
        known_by_field = {
            "intent": _known(intents, "intents"),
            "sentiment": _known(sentiments, "sentiments"),
            "route": _known(routes, "routes"),
            "priority": _known(priorities, "priorities"),
        }
        found: list[tuple[str, str]] = []
        for target in self.targets:
            for field, known in known_by_field.items():
                named: tuple[str, ...] | None = getattr(target.when, field)
                if known is None or named is None:
                    continue
                for label in named:
                    pair = (field, label)
                    if label.casefold() not in known and pair not in found:
                        found.append(pair)
        return found

    def validate_labels(
        self,
        *,
        intents: Iterable[str] | None = None,
        sentiments: Iterable[str] | None = None,
        routes: Iterable[str] | None = None,
        priorities: Iterable[str] | None = None,
    ) -> SLAPolicy:
        """Raise when a condition names a label not among the known ones; else return self.

        socialcare's default triage produces the intents ``query``, ``request``,
        ``complaint``, ``feedback``, ``praise``, ``spam``; the sentiments ``negative``,
        ``neutral``, ``positive``; the routes ``auto``, ``agent``, ``specialist``, ``none``;
        the priorities ``urgent``, ``high``, ``normal``, ``low``.

        Raises:
            InvalidInputError: some labels are unknown; the message lists them and the known
                ones.

        >>> policy = SLAPolicy(targets=[SLATarget(metric="first_response", duration="1h",
        ...                                       when={"intent": "question"})])
        >>> policy.validate_labels(intents=["query", "request"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        socialcare._errors.InvalidInputError: ... intent 'question' (known intents: query, ...
        """
        unknown = self.unknown_labels(
            intents=intents, sentiments=sentiments, routes=routes, priorities=priorities
        )
        if unknown:
            given = {"intent": intents, "sentiment": sentiments, "route": routes}
            given["priority"] = priorities
            plural = {"intent": "intents", "sentiment": "sentiments", "route": "routes"}
            plural["priority"] = "priorities"
            parts = []
            for field in dict.fromkeys(name for name, _ in unknown):
                labels = ", ".join(repr(label) for name, label in unknown if name == field)
                known = ", ".join(str(label) for label in given[field] or ())
                parts.append(f"{field} {labels} (known {plural[field]}: {known})")
            raise InvalidInputError(
                f"the policy's conditions name unknown labels: {'; '.join(parts)}; a condition "
                "on a label nothing produces never matches"
            )
        return self

    def evaluate(self, conversation: Conversation, now: datetime) -> SLAReport:
        """Run the SLA clocks of ``conversation`` as of ``now``.

        Posts and status changes after ``now`` are ignored, so a past instant replays what
        the dashboard showed then. Clocks start at customer posts: a conversation without
        one has none.

        - first response: from the first customer post to the first brand reply by a person
          (an automated reply counts only with ``count_automated``);
        - next response: from each customer post that follows a brand reply to the next brand
          reply; the result describes the latest turn and counts breached turns;
        - resolution: from the first customer post to the latest resolution, paused from each
          brand reply until the customer writes again, and while resolved before a reopening.

        Raises:
            TimezoneError: ``now`` is naive.
            InvalidInputError: ``conversation`` is not a `Conversation`, or a clock
                needs an instant beyond the years 1 to 9999 (``now`` or a due time too close
                to ``datetime.max``).
        """
        if not isinstance(now, datetime):
            raise InvalidInputError(f"now must be an aware datetime, got {type(now).__name__}")
        if now.tzinfo is None or now.utcoffset() is None:
            raise TimezoneError(
                f"now {now!r} is naive: attach a zone, e.g. datetime.now(timezone.utc)"
            )
        if not isinstance(conversation, Conversation):
            raise InvalidInputError(
                f"evaluate() takes a Conversation, got {type(conversation).__name__}"
            )
        now = _utc_now(now)
        current = _as_of(conversation, now)
        results: list[SLAResult] = []
        if current is not None and current.first_customer_at is not None:
            for metric in METRICS:
                target = self.target_for(metric, current)
                if target is None:
                    continue
                try:
                    result = self._evaluate(metric, target, current, now)
                except InvalidInputError as exc:  # an instant beyond the years 1 to 9999
                    raise InvalidInputError(
                        f"cannot run the {metric} clock of conversation {conversation.id!r} as "
                        f"of {now.isoformat()}: {exc}"
                    ) from None
                if result is not None:
                    results.append(result)
        return SLAReport(conversation.id, now, tuple(results))

    def evaluate_many(
        self, conversations: Iterable[Conversation | Mapping[str, Any]], now: datetime
    ) -> list[SLAReport | RowError]:
        """`evaluate` for many conversations: a report or a [RowError][socialcare.RowError] per row.

        Rows may be `Conversation` objects or mappings (validated here). One bad row
        never sinks the batch.

        Raises:
            TimezoneError: ``now`` is naive (that concerns every row).
        """
        if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
            raise TimezoneError(f"now must be an aware datetime, got {now!r}")
        now = _utc_now(now)  # an instant out of range concerns every row: raise once
        if isinstance(conversations, (str, bytes, Mapping, Conversation)) or not isinstance(
            conversations, Iterable
        ):
            raise InvalidInputError(
                "evaluate_many() takes an iterable (such as a list) of conversations, got "
                f"{type(conversations).__name__}; use evaluate() for one"
            )
        out: list[SLAReport | RowError] = []
        for index, row in enumerate(conversations):
            row_id = getattr(row, "id", None)
            if isinstance(row, Mapping):
                row_id = None if row.get("id") is None else str(row.get("id"))
            try:
                conversation = row if isinstance(row, Conversation) else Conversation.parse(row)
                out.append(self.evaluate(conversation, now))
            except SocialcareError as exc:
                out.append(RowError(index, exc, row_id if isinstance(row_id, str) else None))
        return out

    def _automated(self, target: SLATarget) -> bool:
        return self.count_automated if target.count_automated is None else target.count_automated

    def _evaluate(
        self, metric: Metric, target: SLATarget, conversation: Conversation, now: datetime
    ) -> SLAResult | None:
        exchanges = conversation.exchanges(include_automated=self._automated(target))
        window, duration = target.window, target.duration
        if metric == "first_response":
            first = exchanges[0]
            clock = _run(window, duration, first.customer_at, first.reply_at, now, (), self.at_risk)
            return _result(target, clock, first.customer_at, first.reply_at)
        if metric == "next_response":
            later = exchanges[1:]
            if not later:
                return None
            clocks = [
                _run(window, duration, turn.customer_at, turn.reply_at, now, (), self.at_risk)
                for turn in later
            ]
            breaches = sum(c.state is SLAState.BREACHED for c in clocks)
            clock = clocks[-1]
            last = later[-1]
            return _result(
                target, clock, last.customer_at, last.reply_at, cycles=len(later), breaches=breaches
            )
        start = exchanges[0].customer_at
        stop = conversation.resolved_at
        pauses = _waiting_on_customer(exchanges, conversation, now)
        clock = _run(window, duration, start, stop, now, pauses, self.at_risk)
        return _result(target, clock, start, stop)


def _waiting_on_customer(
    exchanges: Sequence[Any], conversation: Conversation, now: datetime
) -> list[tuple[datetime, datetime]]:
    """Stretches when the resolution clock stops: from each brand reply until the customer
    writes again, and from each resolution until a reopening (open-ended ones end after now).
    """
    after_now = _OPEN_END
    stretches: list[tuple[datetime, datetime]] = []
    for turn, following in zip(exchanges, [*exchanges[1:], None], strict=True):
        if turn.reply_at is not None:
            resume = following.customer_at if following is not None else after_now
            stretches.append((turn.reply_at, resume))
    resolved_at: datetime | None = None
    first_customer_at = conversation.first_customer_at
    for change in conversation.status_changes:
        if first_customer_at is not None and change.at < first_customer_at:
            continue  # before the customer wrote: ignored, as Conversation.resolved_at does
        if change.status == "resolved":
            resolved_at = resolved_at or change.at
        elif resolved_at is not None:
            stretches.append((resolved_at, change.at))
            resolved_at = None
    stretches.sort()
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in stretches:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged
