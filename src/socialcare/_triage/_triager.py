"""Triager: one routing decision per post, with its confidence and reasons."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from socialcare._base import Frozen
from socialcare._errors import InvalidInputError
from socialcare._models import Channel, Post
from socialcare._triage._thresholds import ThresholdPolicy

if TYPE_CHECKING:
    from socialcare._triage._bundle import Head
    from socialcare._triage._classifier import IntentClassifier
    from socialcare._triage._features import HashedTfidf, WordMemo

__all__ = ["Decision", "PriorityRule", "TriageRules", "Triager"]

Route = Literal["auto", "agent", "specialist", "none"]
Priority = Literal["urgent", "high", "normal", "low"]
Sentiment = Literal["negative", "neutral", "positive"]
SENSITIVITY_KINDS = ("legal_threat", "safety", "privacy", "harassment", "media_crisis")

# Keyword rules raise the recall of the sensitivity classifier and find posts that need private
# details. A keyword matches whole words of the normalised post (case-folded, accents removed,
# punctuation dropped, so write "donnees" or "données" alike); a trailing "*" makes it match
# the start of a word ("lawyer*" matches "lawyers").
DEFAULT_SENSITIVE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        "lawyer*",
        "attorney*",
        "lawsuit*",
        "sue",
        "suing",
        "sued",
        "legal action",
        "court*",
        "abogad*",
        "demanda*",
        "denuncia*",
        "avocat*",
        "poursuiv*",
        "tribunal*",
        "plainte*",
        "anwalt*",
        "klage*",
        "verklag*",
        "gericht*",
        "advogad*",
        "processar",
        "procon",
        "pengacara*",
        "tuntut*",
        "gugat*",
        "peguam*",
        "saman",
        "mahkamah*",
        "עורך דין",
        'עו"ד',
        "תביעה*",
        "אתבע*",
        "محامي*",
        "محكمة*",
        "دعوى*",
        "قضائي*",
    ),
    "safety": (
        "caught fire",
        "on fire",
        "explod*",
        "burn*",
        "injur*",
        "hospital*",
        "poison*",
        "allergic*",
        "choking",
        "hurt*",
        "dangerous",
        "electric shock",
        "incendi*",
        "quemad*",
        "herid*",
        "peligro*",
        "intoxica*",
        "brule*",
        "blesse*",
        "feuer*",
        "verbrenn*",
        "verletz*",
        "gefahr*",
        "gefahrlich*",
        "vergift*",
        "queimad*",
        "ferid*",
        "perigo*",
        "terbakar*",
        "meledak*",
        "luka",
        "keracunan*",
        "bahaya*",
        "letup*",
        "cedera*",
        "שריפה*",
        "נכוו*",
        "פצוע*",
        "סכנה*",
        "حريق*",
        "انفجر*",
        "حروق*",
        "تسمم*",
        "خطر*",
    ),
    "privacy": (
        "data breach",
        "breach*",
        "leak*",
        "hacked",
        "my data",
        "personal data",
        "someone else s",
        "gdpr",
        "privacy",
        "datos personales",
        "filtra*",
        "hackead*",
        "donnees personnelles",
        "fuite*",
        "pirate*",
        "datenschutz*",
        "datenleck*",
        "gehackt*",
        "dados pessoais",
        "vazad*",
        "vazamento*",
        "bocor*",
        "data pribadi",
        "kebocoran*",
        "data peribadi",
        "פרטיות*",
        "דליפ*",
        "נפרץ*",
        "خصوصي*",
        "تسريب*",
        "اختراق*",
    ),
    "harassment": (
        "harass*",
        "threaten*",
        "stalk*",
        "abusive",
        "racist*",
        "sexist*",
        "acoso*",
        "acosa*",
        "amenaz*",
        "harcel*",
        "menace*",
        "belastig*",
        "bedroh*",
        "assedi*",
        "ameac*",
        "pelecehan*",
        "ancam*",
        "gangguan seksual",
        "הטרד*",
        "איומ*",
        "تحرش*",
        "تهديد*",
    ),
    "media_crisis": (
        "journalist*",
        "reporter*",
        "press",
        "news",
        "going viral",
        "viral",
        "boycott*",
        "periodista*",
        "prensa",
        "boicot*",
        "journaliste*",
        "presse",
        "zeitung*",
        "jornalista*",
        "imprensa",
        "boicote*",
        "wartawan*",
        "media",
        "boikot*",
        "עיתונא*",
        "חרם",
        "صحف*",
        "إعلام*",
        "اعلام*",
        "مقاطعة*",
    ),
}

# A public post that needs private details (order, account, address, payment...) to be
# answered should move to a private channel. ``xlongnum``/``xemail`` are what normalisation
# makes of long numbers (order, card, phone numbers) and e-mail addresses.
DEFAULT_PRIVATE_KEYWORDS: tuple[str, ...] = (
    "xlongnum",
    "xemail",
    "order*",
    "tracking",
    "account*",
    "address*",
    "password*",
    "payment*",
    "card",
    "cards",
    "refund*",
    "invoice*",
    "booking*",
    "reservation*",
    "phone",
    "pedido*",
    "cuenta*",
    "direccion*",
    "contrasena*",
    "reembolso*",
    "tarjeta*",
    "factura*",
    "reserva*",
    "commande*",
    "compte*",
    "adresse*",
    "mot de passe",
    "rembourse*",
    "carte*",
    "facture*",
    "bestellung*",
    "konto*",
    "passwort*",
    "erstattung*",
    "rechnung*",
    "karte*",
    "buchung*",
    "encomenda*",
    "conta*",
    "endereco*",
    "senha*",
    "cartao*",
    "pesanan*",
    "resi",
    "akun*",
    "alamat*",
    "kata sandi",
    "pengembalian dana",
    "kartu*",
    "tempahan*",
    "akaun*",
    "bayaran*",
    "הזמנה*",
    "חשבון*",
    "כתובת*",
    "סיסמ*",
    "החזר*",
    "כרטיס*",
    "طلب*",
    "حساب*",
    "عنوان*",
    "كلمة المرور",
    "استرداد*",
    "بطاقة*",
    "فاتورة*",
)


class KeywordMatcher:
    """Finds keywords in normalised text, many posts in one regular-expression pass.

    The keywords are compiled into one trie-shaped expression (alternatives share their
    prefixes), which the regex engine can reject at the first character.

    >>> m = KeywordMatcher({"legal": ("lawyer*", "sue", "legal action"), "media": ("press",)})
    >>> m.first("my lawyers will sue!")
    ('legal', 'lawyers')
    >>> m.first("pressure"), m.first("the press."), m.first("legal-action")
    (None, ('media', 'press'), ('legal', 'legal-action'))
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        from socialcare._triage._text import normalise

        self._kind: dict[str, str] = {}
        self._rank = {kind: i for i, kind in enumerate(groups)}
        words: list[str] = []
        for kind, keywords in groups.items():
            for keyword in keywords:
                prefix = keyword.endswith("*")
                body = normalise(keyword.rstrip("*"))
                if not body:
                    continue
                self._kind.setdefault(body, kind)
                words.append(body + ("" if prefix else _WHOLE))
        self._words = sorted(set(words))
        self._body = _trie(self._words) if words else None
        self._pattern = re.compile("(?<!\\w)" + self._body) if self._body else None

    def first(self, text: str) -> tuple[str, str] | None:
        """(kind, matched word) of the highest-ranked kind found in one normalised post."""
        return self.find_all(f" {text} ", 1)[0]

    def find_all(self, normalised: str, n_docs: int) -> list[tuple[str, str] | None]:
        """Per post of a ``normalise_batch`` string: the best (kind, word) or None."""
        out: list[tuple[str, str] | None] = [None] * n_docs
        if self._pattern is None:
            return out
        doc = 0
        position = 0
        for match in self._pattern.finditer(normalised):
            start = match.start()
            doc += normalised.count("\x00", position, start)
            position = start
            self._record(out, doc, normalised, match)
        return out

    def _record(
        self,
        out: list[tuple[str, str] | None],
        doc: int,
        normalised: str,
        match: re.Match[str],
    ) -> None:
        """Keep ``match`` as post ``doc``'s hit if its kind outranks the one found so far."""
        key = match.group()
        kind = self._kind.get(key)
        if kind is None:  # a keyword of several words, or followed by punctuation
            kind = self._kind.get(" ".join(_NON_WORD.split(key)).strip())
            if kind is None:
                return
        best = out[doc]
        if best is None or self._rank[kind] < self._rank[best[0]]:
            tail = _WORD_TAIL.match(normalised, match.end())
            out[doc] = (kind, match.group() + (tail.group() if tail else ""))


