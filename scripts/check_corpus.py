"""Check the triage corpus: ``python scripts/check_corpus.py [--language xx] [--threshold 0.85]``.

Validates every row (labels, language, non-empty text), prints counts per language, intent,
sentiment and sensitivity, the share of posts that start with an @handle or carry a link per
intent, and lists near-duplicate pairs: posts whose character 3-5-gram TF-IDF vectors (after
dropping @handles, links and digits) have a cosine similarity at or above the threshold
(same language, ten characters or more). Exits
1 when a row is invalid or a near-duplicate pair exists, so it can gate a commit.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from socialcare._triage.train_default import is_test, load_corpus  # noqa: E402

CORPUS = ROOT / "src" / "socialcare" / "_triage" / "corpus"
_LINK = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/|t\.co/)\S*", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")


def skeleton(text: str) -> str:
    """The text with handles, links and digits removed and case folded (for duplicate checks)."""
    text = _LINK.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _DIGITS.sub("0", text)
    return " ".join(text.casefold().split())


def near_duplicates(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)`` with ``i < j`` whose skeletons are at least ``threshold`` alike."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=1).fit_transform(
        [skeleton(t) for t in texts]
    )
    pairs: list[tuple[int, int, float]] = []
    step = 2000
    for start in range(0, vectors.shape[0], step):
        block = (vectors[start : start + step] @ vectors.T).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        for i, j, v in zip(block.row[keep], block.col[keep], block.data[keep], strict=True):
            pairs.append((int(i) + start, int(j), float(v)))
    pairs.sort(key=lambda p: -p[2])
    del np
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Validate, count and look for near-duplicates; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", help="only this language's files (e.g. en)")
    parser.add_argument("--threshold", type=float, default=0.85)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    pattern = f"{args.language}*.jsonl" if args.language else "*.jsonl"
    try:
        rows = load_corpus(args.corpus, pattern)
    except ValueError as exc:
        print(f"invalid row: {exc}")
        return 1
    by_language: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for row in rows:
        c = by_language[row["language"]]
        c["posts"] += 1
        c["intent:" + row["intent"]] += 1
        c["sentiment:" + row["sentiment"]] += 1
        c["sensitivity:" + str(row["sensitivity"])] += 1
        c["test split"] += is_test(row["text"])
        if _LINK.search(row["text"]):
            c["link:" + row["intent"]] += 1
        if row["text"].lstrip().startswith("@"):
            c["starts with @"] += 1
    for language, counts in sorted(by_language.items()):
        print(f"== {language}: {counts['posts']} posts")
        for key in sorted(counts):
            if key != "posts":
                print(f"   {key}: {counts[key]}")
    texts = [r["text"] for r in rows]
    # very short posts ("?", "🔥🔥🔥") legitimately recur; same text in two languages is allowed
    pairs = [
        (i, j, v)
        for i, j, v in near_duplicates(texts, args.threshold)
        if rows[i]["language"] == rows[j]["language"] and len(skeleton(texts[i])) >= 10
    ]
    for i, j, v in pairs:
        print(f"near-duplicate ({v:.2f}):\n   {texts[i]!r}\n   {texts[j]!r}")
    print(f"{len(rows)} posts, {len(pairs)} near-duplicate pairs at >= {args.threshold}")
    return 1 if pairs else 0


if __name__ == "__main__":
    raise SystemExit(main())
