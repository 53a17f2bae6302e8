"""The private-internals shortcuts of _compat and their public fallbacks give the same results."""

from __future__ import annotations

import ast
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

import socialcare
import socialcare._triage._scorer as scorer_module
from socialcare import _compat
from socialcare._triage._scorer import _grouped_sums

#: Zones the test suite and docs use (see tests/ and docs/).
ZONES = [
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Tehran",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]


def _both(index: np.ndarray, counts: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    assert _compat.csr_matvecs() is not None  # this scipy has the kernel: both roads run
    fast = _grouped_sums(index, counts, matrix)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scorer_module, "csr_matvecs", lambda: None)
        slow = _grouped_sums(index, counts, matrix)
    return fast, slow


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 9),
    st.lists(st.integers(0, 30), min_size=1, max_size=12),
    st.sampled_from([np.float32, np.float64]),
    st.integers(0, 2**32 - 1),
)
def test_grouped_sums_kernel_equals_the_public_sparse_product(
    n_rows: int, width: int, counts: list[int], dtype: type, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n_rows, width)).astype(dtype)
    counts_a = np.array(counts, dtype=np.int64)
    index = rng.integers(0, n_rows, size=int(counts_a.sum()))
    fast, slow = _both(index, counts_a, matrix)
    assert fast.dtype == slow.dtype == matrix.dtype
    assert fast.shape == slow.shape == (len(counts), width)
    assert np.array_equal(fast, slow)  # bit for bit
    # and both are the grouped sums
    starts = np.concatenate([[0], np.cumsum(counts_a)])
    expected = np.array(
        [matrix[index[a:b]].sum(axis=0) for a, b in itertools.pairwise(starts)]
    ).reshape(len(counts), width)
    assert np.allclose(fast, expected, rtol=1e-5, atol=1e-5)


def test_grouped_sums_past_the_shared_ones() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((50, 3)).astype(np.float32)
    index = rng.integers(0, 50, size=(1 << 16) + 5)  # longer than the shared array of ones
    fast, slow = _both(index, np.array([index.shape[0] - 5, 5]), matrix)
    assert np.array_equal(fast, slow)


def test_decisions_equal_without_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from socialcare import Triager
    from socialcare._triage.train_default import load_corpus

    texts = [row["text"] for row in load_corpus()][::6]
    triager = Triager.default()
    fast = triager.decide_many(texts), [triager.decide(t) for t in texts[:20]]
    monkeypatch.setattr(scorer_module, "csr_matvecs", lambda: None)
    assert (triager.decide_many(texts), [triager.decide(t) for t in texts[:20]]) == fast


@pytest.mark.parametrize("name", ZONES)
def test_utc_transitions_of_zones_in_use(name: str) -> None:
    tz = pytz.timezone(name)
    found = _compat.utc_transitions(tz)
    assert found is not None
    times, infos = found
    assert len(times) == len(infos) > 10
    assert times == sorted(times)
    # what the private data says agrees with pytz's public conversion
    for when, (offset, dst, abbr) in list(zip(times, infos, strict=True))[1:][-40:]:
        at = (when + timedelta(seconds=1)).replace(tzinfo=timezone.utc).astimezone(tz)
        assert at.utcoffset() == offset
        assert at.dst() == dst
        assert at.tzname() == abbr


@pytest.mark.parametrize("name", ["UTC", "Etc/GMT+5", "Asia/Kolkata"])
def test_utc_transitions_of_fixed_or_single_offset_zones(name: str) -> None:
    tz = pytz.timezone(name)
    found = _compat.utc_transitions(tz)
    if isinstance(tz, pytz.tzinfo.DstTzInfo):  # Asia/Kolkata: historical changes
        assert found is not None
    else:
        assert found is None
    assert _compat.utc_transitions(pytz.utc) is None
    assert _compat.utc_transitions(timezone.utc) is None
    assert _compat.utc_transitions(timezone(timedelta(hours=2))) is None


def test_every_pytz_zone_with_transitions_exposes_them() -> None:
    missing = [
        name
        for name in pytz.all_timezones
        if isinstance(pytz.timezone(name), pytz.tzinfo.DstTzInfo)
        and _compat.utc_transitions(pytz.timezone(name)) is None
    ]
    assert missing == []


@pytest.mark.parametrize("zone", ["Etc/GMT-3", "Asia/Kolkata"])
def test_sla_business_time_without_the_private_zone_data(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """The fallback (None) reads the zone as one fixed offset: the same clocks in a zone that
    has kept one offset since 2000 (Etc/GMT-3, Asia/Kolkata). A zone with summer time needs
    the transitions: ``test_every_pytz_zone_with_transitions_exposes_them`` guards them."""
    from socialcare import SLAPolicy

    def clocks() -> list[object]:
        policy = SLAPolicy.from_dict(
            {
                "targets": [
                    {
                        "metric": "first_response",
                        "duration": "3h",
                        "window": {"timezone": zone, "hours": {"mon-fri": "09:00-17:00"}},
                    }
                ]
            }
        )
        out: list[object] = []
        for day in (5, 150):  # winter and summer
            start = datetime(2026, 1, 1, 4, 0, tzinfo=timezone.utc) + timedelta(days=day)
            post = socialcare.Post(
                id="p", platform="x", author=socialcare.Author(id="a"), text="hi",
                created_at=start,
            )  # fmt: skip
            report = policy.evaluate(
                socialcare.Conversation(id="c", posts=(post,)), start + timedelta(hours=9)
            )
            first = report.first_response
            assert first is not None
            out.append((first.elapsed, first.due_at))
        return out

    with_data = clocks()
    monkeypatch.setattr(_compat, "utc_transitions", lambda tz: None)
    assert _compat.utc_transitions(pytz.timezone(zone)) is None
    without = clocks()
    assert without == with_data


def test_no_private_reach_outside_compat() -> None:
    """Only _compat may name another library's private attributes or modules."""
    private = {"_utc_transition_times", "_transition_info", "_sparsetools"}
    root = Path(socialcare.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "_compat.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.append(node.value)
            elif isinstance(node, ast.Attribute):
                names.append(node.attr)
            elif isinstance(node, ast.ImportFrom):
                names.extend([node.module or "", *(a.name for a in node.names)])
            if private & set(names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")  # type: ignore[attr-defined]
    assert offenders == []
