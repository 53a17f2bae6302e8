"""Reply templates: text written by support staff with a few named placeholders.

A template is data, not a program: it is parsed once, when the book is built, into literal
text and placeholder names, and rendered by joining strings. Nothing in it is evaluated: no
attribute access, no indexing, no format specification, no conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

from socialcare._errors import InvalidInputError

__all__ = [
    "ACK_FIELDS",
    "AWAY_FIELDS",
    "BASE_FIELDS",
    "NAME_LIMITS",
    "PLATFORM_LIMITS",
    "WORST_CASE",
    "Template",
    "parse_template",
]

#: Placeholders every template may use.
BASE_FIELDS = frozenset({"customer", "agent", "brand"})
_ETA = frozenset({"eta", "eta_time", "eta_day", "eta_zone"})
_OPENS = frozenset({"opens", "opens_time", "opens_day", "opens_zone"})
#: Placeholders of an acknowledgement (the time of the first response).
ACK_FIELDS = BASE_FIELDS | _ETA
#: Placeholders of an away message: the next opening, and the due time when a policy gives one.
AWAY_FIELDS = BASE_FIELDS | _ETA | _OPENS

#: The longest text each platform takes in one reply or comment (characters).
PLATFORM_LIMITS: Mapping[str, int] = {
    "twitter": 280,
    "tiktok": 150,
    "linkedin": 1250,
    "messenger": 2000,
    "instagram": 2200,
    "whatsapp": 4096,
    "facebook": 8000,
    "youtube": 10000,
}

#: How long a placeholder's value may be when a template's length is checked.
WORST_CASE: Mapping[str, int] = {
    "customer": 50,  # X allows 50-character display names; longer values are cut to fit
    "brand": 30,
    "agent": 30,
    "eta": 76,  # the longest over every pytz zone: a weekday, a time, a long city (es, pt)
    "opens": 76,
    "eta_time": 10,
    "opens_time": 10,
    "eta_day": 25,
    "opens_day": 25,
    "eta_zone": 40,
    "opens_zone": 40,
}

#: Platforms whose display names are shorter than `WORST_CASE`'s customer (characters).
NAME_LIMITS: Mapping[str, int] = {"tiktok": 30, "instagram": 30}

_FORMATTER = Formatter()
_MARKS = frozenset("!?.,;:؟،")


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, alternating.

    ``parts`` holds ``(literal, name)`` pairs; ``name`` is ``None`` after the last literal.
    """

    source: str
    parts: tuple[tuple[str, str | None], ...]
    fields: frozenset[str]

    def render(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder replaced by ``values[name]`` (empty when missing).

        An empty value takes the spaces before it along, so "Hi {customer}, thanks" reads
        "Hi, thanks" rather than "Hi , thanks"; at the very start it also takes the spaces
        and comma after it.

        >>> parse_template("Hi {customer}, thanks!", "t").render({"customer": ""})
        'Hi, thanks!'
        >>> parse_template("{customer}, hola :)", "t").render({})
        'hola :)'
        >>> parse_template("¡Hola, {customer}!", "t").render({})
        '¡Hola!'
        """
        pieces: list[str] = []
        trim_next = False
        parts = self.parts
        for index, (literal, name) in enumerate(parts):
            if trim_next:
                literal = literal.lstrip(" ,،")
                trim_next = False
            if literal:
                pieces.append(literal)
            if name is None:
                continue
            value = values.get(name)
            if value:
                pieces.append(value)
            elif pieces:
                # "¡Hola, {customer}!" -> "¡Hola!": a comma left before a mark goes too
                after = parts[index + 1][0] if index + 1 < len(parts) else ""
                ends = " ,،" if not after or after[0] in _MARKS else " "
                pieces[-1] = pieces[-1].rstrip(ends)
            else:
                trim_next = True
        return "".join(pieces).strip()

    def worst_length(self, platform: str | None = None) -> int:
        """The text's length with every placeholder at its `WORST_CASE` length (the customer's
        name at the platform's own limit where it is shorter)."""
        name_limit = NAME_LIMITS.get(platform or "", WORST_CASE["customer"])
        total = 0
        for literal, name in self.parts:
            total += len(literal)
            if name == "customer":
                total += name_limit
            elif name is not None:
                total += WORST_CASE[name]
        return total


def parse_template(text: object, where: str, allowed: frozenset[str] = ACK_FIELDS) -> Template:
    """Parse ``text`` into a `Template`, refusing anything but the ``allowed`` placeholders.

    ``where`` names the template in error messages (``replies.query.es.twitter``).

    >>> parse_template("Hola {customer}", "x").fields
    frozenset({'customer'})
    >>> parse_template("{customer.__class__}", "x")
    Traceback (most recent call last):
    ...
    socialcare._errors.InvalidInputError: reply template x: unknown placeholder ...
    """
    if not isinstance(text, str):
        raise InvalidInputError(
            f"reply template {where}: a text must be a string, got {type(text).__name__}"
        )
    if not text.strip():
        raise InvalidInputError(f"reply template {where}: the text is empty; write the reply")
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise InvalidInputError(
            f"reply template {where}: {exc}; write a placeholder as {{name}} and a literal "
            "brace as {{{{ or }}}}"
        ) from None
    parts: list[tuple[str, str | None]] = []
    fields: set[str] = set()
    for literal, name, spec, conversion in parsed:
        if name is None:
            parts.append((literal, None))
            continue
        if spec or conversion:
            raise InvalidInputError(
                f"reply template {where}: placeholder {{{name}}} has a format specification or "
                "conversion; templates take plain {name} placeholders only"
            )
        if name not in allowed:
            known = ", ".join("{" + n + "}" for n in sorted(allowed))
            raise InvalidInputError(
                f"reply template {where}: unknown placeholder {{{name}}}; this template may use "
                f"{known}"
            )
        parts.append((literal, name))
        fields.add(name)
    return Template(text, tuple(parts), frozenset(fields))