class _PairMatcher:
    """Two keyword matchers run in one scan of the text; same hits as running each alone.

    A keyword can only start where a word starts, and there only if the word begins with the
    keyword's first five characters (or all of a shorter keyword). numpy finds those places:
    word starts (a space or a separator followed by anything else, once punctuation is made
    spaces as the featuriser does) whose first characters hash like a keyword's. Each
    matcher's expression is then tried at each place, unless that matcher's previous match
    covers it: exactly what ``finditer`` of each matcher alone would find, without the
    regular-expression engine stepping through every character. Short texts are scanned by
    one expression instead (a dozen numpy calls cost more there).

    >>> a = KeywordMatcher({"legal": ("lawyer*", "legal action")})
    >>> b = KeywordMatcher({"private": ("action", "order*")})
    >>> text = " my lawyer: legal action on my order \\x00 action "
    >>> _PairMatcher(a, b).find_all(text, 2) == (a.find_all(text, 2), b.find_all(text, 2))
    True
    """

    def __init__(self, first: KeywordMatcher, second: KeywordMatcher) -> None:
        import numpy as np

        self.first = first
        self.second = second
        words = sorted({*first._words, *second._words})
        self._scan = re.compile("[^\\w](?:" + _trie(words) + ")")
        heads: list[dict[int, int]] = [{} for _ in range(_HEAD)]  # first 1.._HEAD characters
        for bit, matcher in ((1, first), (2, second)):
            for word in matcher._words:
                body = word.rstrip(_WHOLE)[:_HEAD]
                key = _head_key([ord(ch) for ch in body])
                heads[len(body) - 1][key] = heads[len(body) - 1].get(key, 0) | bit
        self._heads = [
            (np.array(sorted(h), dtype=np.uint64), np.array([h[k] for k in sorted(h)], np.uint8))
            for h in heads
        ]

    def _candidates(self, cp: Any) -> tuple[list[int], list[int]]:
        """Where a keyword may start (ascending), and which matchers' (bit 1: first, 2: second).

        ``cp``: the code points with punctuation and white space as spaces (``_codepoints``:
        every code point up to 32 is then a space or a post separator).
        """
        import numpy as np

        length = cp.shape[0]
        token = cp > 32
        starts = token.copy()
        starts[1:] &= ~token[:-1]
        at = starts.nonzero()[0]
        padded = np.zeros(length + _HEAD, dtype=np.uint64)
        padded[:length] = cp
        base = np.uint64(_HEAD_BASE)
        key = padded[at]
        which = np.zeros(at.shape[0], dtype=np.uint8)
        for n, (heads, bits) in enumerate(self._heads):
            if n:
                key = key * base + padded[at + n]
            if heads.shape[0]:
                i = np.minimum(np.searchsorted(heads, key), heads.shape[0] - 1)
                which |= np.where(heads[i] == key, bits[i], np.uint8(0))
        wanted = which.nonzero()[0]
        return at[wanted].tolist(), which[wanted].tolist()

    def find_all(
        self, normalised: str, n_docs: int, cp: Any = None
    ) -> tuple[list[tuple[str, str] | None], list[tuple[str, str] | None]]:
        """``(first.find_all(...), second.find_all(...))``.

        ``cp``: ``_codepoints(normalised)`` if the caller has it already.
        """
        first, second = self.first, self.second
        out_a: list[tuple[str, str] | None] = [None] * n_docs
        out_b: list[tuple[str, str] | None] = [None] * n_docs
        pattern_a, pattern_b = first._pattern, second._pattern
        if pattern_a is None or pattern_b is None:  # (a matcher without keywords)
            return first.find_all(normalised, n_docs), second.find_all(normalised, n_docs)
        if len(normalised) < _NUMPY_SCAN:  # a few posts: a dozen numpy calls cost more
            places: Iterable[tuple[int, int]] = self._scanned(normalised)
        else:
            if cp is None:
                from socialcare._triage._features import _codepoints

                cp = _codepoints(normalised)
            places = zip(*self._candidates(cp), strict=True)
        next_a = next_b = 0  # where each matcher alone would resume its scan
        doc = 0
        position = 0
        for start, bits in places:
            doc += normalised.count("\x00", position, start)
            position = start
            if bits & 1 and start >= next_a:
                match = pattern_a.match(normalised, start)
                if match is not None:
                    first._record(out_a, doc, normalised, match)
                    next_a = match.end()
            if bits & 2 and start >= next_b:
                match = pattern_b.match(normalised, start)
                if match is not None:
                    second._record(out_b, doc, normalised, match)
                    next_b = match.end()
        return out_a, out_b

    def _scanned(self, normalised: str) -> Iterator[tuple[int, int]]:
        """The places of :meth:`_candidates` found by a regular expression (for short text).

        It finds the keywords of either matcher that follow a character that is not a word
        character, and the very start of the text (bits 3: both matchers are tried there).
        """
        search = self._scan.search
        start = 0
        while True:
            yield start, 3
            found = search(normalised, start)
            if found is None:
                return
            start = found.start() + 1


