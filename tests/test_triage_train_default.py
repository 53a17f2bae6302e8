"""Training inputs of the bundled model: the auxiliary real text and its held-out half."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from socialcare import InvalidInputError
from socialcare._triage.train_default import (
    AUXILIARY,
    SMSA_ROWS,
    calibrate_sensitivity,
    is_auxiliary_test,
    load_auxiliary,
)

needs_auxiliary = pytest.mark.skipif(
    not AUXILIARY.is_dir(), reason="data/auxiliary is in the source tree, not in the wheel"
)


@needs_auxiliary
def test_auxiliary_rows_teach_no_intent_and_keep_the_held_out_half_out() -> None:
    rows = load_auxiliary()
    sources = Counter(r["source"] for r in rows)
    assert sources["indonlu_smsa"] == SMSA_ROWS
    assert all(r["intent"] is None and r["sensitivity"] is None for r in rows)
    sms = [r for r in rows if r["source"] == "sms_spam"]
    assert all(r["sentiment"] is None for r in sms)
    assert not any(is_auxiliary_test(r["text"]) for r in sms)
    lines = (AUXILIARY / "sms_spam" / "SMSSpamCollection").read_text(encoding="utf-8")
    ham = [line.split("\t", 1)[1] for line in lines.splitlines()[1:] if line.startswith("ham\t")]
    held = [t for t in ham if is_auxiliary_test(t)]
    # about half of the messages are never trained on, and every other ham message is
    assert 0.4 < len(held) / len(ham) < 0.6
    assert len(sms) == len(ham) - len(held)
    smsa = Counter(r["sentiment"] for r in rows if r["source"] == "indonlu_smsa")
    assert set(smsa) == {"negative", "neutral", "positive"}


@needs_auxiliary
def test_missing_or_changed_auxiliary_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--auxiliary"):
        load_auxiliary(tmp_path)
    shutil.copytree(AUXILIARY, tmp_path / "aux")
    smsa = tmp_path / "aux" / "indonlu_smsa" / "train-3000.tsv"
    lines = smsa.read_text(encoding="utf-8").splitlines()
    smsa.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected 3000 rows"):
        load_auxiliary(tmp_path / "aux")
    smsa.write_text("\n".join([*lines[:-1], "no label here"]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train-3000\.tsv:3000"):
        load_auxiliary(tmp_path / "aux")


def _kinds_corpus() -> tuple[list[str], list[str]]:
    """Three kinds whose posts share words, so that scores do not saturate."""
    words = "abcdefghij"
    ordinary = [f"i want to end my contract {w}, the charger is {d}" for w in words for d in
                ("late", "broken", "gone")]
    harm = [f"i want to end it all {w}, i am {d}" for w in words for d in ("done", "gone")]
    fire = [f"the charger {w} caught fire, it is {d}" for w in words for d in ("broken", "gone")]
    return ordinary + harm + fire, ["none"] * 30 + ["self_harm"] * 20 + ["safety"] * 20


def test_calibration_counts_corpus_posts_only_and_never_scores_the_extra_ones() -> None:
    texts, kinds = _kinds_corpus()
    # the self-harm posts again, twice, labelled ordinary: they pull the self-harm scores
    # down, but are never scored themselves (a flood is a share of the 30 corpus ordinary
    # posts, and recall stays a share of the 20 self-harm posts)
    extra = texts[30:50] * 2
    plain = calibrate_sensitivity(texts, kinds, cv=3, n_jobs=1)
    mixed = calibrate_sensitivity(texts, kinds, cv=3, extra=extra, n_jobs=1)
    for result in (plain, mixed):
        assert set(result["thresholds"]) == {"self_harm", "safety"}
        for flood in result["flood"].values():
            assert abs(flood * 30 - round(flood * 30)) < 1e-9
    assert plain["thresholds"]["self_harm"] > 0.9
    assert mixed["thresholds"]["self_harm"] < 0.5  # the extra posts did train every fold
    assert mixed["recall"]["self_harm"] == 1.0  # ... and none of them was counted as missed
    assert calibrate_sensitivity(texts, kinds, cv=3, extra=extra, n_jobs=1) == mixed


def test_calibration_survives_a_fold_without_a_kind_and_needs_ordinary_posts() -> None:
    texts, kinds = _kinds_corpus()
    texts, kinds = [*texts, "someone posted my home address online"], [*kinds, "privacy"]
    with pytest.warns(UserWarning, match="least populated class"):
        result = calibrate_sensitivity(texts, kinds, cv=3, n_jobs=1)
    assert "privacy" in result["thresholds"]
    with pytest.raises(InvalidInputError, match="no 'none'"):
        calibrate_sensitivity(texts[30:], kinds[30:], cv=3, n_jobs=1)
