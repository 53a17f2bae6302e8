"""The one error family of socialcare.

Every error the library raises on purpose is a `SocialcareError`. The leaves also
subclass the matching built-in exception, so ``except ValueError`` keeps working for callers
that do not know about socialcare.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "InvalidInputError",
    "ModelError",
    "NotFittedError",
    "PersistenceError",
    "SocialcareError",
    "TimezoneError",
    "ValidationIssue",
]


class SocialcareError(Exception):
    """Root of every error socialcare raises; catch this to catch them all."""


class InvalidInputError(SocialcareError, ValueError):
    """A value given to socialcare is malformed or out of range.

    ``issues`` lists each problem with the field path it concerns (for example
    ``("author", "followers")``), so a caller can point at the exact field.
    """

    def __init__(self, message: str, issues: Sequence[ValidationIssue] = ()) -> None:
        super().__init__(message)
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)


class TimezoneError(InvalidInputError):
    """A datetime has no time zone, or a time zone name is unknown.

    socialcare never guesses a zone: attach one to the datetime or name the zone explicitly.
    """


class ModelError(SocialcareError):
    """A classifier or other model cannot do what was asked (for example, not trained)."""


class NotFittedError(ModelError, AttributeError):
    """An estimator was used before ``fit``."""


class PersistenceError(ModelError, OSError):
    """A saved model cannot be read: missing, tampered with, untrusted or from another version."""


class ValidationIssue:
    """One problem found while validating input: where, what, and the offending value."""

    __slots__ = ("input", "location", "message")

    def __init__(self, location: tuple[str | int, ...], message: str, input: Any = None) -> None:
        self.location = location
        self.message = message
        self.input = input

    @property
    def field(self) -> str:
        """The dotted path of the field, such as ``author.followers`` (empty at the top)."""
        return ".".join(str(part) for part in self.location)

    def __iter__(self) -> Iterator[Any]:
        yield from (self.location, self.message, self.input)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValidationIssue):
            return NotImplemented
        return tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash((self.location, self.message))

    def __repr__(self) -> str:
        return f"ValidationIssue(field={self.field!r}, message={self.message!r})"


def from_pydantic(exc: Any, what: str) -> InvalidInputError:
    """Wrap a ``pydantic.ValidationError`` in our family, keeping each field and reason.

    A time-zone problem becomes a `TimezoneError` so callers can tell it apart.
    """
    issues: list[ValidationIssue] = []
    tz_problem = False
    for err in exc.errors(include_url=False):
        ctx: Mapping[str, Any] = err.get("ctx") or {}
        inner = ctx.get("error")
        message = str(inner) if inner is not None else str(err.get("msg", ""))
        message = message.removeprefix("Value error, ")
        location = tuple(err.get("loc", ()))
        if isinstance(inner, TimezoneError) or err.get("type") == "timezone_aware":
            tz_problem = True
        if isinstance(inner, InvalidInputError) and inner.issues:
            # A nested model of ours already explained itself: keep its fields, under ours.
            issues.extend(
                ValidationIssue(location + issue.location, issue.message, issue.input)
                for issue in inner.issues
            )
            continue
        issues.append(ValidationIssue(location, message, err.get("input")))
    lines = "; ".join(f"{i.field or '<root>'}: {i.message}" for i in issues)
    cls = TimezoneError if tz_problem else InvalidInputError
    return cls(f"invalid {what}: {lines}", issues)
