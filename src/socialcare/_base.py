"""The one base of socialcare's models: frozen, no unknown fields, errors in our family."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import Self

from socialcare._errors import from_pydantic

__all__ = ["Frozen"]


class Frozen(BaseModel):
    """Base of our models: frozen, no unknown fields, errors in the socialcare family.

    Building a model (the constructor, ``model_validate``, ``model_validate_json`` or
    `parse`) raises `InvalidInputError` (also a ``ValueError``) that keeps each
    bad field and the reason, instead of pydantic's own error type.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise from_pydantic(exc, type(self).__name__) from None

    # Tell pydantic this __init__ only wraps its own, so model_validate() keeps its fast path
    # and its validation context (a custom __init__ would be called with the data alone).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise from_pydantic(exc, cls.__name__) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise from_pydantic(exc, cls.__name__) from None

    @classmethod
    def parse(cls, data: Any, *, assume_tz: str | None = None) -> Self:
        """Validate ``data`` (a mapping, a model or JSON text) into this model.

        ``assume_tz`` names the zone of naive timestamps; without it they are refused.
        """
        context = {"assume_tz": assume_tz} if assume_tz is not None else None
        if isinstance(data, (str, bytes, bytearray)):
            return cls.model_validate_json(data, context=context)
        return cls.model_validate(data, context=context)


