"""The held-out split by corpus round: the shipped model (and an older bundle) on old and new posts.

Run: ``python benchmarks/heldout_by_round.py --since 26c784b [--old-model OLD.zip]``.

The held-out split grows whenever posts are added to the corpus (one post in five, by a hash of
its text), and the posts of a later round are written around what the model then missed: a
figure on the whole split mixes easier and harder posts. This script splits the held-out posts
into those already in the corpus at git revision ``--since`` and those added after, and reports
on each: intent accuracy, sensitive posts flagged as their kind (and self-harm, safety), sent to
a specialist, ordinary posts flagged, and negative or questioning posts routed ``none``. With
``--old-model`` (a bundle such as ``git show REV:src/socialcare/_triage/default_model.zip``),
the same figures for that model, on the same posts, side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_note

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "src/socialcare/_triage/corpus"


def texts_at(revision: str) -> set[str]:
    """The texts of every corpus post at a git revision."""
    found: set[str] = set()
    for path in sorted(CORPUS.glob("*.jsonl")):
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:{path.relative_to(ROOT)}"],
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:  # a file added after the revision had no posts then
            found |= {json.loads(line)["text"] for line in shown.stdout.splitlines() if line}
    return found


def triager_from(bundle: Path | None) -> Any:
    """``Triager.default()``, or the same with another bundle's models and thresholds."""
    from unittest import mock

    from socialcare import Triager
    from socialcare._triage import _bundle

    if bundle is None:
        return Triager.default()
    data = _bundle.read_bundle(bundle.read_bytes())
    with mock.patch.object(_bundle, "read_default_bundle", return_value=data):
        return Triager.default()


def figures(rows: list[dict[str, Any]], triager: Any) -> str:
    decisions = triager.decide_many([r["text"] for r in rows])
    pairs = list(zip(rows, decisions, strict=True))
    sensitive = [(r, d) for r, d in pairs if r["sensitivity"]]
    ordinary = [(r, d) for r, d in pairs if not r["sensitivity"]]

    def share(hits: int, total: int) -> str:
        return f"{100 * hits / total:.1f}% ({hits}/{total})" if total else "-"

    def kind(name: str) -> str:
        mine = [(r, d) for r, d in sensitive if r["sensitivity"] == name]
        return share(sum(d.sensitive == name for _, d in mine), len(mine))

    dropped = sum(
        d.route == "none"
        and (r["sentiment"] == "negative" or r["intent"] == "query" or "?" in r["text"])
        for r, d in pairs
    )
    cells = [
        share(sum(d.intent == r["intent"] for r, d in pairs), len(pairs)),
        share(sum(d.sensitive == r["sensitivity"] for r, d in sensitive), len(sensitive)),
        kind("self_harm"),
        kind("safety"),
        share(sum(d.route == "specialist" for _, d in sensitive), len(sensitive)),
        share(sum(d.sensitive is not None for _, d in ordinary), len(ordinary)),
        str(dropped),
    ]
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", required=True, help="git revision of the earlier corpus")
    parser.add_argument("--old-model", type=Path, help="an older bundle to compare with")
    args = parser.parse_args()
    from socialcare._triage.train_default import is_test, load_corpus

    before = texts_at(args.since)
    held = [r for r in load_corpus(CORPUS) if is_test(r["text"])]
    groups = {
        f"held out at {args.since}": [r for r in held if r["text"] in before],
        "added since": [r for r in held if r["text"] not in before],
    }
    models = {"shipped": triager_from(None)}
    if args.old_model:
        models[args.old_model.name] = triager_from(args.old_model)
    print(f"<!-- {machine_note()} -->")
    print(
        "| posts | model | intent right | sensitive as their kind | self_harm | safety "
        "| to a specialist | ordinary flagged | negative or asking, routed none |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for group, rows in groups.items():
        for name, triager in models.items():
            print(f"| {group} ({len(rows):,}) | {name} | {figures(rows, triager)} |")


if __name__ == "__main__":
    main()
