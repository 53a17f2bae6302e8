"""What triage reads of a post: `TriageInput`, built from a post, a text or a row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from socialcare._base import Frozen
from socialcare._errors import InvalidInputError
from socialcare._models import Channel, Platform, Post

__all__ = ["TriageInput", "as_input"]


class TriageInput(Frozen):
    """The part of a post that triage reads: its text, and who wrote it where.

    Build one from a [`Post`][socialcare.Post] (``TriageInput.of(post)``), a plain text, a
    mapping with these field names, or pandas columns (``socialcare.pandas.triage_frame``).
    ``is_brand`` and ``automated`` posts are never triaged: they get route ``none`` and no
    priority. ``language`` is a hint from the caller (a BCP 47 tag) that the decision carries.

    >>> TriageInput.of("where is my parcel?").followers
    0
    >>> TriageInput.of({"text": "hi", "followers": 12_000, "platform": "x"}).platform
    Platform('twitter')
    """

    text: str
    platform: Platform | None = None
    followers: int = Field(default=0, ge=0)
    verified: bool = False
    public: bool = Field(default=True, description="False for a private channel (DM, chat).")
    is_brand: bool = False
    automated: bool = False
    language: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _channel(cls, data: Any) -> Any:
        """Accept ``channel`` ("public" or "private") in place of ``public``."""
        if isinstance(data, dict) and "channel" in data:
            data = dict(data)
            value = data.pop("channel")
            try:
                data["public"] = Channel(str(value).strip().lower()) == Channel.PUBLIC
            except ValueError:
                raise ValueError(
                    f"channel must be 'public' or 'private', got {value!r}"
                ) from None
        return data

    @classmethod
    def from_post(cls, post: Post) -> TriageInput:
        """What triage reads of ``post`` (``is_brand`` from its author when the export says)."""
        if not isinstance(post, Post):
            raise InvalidInputError(f"expected a Post, got {type(post).__name__}")
        author = post.author
        return cls.model_construct(
            text=post.text,
            platform=post.platform,
            followers=author.followers,
            verified=author.verified,
            public=post.channel == Channel.PUBLIC,
            is_brand=bool(author.is_brand),
            automated=post.is_automated,
            language=post.language,
        )

    @classmethod
    def of(cls, value: Any) -> TriageInput:
        """A TriageInput from a post, a text, a mapping of these fields, or one already built.

        Raises [`InvalidInputError`][socialcare.InvalidInputError] for anything else.
        """
        if isinstance(value, TriageInput):
            return value
        if isinstance(value, str):
            return cls.model_construct(text=value)
        if isinstance(value, Post):
            return cls.from_post(value)
        if isinstance(value, Mapping):
            return cls.model_validate(dict(value))
        what = "None" if value is None else type(value).__name__
        raise InvalidInputError(
            f"not a post: {what}; give a Post, a text, a TriageInput or a mapping with 'text'"
        )


#: The input behind a plain text (shared: every field at its default).
TEXT_ONLY = TriageInput.model_construct(text="")


def as_input(value: Any) -> tuple[TriageInput | None, str | None]:
    """``(input, None)`` for a readable value, ``(None, why)`` otherwise (never raises)."""
    try:
        return TriageInput.of(value), None
    except InvalidInputError as exc:
        return None, str(exc)