_NUMPY_SCAN = 2048  # from this many characters on, numpy finds the places to try


def _head_key(codes: Sequence[int]) -> int:
    """The key of a word's first (up to ``_HEAD``) code points, as ``_candidates`` makes it.

    A polynomial hash: different heads rarely share a key, and when they do, that only adds
    a place to try.

    >>> _head_key([1, 2]) == _HEAD_BASE + 2
    True
    """
    key = 0
    for code in codes:
        key = (key * _HEAD_BASE + code) % (1 << 64)
    return key


_HEAD = 5  # a word is tried when it starts like a keyword (up to this many characters)
_HEAD_BASE = 0x100000001B3


_WHOLE = "\x01"  # marks the end of a whole-word keyword inside the trie
_NON_WORD = re.compile(r"[^\w]+")
_WORD_TAIL = re.compile(r"\w*")


def _word(hit: tuple[str, str] | None) -> str | None:
    return None if hit is None else hit[1]


def _trie(words: list[str]) -> str:
    """A regex matching any of ``words``, factored by common prefixes (longest first).

    A space in a keyword matches any run of spaces or punctuation; ``_WHOLE`` at the end of a
    keyword requires the word to end there.
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def atom(ch: str) -> str:
        if ch == _WHOLE:
            return "(?!\\w)"
        if ch == " ":
            return "[^\\w\\x00]+"
        return re.escape(ch)

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [atom(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(tree)


class PriorityRule(Frozen):
    """``priority`` applies when every condition given matches (None = any value).

    >>> PriorityRule(priority="high", intents={"complaint"}, sentiments={"negative"})
    PriorityRule(priority='high', intents=frozenset({'complaint'}), sensitive=None, sentiments=frozenset({'negative'}), influencer=None, routes=None)
    """  # noqa: E501

    priority: Priority
    intents: frozenset[str] | None = None
    sensitive: frozenset[str] | None = Field(
        default=None, description="Sensitivity kinds; the rule needs one of them."
    )
    sentiments: frozenset[Sentiment] | None = None
    influencer: bool | None = None
    routes: frozenset[Route] | None = None

    def matches(
        self, intent: str, sensitive: str | None, sentiment: str, *, influencer: bool, route: str
    ) -> bool:
        """Whether all the conditions of this rule hold."""
        return (
            (self.intents is None or intent in self.intents)
            and (self.sensitive is None or sensitive in self.sensitive)
            and (self.sentiments is None or sentiment in self.sentiments)
            and (self.influencer is None or influencer == self.influencer)
            and (self.routes is None or route in self.routes)
        )


DEFAULT_PRIORITY_RULES: tuple[PriorityRule, ...] = (
    PriorityRule(
        priority="urgent", sensitive=frozenset({"safety", "legal_threat", "media_crisis"})
    ),
    PriorityRule(priority="high", sensitive=frozenset({"privacy", "harassment"})),
    PriorityRule(priority="high", influencer=True, routes=frozenset({"specialist", "agent"})),
    PriorityRule(
        priority="high", intents=frozenset({"complaint"}), sentiments=frozenset({"negative"})
    ),
    PriorityRule(priority="low", routes=frozenset({"none"})),
    PriorityRule(priority="low", intents=frozenset({"feedback"})),
)


class TriageRules(Frozen):
    """The routing rules as data: change any field without subclassing.

    Routes, in order: bad or empty input -> ``agent`` (uncertain); posts by automation or by
    the brand -> ``none``; sensitive posts -> ``specialist``; influencers -> ``specialist``
    (unless certain spam); certain predictions of a ``no_reply_intents`` intent -> ``none``;
    certain predictions of an ``auto_intents`` intent -> ``auto``; everything else -> ``agent``.
    Priority: the first matching rule of ``priority_rules``, else ``default_priority``.

    >>> rules = TriageRules(influencer_followers=5_000, auto_intents={"query", "request"})
    >>> rules.influencer_followers, sorted(rules.auto_intents)
    (5000, ['query', 'request'])
    """

    policy: ThresholdPolicy = Field(default_factory=lambda: ThresholdPolicy(threshold=0.6))
    auto_intents: frozenset[str] = frozenset({"query"})
    no_reply_intents: frozenset[str] = frozenset({"praise", "spam"})
    influencer_followers: int | None = Field(default=10_000, ge=0)
    verified_is_influencer: bool = True
    sensitivity_threshold: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description=(
            "Flag a post as sensitive when P(any sensitive kind) reaches this. Low on purpose:"
            " a missed legal threat costs more than a specialist reading a harmless post."
        ),
    )
    sensitive_keywords: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_SENSITIVE_KEYWORDS),
        description="Kind -> keywords; the first kind listed wins when several match.",
    )
    private_keywords: tuple[str, ...] = DEFAULT_PRIVATE_KEYWORDS
    take_private_intents: frozenset[str] = frozenset({"query", "request", "complaint"})
    min_letters: int = Field(default=2, ge=0, description="Fewer letters/digits: uncertain.")
    max_length: int = Field(
        default=5_000, ge=1, description="Longer posts are unusual: uncertain, to a person."
    )
    priority_rules: tuple[PriorityRule, ...] = DEFAULT_PRIORITY_RULES
    default_priority: Priority = "normal"


class Decision(Frozen):
    """What to do with one post, and why.

    ``route``: ``auto`` (an automated answer is safe), ``agent`` (a person), ``specialist``
    (influencers, sensitive posts) or ``none`` (no reply needed). ``intent`` is the top intent
    even when ``uncertain``; ``confidence`` its probability. ``take_private`` flags a public
    post that needs private details (order, account, payment...) to be answered.
    """

    route: Route
    intent: str | None
    confidence: float
    uncertain: bool
    priority: Priority
    sensitive: str | None
    sentiment: Sentiment
    take_private: bool
    reasons: tuple[str, ...]
    error: str | None = Field(default=None, description="Why the input could not be read.")


_DECISION_FIELDS = frozenset(Decision.model_fields)
_FIELD_ORDER = tuple(Decision.model_fields)
_ALL_FIELDS_SET = set(_DECISION_FIELDS)  # shared, never changed (see _fast_decision)


def _decision(**fields: Any) -> Decision:
    """Build a Decision from values the Triager already checked (skips validation).

    Same result as ``Decision.model_construct`` with every field given, several times faster,
    which matters at a few microseconds per post.
    """
    decision = Decision.__new__(Decision)
    object.__setattr__(decision, "__dict__", fields)
    object.__setattr__(decision, "__pydantic_fields_set__", set(_DECISION_FIELDS))
    object.__setattr__(decision, "__pydantic_extra__", None)
    object.__setattr__(decision, "__pydantic_private__", None)
    return decision


def _fast_decision(fields: dict[str, Any]) -> Decision:
    """:func:`_decision` taking the field dictionary itself (one fewer copy per post).

    Every decision made here shares one set of field names: pydantic never changes a frozen
    model's set in place (``model_copy`` copies it), and one set fewer per post is one object
    fewer for the garbage collector to track.
    """
    decision = _new_decision(Decision)
    _set(decision, "__dict__", fields)
    _set_fields_set(decision, _ALL_FIELDS_SET)
    _set_extra(decision, None)
    _set_private(decision, None)
    return decision


# The slot descriptors of pydantic's BaseModel, called directly (cheaper than setattr by name).
_new_decision = Decision.__new__
_set = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _letters(normalised: str, n_docs: int, minimum: int, cp: Any = None) -> list[bool]:
    """Per post of a ``normalise_batch`` string: has it ``minimum`` letters or digits?

    ``cp``: its code points, punctuation as spaces or not (``_codepoints``), if at hand.

    >>> _letters(" \\x00 ".join([" ab", "?", "a1", "𝐚𝐛 "]), 4, 2)
    [True, False, True, True]
    """
    import numpy as np

    from socialcare._triage._text import SEPARATOR, bmp_table

    if minimum <= 0:
        return [True] * n_docs
    if len(normalised) < 4096:  # a few posts: counting in Python costs less than numpy calls
        return [_has_letters(part, minimum) for part in normalised.split(SEPARATOR)]
    if cp is None:
        cp = np.frombuffer(normalised.encode("utf-32-le"), dtype="<u4")
    alnum = bmp_table(str.isalnum)[np.minimum(cp, 0x10000)]
    high = (cp > 0xFFFF).nonzero()[0]
    if high.shape[0]:  # emoji and other high code points: ask str.isalnum, once per character
        chars, inverse = np.unique(cp[high], return_inverse=True)
        alnum[high] = np.array([chr(c).isalnum() for c in chars.tolist()], dtype=bool)[inverse]
    starts = np.zeros(n_docs, dtype=np.intp)
    starts[1:] = (cp == 0).nonzero()[0]
    counts = np.add.reduceat(alnum.view(np.uint8), starts, dtype=np.intp)
    return (counts >= minimum).tolist()  # type: ignore[no-any-return]


# Per row, what the models say: (intent, threshold, repr), confidence, margin, certain,
# sentiment, the sensitivity model's kind (or None), P(sensitive).
_Tail = tuple[
    list[tuple[str, float | None, str]],
    list[float],
    list[float],
    list[bool],
    list[str],
    list[str | None],
    list[float],
]
_SMALL = 4  # up to this many rows, the per-row arithmetic runs in plain Python


def _softmax_row(scores: list[float]) -> list[float]:
    """Softmax of one row of scores, in Python (as :func:`softmax` does for many rows).

    >>> [round(p, 4) for p in _softmax_row([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    """
    top = max(scores)
    exps = [math.exp(x - top) for x in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _has_letters(text: str, minimum: int) -> bool:
    """Whether ``text`` holds ``minimum`` letters or digits (stops as soon as it does).

    >>> _has_letters(" ? 😍 a1", 2), _has_letters(" ? a ", 2)
    (True, False)
    """
    count = 0
    for ch in text:
        if ch.isalnum():
            count += 1
            if count >= minimum:
                return True
    return count >= minimum


def _chunk_bounds(rows: Sequence[Any], max_chars: int) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive chunks of ``rows``, each of 2+ rows unless only one.

    >>> _chunk_bounds(["a" * 15_000, "b", "c" * 9_000, "d"], 2_000)
    [(0, 4)]
    >>> _chunk_bounds(["x" * 40_000] * 5, 50_000)
    [(0, 2), (2, 5)]
    """
    from socialcare._triage._features import CHUNK, CHUNK_CHARS  # the classifier's chunks

    bounds: list[tuple[int, int]] = []
    start = 0
    size = 0
    for i, row in enumerate(rows):
        if type(row) is str:
            size += min(len(row), max_chars)
        elif isinstance(row, Post):
            size += min(len(row.text), max_chars)
        # two rows at least: a chunk's fixed cost (dozens of numpy calls) is not spent on one
        if (size >= CHUNK_CHARS or i + 1 - start >= CHUNK) and i > start:
            bounds.append((start, i + 1))
            start = i + 1
            size = 0
    if start < len(rows):
        if bounds and len(rows) - start == 1:
            bounds[-1] = (bounds[-1][0], len(rows))
        else:
            bounds.append((start, len(rows)))
    return bounds


@dataclass(frozen=True)
class _Item:
    text: str | None
    length: int
    followers: int
    verified: bool
    public: bool
    automated: bool
    error: str | None


def _item(value: Any, max_chars: int) -> _Item:
    if isinstance(value, Post):
        author = value.author
        return _Item(
            text=value.text[:max_chars],
            length=len(value.text),
            followers=author.followers,
            verified=author.verified,
            public=value.channel == Channel.PUBLIC,
            automated=value.is_automated or bool(author.is_brand),
            error=None,
        )
    if isinstance(value, str):
        return _Item(
            value[:max_chars],
            len(value),
            0,
            verified=False,
            public=True,
            automated=False,
            error=None,
        )
    what = "None" if value is None else type(value).__name__
    return _Item(
        None, 0, 0, verified=False, public=True, automated=False, error=f"not a post: {what}"
    )


class _Models:
    """Heads that share one featuriser, stacked so a batch is featurised and scored once."""

    def __init__(self, features: HashedTfidf, heads: dict[str, Head]) -> None:
        import numpy as np

        from socialcare._triage._features import LinearScorer

        self.features = features
        self.names = list(heads)
        self.classes = [[str(c) for c in h.classes.tolist()] for h in heads.values()]
        self.coef_t = np.ascontiguousarray(np.hstack([h.coef_t for h in heads.values()]))
        self.intercept = np.concatenate([h.intercept for h in heads.values()])
        bounds = np.cumsum([0] + [h.coef_t.shape[1] for h in heads.values()])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self.scorer = LinearScorer(features, self.coef_t, self.intercept)


class Triager:
    """Routes posts: automated answer, agent, specialist or no reply, with reasons.

    Args:
        classifier: a trained :class:`IntentClassifier`.
        sentiment: a trained classifier over negative/neutral/positive (optional; without it
            every post is neutral).
        sensitivity: a trained classifier over ``none`` and sensitivity kinds (optional;
            without it only the keyword rules flag sensitive posts).
        rules: the :class:`TriageRules`.

    The three classifiers must share one featuriser (``fit_shared``) to be scored together;
    otherwise each is featurised separately (slower, same results).

    >>> triager = Triager.default()
    >>> triager.decide("Where is my order #123456? It's been 2 weeks").take_private
    True
    """

    def __init__(
        self,
        classifier: IntentClassifier,
        *,
        sentiment: IntentClassifier | None = None,
        sensitivity: IntentClassifier | None = None,
        rules: TriageRules | None = None,
    ) -> None:
        named = {"intent": classifier, "sentiment": sentiment, "sensitivity": sensitivity}
        for clf in named.values():
            if clf is not None:
                clf._check_fitted()
        by_features: dict[int, dict[str, Head]] = {}
        feats: dict[int, HashedTfidf] = {}
        for name, clf in named.items():
            if clf is not None:
                by_features.setdefault(id(clf.features_), {})[name] = clf.head_
                feats[id(clf.features_)] = clf.features_
        groups = [_Models(feats[key], heads) for key, heads in by_features.items()]
        if sentiment is not None and not set(map(str, sentiment.classes_)) <= {
            "negative",
            "neutral",
            "positive",
        }:
            raise InvalidInputError(
                "the sentiment classifier must predict negative/neutral/positive"
            )
        self._init(groups, rules or TriageRules())

    def _init(self, groups: list[_Models], rules: TriageRules) -> None:
        if not isinstance(rules, TriageRules):
            raise InvalidInputError(f"rules must be TriageRules, got {type(rules).__name__}")
        self._groups = groups
        self.rules = rules
        import numpy as np

        policy = rules.policy
        self._limits = np.array(
            [
                np.inf if (t := policy.threshold_for(name)) is None else t
                for name in groups[0].classes[0]
            ]
        )
        self._limits_list: list[float] = self._limits.tolist()
        self._intent_info = [
            (name, policy.threshold_for(name), repr(name)) for name in groups[0].classes[0]
        ]
        self._priorities: dict[tuple[str, str | None, str, bool, str], Priority] = {}
        self._sensitive = KeywordMatcher(rules.sensitive_keywords)
        self._private = KeywordMatcher({"private": rules.private_keywords})
        self._keywords = _PairMatcher(self._sensitive, self._private)

    @classmethod
    def default(cls, rules: TriageRules | None = None) -> Triager:
        """The bundled multilingual model with its tuned thresholds (or your ``rules``).

        Loading reads one small file and imports no scikit-learn.
        """
        from socialcare._triage._bundle import read_default_bundle

        features, heads, extra = read_default_bundle()
        if rules is None:
            policy = extra.get("policy")
            rules = TriageRules(policy=ThresholdPolicy(**policy)) if policy else TriageRules()
        triager = cls.__new__(cls)
        wanted: dict[str, Head] = {
            n: heads[n] for n in ("intent", "sentiment", "sensitivity") if n in heads
        }
        triager._init([_Models(features, wanted)], rules)
        return triager

    def with_rules(self, rules: TriageRules) -> Triager:
        """A Triager with the same models and other rules."""
        other = Triager.__new__(Triager)
        other._init(self._groups, rules)
        return other

    @property
    def intents(self) -> list[str]:
        """The intents the classifier knows."""
        return list(self._groups[0].classes[0])

    # -------------------------------------------------------------- deciding
    def decide(self, post: Any) -> Decision:
        """Decide what to do with one post (a :class:`Post` or its text).

        Never raises for bad content: ``None``, empty or emoji-only text get an uncertain
        decision routed to a person, with the reason.
        """
        return self._decide_chunk([post], [None] * len(self._groups))[0]

    def decide_many(self, items: Iterable[Any], *, n_jobs: int | None = None) -> list[Decision]:
        """One decision per item, in order, always (bad rows: uncertain, to an agent).

        Args:
            items: posts or texts; anything else becomes a decision with ``error`` set.
            n_jobs: score large batches on several processes (joblib); None or 1 = one.
        """
        if isinstance(items, str | Post):
            raise InvalidInputError("decide_many takes a sequence of posts; use decide() for one")
        rows: Sequence[Any] = items if isinstance(items, Sequence) else list(items)
        jobs = 1 if n_jobs is None else int(n_jobs)
        if jobs == 1 or len(rows) < 4096:
            return self._decide_block(rows)
        from joblib import Parallel, cpu_count, delayed

        workers = cpu_count() if jobs < 0 else jobs
        size = -(-len(rows) // workers)
        parts = [list(rows[i : i + size]) for i in range(0, len(rows), size)]
        results = Parallel(n_jobs=workers)(delayed(self._decide_values)(p) for p in parts)
        # Decisions travel back as tuples of plain values: unpickling a pydantic model costs
        # several times more, and the parent process unpickles every row.
        return [_fast_decision(dict(zip(_FIELD_ORDER, v, strict=True))) for r in results for v in r]

    def _decide_values(self, rows: Sequence[Any]) -> list[tuple[Any, ...]]:
        """:meth:`_decide_block`, each decision as a tuple of its field values."""
        return [tuple(map(d.__dict__.__getitem__, _FIELD_ORDER)) for d in self._decide_block(rows)]

    def _decide_block(self, rows: Sequence[Any]) -> list[Decision]:
        out: list[Decision] = []
        max_chars = self._groups[0].features.max_chars
        bounds = _chunk_bounds(rows, max_chars)
        memos = [g.scorer.memo() if len(bounds) > 1 else None for g in self._groups]
        for start, end in bounds:
            out.extend(self._decide_chunk(rows[start:end], memos))
        return out

    def _decide_chunk(
        self, rows: Sequence[Any], memos: Sequence[WordMemo | None]
    ) -> list[Decision]:
        import numpy as np

        from socialcare._triage._bundle import softmax
        from socialcare._triage._features import _codepoints
        from socialcare._triage._text import SEPARATOR, normalise_batch

        first = self._groups[0]
        max_chars = first.features.max_chars
        n = len(rows)
        # Plain strings (the common case) need no _Item: None marks them.
        items: list[_Item | None] = []
        texts: list[str] = []
        lengths: list[int] = []
        for row in rows:
            if type(row) is str:
                items.append(None)
                texts.append(row[:max_chars])
                lengths.append(len(row))
            else:
                item = _item(row, max_chars)
                items.append(item)
                texts.append(item.text if item.text is not None else "")
                lengths.append(item.length)
        normalised = normalise_batch(texts, tidy=False)
        cp = _codepoints(normalised)  # (shared by the steps below)
        keyword_hits, private_hits = self._keywords.find_all(normalised, n, cp)
        probs: dict[str, Any] = {}
        classes: dict[str, Any] = {}
        for group, memo in zip(self._groups, memos, strict=True):
            own = normalised
            own_cp = cp
            if group.features is not first.features:
                limit = group.features.max_chars
                own = normalise_batch([t[:limit] for t in texts], tidy=False)
                own_cp = None
            scores = group.scorer.scores(own, n, memo, own_cp)
            for name, names, part in zip(group.names, group.classes, group.slices, strict=True):
                classes[name] = names
                if n > _SMALL:
                    probs[name] = softmax(np.array(scores[:, part]))
                else:
                    probs[name] = [_softmax_row(row[part]) for row in scores.tolist()]
        letters = _letters(normalised, n, self.rules.min_letters, cp)
        parts = normalised.split(SEPARATOR) if not all(letters) else None
        tail = self._small_tail if n <= _SMALL else self._batch_tail
        return self._rows(
            items,
            lengths,
            parts,
            letters,
            keyword_hits,
            private_hits,
            *tail(probs, classes),
        )

    def _batch_tail(self, probs: dict[str, Any], classes: dict[str, list[str]]) -> _Tail:
        """Per row: intent, confidence, margin, certain, sentiment, model kind, P(sensitive)."""
        import numpy as np

        intent_p = probs["intent"]
        n = intent_p.shape[0]
        top = intent_p.argmax(axis=1)
        conf = intent_p[np.arange(n), top]
        wide = intent_p.shape[1] > 1
        second = np.sort(intent_p, axis=1)[:, -2] if wide else np.zeros(n)
        certain = (conf >= self._limits[top]) & (conf - second >= self.rules.policy.min_margin)
        rules = self.rules
        if "sentiment" in probs:
            sentiment_names = classes["sentiment"]
            sentiments = [sentiment_names[k] for k in probs["sentiment"].argmax(axis=1).tolist()]
        else:
            sentiments = ["neutral"] * n
        model_kinds: list[str | None] = [None] * n
        sensitive_ps: list[float] = [0.0] * n
        if "sensitivity" in probs:
            sp = probs["sensitivity"]
            names = classes["sensitivity"]
            none_col = names.index("none") if "none" in names else None
            sensitive_p = 1.0 - sp[:, none_col] if none_col is not None else sp.max(axis=1)
            masked = sp.copy()
            if none_col is not None:
                masked[:, none_col] = -1.0
            flagged = sensitive_p >= rules.sensitivity_threshold
            kinds = masked.argmax(axis=1)
            for i in flagged.nonzero()[0].tolist():
                model_kinds[i] = names[int(kinds[i])]
            sensitive_ps = sensitive_p.tolist()
        return (
            [self._intent_info[k] for k in top.tolist()],
            conf.tolist(),
            (conf - second).tolist(),
            certain.tolist(),
            sentiments,
            model_kinds,
            sensitive_ps,
        )

    def _small_tail(
        self, probs: dict[str, list[list[float]]], classes: dict[str, list[str]]
    ) -> _Tail:
        """What :meth:`_batch_tail` computes with numpy, for a few rows in Python.

        numpy calls cost microseconds each whatever their size; a single decision would spend
        most of its time in them. Same operations, same order, same results.
        """
        rules = self.rules
        limits = self._limits_list
        min_margin = rules.policy.min_margin
        intent_info: list[tuple[str, float | None, str]] = []
        confidences: list[float] = []
        margins: list[float] = []
        certains: list[bool] = []
        for p in probs["intent"]:
            top = max(range(len(p)), key=p.__getitem__)  # the first maximum, like argmax
            conf = p[top]
            second = sorted(p)[-2] if len(p) > 1 else 0.0
            intent_info.append(self._intent_info[top])
            confidences.append(conf)
            margins.append(conf - second)
            certains.append(conf >= limits[top] and conf - second >= min_margin)
        n = len(confidences)
        if "sentiment" in probs:
            names = classes["sentiment"]
            sentiments = [names[max(range(len(p)), key=p.__getitem__)] for p in probs["sentiment"]]
        else:
            sentiments = ["neutral"] * n
        model_kinds: list[str | None] = [None] * n
        sensitive_ps: list[float] = [0.0] * n
        if "sensitivity" in probs:
            names = classes["sensitivity"]
            none_col = names.index("none") if "none" in names else None
            for i, p in enumerate(probs["sensitivity"]):
                masked = list(p)
                if none_col is not None:
                    sensitive_ps[i] = 1.0 - p[none_col]
                    masked[none_col] = -1.0
                else:
                    sensitive_ps[i] = max(p)
                if sensitive_ps[i] >= rules.sensitivity_threshold:
                    model_kinds[i] = names[max(range(len(masked)), key=masked.__getitem__)]
        return (
            intent_info,
            confidences,
            margins,
            certains,
            sentiments,
            model_kinds,
            sensitive_ps,
        )

    def _rows(
        self,
        items: list[_Item | None],
        lengths: list[int],
        parts: list[str] | None,
        letters: list[bool],
        keyword_hits: list[tuple[str, str] | None],
        private_hits: list[tuple[str, str] | None],
        intent_info: list[tuple[str, float | None, str]],
        confidences: list[float],
        margins: list[float],
        certains: list[bool],
        sentiments: list[Any],
        model_kinds: list[str | None],
        sensitive_ps: list[float],
    ) -> list[Decision]:
        """The rules, row by row, on values computed for the whole batch.

        ``letters[i]``: whether post ``i`` has at least ``min_letters`` letters or digits.
        """
        rules = self.rules
        max_length = rules.max_length
        min_margin = rules.policy.min_margin
        verified_counts = rules.verified_is_influencer
        followers_limit = rules.influencer_followers
        no_reply = rules.no_reply_intents
        auto = rules.auto_intents
        take_private_intents = rules.take_private_intents
        priorities = self._priorities
        string_influencer = followers_limit is not None and followers_limit <= 0
        out: list[Decision] = []
        append = out.append
        for i, item in enumerate(items):
            if item is None:
                length = lengths[i]
                followers = 0
                verified = False
                public = True
                automated = False
                influencer = string_influencer
            elif item.error is not None or item.text is None:
                append(
                    _fast_decision(
                        {
                            "route": "agent",
                            "intent": None,
                            "confidence": 0.0,
                            "uncertain": True,
                            "priority": rules.default_priority,
                            "sensitive": None,
                            "sentiment": "neutral",
                            "take_private": False,
                            "reasons": (
                                f"cannot read this row ({item.error}); a person should look",
                            ),
                            "error": item.error,
                        }
                    )
                )
                continue
            else:
                length = item.length
                followers = item.followers
                verified = item.verified
                public = item.public
                automated = item.automated
                influencer = verified and verified_counts
                if followers_limit is not None and followers >= followers_limit:
                    influencer = True
            intent, threshold, intent_repr = intent_info[i]
            confidence = confidences[i]
            certain = certains[i]
            reasons: list[str] = []
            enough = letters[i]
            if not enough:
                certain = False
                reasons.append(
                    "too little text to classify (empty, whitespace, emoji or symbols only)"
                    if parts is not None and parts[i].strip()
                    else "empty post: nothing to classify"
                )
            too_long = length > max_length
            if too_long:
                certain = False
                reasons.append(f"unusually long post ({length:,} characters, limit {max_length:,})")
            if certain:
                reasons.append(
                    f"intent {intent_repr} at {confidence:.2f} (threshold {threshold:.2f})"
                )
            elif enough and not too_long:
                if threshold is None:
                    reasons.append(
                        f"uncertain: intent {intent_repr} is never automated by the policy"
                    )
                elif confidence < threshold:
                    reasons.append(
                        f"uncertain: {intent_repr} at {confidence:.2f} is below its threshold "
                        f"{threshold:.2f}"
                    )
                else:
                    reasons.append(
                        f"uncertain: {intent_repr} leads the runner-up by only {margins[i]:.2f} "
                        f"(minimum {min_margin:.2f})"
                    )

            sensitive = model_kinds[i]
            if sensitive is not None:
                reasons.append(f"sensitive: {sensitive} (model, {sensitive_ps[i]:.2f})")
            else:
                keyword = keyword_hits[i]
                if keyword is not None:
                    sensitive = keyword[0]
                    reasons.append(f"sensitive: {sensitive} (keyword {keyword[1]!r})")

            if influencer:
                reasons.append(
                    f"influencer: {followers:,} followers" + (", verified" if verified else "")
                )

            route: Route
            if automated:
                route = "none"
                reasons.append("posted by automation or by the brand itself: no reply")
            elif sensitive is not None or (influencer and not (certain and intent == "spam")):
                route = "specialist"
            elif certain and intent in no_reply:
                route = "none"
                reasons.append(f"no reply needed for {intent_repr}")
            elif certain and intent in auto:
                route = "auto"
                reasons.append(f"{intent_repr} is answered automatically")
            else:
                route = "agent"
                if certain:
                    reasons.append(f"{intent_repr} needs a person (not an auto-reply intent)")

            take_private = False
            if public and route != "none" and enough:
                private = private_hits[i]
                if sensitive == "privacy" or (
                    private is not None and intent in take_private_intents
                ):
                    take_private = True
                    why = "privacy" if private is None else repr(private[1])
                    reasons.append(f"public post needs private details ({why}): take it private")

            sentiment = sentiments[i]
            key = (intent, sensitive, sentiment, influencer, route)
            priority = priorities.get(key)
            if priority is None:
                priority = self._priority(key)
            append(
                _fast_decision(
                    {
                        "route": route,
                        "intent": intent,
                        "confidence": confidence,
                        "uncertain": not certain,
                        "priority": priority,
                        "sensitive": sensitive,
                        "sentiment": sentiment,
                        "take_private": take_private,
                        "reasons": tuple(reasons),
                        "error": None,
                    }
                )
            )
        return out

    def _priority(self, key: tuple[str, str | None, str, bool, str]) -> Priority:
        """The first matching priority rule (memoised per combination of its inputs)."""
        intent, sensitive, sentiment, influencer, route = key
        rules = self.rules
        priority = rules.default_priority
        for rule in rules.priority_rules:
            if rule.matches(intent, sensitive, sentiment, influencer=influencer, route=route):
                priority = rule.priority
                break
        self._priorities[key] = priority
        return priority
