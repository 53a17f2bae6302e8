"""The guides' examples run as written: each page's Python blocks execute in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _run(page: str) -> dict[str, object]:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4, f"{page} has too few examples"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOCS / page), "exec"), namespace)
    return namespace


def test_pandas_guide_runs() -> None:
    pytest.importorskip("pandas")
    namespace = _run("pandas.md")
    assert len(namespace["report"]) == 1  # type: ignore[arg-type]


def test_plot_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # the examples save PNG files
    _run("plot.md")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "first_response.png",
        "sla_attainment.png",
        "volume.png",
    ]


def test_testing_guide_runs() -> None:
    from socialcare.testing import ConversationFactory, FixedClock

    namespace = _run("testing.md")
    # the fixture example is a test of its own: run it with what the plugin would give it
    example = namespace["test_unanswered_complaints_breach_after_15_minutes"]
    example(ConversationFactory(seed=0), FixedClock())  # type: ignore[operator]


def test_doctest_fencing_extension() -> None:
    pytest.importorskip("griffe")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "doctest_blocks", DOCS / "_griffe" / "doctest_blocks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fence = module.fence_doctests
    assert fence("Says hi.\n>>> 1 + 1\n2") == "Says hi.\n```pycon\n>>> 1 + 1\n2\n```"
    text = "Says hi.\n\n>>> x = 1\n>>> x\n1\n\nMore text.\n>>> 2\n2\n"
    assert fence(text) == (
        "Says hi.\n\n```pycon\n>>> x = 1\n>>> x\n1\n```\n\nMore text.\n```pycon\n>>> 2\n2\n```\n"
    )
    # a doctest at the end is closed; indented (Google "Examples:") and fenced ones are kept
    kept = "Examples:\n    >>> 1\n    1\n\n```python\n>>> 2\n```"
    assert fence(kept) == kept


def test_sensitive_kinds_page_is_up_to_date() -> None:
    """docs/sensitive-kinds.md is generated from the pattern files: regenerate it when they change
    (``python scripts/make_sensitive_doc.py``)."""
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location(
        "make_doc", root / "scripts/make_sensitive_doc.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (root / "docs" / "sensitive-kinds.md").read_text(encoding="utf-8")
    assert page == module.render()
