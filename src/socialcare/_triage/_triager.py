"""Triager: one routing decision per post or conversation, with its confidence and reasons.

The façade over the engine (``_engine.py``: texts to signals) and the rules (``_rules.py``:
signals to a decision). It reads inputs, cuts batches into chunks, spreads large batches over
processes, triages conversations (``_threads.py``) and saves itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, PersistenceError
from socialcare._language import LanguageMemo
from socialcare._models import Post
from socialcare._triage._decision import Decision, field_order, make_decision
from socialcare._triage._fastpaths import PARALLEL_MIN_ROWS
from socialcare._triage._input import TEXT_ONLY, TriageInput, as_input
from socialcare._triage._rules import TriageRules, unreadable
from socialcare._triage._signals import keyword_rank
from socialcare._triage._thresholds import ThresholdPolicy

if TYPE_CHECKING:
    from socialcare._triage._engine import Engine

__all__ = ["Triager"]

_FILE_KIND = "triager"
_TAIL_OVERLAP = 64  # the tail of a long post starts this far back (a keyword cut in two)


class Triager:
    """Routes posts and conversations: automated answer, agent, specialist or no reply.

    Args:
        classifier: the intent classifier: a trained
            [`IntentClassifier`][socialcare.IntentClassifier] or any fitted scikit-learn
            classifier with ``predict_proba`` and ``classes_`` (a tuned ``Pipeline``, say)
            that reads texts.
        sentiment: a classifier over negative/neutral/positive (optional; without it every
            post is neutral).
        sensitivity: a classifier over ``none`` and sensitivity kinds (optional; without it
            only the keyword rules flag sensitive posts).
        rules: the [`TriageRules`][socialcare.TriageRules].

    IntentClassifiers that share one featuriser (``fit_shared``) are scored together in one
    pass; others each on their own (slower, same results).

    >>> triager = Triager.default()
    >>> triager.decide("Where is my order #123456? It's been 2 weeks").take_private
    True
    """

    def __init__(
        self,
        classifier: Any,
        *,
        sentiment: Any = None,
        sensitivity: Any = None,
        rules: TriageRules | None = None,
    ) -> None:
        from socialcare._triage._classifier import IntentClassifier
        from socialcare._triage._engine import ForeignHead, LinearGroup

        named = {"intent": classifier, "sentiment": sentiment, "sensitivity": sensitivity}
        if classifier is None:
            raise InvalidInputError("a Triager needs an intent classifier")
        linear: dict[int, tuple[Any, dict[str, Any]]] = {}
        foreign: list[ForeignHead] = []
        for name, clf in named.items():
            if clf is None:
                continue
            if isinstance(clf, IntentClassifier):
                clf._check_fitted()
                linear.setdefault(id(clf.features_), (clf.features_, {}))[1][name] = clf.head_
            else:
                foreign.append(ForeignHead(name, clf))
        groups = [LinearGroup(features, heads) for features, heads in linear.values()]
        self._init(groups, foreign, rules or TriageRules())

    def _init(self, groups: list[Any], foreign: list[Any], rules: TriageRules) -> None:
        from socialcare._triage._engine import Engine

        if not isinstance(rules, TriageRules):
            raise InvalidInputError(f"rules must be TriageRules, got {type(rules).__name__}")
        self.rules = rules
        self._engine: Engine = Engine(
            groups,
            foreign,
            rules.sensitive_keywords,
            rules.private_keywords,
            rules.anger_keywords,
            rules.grievance_keywords,
        )

    @classmethod
    def default(
        cls, rules: TriageRules | None = None, *, detect_language: bool | None = None
    ) -> Triager:
        """The bundled multilingual model with its tuned thresholds (or your ``rules``).

        Loading reads one small file and imports no scikit-learn.

        Args:
            detect_language: True: each decision carries the post's detected language when
                the caller gives none (``TriageRules.detect_language``; needs
                ``pip install 'socialcare[language]'``). None: as the rules say (off).
        """
        from socialcare._triage._bundle import read_default_bundle

        features, heads, extra = read_default_bundle()
        if rules is None:
            policy = extra.get("policy")
            rules = TriageRules(
                policy=ThresholdPolicy(**policy) if policy else ThresholdPolicy(threshold=0.6),
                sensitivity_thresholds=extra.get("sensitivity_thresholds", {}),
            )
        if detect_language is not None:
            if not isinstance(detect_language, bool):
                raise InvalidInputError(
                    f"detect_language must be True, False or None, got {detect_language!r}"
                )
            if rules.detect_language != detect_language:
                rules = rules.model_copy(update={"detect_language": detect_language})
        return cls._from_heads(features, heads, rules)

    @classmethod
    def _from_heads(cls, features: Any, heads: dict[str, Any], rules: TriageRules) -> Triager:
        from socialcare._triage._engine import HEADS, LinearGroup

        triager = cls.__new__(cls)
        wanted = {n: heads[n] for n in HEADS if n in heads}
        triager._init([LinearGroup(features, wanted)], [], rules)
        return triager

    def with_rules(self, rules: TriageRules) -> Triager:
        """A Triager with the same models and other rules."""
        other = Triager.__new__(Triager)
        other._init(self._engine.groups, self._engine.foreign, rules)
        return other

    @property
    def intents(self) -> list[str]:
        """The intents the classifier knows."""
        return list(self._engine.intents)

    # -------------------------------------------------------------- deciding
    def decide(self, item: Any) -> Decision:
        """Decide one post (a [`Post`][socialcare.Post], a text, a ``TriageInput`` or a
        mapping) or the open turn of a [`Conversation`][socialcare.Conversation].

        Never raises for bad content: ``None``, empty or emoji-only text get an uncertain
        decision routed to a person, with the reason.
        """
        if isinstance(item, Conversation):
            return self._decide_conversations([item])[0]
        return self._decide_rows([item])[0]

    def decide_many(self, items: Iterable[Any], *, n_jobs: int | None = None) -> list[Decision]:
        """One decision per item, in order, always (bad rows: uncertain, to an agent).

        Args:
            items: posts, texts, ``TriageInput``s, mappings or conversations; anything else
                becomes a decision with ``error`` set.
            n_jobs: score large batches on several processes (joblib); None or 1 = one,
                -1 = every core.
        """
        if items is None or isinstance(items, str | Post | Conversation | TriageInput):
            raise InvalidInputError(
                "decide_many takes a sequence of posts or conversations; use decide() for one"
            )
        if not isinstance(items, Iterable):
            raise InvalidInputError(
                f"decide_many takes a sequence of posts, got {type(items).__name__}"
            )
        jobs = _jobs(n_jobs)
        rows: Sequence[Any] = items if isinstance(items, Sequence) else list(items)
        if any(isinstance(row, Conversation) for row in rows):
            return self._decide_mixed(rows)
        if jobs == 1 or len(rows) < PARALLEL_MIN_ROWS:
            return self._decide_rows(rows)
        from joblib import Parallel, cpu_count, delayed

        workers = cpu_count() if jobs < 0 else jobs
        size = -(-len(rows) // workers)
        parts = [list(rows[i : i + size]) for i in range(0, len(rows), size)]
        results = Parallel(n_jobs=workers)(delayed(self._decide_values)(p) for p in parts)
        # Decisions travel back as tuples of plain values: unpickling a pydantic model costs
        # several times more, and the parent process unpickles every row.
        names = field_order()
        return [make_decision(dict(zip(names, v, strict=True))) for r in results for v in r]

    def _decide_values(self, rows: Sequence[Any]) -> list[tuple[Any, ...]]:
        """`_decide_rows`, each decision as a tuple of its field values."""
        names = field_order()
        return [tuple(map(d.__dict__.__getitem__, names)) for d in self._decide_rows(rows)]

    def _decide_mixed(self, rows: Sequence[Any]) -> list[Decision]:
        """Conversations and posts in one list: each kind decided in one batch, in order."""
        threads = [i for i, row in enumerate(rows) if isinstance(row, Conversation)]
        others = [i for i, row in enumerate(rows) if not isinstance(row, Conversation)]
        out: list[Decision | None] = [None] * len(rows)
        for i, d in zip(
            threads, self._decide_conversations([rows[i] for i in threads]), strict=True
        ):
            out[i] = d
        for i, d in zip(others, self._decide_rows([rows[i] for i in others]), strict=True):
            out[i] = d
        return [d for d in out if d is not None]

    def _decide_rows(self, rows: Sequence[Any]) -> list[Decision]:
        """Decisions for posts, texts, inputs or mappings (not conversations)."""
        inputs: list[TriageInput] = []
        texts: list[str] = []
        errors: dict[int, str] = {}
        for i, row in enumerate(rows):
            if type(row) is str:  # the common case: a plain text, every other field default
                inputs.append(TEXT_ONLY)
                texts.append(row)
                continue
            item, error = as_input(row)
            if item is None:
                errors[i] = error or "unreadable"
                item = TEXT_ONLY
            inputs.append(item)
            texts.append(item.text if error is None else "")
        return self._decide_texts(texts, inputs, errors)

    def _decide_inputs(self, inputs: Sequence[TriageInput]) -> list[Decision]:
        """Decide inputs already read (the turns of conversations)."""
        return self._decide_texts([item.text for item in inputs], inputs, {})

    def _decide_texts(
        self, texts: list[str], inputs: Sequence[TriageInput], errors: dict[int, str]
    ) -> list[Decision]:
        """The engine and the rules over posts read: their texts, inputs, and unreadable rows."""
        engine = self._engine
        max_chars = engine.max_chars
        lengths = [len(text) for text in texts]
        tails: dict[int, str] = {}  # the rest of posts longer than the models read
        if lengths and max(lengths) > max_chars:
            end = max(max_chars, self.rules.max_length)
            for i, text in enumerate(texts):
                if len(text) > max_chars:
                    tails[i] = text[max_chars - _TAIL_OVERLAP : end]
            texts = [text[:max_chars] for text in texts]
        from socialcare._triage._engine import chunk_bounds

        tail_hits = engine.keyword_hits(tails)
        bounds = chunk_bounds(lengths, max_chars)
        memos = engine.memos(len(bounds))
        rules = self.rules
        apply = rules.compiled().apply  # (apply_rules, with the rules looked up once)
        # each distinct text's language detected once per batch; none where the caller gave one
        languages = LanguageMemo.make() if rules.detect_language else None
        out: list[Decision] = []
        append = out.append
        plain = not errors and not tail_hits
        for start, end in bounds:
            found = None
            if languages is not None:
                found = languages.many(texts[start:end], [i.language for i in inputs[start:end]])
            signals = engine.signals(texts[start:end], lengths[start:end], memos, found)
            if plain:  # (the common case: no row to mend, one call per post)
                out.extend(map(apply, signals, inputs[start:end]))
                continue
            for i, s in enumerate(signals, start):
                if errors and i in errors:
                    append(unreadable(errors[i], rules))
                    continue
                if tail_hits and i in tail_hits:  # keywords past what the models read count
                    keyword, private = tail_hits[i]
                    head = s.keyword
                    if keyword is not None and (
                        head is None or keyword_rank(keyword) < keyword_rank(head)
                    ):
                        head = keyword  # a sensitive phrase in the tail outranks anger words
                    s = s._replace(keyword=head, private=s.private or private)
                append(apply(s, inputs[i]))
        return out

    def _decide_conversations(self, conversations: Sequence[Conversation]) -> list[Decision]:
        from socialcare._triage._threads import decide_threads

        return decide_threads(self, conversations)

    # ------------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        """The whole Triager (every head, the rules and thresholds) in one safe file.

        Loading it runs no code (no pickle). Only Triagers whose classifiers are
        IntentClassifiers sharing one featuriser (the default, or ``fit_shared``) can be saved.
        """
        from socialcare._triage._bundle import write_bundle

        engine = self._engine
        if engine.foreign or len(engine.groups) != 1:
            raise PersistenceError(
                "only a Triager whose classifiers are IntentClassifiers sharing one featuriser "
                "(Triager.default(), or heads trained with fit_shared) can be saved; save a "
                "scikit-learn classifier with its own tools (skops, joblib)"
            )
        group = engine.groups[0]
        rules = self.rules.model_dump(mode="json")
        # the file's JSON sorts keys: keep the kinds' order, which decides which kind wins
        rules["sensitive_keywords"] = [[k, v] for k, v in rules["sensitive_keywords"].items()]
        extra = {"saved": _FILE_KIND, "rules": rules}
        return write_bundle(group.features, group.heads(), extra)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write `to_bytes` to ``path``."""
        data = self.to_bytes()
        try:
            Path(path).write_bytes(data)
        except OSError as exc:
            raise PersistenceError(
                f"cannot write the triager to {os.fspath(path)!r}: {exc}"
            ) from exc

    @classmethod
    def from_bytes(cls, data: bytes) -> Triager:
        """Read a Triager saved by `to_bytes` (safe: no code runs)."""
        from socialcare._errors import SocialcareError
        from socialcare._triage._bundle import read_bundle

        if not isinstance(data, bytes | bytearray | memoryview):
            raise PersistenceError(
                f"expected the bytes of a saved triager, got {type(data).__name__}"
            )
        features, heads, extra = read_bundle(bytes(data))
        if extra.get("saved") != _FILE_KIND or "intent" not in heads:
            raise PersistenceError(
                "this file holds classifiers, not a saved Triager: load it with "
                "IntentClassifier.load, or save a Triager with Triager.save"
            )
        try:
            saved = dict(extra.get("rules", {}))
            pairs = saved.get("sensitive_keywords")
            if isinstance(pairs, list):  # (kind, keywords) pairs, in their order
                saved["sensitive_keywords"] = {str(kind): words for kind, words in pairs}
            rules = TriageRules.model_validate(saved)
        except (SocialcareError, TypeError, ValueError) as exc:
            raise PersistenceError(f"the saved triager's rules are invalid: {exc}") from exc
        return cls._from_heads(features, heads, rules)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Triager:
        """Read a Triager saved by `save` (safe: no code runs)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise PersistenceError(
                f"cannot read a triager from {os.fspath(path)!r}: {exc}"
            ) from exc
        return cls.from_bytes(data)


def _jobs(n_jobs: Any) -> int:
    """A valid ``n_jobs`` (None: 1), or a clear error."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise InvalidInputError(
            f"n_jobs must be a positive number of processes, or -1 for every core; got {n_jobs!r}"
        )
    return n_jobs
