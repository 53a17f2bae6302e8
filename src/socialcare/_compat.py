"""Shortcuts into other libraries' private internals, fenced here, each with a public fallback.

Nothing else in socialcare reaches into another library's private names. Each shortcut below
is optional: when the library changes, the public fallback gives the same results (tests run
both: ``tests/test_compat.py``).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["csr_matvecs", "utc_transitions"]


@functools.cache
def csr_matvecs() -> Any:
    """scipy's kernel behind ``csr_matrix @ dense`` (or None where this scipy lacks it).

    Calling it directly skips building a ``csr_matrix`` object, which costs more than the
    product itself for one post. The fallback (None) is the public ``csr_matrix @ dense``;
    both add a row's entries in order, so they give the same numbers.
    """
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - depends on the installed scipy
        return None
    return getattr(_sparsetools, "csr_matvecs", None)


def utc_transitions(tz: Any) -> tuple[list[Any], list[Any]] | None:
    """A pytz zone's UTC transition instants and ``(offset, dst, name)`` infos, or None.

    pytz keeps them in private attributes and has no public accessor. None (a fixed-offset
    zone, or a pytz without them) makes the SLA engine treat the zone as one fixed offset,
    which is right for fixed zones; ``tests/test_compat.py`` checks every zone pytz knows
    still exposes them.
    """
    times = getattr(tz, "_utc_transition_times", None)
    infos = getattr(tz, "_transition_info", None)
    if not times or not infos:
        return None
    return list(times), list(infos)
