"""Survey scores: CSAT (share of 4-5, Wilson interval) and NPS (promoters minus detractors)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare._models import Survey
from socialcare.metrics._columns import Columns, Scores, to_columns

__all__ = ["CsatResult", "NpsResult", "csat", "nps", "score_counts", "wilson_interval"]

_Z95 = 1.959963984540054
IntArray = npt.NDArray[np.int64]


def wilson_interval(successes: int, trials: int, z: float = _Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (95% by default); ``None`` without trials.

    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    """
    for name, count in (("successes", successes), ("trials", trials)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise InvalidInputError(f"{name} must be a whole number of at least 0, got {count!r}")
    if successes > trials:
        raise InvalidInputError(f"successes ({successes}) cannot exceed trials ({trials})")
    if isinstance(z, bool) or not isinstance(z, (int, float)) or not z > 0:
        raise InvalidInputError(f"z must be a positive number, got {z!r}")
    if trials == 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    center = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, center - half), min(1.0, center + half)


@dataclass(frozen=True, slots=True)
class CsatResult:
    """CSAT: the share of valid 1-5 responses that are 4 or 5.

    ``value`` and ``interval`` (Wilson 95%) are ``None`` without valid responses; ``invalid``
    counts the scores left out (outside 1-5, not whole, NaN or missing).
    """

    responses: int
    satisfied: int
    value: float | None
    interval: tuple[float, float] | None
    invalid: int

    @classmethod
    def of(cls, responses: int, satisfied: int, invalid: int) -> CsatResult:
        """Build from counts."""
        value = satisfied / responses if responses else None
        return cls(responses, satisfied, value, wilson_interval(satisfied, responses), invalid)


@dataclass(frozen=True, slots=True)
class NpsResult:
    """NPS: percent promoters (9-10) minus percent detractors (0-6), from -100 to 100.

    ``score`` is ``None`` without valid responses; ``invalid`` counts the scores left out.
    """

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    invalid: int

    @classmethod
    def of(cls, promoters: int, passives: int, detractors: int, invalid: int) -> NpsResult:
        """Build from counts."""
        responses = promoters + passives + detractors
        score = 100.0 * (promoters - detractors) / responses if responses else None
        return cls(responses, promoters, passives, detractors, score, invalid)


Kind = Literal["csat", "nps"]


def _valid(score: npt.NDArray[np.float64], kind: Kind) -> npt.NDArray[np.bool_]:
    low, high = (1, 5) if kind == "csat" else (0, 10)
    with np.errstate(invalid="ignore"):
        valid: npt.NDArray[np.bool_] = (
            np.isfinite(score) & (score == np.floor(score)) & (score >= low) & (score <= high)
        )
    return valid


def score_counts(
    scores: Scores, kind: Kind, groups: IntArray, n_groups: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per group: (top, middle, bottom, invalid) counts.

    For CSAT top is 4-5, bottom 1-3 and middle unused; for NPS top is 9-10, middle 7-8 and
    bottom 0-6.
    """
    g = groups[scores.conv]
    valid = _valid(scores.score, kind)
    top_from = 4 if kind == "csat" else 9
    middle_from = 4 if kind == "csat" else 7
    top = valid & (scores.score >= top_from)
    middle = valid & ~top & (scores.score >= middle_from)
    bottom = valid & ~top & ~middle

    def count(mask: npt.NDArray[np.bool_]) -> IntArray:
        return np.bincount(g[mask], minlength=n_groups).astype(np.int64)

    return count(top), count(middle), count(bottom), count(~valid)


def _scores(source: Any, kind: Kind) -> Scores:
    if isinstance(source, Columns):
        table = source.csat if kind == "csat" else source.nps
        if table is None:
            raise InvalidInputError(
                f"these columns have no {kind} table: pass {kind}_conv and {kind}_score to "
                "from_columns()"
            )
        return table
    if isinstance(source, (str, bytes, Mapping)) or not isinstance(source, Iterable):
        raise InvalidInputError(
            f"{kind}() takes Columns, conversations, surveys or a column of scores (a list), "
            f"got {type(source).__name__}"
        )
    if isinstance(source, np.ndarray):
        items: list[Any] = source.tolist()
    else:
        items = list(source)
    if items and all(isinstance(item, Conversation) for item in items):
        table = to_columns(items).csat if kind == "csat" else to_columns(items).nps
        assert table is not None
        return table
    values: list[float] = []
    for position, item in enumerate(items):
        if isinstance(item, Conversation):
            raise InvalidInputError(
                f"item {position} is a Conversation among scores; give one or the other"
            )
        if isinstance(item, Survey):
            if item.kind != kind:
                raise InvalidInputError(
                    f"item {position} is a {item.kind.upper()} survey; {kind}() reads "
                    f"{kind.upper()} surveys only"
                )
            item = item.score
        if item is None:
            values.append(math.nan)
        elif isinstance(item, bool) or not isinstance(item, (int, float, np.number)):
            raise InvalidInputError(
                f"item {position} ({item!r}) is not a score: give numbers (NaN or None for "
                "no answer), Survey objects or conversations"
            )
        else:
            values.append(float(item))
    return Scores(np.zeros(len(values), dtype=np.int64), np.array(values, dtype=np.float64))


def _pooled(table: Scores) -> Scores:
    # Every score in one group (row 0), whichever conversation it came from.
    return Scores(np.zeros(len(table.conv), dtype=np.int64), table.score)


def csat(source: Columns | Iterable[Conversation] | Iterable[Any]) -> CsatResult:
    """CSAT over every CSAT survey of the conversations, or over a plain column of scores.

    Scores outside 1-5, fractional ones, NaN and None are excluded and counted in
    ``invalid``. Zendesk's, Sprout's and Chatwoot's CSAT percentage are the same ratio.

    >>> r = csat([5, 4, 2, 5, 6, float("nan")])
    >>> r.responses, r.satisfied, r.value, r.invalid
    (4, 3, 0.75, 2)
    """
    table = _pooled(_scores(source, "csat"))
    top, _, bottom, invalid = score_counts(table, "csat", np.zeros(1, dtype=np.int64), 1)
    return CsatResult.of(int(top[0] + bottom[0]), int(top[0]), int(invalid[0]))


def nps(source: Columns | Iterable[Conversation] | Iterable[Any]) -> NpsResult:
    """NPS over every NPS survey of the conversations, or over a plain column of 0-10 scores.

    Scores outside 0-10, fractional ones, NaN and None are excluded and counted.

    >>> r = nps([10, 9, 8, 3, 11])
    >>> r.score, r.promoters, r.passives, r.detractors, r.invalid
    (25.0, 2, 1, 1, 1)
    """
    table = _pooled(_scores(source, "nps"))
    top, middle, bottom, invalid = score_counts(table, "nps", np.zeros(1, dtype=np.int64), 1)
    return NpsResult.of(int(top[0]), int(middle[0]), int(bottom[0]), int(invalid[0]))
