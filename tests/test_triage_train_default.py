"""Training inputs of the bundled model: the auxiliary real text and its held-out half."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from socialcare import InvalidInputError
from socialcare._triage._classifier import fit_shared
from socialcare._triage.train_default import (
    AUXILIARY,
    SMSA_ROWS,
    is_auxiliary_test,
    load_auxiliary,
)

pytestmark = pytest.mark.skipif(
    not AUXILIARY.is_dir(), reason="data/auxiliary is in the source tree, not in the wheel"
)


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


def test_a_head_learns_only_from_the_posts_labelled_for_it() -> None:
    texts = ["where is my order?", "when do you open?", "love it!", "great, thanks"] * 3
    intents = ["query", "query", "praise", "praise"] * 3
    texts += ["ok see you at 5", "lol fine"]
    mood: list[str | None] = ["neutral", "neutral", "positive", "positive"] * 3 + [None, None]
    heads = fit_shared(texts, {"intent": [*intents, None, None], "mood": mood}, C=5.0)
    assert heads["intent"].classes_.tolist() == ["praise", "query"]
    assert heads["intent"].predict(["where is my parcel?"]).tolist() == ["query"]
    # the featuriser still saw every post: "lol" is a known n-gram
    assert heads["mood"].features_ is heads["intent"].features_
    known = heads["mood"].features_.transform(["lol"]).to_csr(heads["mood"].n_features_)
    assert known.nnz > 0
    assert heads["mood"].classes_.tolist() == ["neutral", "positive"]
    with pytest.raises(InvalidInputError, match="every label is None"):
        fit_shared(texts, {"intent": [None] * len(texts)})
    with pytest.raises(InvalidInputError, match="14 texts but y has 13"):
        fit_shared(texts, {"intent": [*intents, None]})
