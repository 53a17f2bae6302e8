"""SLA attainment from per-conversation SLA states (computed by the SLA engine)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from socialcare._errors import InvalidInputError
from socialcare.metrics._columns import Columns, Labels, sla_states
from socialcare.metrics._rates import Rate, check_zero_division

__all__ = ["SLA_STATES", "SlaAttainment", "attainment_counts", "sla_attainment"]

SLA_STATES = ("pending", "at_risk", "met", "breached", "paused")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class SlaAttainment:
    """How one SLA metric fared: ``met`` out of the targets that are decided.

    ``rate`` is met / (met + breached). Targets still running (``pending``, ``at_risk``,
    ``paused``) are excluded from the rate and counted; ``missing`` counts conversations
    without a state for this metric (the metric does not apply).
    """

    met: int
    breached: int
    pending: int
    at_risk: int
    paused: int
    missing: int
    rate: Rate


def attainment_counts(
    states: Labels, groups: IntArray, n_groups: int, *, zero_division: float | None = None
) -> list[SlaAttainment]:
    """Attainment per group from a column of state labels."""
    unknown = set(states.categories) - set(SLA_STATES)
    if unknown:
        raise InvalidInputError(
            f"unknown SLA states {sorted(unknown)}; states are {list(SLA_STATES)}"
        )

    def count(name: str) -> IntArray:
        mask = states.codes == states.code_of(name)
        return np.bincount(groups[mask], minlength=n_groups).astype(np.int64)

    counts = {name: count(name) for name in SLA_STATES}
    missing = np.bincount(groups[states.codes < 0], minlength=n_groups)
    return [
        SlaAttainment(
            met=int(counts["met"][g]),
            breached=int(counts["breached"][g]),
            pending=int(counts["pending"][g]),
            at_risk=int(counts["at_risk"][g]),
            paused=int(counts["paused"][g]),
            missing=int(missing[g]),
            rate=Rate.of(
                int(counts["met"][g]),
                int(counts["met"][g] + counts["breached"][g]),
                zero_division=zero_division,
            ),
        )
        for g in range(n_groups)
    ]


def state_columns(source: Any) -> dict[str, Labels]:
    """Per-metric state labels from Columns, a mapping of state columns, or evaluations."""
    if isinstance(source, Columns):
        return dict(source.sla)
    if isinstance(source, Mapping):
        out: dict[str, Labels] = {}
        for metric, column in source.items():
            if isinstance(column, (str, bytes)):
                raise InvalidInputError(
                    f"sla[{metric!r}] must be a column of states, not one string"
                )
            out[str(metric)] = Labels.from_values(
                None if v is None else str(getattr(v, "value", v))
                for v in (getattr(item, "state", item) for item in column)
            )
        lengths = {len(labels.codes) for labels in out.values()}
        if len(lengths) > 1:
            raise InvalidInputError("every SLA state column must have one row per conversation")
        return out
    if isinstance(source, (str, bytes)) or not isinstance(source, Iterable):
        raise InvalidInputError(
            "sla_attainment takes Columns, a mapping metric -> states, or SLA evaluations"
        )
    rows = [sla_states(evaluation) for evaluation in source]
    metrics = sorted({metric for row in rows for metric in row})
    return {metric: Labels.from_values(row.get(metric) for row in rows) for metric in metrics}


def sla_attainment(
    source: Columns | Mapping[str, Iterable[Any]] | Iterable[Any],
    *,
    zero_division: float | None = None,
) -> dict[str, SlaAttainment]:
    """Per SLA metric, the share of decided targets that were met.

    ``source`` is loosely coupled to the SLA engine: a mapping ``metric -> states`` (strings
    such as ``"met"``, enums whose ``.value`` is one, or results with ``.state``), an iterable
    of evaluations (``SLAPolicy.evaluate`` results: mappings metric -> result, or objects with
    ``first_response`` / ``next_response`` / ``resolution`` attributes), or `Columns`
    built with ``to_columns(..., policy=, now=)``.

    >>> r = sla_attainment({"first_response": ["met", "breached", "met", "pending"]})
    >>> r["first_response"].rate, r["first_response"].pending
    (Rate(numerator=2, denominator=3, value=0.6666666666666666), 1)
    """
    policy = check_zero_division(zero_division)
    out: dict[str, SlaAttainment] = {}
    for metric, states in state_columns(source).items():
        groups = np.zeros(len(states.codes), dtype=np.int64)
        out[metric] = attainment_counts(states, groups, 1, zero_division=policy)[0]
    return out
