"""Triager: one routing decision per post, with its confidence and reasons."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from socialcare._errors import InvalidInputError, from_pydantic
from socialcare._models import Channel, Post
from socialcare._triage._thresholds import ThresholdPolicy

if TYPE_CHECKING:
    from socialcare._triage._bundle import Head
    from socialcare._triage._classifier import IntentClassifier
    from socialcare._triage._features import HashedTfidf

__all__ = ["Decision", "PriorityRule", "TriageRules", "Triager"]

Route = Literal["auto", "agent", "specialist", "none"]
Priority = Literal["urgent", "high", "normal", "low"]
Sentiment = Literal["negative", "neutral", "positive"]
SENSITIVITY_KINDS = ("legal_threat", "safety", "privacy", "harassment", "media_crisis")

# Keyword rules raise the recall of the sensitivity classifier. They run on normalised text
# (case-folded, accents removed), so patterns are written that way. (?<!\w) anchors a pattern
# at the start of a word; prefixes then also match longer forms (lawyer -> lawyers).
DEFAULT_SENSITIVE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        r"lawyer",
        r"attorney",
        r"lawsuit",
        r"\bsue\b",
        r"suing",
        r"legal action",
        r"court",
        r"abogad",
        r"demanda",
        r"denuncia",
        r"avocat",
        r"poursuiv",
        r"tribunal",
        r"plainte",
        r"anwalt",
        r"klage",
        r"verklag",
        r"gericht",
        r"advogad",
        r"processar",
        r"procon",
        r"pengacara",
        r"tuntut",
        r"gugat",
        r"polisi",
        r"peguam",
        r"saman",
        r"mahkamah",
        r"עורך דין",
        r"תביעה",
        r"אתבע",
        r"محامي",
        r"محكمة",
        r"دعوى",
        r"قضائي",
    ),
    "safety": (
        r"caught fire",
        r"on fire",
        r"explod",
        r"burn",
        r"injur",
        r"hospital",
        r"poison",
        r"allergic",
        r"choking",
        r"\bhurt",
        r"danger",
        r"electric shock",
        r"food poisoning",
        r"incendi",
        r"quemad",
        r"herido",
        r"peligro",
        r"intoxica",
        r"brule",
        r"blesse",
        r"danger",
        r"feuer",
        r"verbrenn",
        r"verletz",
        r"gefahr",
        r"vergift",
        r"queimad",
        r"ferid",
        r"perigo",
        r"terbakar",
        r"meledak",
        r"luka",
        r"keracunan",
        r"bahaya",
        r"letup",
        r"cedera",
        r"שריפה",
        r"נכווי",
        r"פצוע",
        r"סכנה",
        r"حريق",
        r"انفجر",
        r"حروق",
        r"تسمم",
        r"خطر",
    ),
    "privacy": (
        r"data breach",
        r"breach",
        r"leak",
        r"hacked",
        r"my data",
        r"personal data",
        r"someone else s",
        r"gdpr",
        r"privacy",
        r"datos personales",
        r"filtra",
        r"hackead",
        r"donnees personnelles",
        r"fuite",
        r"pirate",
        r"datenschutz",
        r"datenleck",
        r"gehackt",
        r"dados pessoais",
        r"vazad",
        r"vazamento",
        r"bocor",
        r"diretas",
        r"data pribadi",
        r"kebocoran",
        r"data peribadi",
        r"פרטיות",
        r"דליפ",
        r"נפרץ",
        r"خصوصي",
        r"تسريب",
        r"اختراق",
    ),
    "harassment": (
        r"harass",
        r"threaten",
        r"stalk",
        r"abus",
        r"racist",
        r"sexist",
        r"acoso",
        r"acosa",
        r"amenaz",
        r"harcel",
        r"menace",
        r"belastig",
        r"bedroh",
        r"assedi",
        r"ameac",
        r"pelecehan",
        r"ancam",
        r"gangguan seksual",
        r"הטרד",
        r"איומ",
        r"تحرش",
        r"تهديد",
    ),
    "media_crisis": (
        r"journalist",
        r"reporter",
        r"\bpress\b",
        r"news",
        r"going viral",
        r"\bviral",
        r"boycott",
        r"periodista",
        r"prensa",
        r"boicot",
        r"journaliste",
        r"presse",
        r"boycott",
        r"journalist",
        r"zeitung",
        r"jornalista",
        r"imprensa",
        r"boicote",
        r"wartawan",
        r"media",
        r"boikot",
        r"עיתונא",
        r"חרם",
        r"صحف",
        r"إعلام",
        r"اعلام",
        r"مقاطعة",
    ),
}

# A public post that needs private details (order, account, address, payment...) to be
# answered should move to a private channel.
DEFAULT_PRIVATE_PATTERNS: tuple[str, ...] = (
    r"xlongnum",
    r"xemail",
    r"\border",
    r"tracking",
    r"account",
    r"address",
    r"password",
    r"payment",
    r"\bcard\b",
    r"refund",
    r"invoice",
    r"booking",
    r"reservation",
    r"\bphone",
    r"pedido",
    r"cuenta",
    r"direccion",
    r"contrasena",
    r"reembolso",
    r"tarjeta",
    r"factura",
    r"reserva",
    r"commande",
    r"compte",
    r"adresse",
    r"mot de passe",
    r"rembourse",
    r"carte",
    r"facture",
    r"bestellung",
    r"konto",
    r"passwort",
    r"erstattung",
    r"rechnung",
    r"karte",
    r"buchung",
    r"encomenda",
    r"conta",
    r"endereco",
    r"senha",
    r"cartao",
    r"pesanan",
    r"resi",
    r"akun",
    r"alamat",
    r"kata sandi",
    r"pengembalian dana",
    r"kartu",
    r"tempahan",
    r"akaun",
    r"bayaran",
    r"הזמנה",
    r"חשבון",
    r"כתובת",
    r"סיסמ",
    r"החזר",
    r"כרטיס",
    r"طلب",
    r"حساب",
    r"عنوان",
    r"كلمة المرور",
    r"استرداد",
    r"بطاقة",
    r"فاتورة",
)


class PriorityRule(BaseModel):
    """``priority`` applies when every condition given matches (None = any value).

    >>> PriorityRule(priority="high", intents={"complaint"}, sentiments={"negative"})
    PriorityRule(priority='high', intents=frozenset({'complaint'}), sensitive=None, sentiments=frozenset({'negative'}), influencer=None, routes=None)
    """  # noqa: E501

    model_config = ConfigDict(frozen=True, extra="forbid")

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


class TriageRules(BaseModel):
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

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: ThresholdPolicy = Field(default_factory=lambda: ThresholdPolicy(threshold=0.6))
    auto_intents: frozenset[str] = frozenset({"query"})
    no_reply_intents: frozenset[str] = frozenset({"praise", "spam"})
    influencer_followers: int | None = Field(default=10_000, ge=0)
    verified_is_influencer: bool = True
    sensitivity_threshold: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Flag a post as sensitive when P(any sensitive kind) reaches this.",
    )
    sensitive_keywords: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_SENSITIVE_KEYWORDS)
    )
    private_patterns: tuple[str, ...] = DEFAULT_PRIVATE_PATTERNS
    take_private_intents: frozenset[str] = frozenset({"query", "request", "complaint"})
    min_letters: int = Field(default=2, ge=0, description="Fewer letters/digits: uncertain.")
    priority_rules: tuple[PriorityRule, ...] = DEFAULT_PRIORITY_RULES
    default_priority: Priority = "normal"

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise from_pydantic(exc, "TriageRules") from None

    @field_validator("sensitive_keywords", "private_patterns")
    @classmethod
    def _compiles(cls, value: Any) -> Any:
        patterns = value.values() if isinstance(value, dict) else [value]
        for group in patterns:
            for pattern in group:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"pattern {pattern!r} is not a valid regex: {exc}") from None
        return value


class Decision(BaseModel):
    """What to do with one post, and why.

    ``route``: ``auto`` (an automated answer is safe), ``agent`` (a person), ``specialist``
    (influencers, sensitive posts) or ``none`` (no reply needed). ``intent`` is the top intent
    even when ``uncertain``; ``confidence`` its probability. ``take_private`` flags a public
    post that needs private details (order, account, payment...) to be answered.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

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


