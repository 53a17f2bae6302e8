"""The bundled default model on its own corpus: links, safety nets and the held-out split."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from socialcare import Triager
from socialcare._triage.train_default import is_test, load_corpus

LINKS = (
    " https://t.co/AbC12xYz9Q",
    " pic.twitter.com/Zq81LmN0pe",
    " https://www.example.com/track?id=55&ref=tw",
)


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.default()


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, object]]:
    return load_corpus()


@pytest.mark.parametrize("link", LINKS)
def test_a_link_never_changes_a_route(
    triager: Triager, corpus: list[dict[str, object]], link: str
) -> None:
    """Customers attach screenshots: a link is evidence of nothing (issue #12)."""
    texts = [str(r["text"]) for r in corpus]
    before = triager.decide_many(texts)
    after = triager.decide_many([t + link for t in texts])
    changed = [
        (t, b.route, a.route)
        for t, b, a in zip(texts, before, after, strict=True)
        if (b.route, b.intent, b.sensitive) != (a.route, a.intent, a.sensitive)
    ]
    assert not changed[:5], f"{len(changed)} posts changed when a link was added"


def test_no_negative_or_questioning_post_is_left_without_a_reply(
    triager: Triager, corpus: list[dict[str, object]]
) -> None:
    rows = [r for r in corpus if is_test(str(r["text"]))]
    decisions = triager.decide_many([str(r["text"]) for r in rows])
    dropped = [
        r["text"]
        for r, d in zip(rows, decisions, strict=True)
        if d.route == "none"
        and (r["sentiment"] == "negative" or r["intent"] == "query" or "?" in str(r["text"]))
    ]
    # The goal is none (issue #12). Left: sarcastic complaints read as praise with positive
    # sentiment and no anger word (4 of 3,506 at the last training; see the model card).
    assert len(dropped) <= len(rows) // 500, dropped
    # and the nets leave room for the no-reply route on plain praise and spam
    assert sum(d.route == "none" for d in decisions) > len(rows) // 50


# Sarcastic thanks for a failure, written for this test (not in the corpus): the models read
# them as surely positive praise, which is left without a reply unless a net holds.
SARCASM = (
    "@united thanks for the 3 hour delay, really made my day",
    "@SouthwestAir great, another cancelled flight. thanks so much",
    "Merci @SNCF pour les 2h de retard, vraiment top 👏",
    "Danke @DB_Bahn für 90 Minuten Verspätung, super gemacht",
)


@pytest.mark.parametrize("post", SARCASM)
def test_sarcastic_thanks_for_a_failure_reaches_a_person(triager: Triager, post: str) -> None:
    d = triager.decide(post)
    assert d.route == "agent", d.reasons
    assert any(r.startswith("states a failed service (") for r in d.reasons), d.reasons
    # the grievance words are the net that holds: without them the post is closed unanswered
    bare = Triager.default(rules=triager.rules.model_copy(update={"grievance_keywords": ()}))
    assert bare.decide(post).route == "none"


def test_the_demo_shows_only_posts_the_model_never_trained_on(
    corpus: list[dict[str, object]],
) -> None:
    source = resources.files("socialcare") / "_data" / "demo_posts.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    customer = [json.loads(line) for line in lines if line.strip()]
    texts = {str(p["text"]) for p in customer if not p["author"]["is_brand"]}
    known = {str(r["text"]) for r in corpus}
    drawn = texts & known  # (the rest are the simulation's short follow-ups: "thanks", "done")
    assert len(drawn) > 200
    assert all(is_test(t) for t in drawn)  # from the held-out split only


def test_personal_chatter_nobody_here_wrote_is_not_a_crisis(triager: Triager) -> None:
    """Real first-person text messages, never trained on, are rarely flagged (issue #16)."""
    from socialcare._triage.train_default import AUXILIARY, is_auxiliary_test

    path = AUXILIARY / "sms_spam" / "SMSSpamCollection"
    if not path.is_file():
        pytest.skip("data/auxiliary is in the source tree, not in the wheel")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    held = [
        line.split("\t", 1)[1]
        for line in lines
        if line.startswith("ham\t") and is_auxiliary_test(line.split("\t", 1)[1])
    ]
    assert len(held) > 2000
    flagged = [t for t, d in zip(held, triager.decide_many(held), strict=True) if d.sensitive]
    # 18% before the model trained on the other half (the model card has the figures)
    assert len(flagged) <= 0.03 * len(held), flagged[:10]
