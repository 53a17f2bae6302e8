"""Teams and agents as data: what each takes, its capacity and its hours, checked at load.

`Assigner` (in ``_assign``) decides with them; this module only reads and checks them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import field_validator, model_validator

from socialcare._base import Frozen
from socialcare._errors import InvalidInputError, SocialcareError, TimezoneError
from socialcare._models import Platform
from socialcare._sla._window import ServiceWindow
from socialcare._triage._lexicon import KINDS

__all__ = ["Agent", "Team"]

_AGENT_KEYS = ("name", "languages", "platforms", "capacity", "hours")
_TEAM_KEYS = (
    "name",
    "languages",
    "platforms",
    "intents",
    "specialist_kinds",
    "influencers",
    "capacity",
    "hours",
    "agents",
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")


# Validation helpers --------------------------------------------------------------------------


def _check_keys(
    data: Any, allowed: tuple[str, ...], what: str, required: tuple[str, ...] = ()
) -> None:
    """Refuse unknown keys (typos) with the nearest known key, and missing required ones."""
    if not isinstance(data, Mapping):
        return
    for key in data:
        if key in allowed:
            continue
        name = data.get("name")
        where = f"{what} {name!r}" if isinstance(name, str) else what
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(
            f"unknown key {key!r} in {where}: {hint}{_article(what)} {what} takes "
            f"{', '.join(allowed)}"
        )
    missing = [key for key in required if key not in data]
    if missing:
        name = data.get("name")
        where = f"{what} {name!r}" if isinstance(name, str) else f"{_article(what)} {what}"
        raise ValueError(
            f"{where} needs {' and '.join(repr(k) for k in missing)}, e.g. "
            "{'name': 'care', 'capacity': 5}"
        )


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a {what} needs a name (non-empty text), got {value!r}")
    return value.strip()


def _text_list(value: Any, what: str) -> list[str]:
    """A list of non-empty strings (one string is one entry, not its letters)."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"{what} must be a list of names, got {type(value).__name__}")
    items = list(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{what} must hold names (non-empty text), got {item!r}")
    return [item.strip() for item in items]


def _unique(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def _language_tag(value: str) -> str:
    """A BCP 47 tag in one spelling: lower case, hyphens (``pt_BR`` -> ``pt-br``)."""
    return value.strip().lower().replace("_", "-")


def _languages(value: Any, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    tags = [_language_tag(item) for item in _text_list(value, what)]
    if not tags:
        raise ValueError(f"{what} is empty: omit it to take any language")
    for tag in tags:
        if not _LANGUAGE.match(tag):
            raise ValueError(
                f"{what}: {tag!r} is not a language tag; use BCP 47 tags such as 'es', 'en' "
                "or 'pt-BR'"
            )
    return _unique(tags)


def _platforms(value: Any, what: str) -> tuple[Platform, ...] | None:
    if value is None:
        return None
    names = _text_list(value, what)
    if not names:
        raise ValueError(f"{what} is empty: omit it to take every platform")
    out: list[Platform] = []
    for name in names:
        try:
            out.append(Platform(name))
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from None
    return _unique(out)


def _capacity(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"the capacity of {what} is a whole number of open conversations, got {value!r}"
        )
    if value < 1:
        raise ValueError(
            f"the capacity of {what} must be at least 1, got {value}: leave out a team or "
            "agent that takes no work"
        )
    return value


def _ever_open_together(first: ServiceWindow, second: ServiceWindow) -> bool:
    """Whether two windows are open at the same minute somewhere in two weeks (their weekly
    patterns repeat, so two weeks from a fixed Monday see every pairing of days and zones)."""
    import numpy as np

    start = np.datetime64("2024-01-01T00:00", "m")
    minutes = (start + np.arange(14 * 24 * 60)).astype("datetime64[us]")
    return bool(np.any(first.is_open_many(minutes) & second.is_open_many(minutes)))


def _hours(value: Any, what: str) -> ServiceWindow | None:
    if value is None:
        return None
    try:
        window = ServiceWindow.from_dict(value)
    except SocialcareError as exc:
        kind = TimezoneError if isinstance(exc, TimezoneError) else InvalidInputError
        raise kind(
            f"bad hours for {what}: {exc} (write hours as {{'timezone': 'Europe/Madrid', "
            "'hours': {'mon-fri': '09:00-17:00'}}, or leave them out for 24/7)"
        ) from None
    if window.never_open:
        raise ValueError(
            f"the hours of {what} have no opening at all: give it openings or leave it out"
        )
    return window


def _takes_language(tags: tuple[str, ...] | None, language: str | None) -> bool:
    """Whether a filter takes a language: 'es' takes 'es' and 'es-mx'; no filter takes all."""
    if tags is None:
        return True
    if language is None:
        return False
    return any(language == tag or language.startswith(tag + "-") for tag in tags)


# Data ----------------------------------------------------------------------------------------


class _Staff(Frozen):
    """What a team and an agent both have: a name, what they take, capacity and hours."""

    _KEYS: ClassVar[tuple[str, ...]]
    _WHO: ClassVar[str]  # "agent" or "team", for messages

    name: str
    languages: tuple[str, ...] | None = None
    platforms: tuple[Platform, ...] | None = None
    capacity: int
    hours: ServiceWindow | None = None

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        _check_keys(data, cls._KEYS, cls._WHO, ("name", "capacity"))
        return data

    @field_validator("name", mode="before")
    @classmethod
    def _the_name(cls, value: Any) -> str:
        return _name(value, cls._WHO)

    @field_validator("languages", mode="before")
    @classmethod
    def _the_languages(cls, value: Any) -> tuple[str, ...] | None:
        return _languages(value, f"{_article(cls._WHO)} {cls._WHO}'s languages")

    @field_validator("platforms", mode="before")
    @classmethod
    def _the_platforms(cls, value: Any) -> tuple[Platform, ...] | None:
        return _platforms(value, f"{_article(cls._WHO)} {cls._WHO}'s platforms")

    @field_validator("capacity", mode="before")
    @classmethod
    def _the_capacity(cls, value: Any) -> int:
        return _capacity(value, f"{_article(cls._WHO)} {cls._WHO}")

    @field_validator("hours", mode="before")
    @classmethod
    def _the_hours(cls, value: Any) -> ServiceWindow | None:
        return _hours(value, f"{_article(cls._WHO)} {cls._WHO}")

    def _plain(self, **middle: Any) -> dict[str, Any]:
        """The plain form: name, languages, platforms, ``middle``, capacity, hours."""
        out: dict[str, Any] = {"name": self.name}
        if self.languages is not None:
            out["languages"] = list(self.languages)
        if self.platforms is not None:
            out["platforms"] = [str(p) for p in self.platforms]
        out.update(middle)
        out["capacity"] = self.capacity
        if self.hours is not None:
            out["hours"] = self.hours.to_dict()
        return out


class Agent(_Staff):
    """One person in a team: what they take (narrower than the team's), capacity, hours.

    ``languages``, ``platforms`` and ``hours`` left out are the team's.
    """

    _KEYS = _AGENT_KEYS
    _WHO = "agent"

    def to_dict(self) -> dict[str, Any]:
        """The plain form `Assigner.from_dict` reads (keys left at their default omitted)."""
        return self._plain()


class Team(_Staff):
    """A team: the posts it takes, how many open conversations it holds, and its hours.

    A filter left out (``None``) takes anything. A team with ``specialist_kinds`` or
    ``influencers`` is a specialist team: it takes only sensitive posts of those kinds or
    influencer posts; every other team is a generalist team and never takes them.
    """

    _KEYS = _TEAM_KEYS
    _WHO = "team"

    intents: tuple[str, ...] | None = None
    specialist_kinds: tuple[str, ...] = ()
    influencers: bool = False
    agents: tuple[Agent, ...] = ()

    @field_validator("intents", mode="before")
    @classmethod
    def _the_intents(cls, value: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        intents = _text_list(value, "a team's intents")
        if not intents:
            raise ValueError("a team's intents is empty: omit it to take every intent")
        return _unique(intents)

    @field_validator("specialist_kinds", mode="before")
    @classmethod
    def _the_kinds(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        kinds = [k.lower().replace("-", "_").replace(" ", "_") for k in _text_list(value, "kinds")]
        for kind in kinds:
            close = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.75)
            if kind not in KINDS and (close or not _KIND.match(kind)):
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(
                    f"unknown specialist kind {kind!r}: {hint}the sensitive kinds are "
                    f"{', '.join(KINDS)} (or a kind of your own from "
                    "TriageRules.sensitive_keywords, in lower case with underscores)"
                )
        return _unique(kinds)

    @field_validator("influencers", mode="before")
    @classmethod
    def _the_influencers(cls, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"influencers is true or false, got {value!r}")
        return value

    @field_validator("agents", mode="before")
    @classmethod
    def _the_agents(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
            raise ValueError(f"agents must be a list of agents, got {type(value).__name__}")
        return tuple(value)

    @model_validator(mode="after")
    def _agents_fit(self) -> Team:
        for agent in self.agents:
            if self.languages is not None and agent.languages is not None:
                outside = [t for t in agent.languages if not _takes_language(self.languages, t)]
                if outside:
                    raise ValueError(
                        f"agent {agent.name!r} speaks {outside} but team {self.name!r} takes "
                        f"only {list(self.languages)}: an agent gets only the team's posts; "
                        "move the agent or widen the team's languages"
                    )
            if self.platforms is not None and agent.platforms is not None:
                outside = [str(p) for p in agent.platforms if p not in self.platforms]
                if outside:
                    raise ValueError(
                        f"agent {agent.name!r} works {outside} but team {self.name!r} takes "
                        f"only {[str(p) for p in self.platforms]}: move the agent or widen the "
                        "team's platforms"
                    )
            if (
                self.hours is not None
                and agent.hours is not None
                and not _ever_open_together(self.hours, agent.hours)
            ):
                raise ValueError(
                    f"agent {agent.name!r} works hours that never meet team {self.name!r}'s "
                    "in a week: the agent could never be assigned; fix the hours or leave "
                    "the agent's out (they are then the team's)"
                )
        return self

    @property
    def is_specialist(self) -> bool:
        """Whether the team takes only sensitive posts of its kinds or influencer posts."""
        return bool(self.specialist_kinds) or self.influencers

    def to_dict(self) -> dict[str, Any]:
        """The plain form `Assigner.from_dict` reads (keys left at their default omitted)."""
        middle: dict[str, Any] = {}
        if self.intents is not None:
            middle["intents"] = list(self.intents)
        if self.specialist_kinds:
            middle["specialist_kinds"] = list(self.specialist_kinds)
        if self.influencers:
            middle["influencers"] = True
        out = self._plain(**middle)
        if self.agents:
            out["agents"] = [agent.to_dict() for agent in self.agents]
        return out