@dataclass(frozen=True)
class _Item:
    text: str | None
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
            followers=author.followers,
            verified=author.verified,
            public=value.channel == Channel.PUBLIC,
            automated=value.is_automated or bool(author.is_brand),
            error=None,
        )
    if isinstance(value, str):
        return _Item(value[:max_chars], 0, verified=False, public=True, automated=False, error=None)
    what = "None" if value is None else type(value).__name__
    return _Item(None, 0, verified=False, public=True, automated=False, error=f"not a post: {what}")


class _Models:
    """Heads that share one featuriser, stacked so a batch is featurised and scored once."""

    def __init__(self, features: HashedTfidf, heads: dict[str, Head]) -> None:
        import numpy as np

        self.features = features
        self.names = list(heads)
        self.classes = [[str(c) for c in h.classes.tolist()] for h in heads.values()]
        self.coef_t = np.ascontiguousarray(np.hstack([h.coef_t for h in heads.values()]))
        self.intercept = np.concatenate([h.intercept for h in heads.values()])
        bounds = np.cumsum([0] + [h.coef_t.shape[1] for h in heads.values()])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


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

    # ------------------------------------------------------------------ rules
    @cached_property
    def _keyword_res(self) -> list[tuple[str, re.Pattern[str]]]:
        out = []
        for kind, patterns in self.rules.sensitive_keywords.items():
            if patterns:
                out.append((kind, re.compile("(?<!\\w)(?:" + "|".join(patterns) + ")")))
        return out

    @cached_property
    def _private_re(self) -> re.Pattern[str] | None:
        patterns = self.rules.private_patterns
        return re.compile("(?<!\\w)(?:" + "|".join(patterns) + ")") if patterns else None

    # -------------------------------------------------------------- deciding
    def decide(self, post: Any) -> Decision:
        """Decide what to do with one post (a :class:`Post` or its text).

        Never raises for bad content: ``None``, empty or emoji-only text get an uncertain
        decision routed to a person, with the reason.
        """
        return self._decide_block([post])[0]

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
        results = Parallel(n_jobs=workers)(delayed(self._decide_block)(p) for p in parts)
        return [d for part in results for d in part]

    def _decide_block(self, rows: Sequence[Any]) -> list[Decision]:
        from socialcare._triage._features import CHUNK

        out: list[Decision] = []
        for start in range(0, len(rows), CHUNK):
            out.extend(self._decide_chunk(rows[start : start + CHUNK]))
        return out

    def _decide_chunk(self, rows: Sequence[Any]) -> list[Decision]:
        import numpy as np

        from socialcare._triage._bundle import softmax
        from socialcare._triage._text import SEPARATOR, normalise_batch

        first = self._groups[0]
        max_chars = first.features.max_chars
        items = [_item(r, max_chars) for r in rows]
        texts = [it.text if it.text is not None else "" for it in items]
        normalised = normalise_batch(texts)
        parts = normalised.split(SEPARATOR)
        probs: dict[str, Any] = {}
        classes: dict[str, Any] = {}
        for group in self._groups:
            if group.features is first.features:
                batch = group.features.transform_normalised(normalised, len(texts))
            else:
                batch = group.features.transform(texts)
            if batch.n_docs <= 64:
                scores = batch.dot(group.coef_t) + group.intercept
            else:
                csr = batch.to_csr(group.coef_t.shape[0])
                scores = np.asarray(csr @ group.coef_t, dtype=np.float64) + group.intercept
            for name, names, part in zip(group.names, group.classes, group.slices, strict=True):
                probs[name] = softmax(np.array(scores[:, part]))
                classes[name] = names
        intent_p = probs["intent"]
        top = np.argmax(intent_p, axis=1)
        conf = intent_p[np.arange(len(rows)), top]
        if intent_p.shape[1] > 1:
            second = np.partition(intent_p, -2, axis=1)[:, -2]
        else:
            second = np.zeros(len(rows))
        certain = self.rules.policy.accept_mask(intent_p, classes["intent"])
        sentiment = None
        if "sentiment" in probs:
            sentiment = np.argmax(probs["sentiment"], axis=1)
        sensitive_kind = None
        sensitive_p = None
        if "sensitivity" in probs:
            sp = probs["sensitivity"]
            names = classes["sensitivity"]
            none_col = names.index("none") if "none" in names else None
            sensitive_p = 1.0 - sp[:, none_col] if none_col is not None else sp.max(axis=1)
            masked = sp.copy()
            if none_col is not None:
                masked[:, none_col] = -1.0
            sensitive_kind = np.argmax(masked, axis=1)

        decisions = []
        intents = classes["intent"]
        for i, item in enumerate(items):
            text_norm = parts[i]
            decisions.append(
                self._one(
                    item,
                    text_norm,
                    intent=intents[int(top[i])],
                    confidence=float(conf[i]),
                    margin=float(conf[i] - second[i]),
                    certain=bool(certain[i]),
                    sentiment=cast(
                        Sentiment,
                        classes["sentiment"][int(sentiment[i])]
                        if sentiment is not None
                        else "neutral",
                    ),
                    sensitive_p=float(sensitive_p[i]) if sensitive_p is not None else 0.0,
                    sensitive_kind=classes["sensitivity"][int(sensitive_kind[i])]
                    if sensitive_kind is not None
                    else None,
                )
            )
        return decisions

    def _one(
        self,
        item: _Item,
        text_norm: str,
        *,
        intent: str,
        confidence: float,
        margin: float,
        certain: bool,
        sentiment: Sentiment,
        sensitive_p: float,
        sensitive_kind: str | None,
    ) -> Decision:
        rules = self.rules
        reasons: list[str] = []
        if item.error is not None or item.text is None:
            return Decision.model_construct(
                route="agent",
                intent=None,
                confidence=0.0,
                uncertain=True,
                priority=rules.default_priority,
                sensitive=None,
                sentiment="neutral",
                take_private=False,
                reasons=(f"cannot read this row ({item.error}); a person should look",),
                error=item.error,
            )
        letters = sum(ch.isalnum() for ch in text_norm)
        if letters < rules.min_letters:
            certain = False
            reasons.append(
                "too little text to classify (empty, whitespace, emoji or symbols only)"
                if text_norm.strip()
                else "empty post: nothing to classify"
            )
        threshold = rules.policy.threshold_for(intent)
        if certain:
            reasons.append(f"intent {intent!r} at {confidence:.2f} (threshold {threshold:.2f})")
        elif letters >= rules.min_letters:
            if threshold is None:
                reasons.append(f"uncertain: intent {intent!r} is never automated by the policy")
            elif confidence < threshold:
                reasons.append(
                    f"uncertain: {intent!r} at {confidence:.2f} is below its threshold "
                    f"{threshold:.2f}"
                )
            else:
                reasons.append(
                    f"uncertain: {intent!r} leads the runner-up by only {margin:.2f} "
                    f"(minimum {rules.policy.min_margin:.2f})"
                )

        sensitive: str | None = None
        if sensitive_kind is not None and sensitive_p >= rules.sensitivity_threshold:
            sensitive = sensitive_kind
            reasons.append(f"sensitive: {sensitive} (model, {sensitive_p:.2f})")
        for kind, pattern in self._keyword_res:
            match = pattern.search(text_norm)
            if match is not None:
                if sensitive is None:
                    sensitive = kind
                    reasons.append(f"sensitive: {kind} (keyword {match.group().strip()!r})")
                break

        influencer = item.verified and rules.verified_is_influencer
        if rules.influencer_followers is not None and item.followers >= rules.influencer_followers:
            influencer = True
        if influencer:
            reasons.append(
                f"influencer: {item.followers:,} followers"
                + (", verified" if item.verified else "")
            )

        if item.automated:
            route: Route = "none"
            reasons.append("posted by automation or by the brand itself: no reply")
        elif sensitive is not None or (influencer and not (certain and intent == "spam")):
            route = "specialist"
        elif certain and intent in rules.no_reply_intents:
            route = "none"
            reasons.append(f"no reply needed for {intent!r}")
        elif certain and intent in rules.auto_intents:
            route = "auto"
            reasons.append(f"{intent!r} is answered automatically")
        else:
            route = "agent"
            if certain:
                reasons.append(f"{intent!r} needs a person (not an auto-reply intent)")

        take_private = False
        if item.public and route != "none" and letters >= rules.min_letters:
            private = self._private_re
            match = private.search(text_norm) if private is not None else None
            if sensitive == "privacy" or (
                match is not None and intent in rules.take_private_intents
            ):
                take_private = True
                why = "privacy" if match is None else repr(match.group().strip())
                reasons.append(f"public post needs private details ({why}): take it private")

        priority = rules.default_priority
        for rule in rules.priority_rules:
            if rule.matches(intent, sensitive, sentiment, influencer=influencer, route=route):
                priority = rule.priority
                break
        return Decision.model_construct(
            route=route,
            intent=intent,
            confidence=confidence,
            uncertain=not certain,
            priority=priority,
            sensitive=sensitive,
            sentiment=sentiment,
            take_private=take_private,
            reasons=tuple(reasons),
            error=None,
        )
