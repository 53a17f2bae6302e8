"""The triage corpus: valid rows, every intent in every language, no near-duplicates."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from socialcare._triage.train_default import INTENTS, is_test, load_corpus

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_corpus.py"


def _check_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_corpus"] = module
    spec.loader.exec_module(module)
    return module


def test_the_corpus_has_no_near_duplicates(capsys: pytest.CaptureFixture[str]) -> None:
    """No template stamping: no two posts of a language are near-copies (issue #12)."""
    status = _check_corpus().main([])
    out = capsys.readouterr().out
    assert status == 0, out[-2000:]
    assert "0 near-duplicate pairs" in out


def test_near_duplicates_ignore_handles_links_and_digits() -> None:
    module = _check_corpus()
    pairs = module.near_duplicates(
        [
            "@AcmeHelp my order 12345 never arrived, where is it? https://t.co/abc",
            "@ShopCo my order 99812 never arrived, where is it? pic.twitter.com/xyz",
            "loving the new app update, the dark mode is great",
        ],
        0.85,
    )
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]


def test_every_intent_in_every_language_and_a_held_out_fifth() -> None:
    rows = load_corpus()
    languages = Counter(r["language"] for r in rows)
    assert len(languages) == 9
    assert min(languages.values()) >= 1_200
    assert len(rows) >= 12_000
    per = Counter((r["language"], r["intent"]) for r in rows)
    assert all(per[lang, intent] >= 100 for lang in languages for intent in INTENTS)
    held = sum(is_test(r["text"]) for r in rows) / len(rows)
    assert 0.18 < held < 0.22
