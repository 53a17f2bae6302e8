"""`ReplyBook`: approved replies as data, and the `Reply` it suggests for a decision.

A book maps a key (an intent such as ``query``, ``acknowledgement``, ``acknowledgement/<kind>``,
``away``) to texts per language, each either one text for every platform or a text per
platform (``"*"`` for the others). Everything a support lead can get wrong is checked when
the book is built, not when a customer is waiting: unknown placeholders, a translation the book
promises but lacks, a text too long for a platform it is used on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from pydantic import Field

from socialcare._base import Frozen
from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, ValidationIssue
from socialcare._language import conversation_language
from socialcare._models import Platform
from socialcare._replies._phrases import ALIASES, babel_locale, when
from socialcare._replies._template import (
    ACK_FIELDS,
    AWAY_FIELDS,
    BASE_FIELDS,
    NAME_LIMITS,
    PLATFORM_LIMITS,
    WORST_CASE,
    Template,
    parse_template,
)
from socialcare._time import resolve_timezone
from socialcare._triage._decision import Decision

__all__ = ["Reply", "ReplyBook"]

ReplyKind = Literal["reply", "acknowledgement", "away"]
ANY = "*"
_ROUTES = ("agent", "specialist", "auto")
_KEY = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?$")
_TOP_KEYS = frozenset({"default_language", "languages", "defaults", "replies"})
_CONTEXT_KEYS = frozenset({"customer", "agent", "brand"})
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class Reply(Frozen):
    """A reply the book suggests: the text to send and why this one.

    ``template`` names the text used (``query[es/twitter]``); ``language`` and ``platform``
    are those of that text (after any fallback, which ``reasons`` states).
    """

    text: str
    kind: ReplyKind
    key: str = Field(description="The book's key: an intent, 'acknowledgement/...', 'away'...")
    template: str
    language: str
    platform: str | None = None
    reasons: tuple[str, ...] = ()


def _family(key: str) -> tuple[ReplyKind, frozenset[str]]:
    head = key.split("/")[0]
    if head == "acknowledgement":
        return "acknowledgement", ACK_FIELDS
    if head == "away":
        return "away", AWAY_FIELDS
    return "reply", BASE_FIELDS


def _platform_name(value: Any, where: str) -> str:
    if value == ANY:
        return ANY
    try:
        return str(Platform(value))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{where}: {exc}") from None


def canonical_language(tag: str) -> str:
    """A BCP 47 tag in one spelling: ``pt_br`` and ``PT-br`` -> ``pt-BR``, ``iw`` -> ``he``.

    >>> canonical_language("PT_br"), canonical_language("zh-hant-tw"), canonical_language("iw")
    ('pt-BR', 'zh-Hant-TW', 'he')
    """
    parts = tag.replace("_", "-").split("-")
    primary = parts[0].lower()
    out = [ALIASES.get(primary, primary)]
    for part in parts[1:]:
        if len(part) == 2 or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())  # a region
        elif len(part) == 4:
            out.append(part.title())  # a script
        else:
            out.append(part.lower())
    return "-".join(out)


def _language_tag(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        raise InvalidInputError(
            f"{where}: a language is a BCP 47 tag such as 'es' or 'pt-BR', got {value!r}"
        )
    tag = canonical_language(value)
    babel_locale(tag)  # no locale data: an error now, not at send time
    return tag


# Every reply shares one set of field names: a frozen model's set is never changed in place
# (``model_copy`` copies it), and one object fewer per reply is less for the garbage collector.
_REPLY_FIELDS = set(Reply.model_fields)
_set = object.__setattr__


def _new_reply(fields: dict[str, Any]) -> Reply:
    """A Reply from values this module built and checked, in field order (no validation).

    Equal to ``Reply(**fields)`` (a test asserts it); validating would cost more than the
    rest of a reply.
    """
    reply = Reply.__new__(Reply)
    _set(reply, "__dict__", fields)
    _set(reply, "__pydantic_fields_set__", _REPLY_FIELDS)
    _set(reply, "__pydantic_extra__", None)
    _set(reply, "__pydantic_private__", None)
    return reply


class _Problems:
    """Every problem of a book, gathered so one error lists them all."""

    def __init__(self) -> None:
        self.issues: list[ValidationIssue] = []

    def add(self, location: tuple[str | int, ...], message: str, value: Any = None) -> None:
        self.issues.append(ValidationIssue(location, message, value))

    def check(self, location: tuple[str | int, ...], call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except InvalidInputError as exc:
            self.add(location, str(exc))
            return None

    def raise_any(self) -> None:
        if self.issues:
            shown = "; ".join(f"{i.field}: {i.message}" for i in self.issues[:8])
            more = len(self.issues) - 8
            tail = f" (and {more} more)" if more > 0 else ""
            raise InvalidInputError(f"invalid reply book: {shown}{tail}", self.issues)


class ReplyBook:
    """Approved replies per intent, language and platform; built and checked from plain data.

    See the "Replies" guide for the format. A book is immutable; build a new one to change it.

    >>> book = ReplyBook.from_dict({
    ...     "default_language": "en",
    ...     "replies": {"query": {"en": "Hi {customer}! Our help centre has the answer.",
    ...                           "es": {"*": "¡Hola {customer}! Mira nuestro centro de ayuda."}}},
    ... })
    >>> book.render("query", language="es", platform="twitter", context={"customer": "Ana"}).text
    '¡Hola Ana! Mira nuestro centro de ayuda.'
    """

    __slots__ = ("_defaults", "_memo", "_source", "_texts", "default_language", "languages")

    default_language: str
    languages: tuple[str, ...]
    _source: dict[str, Any]
    _texts: dict[str, dict[str, dict[str, Template]]]
    _defaults: dict[str, dict[str, str]]
    _memo: dict[tuple[str, str | None, str | None], _Resolved | None]

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Use `from_dict`; this checks ``data`` the same way."""
        problems = _Problems()
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                f"a reply book is a mapping with 'default_language' and 'replies', got "
                f"{type(data).__name__}"
            )
        for key in data:
            if key not in _TOP_KEYS:
                problems.add((str(key),), f"unknown key; a book has {sorted(_TOP_KEYS)}")
        default = problems.check(
            ("default_language",), _language_tag, data.get("default_language"), "default_language"
        )
        promised_raw = data.get("languages", [default] if default else [])
        promised: list[str] = []
        if not isinstance(promised_raw, (list, tuple)):
            problems.add(("languages",), "must be a list of language tags", promised_raw)
        else:
            for index, tag in enumerate(promised_raw):
                checked = problems.check(("languages", index), _language_tag, tag, "languages")
                if checked is not None and checked not in promised:
                    promised.append(checked)
        if default is not None and default not in promised:
            promised.insert(0, default)
        self.default_language = default or "en"
        self.languages = tuple(promised)
        self._defaults = self._read_defaults(data.get("defaults", {}), problems)
        self._texts = self._read_replies(data.get("replies"), problems)
        problems.raise_any()
        self._source = json.loads(json.dumps(dict(data)))
        self._memo = {}

    # Building --------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> ReplyBook:
        """Build a book from its plain form (a mapping, or JSON text).

        Raises:
            InvalidInputError: lists every problem, each with the path of the text at fault.
        """
        if isinstance(data, (str, bytes, bytearray)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise InvalidInputError(f"a reply book in JSON could not be read: {exc}") from None
        return cls(data)  # type: ignore[arg-type]

    @classmethod
    def starter(cls) -> ReplyBook:
        """The starter book shipped with socialcare: every intent in nine languages.

        >>> ReplyBook.starter().languages
        ('en', 'es', 'fr', 'de', 'pt', 'id', 'ms', 'ar', 'he')
        """
        from importlib.resources import files

        text = files("socialcare").joinpath("_data/replies/starter_book.json").read_text("utf-8")
        return cls.from_dict(text)

    def to_dict(self) -> dict[str, Any]:
        """The plain form this book was built from (JSON-friendly)."""
        return json.loads(json.dumps(self._source))  # type: ignore[no-any-return]

    def _read_defaults(self, raw: Any, problems: _Problems) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        if not isinstance(raw, Mapping):
            problems.add(("defaults",), "must map a placeholder to a text or {language: text}")
            return out
        for name, value in raw.items():
            if name not in _CONTEXT_KEYS:
                problems.add(("defaults", str(name)), f"only {sorted(_CONTEXT_KEYS)} have defaults")
                continue
            if isinstance(value, str):
                out[name] = {ANY: value}
            elif isinstance(value, Mapping) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                out[name] = dict(value)
            else:
                problems.add(("defaults", name), "must be a text or {language: text}", value)
        return out

    def _read_replies(
        self, raw: Any, problems: _Problems
    ) -> dict[str, dict[str, dict[str, Template]]]:
        texts: dict[str, dict[str, dict[str, Template]]] = {}
        if not isinstance(raw, Mapping) or not raw:
            problems.add(
                ("replies",), "must map keys (intents, 'acknowledgement', 'away') to texts"
            )
            return texts
        for key, by_language in raw.items():
            if not isinstance(key, str) or not _KEY.match(key):
                problems.add(
                    ("replies", str(key)),
                    "a key is an intent or 'acknowledgement', 'acknowledgement/<route or kind>', "
                    "'away', 'away/holiday' (lower case letters, digits, _)",
                )
                continue
            _, allowed = _family(key)
            if not isinstance(by_language, Mapping) or not by_language:
                problems.add(("replies", key), "must map languages to texts")
                continue
            entry: dict[str, dict[str, Template]] = {}
            for language, value in by_language.items():
                where = ("replies", key, str(language))
                tag = problems.check(where, _language_tag, language, ".".join(where))
                if tag is None:
                    continue
                if tag in entry:
                    problems.add(where, f"is the language {tag!r} a second time (tags ignore case)")
                    continue
                variants = value if isinstance(value, Mapping) else {ANY: value}
                if not variants:
                    problems.add(where, "has no text")
                parsed: dict[str, Template] = {}
                for platform, text in variants.items():
                    spot = (*where, str(platform))
                    name = problems.check(spot, _platform_name, platform, ".".join(spot))
                    template = problems.check(
                        spot, parse_template, text, f"{key}.{language}.{platform}", allowed
                    )
                    if name is not None and template is not None:
                        parsed[name] = template
                entry[tag] = parsed
            for language in self.languages:
                if language not in entry:
                    problems.add(
                        ("replies", key),
                        f"has no {language!r} text, which the book promises in 'languages'",
                    )
            texts[key] = entry
        self._check_lengths(texts, problems)
        return texts

    @staticmethod
    def _check_lengths(
        texts: Mapping[str, Mapping[str, Mapping[str, Template]]], problems: _Problems
    ) -> None:
        for key, by_language in texts.items():
            for language, variants in by_language.items():
                for platform, limit in PLATFORM_LIMITS.items():
                    template = variants.get(platform) or variants.get(ANY)
                    if template is None:
                        continue
                    used = platform if platform in variants else ANY
                    length = template.worst_length(platform)
                    if length > limit:
                        problems.add(
                            ("replies", key, language, used),
                            f"can reach {length} characters with long names filled in, over "
                            f"{platform}'s limit of {limit}: shorten it or add a "
                            f"{platform!r} variant",
                        )

    # Reading ---------------------------------------------------------------------------------

    @property
    def keys(self) -> tuple[str, ...]:
        """The book's keys, in the order written."""
        return tuple(self._texts)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __repr__(self) -> str:
        return (
            f"ReplyBook({len(self._texts)} keys, languages={list(self.languages)}, "
            f"default_language={self.default_language!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReplyBook):
            return NotImplemented
        return self._source == other._source

    __hash__ = None  # type: ignore[assignment]

    def lookup(
        self, key: str, language: str | None = None, platform: str | None = None
    ) -> tuple[Template, str, str, tuple[str, ...]] | None:
        """The text for ``key``: (template, language, platform variant, fallback reasons).

        Order: (language, platform), (language, any platform), then the same in the default
        language; ``None`` when the key or every fallback is missing.
        """
        by_language = self._texts.get(key)
        if by_language is None:
            return None
        wanted = canonical_language(language) if language else self.default_language
        reasons: list[str] = []
        candidates = [wanted]
        if wanted not in by_language:
            primary = wanted.split("-")[0]
            if primary in by_language and primary != wanted:
                candidates.append(primary)
        if self.default_language not in candidates:
            candidates.append(self.default_language)
        for tag in candidates:
            variants = by_language.get(tag)
            if variants is None:
                continue
            if tag != wanted:
                reasons.append(f"no {wanted!r} text for {key!r}: used {tag!r}")
            if platform is not None and platform in variants:
                return variants[platform], tag, platform, tuple(reasons)
            if ANY in variants:
                return variants[ANY], tag, ANY, tuple(reasons)
        return None

    def _values(
        self, language: str, context: Mapping[str, Any] | None, customer: str | None
    ) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, by_language in self._defaults.items():
            primary = language.split("-")[0]
            value = by_language.get(language, by_language.get(primary, by_language.get(ANY)))
            if value is not None:
                values[name] = value
        if customer:
            values["customer"] = customer
        if context:
            for name, value in context.items():
                if value is not None and value != "":
                    values[name] = value
        return values

    def render(
        self,
        key: str,
        *,
        language: str | None = None,
        platform: str | None = None,
        context: Mapping[str, Any] | None = None,
        times: Mapping[str, str] | None = None,
        reasons: tuple[str, ...] = (),
        customer: str | None = None,
    ) -> Reply | None:
        """The text for ``key`` filled in, or ``None`` if the book has none for it.

        ``context`` gives ``customer``, ``agent`` and ``brand`` (plain text); ``times`` the
        already-worded ``eta*``/``opens*`` values (see `acknowledge`).
        """
        context = _check_context(context)
        resolved = self._resolve(key, language, platform)
        if resolved is None:
            return None
        if context or customer or times:
            values = dict(resolved.values)
            if customer:
                values["customer"] = _fit(customer, "customer", resolved.platform)
            if context:
                values.update((k, _fit(v, k, resolved.platform)) for k, v in context.items() if v)
            if times:
                values.update(times)
        else:
            values = resolved.values
        return _new_reply(
            {
                "text": resolved.template.render(values),
                "kind": resolved.kind,
                "key": key,
                "template": resolved.label,
                "language": resolved.language,
                "platform": resolved.platform,
                "reasons": (*reasons, *resolved.fallback) if resolved.fallback else reasons,
            }
        )

    def _resolve(self, key: str, language: Any, platform: Any) -> _Resolved | None:
        """What `render` needs for (key, language, platform), worked out once per book."""
        memo_key = (key, language, platform)
        try:
            return self._memo[memo_key]
        except (KeyError, TypeError):
            pass
        if not isinstance(key, str):
            raise InvalidInputError(f"a reply key is text such as 'query', got {key!r}")
        checked_language = _language_arg(language)
        checked_platform = _platform_arg(platform)
        found = self.lookup(key, checked_language, checked_platform)
        resolved = None
        if found is not None:
            template, used_language, variant, fallback = found
            resolved = _Resolved(
                template=template,
                language=used_language,
                platform=checked_platform,
                label=f"{key}[{used_language}/{variant}]",
                kind=_family(key)[0],
                fallback=fallback,
                values=self._values(used_language, None, None),
            )
        # Kept only for languages the key has and known platforms (or none): the memo stays as
        # small as the book, whatever tags callers send.
        known = checked_language is None or checked_language in self._texts.get(key, ())
        if known and (checked_platform is None or Platform(checked_platform).is_known):
            self._memo[memo_key] = resolved
        return resolved

    # Suggesting ------------------------------------------------------------------------------

    def reply(
        self,
        decision_or_conversation: Decision | Conversation,
        *,
        context: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        platform: str | None = None,
        language: str | None = None,
    ) -> Reply | None:
        """The approved automated reply for a triaged post or conversation, or ``None``.

        Only for route ``auto`` and never for a sensitive post (use `acknowledge` for those);
        ``None`` also when the book has no text for the intent. A conversation must carry
        triage labels (`triage_conversations`); with ``now``, one already answered by the
        brand at ``now`` gets ``None``. ``language`` and ``platform`` override the post's.

        >>> from socialcare import Decision
        >>> d = Decision(route="auto", intent="query", confidence=0.97, uncertain=False,
        ...              priority="normal", sensitive=None, sentiment="neutral",
        ...              take_private=False, language="es", reasons=("intent 'query'",))
        >>> ReplyBook.starter().reply(d, platform="twitter").template
        'query[es/twitter]'
        """
        item = decision_or_conversation
        if type(item) is Decision and now is None:  # the common case, kept short
            if item.route != "auto" or item.sensitive is not None or item.intent is None:
                return None
            if item.crisis:  # a crisis flag without a kind is still never auto-answered
                return None
            return self.render(
                item.intent,
                language=language or item.language,
                platform=platform,
                context=context,
                reasons=(f"route 'auto' for intent {item.intent!r}",),
            )
        facts = _facts(item, now)
        if facts.route != "auto" or facts.sensitive is not None or facts.intent is None:
            return None
        if facts.answered:
            return None
        return self.render(
            facts.intent,
            language=language or facts.language,
            platform=platform or facts.platform,
            context=context,
            customer=facts.customer,
            reasons=(f"route 'auto' for intent {facts.intent!r}",),
        )

    def acknowledgement(
        self,
        decision_or_conversation: Decision | Conversation,
        *,
        due_at: datetime | None,
        now: datetime,
        timezone: str | tzinfo | None = None,
        closed_until: datetime | None = None,
        holiday: bool = False,
        context: Mapping[str, Any] | None = None,
        platform: str | None = None,
        language: str | None = None,
    ) -> Reply | None:
        """The acknowledgement for a post whose first reply is due at ``due_at``.

        The text is chosen by the post's sensitivity kind (``acknowledgement/<kind>``), then,
        when ``closed_until`` says the service is closed, ``away/holiday`` or ``away``, then
        ``acknowledgement/<route>``, then ``acknowledgement``. Times are worded on
        ``timezone``'s clock (the market's). `acknowledge` computes all this from an SLA
        policy; this method is for callers who know the due time already. ``due_at=None``
        words the ETA as "as soon as possible".
        """
        _aware(now, "now")
        if not isinstance(holiday, bool):
            raise InvalidInputError(f"holiday must be True or False, got {holiday!r}")
        if due_at is not None:
            _aware(due_at, "due_at")
        if closed_until is not None:
            _aware(closed_until, "closed_until")
        zone = resolve_timezone(timezone) if timezone is not None else None
        facts = _facts(decision_or_conversation, None)
        if facts.route == "none":
            return None
        language = _language_arg(language) or facts.language or self.default_language
        key, reasons = self._ack_key(facts, closed_until, holiday=holiday)
        if key is None:
            return None
        found = self.lookup(key, language, None)
        used = found[1] if found is not None else self.default_language
        times = _times("eta", due_at if due_at is not None else now, now, zone, used)
        if closed_until is not None:
            times.update(_times("opens", closed_until, now, zone, used))
            reasons = (*reasons, f"the service is closed until {closed_until.isoformat()}")
        if due_at is not None:
            reasons = (*reasons, f"first response due {due_at.isoformat()}")
        return self.render(
            key,
            language=language,
            platform=platform or facts.platform,
            context=context,
            times=times,
            customer=facts.customer,
            reasons=reasons,
        )

    def _ack_key(
        self, facts: _Facts, closed_until: datetime | None, *, holiday: bool
    ) -> tuple[str | None, tuple[str, ...]]:
        if facts.sensitive is not None:
            # A sensitive post gets its kind's text, or the specialists' one: never a cheerful
            # away message or the everyday acknowledgement.
            for key in (f"acknowledgement/{facts.sensitive}", "acknowledgement/specialist"):
                if key in self._texts:
                    return key, (f"sensitive post ({facts.sensitive})",)
            return None, ()
        if closed_until is not None:
            if holiday and "away/holiday" in self._texts:
                return "away/holiday", ("a holiday",)
            if "away" in self._texts:
                return "away", ("outside service hours",)
        if facts.route is not None:
            key = f"acknowledgement/{facts.route}"
            if key in self._texts:
                return key, (f"route {facts.route!r}",)
        if "acknowledgement" in self._texts:
            return "acknowledgement", ()
        return None, ()


class _Resolved(NamedTuple):
    """A text of the book picked for (key, language, platform), with its default values."""

    template: Template
    language: str
    platform: str | None
    label: str
    kind: ReplyKind
    fallback: tuple[str, ...]
    values: dict[str, str]


class _Facts(NamedTuple):
    """What a reply needs to know of a decision or a conversation."""

    route: str | None
    intent: str | None
    sensitive: str | None
    language: str | None
    platform: str | None = None
    customer: str | None = None
    answered: bool = False


def _facts(item: Any, now: datetime | None) -> _Facts:
    if now is not None:
        _aware(now, "now")
    if isinstance(item, Decision):
        sensitive = item.sensitive or ("self_harm" if item.crisis else None)
        return _Facts(item.route, item.intent, sensitive, item.language)
    if isinstance(item, Conversation):
        if item.route is None:
            raise InvalidInputError(
                f"conversation {item.id!r} has no triage labels: label it first with "
                "socialcare.triage_conversations(...) (or pass the Decision)"
            )
        customer = item.customer
        name = None
        if customer is not None:
            name = customer.display_name or (f"@{customer.handle}" if customer.handle else None)
        answered = False
        if now is not None:
            seen = [p for p in item.posts if p.created_at <= now]
            answered = bool(seen) and item.is_brand_author(seen[-1].author)
        return _Facts(
            route=item.route,
            intent=item.intent,
            sensitive=item.sensitive,
            language=conversation_language(item),
            platform=str(item.platform),
            customer=name,
            answered=answered,
        )
    raise InvalidInputError(
        f"a reply is suggested for a Decision or a Conversation, got {type(item).__name__}"
    )


def _times(
    prefix: str, at: datetime, now: datetime, zone: tzinfo | None, language: str
) -> dict[str, str]:
    phrase = when(at, now, zone, language)
    return {
        prefix: phrase.text,
        f"{prefix}_time": phrase.time,
        f"{prefix}_day": phrase.day,
        f"{prefix}_zone": phrase.zone,
    }


def _aware(value: Any, name: str) -> None:
    from socialcare._errors import TimezoneError

    if not isinstance(value, datetime):
        raise InvalidInputError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimezoneError(
            f"{name} is a naive datetime ({value.isoformat()}): attach its zone, e.g. "
            "datetime(..., tzinfo=timezone.utc)"
        )


# In a name: control characters, direction overrides (which could turn the rest of a reply
# around on screen) and lone surrogates (which no platform can send).
_UNSENDABLE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _fit(value: str, name: str, platform: str | None) -> str:
    """``value`` made safe to send and cut to the length the book's limits were checked with
    (an ellipsis ends it).
    """
    value = _UNSENDABLE.sub("", value).strip()
    limit = WORST_CASE[name]
    if name == "customer" and platform is not None:
        limit = NAME_LIMITS.get(platform, limit)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _check_context(context: Any) -> Mapping[str, Any] | None:
    if context is None:
        return None
    if not isinstance(context, Mapping):
        raise InvalidInputError(
            f"context must map 'customer', 'agent' or 'brand' to text, got {type(context).__name__}"
        )
    for name, value in context.items():
        if name not in _CONTEXT_KEYS:
            raise InvalidInputError(
                f"unknown context key {name!r}: replies take {sorted(_CONTEXT_KEYS)}"
            )
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(
                f"context[{name!r}] must be text, got {type(value).__name__}: pass str(value)"
            )
    return context


@lru_cache(maxsize=512)
def _checked_language(language: str) -> str:
    if not _LANGUAGE.match(language) or len(language) > 35:
        raise InvalidInputError(
            f"language must be a BCP 47 tag such as 'es' or 'pt-BR', got {language!r}"
        )
    return canonical_language(language)


def _language_arg(language: Any) -> str | None:
    if language is None:
        return None
    if not isinstance(language, str):
        raise InvalidInputError(
            f"language must be a BCP 47 tag such as 'es' or 'pt-BR', got {language!r}"
        )
    return _checked_language(language)


@lru_cache(maxsize=512)
def _checked_platform(platform: str) -> str:
    return _platform_name(platform, "platform")


def _platform_arg(platform: Any) -> str | None:
    if platform is None:
        return None
    if not isinstance(platform, str):
        raise InvalidInputError(f"platform must be a name such as 'twitter', got {platform!r}")
    return _checked_platform(platform)
