"""The figures behind two routing nets: grievance words and the danger floor for automation.

Run: ``python benchmarks/routing_nets.py [--skip-oof]`` (from a source checkout: it reads the
corpus and, for the out-of-fold part, ``data/auxiliary``).

(a) Grievance words (``TriageRules.grievance_keywords``: a service failure stated as a fact
keeps a post from ``none``), on the corpus's training split, every language's list matched at
once as in triage: the share of praise posts with positive sentiment they hit (the cost: such
a post waits for a person instead of closing itself) and the share of complaints they hit.

(b) ``never_auto_danger_p``: out of fold on the training split (5 folds, the bundled
sensitivity head's parameters, the auxiliary texts in every fold's training, as training
calibrates the thresholds), the share of self-harm and safety posts kept from an automated
answer, and of ordinary queries, for the general floor (``never_auto_sensitive_p``, on
``1 - P(none)``) and the danger floor (on ``P(self_harm) + P(safety)``). About 4 minutes.

(c) The shipped ``Triager.default()`` on the held-out split (never trained on), with and
without each net: routes, posts answered automatically (and how many are sensitive), posts
left without a reply (and how many are negative or ask something).

The alternative a user would pick is no net (``grievance_keywords=()``,
``never_auto_danger_p=None``), measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import machine_note

LANGUAGES = ("ar", "de", "en", "es", "fr", "he", "id", "ms", "pt")


def share(hits: int, total: int) -> str:
    return f"{hits / max(total, 1):.1%} ({hits}/{total})"


def grievance_on_training(rows: list[dict[str, object]]) -> None:
    from socialcare._triage._keywords import KeywordMatcher
    from socialcare._triage._lexicon import grievance_keywords
    from socialcare._triage._text import normalise

    words = grievance_keywords()
    matcher = KeywordMatcher({"grievance": words})
    print(f"(a) grievance words ({len(words):,} phrases), training split, all lists at once")
    print("| language | praise, positive: hit (cost) | complaints: hit |")
    print("|---|---|---|")
    for language in (*LANGUAGES, None):
        mine = [r for r in rows if language is None or r["language"] == language]
        praise = [r for r in mine if r["intent"] == "praise" and r["sentiment"] == "positive"]
        complaints = [r for r in mine if r["intent"] == "complaint"]
        hit_p = sum(matcher.first(normalise(str(r["text"]))) is not None for r in praise)
        hit_c = sum(matcher.first(normalise(str(r["text"]))) is not None for r in complaints)
        name = "**all**" if language is None else language
        print(f"| {name} | {share(hit_p, len(praise))} | {share(hit_c, len(complaints))} |")
    print()


def danger_floor_out_of_fold(rows: list[dict[str, object]]) -> None:
    from socialcare._triage import train_default as td

    texts = [str(r["text"]) for r in rows]
    kinds = [str(r["sensitivity"] or "none") for r in rows]
    extra = [str(r["text"]) for r in td.load_auxiliary()]
    proba, classes = td.out_of_fold_sensitivity(texts, kinds, extra=extra)
    sensitive = 1.0 - proba[:, classes.index("none")]
    danger = proba[:, classes.index("self_harm")] + proba[:, classes.index("safety")]
    truth = np.asarray(kinds)
    queries = (truth == "none") & np.array([r["intent"] == "query" for r in rows])
    print("(b) kept from an automated answer, out of fold (training split, 5 folds)")
    print("| general floor | danger floor | self_harm | safety | other kinds | ordinary queries |")
    print("|---|---|---|---|---|---|")
    other = ~np.isin(truth, ["none", "self_harm", "safety"])
    for general, floor in (
        (0.2, None),
        (0.2, 0.2),
        (0.2, 0.15),
        (0.2, 0.1),
        (0.2, 0.07),
        (0.2, 0.05),
        (0.1, None),
    ):
        kept = sensitive >= general
        if floor is not None:
            kept |= danger >= floor
        cells = [
            share(int(kept[mask].sum()), int(mask.sum()))
            for mask in (truth == "self_harm", truth == "safety", other, queries)
        ]
        shown = "-" if floor is None else f"{floor:g}"
        print(f"| {general:g} | {shown} | " + " | ".join(cells) + " |")
    print()


def held_out_routes(rows: list[dict[str, object]]) -> None:
    from socialcare import Triager

    texts = [str(r["text"]) for r in rows]
    shipped = Triager.default()
    rules = shipped.rules
    variants = {
        "no net": rules.model_copy(update={"grievance_keywords": (), "never_auto_danger_p": None}),
        "grievance words only": rules.model_copy(update={"never_auto_danger_p": None}),
        "danger floor only": rules.model_copy(update={"grievance_keywords": ()}),
        "both (shipped)": rules,
    }
    print(f"(c) held-out split ({len(rows):,} posts), the shipped models, every rule")
    print(
        "| rules | auto (intent right) | sensitive auto (self_harm, safety) | none | "
        "none, negative or asking |"
    )
    print("|---|---|---|---|---|")
    for name, variant in variants.items():
        decisions = shipped.with_rules(variant).decide_many(texts)
        auto = [(r, d) for r, d in zip(rows, decisions, strict=True) if d.route == "auto"]
        right = sum(r["intent"] == d.intent for r, d in auto)
        kinds = Counter(str(r["sensitivity"]) for r, _ in auto if r["sensitivity"])
        none = [r for r, d in zip(rows, decisions, strict=True) if d.route == "none"]
        asking = sum(
            r["sentiment"] == "negative" or r["intent"] == "query" or "?" in str(r["text"])
            for r in none
        )
        print(
            f"| {name} | {len(auto)} ({share(right, len(auto))}) | {sum(kinds.values())} "
            f"({kinds['self_harm']}, {kinds['safety']}) | {len(none)} | {asking} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-oof", action="store_true", help="skip (b), the slow part")
    args = parser.parse_args()

    from socialcare._triage.train_default import is_test, load_corpus

    corpus = load_corpus()
    training = [r for r in corpus if not is_test(str(r["text"]))]
    held_out = [r for r in corpus if is_test(str(r["text"]))]
    print(machine_note())
    print()
    grievance_on_training(training)
    if not args.skip_oof:
        danger_floor_out_of_fold(training)
    held_out_routes(held_out)


if __name__ == "__main__":
    main()
