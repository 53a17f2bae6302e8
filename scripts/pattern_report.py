"""What the sensitive phrase patterns catch: ``python scripts/pattern_report.py [--language xx]``.

For the pattern reviewer. On the corpus's **training** split only (the held-out split is the
model card's test and must stay unseen), per language and kind: how many sensitive posts the
patterns flag with the right kind, how many ordinary posts they flag (false alarms), and, with
``--show``, the posts missed and the false alarms with the pattern that fired. ``--extra FILE``
adds a file of ordinary text (one post per line, or a CSV whose first column is the text) to
the false-alarm count, e.g. ``../shared/data/banking77/train.csv``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from socialcare._triage._keywords import KeywordMatcher  # noqa: E402
from socialcare._triage._lexicon import sensitive_keywords  # noqa: E402
from socialcare._triage._text import normalise_batch  # noqa: E402
from socialcare._triage.train_default import is_test, load_corpus  # noqa: E402


def hits(texts: list[str]) -> list[tuple[str, str] | None]:
    """The first sensitive pattern ``(kind, words)`` found in each text, or None."""
    matcher = KeywordMatcher(sensitive_keywords())
    out: list[tuple[str, str] | None] = []
    for start in range(0, len(texts), 2000):
        chunk = texts[start : start + 2000]
        out.extend(matcher.find_all(normalise_batch(chunk, tidy=False), len(chunk)))
    return out


def read_extra(path: Path) -> list[str]:
    """Ordinary texts from a plain or CSV file (the first column of a CSV, header skipped)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        return [r[0] for r in rows[1:] if r]
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """Print the report; always exits 0 (it informs, it does not gate)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", help="only this language (e.g. en)")
    parser.add_argument("--show", action="store_true", help="list misses and false alarms")
    parser.add_argument("--extra", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    rows = [r for r in load_corpus() if not is_test(r["text"])]
    if args.language:
        rows = [r for r in rows if r["language"] == args.language]
    found = hits([r["text"] for r in rows])
    table: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    misses: list[str] = []
    alarms: list[str] = []
    for row, hit in zip(rows, found, strict=True):
        kind = row["sensitivity"]
        key = (row["language"], kind or "none")
        table[key]["posts"] += 1
        if kind is None:
            if hit is not None:
                table[key]["flagged"] += 1
                alarms.append(f"[{row['language']}] {hit[0]} via {hit[1]!r}: {row['text']}")
        elif hit is not None and hit[0] == kind:
            table[key]["right"] += 1
        else:
            table[key]["missed"] += 1
            got = "nothing" if hit is None else f"{hit[0]} via {hit[1]!r}"
            misses.append(f"[{row['language']}] {kind} (patterns: {got}): {row['text']}")
    print("training split only | language | kind | posts | flagged right | false alarms")
    for (language, kind), c in sorted(table.items()):
        if kind == "none":
            print(f"  {language} ordinary: {c['posts']} posts, {c['flagged']} false alarms")
        else:
            print(f"  {language} {kind}: {c['right']}/{c['posts']} flagged right")
    total = sum(c["posts"] for (_, k), c in table.items() if k != "none")
    right = sum(c["right"] for (_, k), c in table.items() if k != "none")
    ordinary = sum(c["posts"] for (_, k), c in table.items() if k == "none")
    flagged = sum(c["flagged"] for (_, k), c in table.items() if k == "none")
    print(f"all: {right}/{total} sensitive posts flagged right; {flagged}/{ordinary} ordinary")
    for path in args.extra:
        texts = read_extra(path)
        extra_hits = [(t, h) for t, h in zip(texts, hits(texts), strict=True) if h is not None]
        print(f"{path.name}: {len(extra_hits)}/{len(texts)} ordinary texts flagged")
        alarms.extend(f"[{path.name}] {h[0]} via {h[1]!r}: {t}" for t, h in extra_hits)
    if args.show:
        print("\n== missed (training split)")
        print("\n".join(misses))
        print("\n== false alarms")
        print("\n".join(alarms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
