"""Keyword lists as package data files (socialcare._triage._lexicon and keywords/*/*.txt)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcare import InvalidInputError, PersistenceError
from socialcare._triage import _lexicon
from socialcare._triage._keywords import KeywordMatcher
from socialcare._triage._lexicon import (
    ANGER_KIND,
    GRIEVANCE_KIND,
    KINDS,
    LANGUAGES,
    PRIVATE_KIND,
    anger_keywords,
    grievance_keywords,
    keyword_examples,
    parse_keywords,
    private_keywords,
    sensitive_keywords,
)
from socialcare._triage._text import normalise

ALL_KINDS = (*KINDS, PRIVATE_KIND, ANGER_KIND, GRIEVANCE_KIND)


def _folder() -> Path:
    return Path(str(resources.files("socialcare._triage").joinpath("keywords")))


def _parsed(kind: str, language: str) -> _lexicon.KeywordFile:
    path = _folder() / kind / f"{language}.txt"
    return parse_keywords(path.read_text(encoding="utf-8"), source=str(path))


# (a) The move from the Python literals to the files changed no keyword.


# A frozen snapshot of the lists at the move (change it when the lists change on purpose).
SNAPSHOT_COUNTS = {
    "self_harm": 2086,
    "safety": 2855,
    "harassment": 1076,
    "privacy": 1239,
    "legal_threat": 722,
    "media_crisis": 655,
    PRIVATE_KIND: 65,
    ANGER_KIND: 1022,
    GRIEVANCE_KIND: 1336,
}
SNAPSHOT_MEMBERS = {
    "self_harm": ("kill myself", "end my life", "bunuh diri", "suicid*", "3ayez amoot"),
    "safety": ("a dar choque", "a deitar fumo"),
    "harassment": ("abuso sexual", "abusou de mim"),
    "privacy": ("accedieron a mi cuenta",),
    "legal_threat": ("a juicio", "abrir um processo"),
    "media_crisis": ("a la prensa", "60 millions de consommateurs"),
    PRIVATE_KIND: ("xlongnum", "xemail", "card", "cards", "mot de passe", "resi", "كلمة المرور"),
    ANGER_KIND: ("thanks for nothing", "never again"),
    GRIEVANCE_KIND: ("hour late", "de retard", "cancelled flight"),
}


def test_loaded_lists_match_the_snapshot() -> None:
    loaded = {
        **sensitive_keywords(),
        PRIVATE_KIND: private_keywords(),
        ANGER_KIND: anger_keywords(),
        GRIEVANCE_KIND: grievance_keywords(),
    }
    assert {kind: len(words) for kind, words in loaded.items()} == SNAPSHOT_COUNTS
    for kind, members in SNAPSHOT_MEMBERS.items():
        assert set(members) <= set(loaded[kind]), kind
    every = [word for words in loaded.values() for word in words]
    assert len(every) == len(set(every)), "a keyword in two kinds"


def test_lists_are_ordered_deduplicated_and_fresh() -> None:
    loaded = sensitive_keywords()
    assert tuple(loaded) == KINDS
    for words in (*loaded.values(), private_keywords(), anger_keywords(), grievance_keywords()):
        assert list(words) == sorted(set(words))
    # a pattern written in several languages' files is listed once
    assert "suicid*" in _parsed("self_harm", "en").keywords
    assert "suicid*" in _parsed("self_harm", "fr").keywords
    assert loaded["self_harm"].count("suicid*") == 1
    loaded["legal_threat"] = ()
    assert sensitive_keywords()["legal_threat"]  # the caller's copy, not the cache


# (b) Every file is there and parses.


def test_every_kind_has_exactly_one_file_per_language() -> None:
    folder = _folder()
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(ALL_KINDS)
    for kind in ALL_KINDS:
        names = sorted(p.name for p in (folder / kind).iterdir())
        assert names == sorted(f"{language}.txt" for language in LANGUAGES), kind


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_file_parses_with_header_and_examples(kind: str, language: str) -> None:
    path = _folder() / kind / f"{language}.txt"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# {kind} keywords, "), "header names the kind"
    assert 'trailing "*"' in text, "header explains the syntax"
    assert "A space matches" in text, "header explains the syntax"
    parsed = parse_keywords(text, source=str(path))
    if parsed.keywords:
        assert any(must for _, must in parsed.examples), "a non-empty file needs a #+ example"


# (c) Each file's examples.

_EXAMPLES = keyword_examples()


def test_every_language_file_has_examples() -> None:
    covered = {(kind, language) for kind, language, _, must in _EXAMPLES if must}
    assert len(covered) == len(ALL_KINDS) * len(LANGUAGES)
    assert any(not must for *_, must in _EXAMPLES)


@pytest.mark.parametrize(
    ("kind", "language", "text", "must_match"),
    _EXAMPLES,
    ids=[f"{k}-{lang}-{i}" for i, (k, lang, _, _) in enumerate(_EXAMPLES)],
)
def test_example_matches_its_own_file(
    kind: str, language: str, text: str, must_match: bool
) -> None:
    own = KeywordMatcher({kind: _parsed(kind, language).keywords}).first(normalise(text))
    assert (own is not None) == must_match, own
    if not must_match:
        return
    if kind == PRIVATE_KIND:
        everything = KeywordMatcher({kind: private_keywords()})
    elif kind == ANGER_KIND:
        everything = KeywordMatcher({**sensitive_keywords(), kind: anger_keywords()})
    elif kind == GRIEVANCE_KIND:
        everything = KeywordMatcher(
            {**sensitive_keywords(), ANGER_KIND: anger_keywords(), kind: grievance_keywords()}
        )
    else:
        everything = KeywordMatcher(sensitive_keywords())
    found = everything.first(normalise(text))
    assert found is not None
    ranks = (*KINDS, PRIVATE_KIND, ANGER_KIND, GRIEVANCE_KIND)
    assert ranks.index(found[0]) <= ranks.index(kind), found  # an earlier kind may win


# (d) Malformed lines name the file and the line.


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("*", "no letter or digit"),
        ("  *  # just a star", "no letter or digit"),
        ("?!", None),  # tokens of their own: allowed, not dropped
        ("abo*gado", "may only end"),
        ("**", "may only end"),
        ("abo\u200fgado*", "U+200F"),  # a direction mark pasted from right-to-left text
        ("\u0640\u0645\u062d\u0627\u0645\u064a", "U+0640"),  # a tatweel before the word
        ("\u0301abogado", "U+0301"),  # an accent on no letter
        ("#+", "has no text"),
        ("#-   ", "has no text"),
    ],
)
def test_malformed_line_names_file_and_line(line: str, reason: str | None) -> None:
    text = f"# header\nsue\n{line}\n"
    if reason is None:
        assert parse_keywords(text, source="x/en.txt").keywords == ("sue", line)
        return
    with pytest.raises(InvalidInputError, match=r"^x/en\.txt:3: ") as info:
        parse_keywords(text, source="x/en.txt")
    assert reason in str(info.value)
    assert [issue.location for issue in info.value.issues] == [("x/en.txt", 3)]


def test_repeated_keyword_names_both_lines() -> None:
    with pytest.raises(InvalidInputError, match=r"^f\.txt:4: keyword 'sue' repeats line 2"):
        parse_keywords("#\nsue\n\nsue  # again", source="f.txt")


def test_accents_and_vowel_points_on_letters_are_allowed() -> None:
    text = "donne\u0301es\n\u05e1\u05b4\u05d9\u05e1\u05b0\u05de\u05b8\u05d4*\nlegal   action  # x\n"
    parsed = parse_keywords(text)
    assert parsed.keywords == (
        "donne\u0301es",
        "\u05e1\u05b4\u05d9\u05e1\u05b0\u05de\u05b8\u05d4*",
        "legal action",
    )
    assert KeywordMatcher({"k": parsed.keywords}).first(
        normalise("ma SISMA: \u05e1\u05d9\u05e1\u05de\u05d4")
    ) == (
        "k",
        "\u05e1\u05d9\u05e1\u05de\u05d4",
    )


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must be str"):
        parse_keywords(b"sue", source="b.txt")  # type: ignore[arg-type]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñß", min_size=1, max_size=8)
_GLOSS = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=10)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_WORD, min_size=1, max_size=3), st.booleans(), _GLOSS),
        max_size=6,
        unique_by=lambda row: (tuple(row[0]), row[1]),
    )
)
def test_written_keywords_parse_back(rows: list[tuple[list[str], bool, str]]) -> None:
    keywords = [" ".join(words) + ("*" if star else "") for words, star, _ in rows]
    lines = [f"{k}  # {gloss}" for k, (_, _, gloss) in zip(keywords, rows, strict=True)]
    assert parse_keywords("# header\n" + "\n".join(lines)).keywords == tuple(keywords)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_says_which_line(text: str) -> None:
    try:
        parse_keywords(text, source="any.txt")
    except InvalidInputError as exc:
        message = str(exc)
    else:
        return
    assert message.startswith("any.txt:")


# Loading from a broken installation.


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for kind in ALL_KINDS:
        (tmp_path / "keywords" / kind).mkdir(parents=True)
        for language in LANGUAGES:
            text = (_folder() / kind / f"{language}.txt").read_text(encoding="utf-8")
            (tmp_path / "keywords" / kind / f"{language}.txt").write_text(text, "utf-8")
    monkeypatch.setattr(_lexicon.resources, "files", lambda _package: tmp_path)
    _lexicon._files.cache_clear()
    yield tmp_path
    _lexicon._files.cache_clear()


def test_fake_package_loads_like_the_real_one(fake_package: Path) -> None:
    (fake_package / "keywords" / "safety" / "de.txt").write_text("feuer*\n", "utf-8")
    assert "feuer*" in sensitive_keywords()["safety"]
    assert "gefahrlich*" not in sensitive_keywords()["safety"]


def test_missing_file_is_a_persistence_error(fake_package: Path) -> None:
    (fake_package / "keywords" / "privacy" / "ms.txt").unlink()
    with pytest.raises(PersistenceError, match=r"keywords/privacy/ms\.txt is missing"):
        sensitive_keywords()


def test_malformed_package_file_names_it(fake_package: Path) -> None:
    (fake_package / "keywords" / "private" / "fr.txt").write_text("# x\ncompte*\nmot*de\n")
    with pytest.raises(InvalidInputError, match=r"^keywords/private/fr\.txt:3: "):
        private_keywords()


def test_examples_hold_against_every_language_at_once() -> None:
    """Triage matches every language's patterns at once: a trap post in one language must not
    fire a pattern written for another ("infección viral", "tribunal ... divorce")."""
    from socialcare._triage._text import normalise_batch

    matcher = KeywordMatcher(sensitive_keywords())
    examples = [e for e in keyword_examples() if e[0] in KINDS]
    hits = matcher.find_all(normalise_batch([e[2] for e in examples], tidy=False), len(examples))
    wrong = []
    for (kind, language, text, must), hit in zip(examples, hits, strict=True):
        if must and (hit is None or KINDS.index(hit[0]) > KINDS.index(kind)):
            wrong.append(("missed", kind, language, text))
        if not must and hit is not None:
            wrong.append(("fired", hit, language, text))
    assert wrong == []


def test_grievance_examples_hold_against_every_language_at_once() -> None:
    """Every language's grievance words are matched at once: praise in one language must not
    meet a grievance word written for another."""
    matcher = KeywordMatcher({GRIEVANCE_KIND: grievance_keywords()})
    examples = [e for e in keyword_examples() if e[0] == GRIEVANCE_KIND]
    for language in LANGUAGES:  # at least 15 of each sign per language
        signs = [must for _, lang, _, must in examples if lang == language]
        assert min(signs.count(True), signs.count(False)) >= 15, language
    wrong = [
        (language, text, hit)
        for _, language, text, must in examples
        if ((hit := matcher.first(normalise(text))) is not None) != must
    ]
    assert wrong == []


def test_no_list_hides_another_in_the_engine_scan() -> None:
    """Every keyword of every list, said alone, is found by the triage engine's one scan as its
    own kind or a higher-ranked one: an anger or grievance word never hides a sensitive phrase
    that starts with it ("marre" and "marre de vivre"), and "on hold" never hides "on hold
    for"."""
    from socialcare import Triager
    from socialcare._triage._signals import ANGER, GRIEVANCE

    engine = Triager.default()._engine
    rank = {kind: i for i, kind in enumerate((*KINDS, ANGER, GRIEVANCE))}
    lists = {
        **sensitive_keywords(),
        ANGER: anger_keywords(),
        GRIEVANCE: grievance_keywords(),
    }
    texts = [(kind, keyword.rstrip("*")) for kind, words in lists.items() for keyword in words]
    hits = engine.keyword_hits({i: f"{text} ." for i, (_, text) in enumerate(texts)})
    wrong = [
        (kind, text, hits[i][0])
        for i, (kind, text) in enumerate(texts)
        if hits[i][0] is None or rank[hits[i][0][0]] > rank[kind]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("on hold for 2 hours and j'en ai marre de vivre", "self_harm"),
        ("estoy harta de vivir, 3 horas de retraso otra vez", "self_harm"),
        ("meu filho engoliu um ímã", "safety"),
        ("3 hour delay again, worst airline ever", "<anger>"),
        ("on hold for 2 hours", "<anger>"),
        ("thanks for the 3 hour delay", "<grievance>"),
    ],
)
def test_the_engine_reports_the_highest_ranked_list_in_a_post(text: str, kind: str) -> None:
    from socialcare import Triager

    hit = Triager.default()._engine.keyword_hits({0: text})[0][0]
    assert hit is not None
    assert hit[0] == kind, hit
