"""Small synthetic multilingual posts for fast triage tests (not the shipped corpus)."""

from __future__ import annotations

import random

_PARTS = {
    "query": (
        [
            "where is",
            "when will",
            "how do I track",
            "what time does",
            "can you tell me if",
            "dónde está",
            "quand arrive",
            "wo ist",
            "bila",
            "di mana",
        ],
        [
            "my order",
            "the store open",
            "my parcel",
            "the refund policy",
            "delivery to Jakarta",
            "mi pedido",
            "ma commande",
            "meine Bestellung",
            "paket saya",
            "pesanan saya",
        ],
        ["?", "??", " ?", "? thanks", "? 🙏"],
    ),
    "complaint": (
        [
            "worst",
            "terrible",
            "still no",
            "awful",
            "never again",
            "pésimo",
            "nul",
            "schrecklich",
            "parah",
            "teruk",
        ],
        [
            "service ever",
            "delivery, 3 weeks late",
            "answer from support",
            "app keeps crashing",
            "servicio",
            "service client",
            "Kundenservice",
            "pelayanan",
            "khidmat",
        ],
        ["!!!", " 😡", " #fail", ". disgusted", "!!"],
    ),
    "praise": (
        [
            "love",
            "thank you for",
            "amazing",
            "best",
            "so happy with",
            "me encanta",
            "merci pour",
            "danke für",
            "mantap",
            "terbaik",
        ],
        [
            "the fast delivery",
            "your team",
            "the new app",
            "this brand",
            "the support",
            "el servicio",
            "votre équipe",
            "den Service",
            "pelayanannya",
            "perkhidmatan",
        ],
        ["😍", " ❤️", "!", " #happy", " 👏👏"],
    ),
}


def synthetic(n_per_class: int = 60, seed: int = 0) -> tuple[list[str], list[str]]:
    """Return (texts, labels): short combinatorial posts for three intents."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for label, (heads, bodies, tails) in _PARTS.items():
        for _ in range(n_per_class):
            text = f"{rng.choice(heads)} {rng.choice(bodies)}{rng.choice(tails)}"
            if rng.random() < 0.3:
                text = "@acme " + text
            texts.append(text)
            labels.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def noisy(
    n_per_class: int = 120, noise: float = 0.15, seed: int = 1
) -> tuple[list[str], list[str]]:
    """Like :func:`synthetic`, plus a share of ambiguous posts (two intents mixed, either label).

    Ambiguous posts make precision below 100% unavoidable, and a good classifier is less
    confident on them, which is what thresholds exploit.
    """
    rng = random.Random(seed)
    texts, labels = synthetic(n_per_class, seed)
    names = sorted(_PARTS)
    for i in range(len(texts)):
        if rng.random() < noise:
            first, second = rng.sample(names, 2)
            heads, _, _ = _PARTS[first]
            _, bodies, tails = _PARTS[second]
            texts[i] = f"{rng.choice(heads)} {rng.choice(bodies)}{rng.choice(tails)}"
            labels[i] = rng.choice([first, second])
    return texts, labels
