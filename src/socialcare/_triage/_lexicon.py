"""Keyword lists for sensitive posts and private details, read from package data files.

The lists live in ``keywords/<kind>/<lang>.txt`` beside this module, one file per kind and
language, so a native speaker can review one language at a time. File format (UTF-8):

- one keyword per line; a trailing ``*`` matches the start of a word, a space matches any run
  of spaces or punctuation (see `socialcare._triage._triager.KeywordMatcher`);
- ``#`` starts a comment, on a line of its own or after a keyword (``abogad*  # lawyer``);
- ``#+ text`` is an example that must match a keyword of the file, ``#- text`` one that must
  not (the tests check both).

A keyword shared by several languages (``tribunal*``) appears in each language's file; the
loaders below merge and deduplicate them.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

from socialcare._errors import InvalidInputError, PersistenceError, ValidationIssue

__all__ = [
    "ANGER_KIND",
    "GRIEVANCE_KIND",
    "KINDS",
    "LANGUAGES",
    "PRIVATE_KIND",
    "KeywordFile",
    "anger_keywords",
    "grievance_keywords",
    "keyword_examples",
    "parse_keywords",
    "private_keywords",
    "sensitive_keywords",
]

KINDS: tuple[str, ...] = (
    "self_harm",
    "safety",
    "harassment",
    "privacy",
    "legal_threat",
    "media_crisis",
)
"""The sensitive kinds, in rank order: when several match a post, the first listed wins
(where two patterns start at the same place, the longer one is the match)."""

PRIVATE_KIND = "private"
"""The folder of the keywords showing that a public post needs private details."""

ANGER_KIND = "anger"
"""The folder of the anger words: a post that holds one is never left without a reply nor
answered automatically (it is never flagged sensitive for it)."""

GRIEVANCE_KIND = "grievance"
"""The folder of the grievance words: a service failure stated as a fact ("3 hour delay",
"lost my bag"). A post that holds one is never left without a reply; nothing else changes
(sarcastic thanks for a failure reads as praise to the models)."""

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "id", "ms", "he", "ar")
"""The languages with a file for every kind (ISO 639-1 codes)."""

_FOLDER = "keywords"


@dataclass(frozen=True)
class KeywordFile:
    """One parsed keyword file: its keywords in file order and its ``#+``/``#-`` examples.

    ``examples`` holds ``(text, must_match)`` pairs.
    """

    keywords: tuple[str, ...]
    examples: tuple[tuple[str, bool], ...]


def parse_keywords(text: str, source: str = "<text>") -> KeywordFile:
    """Parse the text of one keyword file; ``source`` names it in error messages.

    Raises `socialcare.InvalidInputError` naming ``source`` and the line of the first
    malformed line: a ``*`` anywhere but at the end of a keyword, a keyword with no letter or
    digit, a character normalisation would drop without trace (an invisible mark, say), a
    keyword repeated in the file, or an empty example.

    >>> parse_keywords("abogad*  # lawyer\\nlegal action\\n#+ mi abogado\\n#- abogacía")
    KeywordFile(keywords=('abogad*', 'legal action'), examples=(('mi abogado', True), ('abogacía', False)))
    >>> parse_keywords("sue\\n*\\n", source="legal_threat/en.txt")
    Traceback (most recent call last):
    ...
    socialcare._errors.InvalidInputError: legal_threat/en.txt:2: keyword '*' has no letter or digit; write a word before the '*' or delete the line
    """  # noqa: E501
    if not isinstance(text, str):
        raise InvalidInputError(
            f"{source}: a keyword file's text must be str, got {type(text).__name__}; "
            "read the file with encoding='utf-8' first"
        )
    keywords: list[str] = []
    first_line: dict[str, int] = {}
    examples: list[tuple[str, bool]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith(("#+", "#-")):
            example = line[2:].strip()
            if not example:
                _fail(source, number, raw, f"example {line[:2]!r} has no text; write it after")
            examples.append((example, line[1] == "+"))
            continue
        keyword = " ".join(line.split("#", 1)[0].split())
        if not keyword:
            continue  # blank or comment
        problem = _keyword_problem(keyword)
        if problem is not None:
            _fail(source, number, raw, problem)
        if keyword in first_line:
            _fail(
                source,
                number,
                raw,
                f"keyword {keyword!r} repeats line {first_line[keyword]}; delete one of them",
            )
        first_line[keyword] = number
        keywords.append(keyword)
    return KeywordFile(tuple(keywords), tuple(examples))


def _fail(source: str, number: int, raw: str, problem: str) -> None:
    issue = ValidationIssue((source, number), problem, raw)
    raise InvalidInputError(f"{source}:{number}: {problem}", [issue])


def _keyword_problem(keyword: str) -> str | None:
    """What is wrong with one keyword (already stripped of comments and extra spaces), if any.

    >>> _keyword_problem("donn\\u00e9es"), _keyword_problem("abo*gado")
    (None, "'*' may only end a keyword: 'abo*gado'")
    >>> print(_keyword_problem("\\u200fabogado"))
    character U+200F of '\\u200fabogado' is dropped by normalisation; delete it
    """
    from socialcare._triage._text import normalise

    body = keyword[:-1] if keyword.endswith("*") else keyword
    if "*" in body:
        return f"'*' may only end a keyword: {keyword!r}"
    if not normalise(body):
        return (
            f"keyword {keyword!r} has no letter or digit; "
            "write a word before the '*' or delete the line"
        )
    previous = " "
    for ch in body:
        if normalise(f"a{ch}b") == "ab" and not (
            unicodedata.category(ch).startswith("M") and previous.isalpha()
        ):
            # An accent or vowel point on a letter is dropped by design ("données" is
            # "donnees"); anything else that vanishes (direction marks, joiners, a tatweel, a
            # lone accent) silently changes the keyword.
            return (
                f"character U+{ord(ch):04X} of {keyword!r} is dropped by normalisation; delete it"
            )
        if not unicodedata.category(ch).startswith("M"):
            previous = ch
    return None


@functools.lru_cache(maxsize=1)
def _files() -> dict[tuple[str, str], KeywordFile]:
    """Every keyword file of the package, by (kind, language); read once."""
    folder = resources.files("socialcare._triage").joinpath(_FOLDER)
    out: dict[tuple[str, str], KeywordFile] = {}
    for kind in (*KINDS, PRIVATE_KIND, ANGER_KIND, GRIEVANCE_KIND):
        for language in LANGUAGES:
            name = f"{_FOLDER}/{kind}/{language}.txt"
            try:
                text = folder.joinpath(kind).joinpath(f"{language}.txt").read_text(encoding="utf-8")
            except FileNotFoundError as exc:
                raise PersistenceError(
                    f"keyword file {name} is missing from the installed socialcare package; "
                    "reinstall socialcare"
                ) from exc
            out[kind, language] = parse_keywords(text, source=name)
    return out


def _merged(kind: str) -> tuple[str, ...]:
    files = _files()
    return tuple(sorted({k for language in LANGUAGES for k in files[kind, language].keywords}))


def sensitive_keywords() -> dict[str, tuple[str, ...]]:
    """Keywords per sensitive kind, kinds in `KINDS` order, each list deduplicated and sorted.

    >>> keywords = sensitive_keywords()
    >>> tuple(keywords) == KINDS, "suicid*" in keywords["self_harm"]
    (True, True)
    """
    return {kind: _merged(kind) for kind in KINDS}


def private_keywords() -> tuple[str, ...]:
    """Keywords showing that a public post needs private details, deduplicated and sorted.

    >>> keywords = private_keywords()
    >>> "xlongnum" in keywords, list(keywords) == sorted(set(keywords))
    (True, True)
    """
    return _merged(PRIVATE_KIND)


def anger_keywords() -> tuple[str, ...]:
    """Anger and strong-dissatisfaction words in the nine languages, deduplicated and sorted.

    >>> keywords = anger_keywords()
    >>> "thanks for nothing" in keywords, list(keywords) == sorted(set(keywords))
    (True, True)
    """
    return _merged(ANGER_KIND)


def grievance_keywords() -> tuple[str, ...]:
    """Grievance words (service failures stated as facts) in the nine languages, sorted.

    >>> keywords = grievance_keywords()
    >>> "hour late" in keywords, list(keywords) == sorted(set(keywords))
    (True, True)
    """
    return _merged(GRIEVANCE_KIND)


def keyword_examples() -> list[tuple[str, str, str, bool]]:
    """Every ``#+``/``#-`` example of the files: (kind, language, text, must_match).

    ``kind`` is one of `KINDS`, ``"private"``, ``"anger"`` or ``"grievance"``.

    >>> ("legal_threat", "es", "voy a llamar a mi abogado", True) in keyword_examples()
    True
    """
    return [
        (kind, language, text, must_match)
        for (kind, language), parsed in _files().items()
        for text, must_match in parsed.examples
    ]
