"""What social customer service is made of: platforms, authors, posts and surveys.

All models are frozen pydantic models that forbid unknown fields. Instants are normalised to
aware UTC datetimes when a model is built; a naive datetime is refused unless the caller names
a zone through the validation context (``Post.model_validate(row, context={"assume_tz":
"Europe/Paris"})``).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from socialcare._base import Frozen as _Frozen
from socialcare._time import parse_timestamp

__all__ = ["Author", "Channel", "Platform", "Post", "Survey", "Timestamp"]

_PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")


class Platform(str):
    """A social or messaging platform, such as ``Platform.TWITTER``.

    The platforms socialcare knows are class attributes; any other one is used without a code
    change by naming it: ``Platform("mastodon")``. Names are case-insensitive and stored in
    lower case; ``"x"`` and ``"twitter/x"`` mean Twitter, ``"fb"`` Facebook, ``"ig"`` Instagram.

    >>> Platform("X") == Platform.TWITTER
    True
    >>> Platform("Mastodon"), Platform("mastodon").is_known
    (Platform('mastodon'), False)
    """

    TWITTER: ClassVar[Platform]
    FACEBOOK: ClassVar[Platform]
    MESSENGER: ClassVar[Platform]
    INSTAGRAM: ClassVar[Platform]
    WHATSAPP: ClassVar[Platform]
    TIKTOK: ClassVar[Platform]
    LINKEDIN: ClassVar[Platform]
    YOUTUBE: ClassVar[Platform]
    WECHAT: ClassVar[Platform]
    EMAIL: ClassVar[Platform]
    WEB_CHAT: ClassVar[Platform]

    _KNOWN: ClassVar[tuple[str, ...]] = (
        "twitter",
        "facebook",
        "messenger",
        "instagram",
        "whatsapp",
        "tiktok",
        "linkedin",
        "youtube",
        "wechat",
        "email",
        "web_chat",
    )
    _ALIASES: ClassVar[dict[str, str]] = {
        "x": "twitter",
        "twitter/x": "twitter",
        "x/twitter": "twitter",
        "fb": "facebook",
        "facebook messenger": "messenger",
        "fb_messenger": "messenger",
        "ig": "instagram",
        "insta": "instagram",
        "wa": "whatsapp",
        "whatsapp business": "whatsapp",
        "webchat": "web_chat",
        "web chat": "web_chat",
        "web-chat": "web_chat",
        "chat": "web_chat",
        "mail": "email",
        "e-mail": "email",
    }

    def __new__(cls, name: str) -> Platform:
        if isinstance(name, Platform):
            return name
        if not isinstance(name, str):
            raise ValueError(f"a platform is a name such as 'twitter', got {name!r}")
        key = name.strip().lower()
        key = cls._ALIASES.get(key, key)
        if not _PLATFORM_NAME.match(key):
            raise ValueError(
                f"invalid platform name {name!r}: use a known platform ({', '.join(cls._KNOWN)}) "
                "or a short lower-case name of letters, digits, '_', '.' or '-'"
            )
        return super().__new__(cls, key)

    @property
    def is_known(self) -> bool:
        """Whether this is one of the platforms socialcare lists."""
        return str(self) in self._KNOWN

    @classmethod
    def known(cls) -> tuple[Platform, ...]:
        """The platforms socialcare lists, in a stable order."""
        return tuple(cls(name) for name in cls._KNOWN)

    def __repr__(self) -> str:
        return f"Platform({str(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": _PLATFORM_NAME.pattern,
            "examples": list(cls._KNOWN),
            "description": "Platform name; known ones are listed in examples, others allowed.",
        }


for _name in Platform._KNOWN:
    setattr(Platform, _name.upper(), Platform(_name))


class Channel(str, Enum):
    """Whether a post is seen by everyone (a public reply) or only by the parties (a DM)."""

    PUBLIC = "public"
    PRIVATE = "private"


def _to_utc(value: Any, info: ValidationInfo) -> datetime:
    assume = (info.context or {}).get("assume_tz") if isinstance(info.context, dict) else None
    return parse_timestamp(value, assume_tz=assume)


Timestamp = Annotated[datetime, Field(description="An instant; stored as aware UTC.")]


class Author(_Frozen):
    """Who wrote a post: a customer, an agent of the brand, or a bot.

    ``is_brand`` is ``None`` when the export does not say; `build_conversations` then
    decides from its ``brand`` argument.

    >>> Author(id="42", handle="@Ana_B", followers=120).handle
    'Ana_B'
    """

    id: str = Field(min_length=1, description="The platform's stable id for the account.")
    handle: str | None = Field(default=None, description="Screen name, without a leading '@'.")
    display_name: str | None = None
    followers: int = Field(default=0, ge=0)
    verified: bool = False
    is_brand: bool | None = None
    is_bot: bool = False

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        if value is None:
            return None
        handle = value.strip().removeprefix("@")
        if not handle:
            raise ValueError("a handle cannot be empty; leave it out (None) if unknown")
        return handle


class Post(_Frozen):
    """One message on a platform: a tweet, a comment, a DM, an email.

    ``created_at`` accepts an aware datetime, ISO 8601 text with an offset or ``Z``, epoch
    seconds or milliseconds, or Twitter's ``Tue Oct 31 22:10:47 +0000 2017``; it is stored in
    UTC. A naive value is refused unless a zone is named (``Post.parse(row,
    assume_tz="Asia/Jakarta")``).

    >>> post = Post(id="1", platform="x", author=Author(id="9"), text="hi @acme",
    ...             created_at="2024-05-01T09:30:00+02:00")
    >>> post.platform, post.created_at.isoformat(), post.channel.value
    (Platform('twitter'), '2024-05-01T07:30:00+00:00', 'public')
    """

    id: str = Field(min_length=1)
    platform: Platform
    author: Author
    text: str = ""
    created_at: Timestamp
    channel: Channel = Channel.PUBLIC
    in_reply_to: str | None = Field(default=None, description="Id of the post this answers.")
    conversation_id: str | None = Field(
        default=None, description="The platform's thread id, when it gives one."
    )
    language: str | None = Field(default=None, description="BCP 47 tag such as 'en' or 'pt-BR'.")
    automated: bool = Field(
        default=False,
        description="Sent by automation (an auto-reply or bot) even if the author is a person.",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra fields of the export: JSON values only (text, numbers, booleans, "
        "None, lists and dicts with text keys); refused otherwise, so the post always "
        "serialises.",
    )

    @field_validator("id", "in_reply_to", "conversation_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if info.field_name != "id" and isinstance(value, str) and not value.strip():
            return None  # exports write a missing parent or thread as an empty cell
        return value

    @field_validator("created_at", mode="before")
    @classmethod
    def _created_at(cls, value: Any, info: ValidationInfo) -> datetime:
        return _to_utc(value, info)

    @field_validator("metadata", mode="after")
    @classmethod
    def _json_metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json(value, "metadata", 0)
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def is_automated(self) -> bool:
        """Whether automation wrote this post: the post says so or its author is a bot."""
        return self.automated or self.author.is_bot

    @model_validator(mode="after")
    def _not_own_parent(self) -> Post:
        if self.in_reply_to is not None and self.in_reply_to == self.id:
            raise ValueError(f"post {self.id!r} cannot reply to itself (in_reply_to == id)")
        return self


_JSON_DEPTH = 64


def _check_json(value: Any, where: str, depth: int) -> None:
    """Refuse anything JSON cannot hold, so serialising a post never fails later."""
    if depth > _JSON_DEPTH:
        raise ValueError(
            f"metadata is nested more than {_JSON_DEPTH} levels deep (or contains itself)"
        )
    if value is None or isinstance(value, (str, bool, int, float)):
        return  # NaN and infinities are written as null, as pydantic does
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has the key {key!r}: JSON object keys are text")
            _check_json(item, f"{where}[{key!r}]", depth + 1)
        return
    raise ValueError(
        f"{where} holds a {type(value).__name__} ({value!r:.60}): metadata takes JSON values "
        "only (text, numbers, booleans, None, lists and dicts with text keys); convert it "
        "first (e.g. a set to a sorted list, a datetime to ISO text)"
    )


class Survey(_Frozen):
    """A satisfaction score attached to a conversation: CSAT (1-5) or NPS (0-10).

    >>> Survey(kind="csat", score=4).is_satisfied
    True
    >>> Survey(kind="nps", score=9).nps_group
    'promoter'
    """

    kind: Literal["csat", "nps"]
    score: int = Field(strict=False)
    submitted_at: Timestamp | None = None
    comment: str | None = None

    @field_validator("score", mode="before")
    @classmethod
    def _integral(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a score is a number, not a boolean")
        if isinstance(value, float):
            if value != value:  # NaN
                raise ValueError("a score cannot be NaN; leave the survey out if unanswered")
            if not value.is_integer():
                raise ValueError(f"a score must be a whole number, got {value!r}")
            return int(value)
        return value

    @field_validator("submitted_at", mode="before")
    @classmethod
    def _submitted_at(cls, value: Any, info: ValidationInfo) -> datetime | None:
        return None if value is None else _to_utc(value, info)

    @model_validator(mode="after")
    def _in_range(self) -> Survey:
        low, high = (1, 5) if self.kind == "csat" else (0, 10)
        if not low <= self.score <= high:
            raise ValueError(
                f"a {self.kind.upper()} score must be between {low} and {high}, got {self.score}"
            )
        return self

    @property
    def is_satisfied(self) -> bool | None:
        """For CSAT: whether the score is 4 or 5 (None for NPS)."""
        return self.score >= 4 if self.kind == "csat" else None

    @property
    def nps_group(self) -> Literal["promoter", "passive", "detractor"] | None:
        """For NPS: promoter (9-10), passive (7-8) or detractor (0-6) (None for CSAT)."""
        if self.kind != "nps":
            return None
        if self.score >= 9:
            return "promoter"
        return "passive" if self.score >= 7 else "detractor"
