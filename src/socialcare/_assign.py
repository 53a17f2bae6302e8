"""Assignment: which team (and agent) takes a triaged post or conversation, and why.

Pure computation: teams and agents are data, the open load and the time are arguments, and an
`Assignment` says who takes the item or, explicitly, why nobody does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from socialcare._base import Frozen
from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, SocialcareError, TimezoneError
from socialcare._models import Platform, Post
from socialcare._sla._window import ServiceWindow
from socialcare._teams import (
    Agent,
    Team,
    _article,
    _check_keys,
    _language_tag,
    _takes_language,
)
from socialcare._triage._decision import Decision

__all__ = ["Agent", "Assigner", "Assignment", "Team"]

Status = Literal["assigned", "not_needed", "unqualified", "unavailable", "error"]

_TOP_KEYS = ("teams", "assign_auto")


class Assignment(Frozen):
    """Who takes one item (a team, maybe an agent) or, explicitly, why nobody does.

    ``status``: ``assigned``; ``not_needed`` (route ``none``, or ``auto`` when automated
    posts are not assigned); ``unqualified`` (no team qualifies: language, platform, intent,
    or no specialist team for a sensitive kind); ``unavailable`` (qualified teams are all full
    or off shift); ``error`` (the item could not be read, in `Assigner.assign_many`).
    ``next_open`` is, when nobody was free, the earliest instant (UTC) a qualified team that is
    off shift but not full opens again.

    >>> a = Assignment(team="care-es", status="assigned", reasons=("least loaded",))
    >>> a.assigned, a.agent, a.next_open
    (True, None, None)
    """

    team: str | None
    agent: str | None = None
    status: Status
    reasons: tuple[str, ...]
    next_open: datetime | None = None
    error: str | None = Field(default=None, description="Why the item could not be read.")

    @property
    def assigned(self) -> bool:
        """Whether a team takes the item."""
        return self.team is not None


# The item to assign --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    """What assignment needs to know of a post or conversation."""

    route: str
    intent: str | None
    kind: str | None  # the sensitive kind
    influencer: bool
    language: str | None
    platform: Platform | None
    note: str | None  # something to say first (an unreadable post...)


def _read_platform(value: Any) -> Platform:
    try:
        return Platform(value)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"platform must be a platform name such as 'twitter', got {value!r}"
        ) from None


def _read_language(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"language must be a BCP 47 tag such as 'es', got {value!r}")
    return _language_tag(value)


def _detected_tag(conversation: Conversation) -> str | None:
    """The conversation's language label, else the language of its customer's posts."""
    from socialcare._language import conversation_language

    found = conversation_language(conversation)
    return _language_tag(found) if found else None


def _read_item(item: Any, platform: Platform | None, language: str | None) -> _Item:
    source: Post | Conversation | None = None
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Decision):
        if not isinstance(item[1], (Post, Conversation)):
            raise InvalidInputError(
                "a pair is (decision, the post or conversation it decides), got "
                f"(Decision, {type(item[1]).__name__})"
            )
        item, source = item
    if source is not None:
        if platform is not None and platform != source.platform:
            raise InvalidInputError(
                f"platform={str(platform)!r} contradicts the item's platform "
                f"{str(source.platform)!r}: leave platform out for items that carry one"
            )
        platform = source.platform
    if isinstance(item, Conversation):
        if platform is not None and platform != item.platform:
            raise InvalidInputError(
                f"platform={str(platform)!r} contradicts conversation {item.id!r} on "
                f"{str(item.platform)!r}: leave platform out for conversations"
            )
        if item.route is None:
            raise InvalidInputError(
                f"conversation {item.id!r} has no triage labels (route is unset): label it "
                "with triage_conversations() first, or assign its Decision as "
                "(decision, conversation)"
            )
        kind = item.sensitive
        return _Item(
            route=item.route,
            intent=item.intent,
            kind=kind,
            # triage routes to a specialist for a sensitive kind or an influencer only
            influencer=item.route == "specialist" and kind is None,
            language=language or _detected_tag(item),
            platform=item.platform,
            note=None,
        )
    if isinstance(item, Decision):
        detected = item.language or (source.language if source is not None else None)
        if detected is None and source is not None:
            from socialcare._language import conversation_language, text_language

            detected = (
                text_language(source.text)
                if isinstance(source, Post)
                else conversation_language(source)
            )
        return _Item(
            route=item.route,
            intent=item.intent,
            kind=item.sensitive or ("self_harm" if item.crisis else None),
            influencer=item.influencer,
            language=language or (_language_tag(detected) if detected else None),
            platform=platform,
            note=None if item.error is None else f"the post could not be read: {item.error}",
        )
    raise InvalidInputError(
        "assign takes a Decision, a labelled Conversation or a (Decision, Post or "
        f"Conversation) pair, got {type(item).__name__}"
    )


def _read_now(now: Any) -> datetime | None:
    if now is None:
        return None
    if not isinstance(now, datetime):
        raise InvalidInputError(f"now must be an aware datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise TimezoneError(
            f"now {now.isoformat()} is naive: attach a zone, e.g. "
            "datetime(..., tzinfo=timezone.utc); socialcare never guesses one"
        )
    return now


# Loads ---------------------------------------------------------------------------------------


class _Loads:
    """Open conversations per team and agent, updated as a batch assigns."""

    __slots__ = ("agents", "teams")

    def __init__(self, teams: dict[str, int], agents: dict[str, int]) -> None:
        self.teams = teams
        self.agents = agents

    def add(self, team: str, agent: str | None) -> None:
        self.teams[team] += 1
        if agent is not None:
            self.agents[agent] += 1


def _ratio(load: int, capacity: int) -> Fraction:
    return Fraction(load, capacity)


# The assigner --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Verdict:
    """How one qualified team stands at ``now``."""

    team: Team
    load: int
    agent: Agent | None = None
    agent_load: int = 0
    problem: str | None = None  # why it cannot take the item now
    opens: datetime | None = None  # when it opens, if off shift and not full


class Assigner(Frozen):
    """Picks the team (and agent) for triaged posts and conversations: pure, deterministic.

    Build it from data with `from_dict`. The rules, in order:

    1. Route ``none`` (no reply needed) assigns nobody; so does ``auto`` unless
       ``assign_auto`` is true. A sensitive item is assigned whatever its route.
    2. Sensitive items (a ``sensitive`` kind, or a decision's ``crisis`` flag, which means
       ``self_harm``) go only to teams whose ``specialist_kinds`` hold the kind; influencer
       items routed to a specialist only to teams with ``influencers``; everything else only
       to generalist teams (no kinds, no influencers). Never a generalist for a sensitive
       item: with no such team the answer is ``team=None``, saying so.
    3. A team qualifies when it takes the item's language (``es`` takes ``es-MX``; an unknown
       language is taken only by teams without a language filter), platform (likewise) and
       intent.
    4. Among qualified teams, those on shift at ``now`` (not checked without ``now``) and
       under capacity are free; the least loaded (open conversations / capacity) wins, ties
       to the team listed first. A team with agents needs a free agent (qualified for the
       item's language and platform, on shift, under capacity); the least loaded is picked
       the same way. No free team: ``team=None``, with who was full or off shift and when the
       next one opens. Nobody is ever put over capacity.

    ``load`` maps team and agent names to their open conversations (missing names have
    none); a team with agents and no entry of its own carries the sum of its agents'.

    >>> assigner = Assigner.from_dict({"teams": [
    ...     {"name": "care-es", "languages": ["es"], "platforms": ["twitter"], "capacity": 5},
    ...     {"name": "crisis", "specialist_kinds": ["self_harm"], "capacity": 2},
    ... ]})
    >>> d = Decision(route="agent", intent="query", confidence=0.9, uncertain=False,
    ...              priority="normal", sensitive=None, sentiment="neutral",
    ...              take_private=False, language="es", reasons=())
    >>> assigner.assign(d, platform="x").team
    'care-es'
    >>> assigner.assign(d, load={"care-es": 5}, platform="x").status
    'unavailable'
    """

    teams: tuple[Team, ...]
    assign_auto: bool = False

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        _check_keys(data, _TOP_KEYS, "assigner")
        return data

    @field_validator("teams", mode="before")
    @classmethod
    def _the_teams(cls, value: Any) -> Any:
        if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
            raise ValueError(
                f"teams must be a list of teams, got {type(value).__name__}: "
                "{'teams': [{'name': 'care', 'capacity': 5}]}"
            )
        teams = tuple(value)
        if not teams:
            raise ValueError("no teams: list at least one, e.g. {'name': 'care', 'capacity': 5}")
        return teams

    @field_validator("assign_auto", mode="before")
    @classmethod
    def _the_auto(cls, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"assign_auto is true or false, got {value!r}")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Assigner:
        seen: dict[str, str] = {}
        for team in self.teams:
            for name, what in [(team.name, "team"), *((a.name, "agent") for a in team.agents)]:
                if name in seen:
                    raise ValueError(
                        f"the name {name!r} is used twice (first by {_article(seen[name])} "
                        f"{seen[name]}, then by {_article(what)} {what}): team and agent names "
                        "share one load mapping, so each must be unique; rename one"
                    )
                seen[name] = what
        return self

    @classmethod
    def from_dict(cls, data: Any) -> Assigner:
        """Build an assigner from plain data: ``{"teams": [...], "assign_auto": false}``.

        Each team: ``name``, ``capacity`` (open conversations it can hold, at least 1) and
        optionally ``languages``, ``platforms``, ``intents`` (filters; left out = any),
        ``specialist_kinds``, ``influencers`` (true/false), ``hours`` (a
        [`ServiceWindow`][socialcare.ServiceWindow] plain form; left out = 24/7) and
        ``agents`` (each: ``name``, ``capacity`` and optionally ``languages``, ``platforms``,
        ``hours``, which default to the team's).

        Raises:
            InvalidInputError: an unknown key (with the nearest known one), a duplicate name,
                a capacity below 1, bad hours or another malformed value.
        """
        if isinstance(data, Assigner):
            return data
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                "an assigner is a mapping such as {'teams': [{'name': 'care', 'capacity': 5}]}, "
                f"got {type(data).__name__}"
            )
        if "teams" not in data:
            raise InvalidInputError(
                "an assigner needs 'teams', e.g. {'teams': [{'name': 'care', 'capacity': 5}]}"
            )
        return cls.model_validate(data)

    def to_dict(self) -> dict[str, Any]:
        """The plain form `from_dict` reads: ``Assigner.from_dict(a.to_dict()) == a``."""
        out: dict[str, Any] = {"teams": [team.to_dict() for team in self.teams]}
        if self.assign_auto:
            out["assign_auto"] = True
        return out

    # Public API --------------------------------------------------------------------------------

    def assign(
        self,
        item: Any,
        load: Mapping[str, int] | None = None,
        now: datetime | None = None,
        *,
        platform: str | None = None,
        language: str | None = None,
    ) -> Assignment:
        """The team (and agent) for one item, or why nobody takes it.

        Args:
            item: a [`Decision`][socialcare.Decision], a conversation labelled by
                [`triage_conversations`][socialcare.triage_conversations], or a pair
                ``(decision, post_or_conversation)`` whose second half gives the platform.
            load: open conversations per team or agent name (names not listed have none).
            now: the instant to check working hours at (aware); ``None`` skips the check.
            platform: the item's platform, for a decision alone (which carries none).
            language: overrides the item's language (a BCP 47 tag).

        Raises:
            InvalidInputError: a malformed item or argument, or a load name that is no team
                or agent.
            TimezoneError: ``now`` is naive.
        """
        at = _read_now(now)
        loads = self._loads(load)
        wanted_platform = None if platform is None else _read_platform(platform)
        wanted_language = None if language is None else _read_language(language)
        return self._pick(_read_item(item, wanted_platform, wanted_language), loads, at)

    def assign_many(
        self,
        items: Iterable[Any],
        load: Mapping[str, int] | None = None,
        now: datetime | None = None,
        *,
        platform: str | None = None,
        language: str | None = None,
    ) -> list[Assignment]:
        """One assignment per item, in order, counting each one into the load for the next.

        Ten posts for two equal teams are spread five and five. An item that cannot be read
        gets an assignment with ``status="error"`` and the reason; the batch goes on. The
        arguments are those of `assign`, for every item (``load`` is not changed).

        Raises:
            InvalidInputError: ``items`` is not a list, or a batch-wide argument is malformed.
            TimezoneError: ``now`` is naive.
        """
        if items is None or isinstance(items, (str, bytes, Mapping, Decision, Conversation)):
            raise InvalidInputError("assign_many takes a list of items; use assign() for one item")
        if not isinstance(items, Iterable):
            raise InvalidInputError(
                f"assign_many takes a list of items, got {type(items).__name__}"
            )
        at = _read_now(now)
        loads = self._loads(load)
        wanted_platform = None if platform is None else _read_platform(platform)
        wanted_language = None if language is None else _read_language(language)
        out: list[Assignment] = []
        for index, item in enumerate(items):
            try:
                read = _read_item(item, wanted_platform, wanted_language)
            except SocialcareError as exc:
                out.append(
                    Assignment(
                        team=None,
                        status="error",
                        reasons=(f"item {index} could not be assigned: {exc}",),
                        error=str(exc),
                    )
                )
                continue
            result = self._pick(read, loads, at)
            if result.team is not None:
                loads.add(result.team, result.agent)
            out.append(result)
        return out

    # Internals ---------------------------------------------------------------------------------

    def _loads(self, load: Mapping[str, int] | None) -> _Loads:
        given: Mapping[str, int] = {} if load is None else load
        if not isinstance(given, Mapping):
            raise InvalidInputError(
                "load maps team or agent names to open conversations, e.g. {'care-es': 3}, "
                f"got {type(given).__name__}"
            )
        known = {team.name for team in self.teams} | {
            agent.name for team in self.teams for agent in team.agents
        }
        for name, count in given.items():
            if name not in known:
                close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InvalidInputError(
                    f"load names {name!r}, which is no team or agent{hint}: "
                    "give loads only for the assigner's teams and agents"
                )
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise InvalidInputError(
                    f"the load of {name!r} must be a whole number of open conversations "
                    f"(0 or more), got {count!r}"
                )
        agents = {a.name: given.get(a.name, 0) for team in self.teams for a in team.agents}
        teams = {
            team.name: given[team.name]
            if team.name in given
            else sum(agents[a.name] for a in team.agents)
            for team in self.teams
        }
        return _Loads(teams, agents)

    def _pick(self, item: _Item, loads: _Loads, now: datetime | None) -> Assignment:
        reasons: list[str] = [] if item.note is None else [item.note]
        # 1. Does anyone need to take it?
        if item.kind is None and item.route == "none":
            reasons.append("route 'none': no reply is needed, so nobody is assigned")
            return Assignment(team=None, status="not_needed", reasons=tuple(reasons))
        if item.kind is None and item.route == "auto" and not self.assign_auto:
            reasons.append(
                "route 'auto': an automated answer is safe, so nobody is assigned "
                "(set assign_auto to give these a team too)"
            )
            return Assignment(team=None, status="not_needed", reasons=tuple(reasons))
        # 2. Which kind of team?
        pool: list[Team]
        if item.kind is not None:
            pool = [t for t in self.teams if item.kind in t.specialist_kinds]
            reasons.append(
                f"sensitive ({item.kind}): only a specialist team for {item.kind} may take it"
                + (f", although its route is {item.route!r}" if item.route != "specialist" else "")
            )
            if not pool:
                reasons.append(
                    f"no specialist team for {item.kind}: a sensitive post never goes to a "
                    f"generalist team; add {item.kind!r} to a team's specialist_kinds"
                )
                return Assignment(team=None, status="unqualified", reasons=tuple(reasons))
        elif item.route == "specialist" and item.influencer:
            pool = [t for t in self.teams if t.influencers]
            reasons.append("an influencer post: only a team that takes influencers may take it")
            if not pool:
                reasons.append("no team takes influencer posts: set influencers: true on a team")
                return Assignment(team=None, status="unqualified", reasons=tuple(reasons))
        elif item.route == "specialist":
            pool = [t for t in self.teams if t.is_specialist]
            reasons.append(
                "route 'specialist' with no sensitive kind or influencer flag: any specialist "
                "team may take it"
            )
            if not pool:
                reasons.append("no specialist team: give a team specialist_kinds or influencers")
                return Assignment(team=None, status="unqualified", reasons=tuple(reasons))
        else:
            pool = [t for t in self.teams if not t.is_specialist]
            reasons.append(f"route {item.route!r}: a generalist team takes it")
            if not pool:
                reasons.append(
                    "no generalist team: every team is a specialist team, which takes only "
                    "sensitive or influencer posts; add a team without specialist_kinds"
                )
                return Assignment(team=None, status="unqualified", reasons=tuple(reasons))
        # 3. Who qualifies?
        qualified: list[Team] = []
        refused: list[str] = []
        for team in pool:
            why = self._refusal(team, item)
            if why is None:
                qualified.append(team)
            else:
                refused.append(f"{team.name!r} {why}")
        if not qualified:
            reasons.append("no team qualifies: " + "; ".join(refused))
            return Assignment(team=None, status="unqualified", reasons=tuple(reasons))
        # 4. Who is free, and who is least loaded?
        verdicts = [self._verdict(team, item, loads, now) for team in qualified]
        free = [v for v in verdicts if v.problem is None]
        busy = [f"{v.team.name!r} {v.problem}" for v in verdicts if v.problem is not None]
        if not free:
            opens = [v.opens for v in verdicts if v.opens is not None]
            first = min(opens) if opens else None
            reasons.append("every qualified team is busy: " + "; ".join(busy))
            if first is not None:
                reasons.append(f"the next one opens at {first.isoformat()}")
            if refused:
                reasons.append("not qualified: " + "; ".join(refused))
            return Assignment(
                team=None, status="unavailable", reasons=tuple(reasons), next_open=first
            )
        best = min(free, key=lambda v: _ratio(v.load, v.team.capacity))  # first listed on ties
        team = best.team
        reasons.append(f"{team.name!r} {self._takes(team, item)}")
        if len(free) == 1:
            reasons.append(
                f"{team.name!r} holds {best.load} of {team.capacity} open conversations and "
                "is the only qualified team free now"
                if now is not None
                else f"{team.name!r} holds {best.load} of {team.capacity} open conversations "
                "and is the only qualified team with room"
            )
        else:
            others = ", ".join(
                f"{v.team.name!r} {v.load}/{v.team.capacity}" for v in free if v is not best
            )
            reasons.append(
                f"{team.name!r} holds {best.load} of {team.capacity} open conversations, the "
                f"lowest share of {len(free)} free teams ({others})"
            )
        if best.agent is not None:
            agent = best.agent
            reasons.append(
                f"agent {agent.name!r} holds {best.agent_load} of {agent.capacity}, the lowest "
                f"share among the team's free agents for this post"
            )
        if now is None:
            reasons.append("no time given: working hours were not checked")
        if busy:
            reasons.append("busy: " + "; ".join(busy))
        if refused:
            reasons.append("not qualified: " + "; ".join(refused))
        return Assignment(
            team=team.name,
            agent=None if best.agent is None else best.agent.name,
            status="assigned",
            reasons=tuple(reasons),
        )

    @staticmethod
    def _refusal(team: Team, item: _Item) -> str | None:
        """Why ``team`` cannot take ``item`` whatever the time (None: it can)."""
        if not _takes_language(team.languages, item.language):
            taken = ", ".join(team.languages or ())
            if item.language is None:
                return f"takes only {taken} and the language is unknown"
            return f"takes only {taken}, not {item.language}"
        if team.platforms is not None and item.platform not in team.platforms:
            taken = ", ".join(str(p) for p in team.platforms)
            if item.platform is None:
                return (
                    f"takes only {taken} and the platform is unknown (pass platform= with "
                    "a decision)"
                )
            return f"takes only {taken}, not {item.platform}"
        if team.intents is not None and item.intent not in team.intents:
            taken = ", ".join(team.intents)
            if item.intent is None:
                return f"takes only intents {taken} and the intent is unknown"
            return f"takes only intents {taken}, not {item.intent!r}"
        return None

    @staticmethod
    def _takes(team: Team, item: _Item) -> str:
        """What ``team`` takes that this item is."""
        parts = []
        if item.kind is not None:
            parts.append(item.kind)
        elif item.influencer and item.route == "specialist":
            parts.append("influencers")
        parts.append("any language" if team.languages is None else f"language {item.language}")
        parts.append("any platform" if team.platforms is None else f"platform {item.platform}")
        if team.intents is not None:
            parts.append(f"intent {item.intent}")
        return "takes " + ", ".join(parts)

    @staticmethod
    def _verdict(team: Team, item: _Item, loads: _Loads, now: datetime | None) -> _Verdict:
        load = loads.teams[team.name]
        verdict = _Verdict(team, load)
        full = load >= team.capacity
        if now is not None and team.hours is not None and not team.hours.is_open(now):
            opens = _next_open(team.hours, now)
            verdict.problem = f"is off shift until {_when(opens, team.hours)}" + (
                f" and full ({load}/{team.capacity})" if full else ""
            )
            verdict.opens = None if full else opens
            return verdict
        if full:
            verdict.problem = f"is full ({load}/{team.capacity} open conversations)"
            return verdict
        if not team.agents:
            return verdict
        best: tuple[Fraction, Agent, int] | None = None
        notes: list[str] = []
        opens_at: list[datetime] = []
        for agent in team.agents:
            languages = agent.languages if agent.languages is not None else team.languages
            platforms = agent.platforms if agent.platforms is not None else team.platforms
            if not _takes_language(languages, item.language) or (
                platforms is not None and item.platform not in platforms
            ):
                notes.append(f"{agent.name!r} does not take it")
                continue
            agent_load = loads.agents[agent.name]
            hours = agent.hours if agent.hours is not None else team.hours
            if now is not None and hours is not None and not hours.is_open(now):
                opens = _next_open(hours, now)
                notes.append(f"{agent.name!r} is off shift until {_when(opens, hours)}")
                if agent_load < agent.capacity and opens is not None:
                    opens_at.append(opens)
                continue
            if agent_load >= agent.capacity:
                notes.append(f"{agent.name!r} is full ({agent_load}/{agent.capacity})")
                continue
            share = _ratio(agent_load, agent.capacity)
            if best is None or share < best[0]:
                best = (share, agent, agent_load)
        if best is None:
            verdict.problem = "has no free agent (" + "; ".join(notes) + ")"
            verdict.opens = min(opens_at) if opens_at else None
            return verdict
        verdict.agent = best[1]
        verdict.agent_load = best[2]
        return verdict


def _next_open(hours: ServiceWindow, now: datetime) -> datetime | None:
    try:
        return hours.next_open(now)
    except InvalidInputError:  # no opening for years (holidays) or past the year 9999
        return None


def _when(at: datetime | None, hours: ServiceWindow) -> str:
    if at is None:
        return "no known time (no opening in the next ten years)"
    local = hours.to_local(at)
    return f"{at.isoformat()} ({local.strftime('%a %H:%M')} {hours.timezone})"
