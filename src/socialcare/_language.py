"""Which of the nine corpus languages a post is written in, or None when that is unsure.

Detection uses CLD2 (Google's Compact Language Detector 2, through the ``pycld2`` wheel), an
optional dependency: ``pip install 'socialcare[language]'``. It was chosen by measurement on
the corpus's short posts (``benchmarks/language_id.py``, figures in docs/model-card.md): the
best accuracy on Indonesian/Malay, a few microseconds a post, about 1 MiB of memory.

Triage detects languages when asked (``Triager.default(detect_language=True)``, or
``TriageRules(detect_language=True)``): the caller's hint first, else the detected language.
Without pycld2, [`detect_language`][socialcare.detect_language] raises
`socialcare.metrics.MissingDependencyError`, and triage carries only the caller's language
hint (``Decision.language`` is None for posts without one): nothing else changes.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable
from typing import Any

from socialcare._errors import InvalidInputError

__all__ = [
    "LANGUAGES",
    "MIN_LETTERS",
    "READ_CHARS",
    "LanguageMemo",
    "detect_language",
    "detect_languages",
    "language_detection_available",
]

#: The languages detection answers with (the corpus's nine; BCP 47 tags).
LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "fr", "he", "id", "ms", "pt")
#: Fewer letters than this: unsure ("ok", "??", emoji only).
MIN_LETTERS = 3
#: Detection reads a post's first characters only (a language shows long before).
READ_CHARS = 1_000

# CLD2's codes for our languages (it still calls Hebrew by its old code, "iw")
_TAGS = {code: code for code in LANGUAGES} | {"iw": "he"}
# characters CLD2 refuses ("invalid UTF-8"): C0/C1 controls but tab and newlines, DEL, and
# lone surrogates (which no UTF-8 encoder takes)
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# MIN_LETTERS letters (word characters but digits and "_"), anywhere: stops at the third
_ENOUGH_LETTERS = re.compile(rf"[^\W\d_](?:.*?[^\W\d_]){{{MIN_LETTERS - 1}}}", re.DOTALL)


@functools.cache
def _cld2() -> Any:
    """The ``pycld2`` module, or None when it is not installed (imported once, on first use)."""
    try:
        return importlib.import_module("pycld2")
    except ImportError:
        return None


def language_detection_available() -> bool:
    """Whether language detection can run here (the ``pycld2`` package is installed).

    >>> isinstance(language_detection_available(), bool)
    True
    """
    return _cld2() is not None


def _detect(cld: Any, text: str) -> str | None:
    """One text's language (the rule of `detect_language`), with CLD2 loaded."""
    text = text[:READ_CHARS]
    if _ENOUGH_LETTERS.search(text) is None:
        return None
    try:
        reliable, _, details = cld.detect(text, isPlainText=True, bestEffort=True)
    except (cld.error, UnicodeError):  # a character CLD2 refuses: read the text without it
        try:
            reliable, _, details = cld.detect(
                _REFUSED.sub(" ", text), isPlainText=True, bestEffort=True
            )
        except (cld.error, UnicodeError):
            return None
    if not reliable:
        return None
    for _, code, _, _ in details:  # most likely first
        tag = _TAGS.get(code)
        if tag is not None:
            return tag
    return None


def _require() -> Any:
    cld = _cld2()
    if cld is None:
        from socialcare.metrics import MissingDependencyError

        raise MissingDependencyError(
            "language detection needs the pycld2 package: pip install 'socialcare[language]'"
        )
    return cld


def detect_language(text: str) -> str | None:
    """The language of ``text``: one of `LANGUAGES`, or None when unsure.

    Unsure (None) means: fewer than three letters (``"ok"``, ``"??"``, emoji, numbers), or
    CLD2 does not call its own answer reliable, or none of its three candidates is one of
    our nine languages (a post in Dutch, say). A code-mixed post gets the language most of
    its text is in. Only the first ``READ_CHARS`` characters are read.

    Raises [`InvalidInputError`][socialcare.InvalidInputError] when ``text`` is not a string,
    and `socialcare.metrics.MissingDependencyError` without pycld2
    (``pip install 'socialcare[language]'``).

    >>> if language_detection_available():
    ...     print(detect_language("Kak, ongkir ke Makassar berapa ya?"), detect_language("ok"))
    ... else:
    ...     print("id None")
    id None
    """
    if not isinstance(text, str):
        raise InvalidInputError(
            f"detect_language takes a text (str), got {type(text).__name__}; "
            "use detect_languages for many"
        )
    return _detect(_require(), text)


def detect_languages(texts: Iterable[str | None]) -> list[str | None]:
    """`detect_language` for many texts, in order; each distinct text is detected once.

    A row that is not a text (None, a number) has no language: None, like an unsure one.
    Raises [`InvalidInputError`][socialcare.InvalidInputError] when ``texts`` is a single
    string or not iterable, and
    `socialcare.metrics.MissingDependencyError` without pycld2.

    >>> if language_detection_available():
    ...     print(detect_languages(["¿Dónde está mi pedido?", None, "👍"]))
    ... else:
    ...     print(['es', None, None])
    ['es', None, None]
    """
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise InvalidInputError(
            "detect_languages takes a sequence of texts, got "
            f"{type(texts).__name__}; use detect_language for one"
        )
    memo = LanguageMemo(_require())
    return [memo.one(text) if isinstance(text, str) else None for text in texts]


class LanguageMemo:
    """Detection for one batch: each distinct text is detected once (answers never change).

    Made by triage once per batch; ``LanguageMemo.make()`` is None when detection cannot run
    here (no pycld2), which triage reads as "no detected language".
    """

    __slots__ = ("cld", "known")

    #: The memo forgets everything past this many texts (it only saves time).
    MAX_TEXTS = 1 << 16

    def __init__(self, cld: Any) -> None:
        self.cld = cld
        self.known: dict[str, str | None] = {}

    @classmethod
    def make(cls) -> LanguageMemo | None:
        """A memo for a new batch, or None without pycld2."""
        cld = _cld2()
        return None if cld is None else cls(cld)

    def one(self, text: str) -> str | None:
        """The language of one text (see `detect_language`)."""
        known = self.known
        try:
            return known[text]
        except KeyError:
            if len(known) >= self.MAX_TEXTS:
                known.clear()
            found = known[text] = _detect(self.cld, text)
            return found

    def many(self, texts: Iterable[str], hints: Iterable[str | None]) -> list[str | None]:
        """Each text's language where its hint is None (None where a hint is given)."""
        one = self.one
        pairs = zip(texts, hints, strict=True)
        return [one(text) if hint is None else None for text, hint in pairs]


def text_language(text: str) -> str | None:
    """`detect_language` where the ``language`` extra is installed, else None (no error)."""
    cld = _cld2()
    return None if cld is None or not isinstance(text, str) else _detect(cld, text)


def conversation_language(conversation: Any) -> str | None:
    """A conversation's language: its label, else its customer's latest detectable post.

    Detection needs the ``language`` extra; without it (or when no post is clear enough)
    the answer is None. Used where a reply or an assignment needs a language the caller did
    not give and triage did not detect.
    """
    label: str | None = conversation.language
    if label is not None:
        return label
    cld = _cld2()
    if cld is None:
        return None
    for post in reversed(conversation.customer_posts):
        found = _detect(cld, post.text)
        if found is not None:
            return found
    return None
