"""The starter reply book as data (src/socialcare/_data/replies/starter_book.json).

Pure-JSON checks of the shipped file against the binding format (issue #13): every key in
every promised language, only the allowed placeholders, every platform's text within that
platform's limit with worst-case fills, no phone numbers, the safety rules of the content.
They do not need `socialcare.ReplyBook`; the loader's own tests live with it.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

LANGUAGES = ("en", "es", "fr", "de", "pt", "id", "ms", "ar", "he")
INTENTS = ("query", "request", "complaint", "praise", "feedback")
SENSITIVE = ("self_harm", "safety", "privacy", "legal_threat", "harassment", "media_crisis")
ACKNOWLEDGEMENTS = (
    "acknowledgement",
    "acknowledgement/agent",
    "acknowledgement/specialist",
    *(f"acknowledgement/{kind}" for kind in SENSITIVE),
)
KEYS = (*INTENTS, *ACKNOWLEDGEMENTS, "away", "away/holiday")

# the platforms the format names, with their limits (characters after filling)
LIMITS = {
    "twitter": 280,
    "tiktok": 150,
    "linkedin": 1250,
    "instagram": 2200,
    "messenger": 2000,
    "whatsapp": 4096,
    "facebook": 8000,
    "youtube": 10000,
}
# the variants the starter book promises for every key and language (tone, not just length)
REQUIRED_VARIANTS = ("*", "twitter", "tiktok", "linkedin", "whatsapp", "messenger")

COMMON = {"customer", "agent", "brand"}
ETA = {"eta", "eta_time", "eta_day", "eta_zone"}
OPENS = {"opens", "opens_time", "opens_day"}
# the worst cases the library checks a book with (names at the platform's own limit)
from socialcare._replies._template import NAME_LIMITS, WORST_CASE  # noqa: E402


def _worst(platform: str) -> dict[str, str]:
    fills = {name: name[0].upper() * size for name, size in WORST_CASE.items()}
    fills["customer"] = "C" * NAME_LIMITS.get(platform, WORST_CASE["customer"])
    return fills


ROOT = Path(__file__).resolve().parents[1]
BOOK_PATH = ROOT / "src/socialcare/_data/replies/starter_book.json"


@cache
def _book() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BOOK_PATH.read_text(encoding="utf-8"))
    return data


def _texts() -> list[tuple[str, str, str, str]]:
    """Every (key, language, platform, text) written in the book ("*" included)."""
    rows = []
    for key, per_language in _book()["replies"].items():
        for language, value in per_language.items():
            variants = value if isinstance(value, dict) else {"*": value}
            rows.extend((key, language, platform, text) for platform, text in variants.items())
    return rows


def _resolve(key: str, language: str, platform: str) -> str | None:
    """The text a platform gets, by the format's fallback chain."""
    book = _book()
    per_language = book["replies"][key]
    for lang in (language, book["default_language"]):
        value = per_language.get(lang)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            for name in (platform, "*"):
                if name in value:
                    text: str = value[name]
                    return text
    return None


def _fields(text: str) -> list[tuple[str, str | None, str | None]]:
    """(field name, format spec, conversion) of every placeholder of a str.format template."""
    return [
        (name, spec, conversion)
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    ]


def test_file_is_utf8_json_with_the_format_top_level() -> None:
    raw = BOOK_PATH.read_bytes()
    raw.decode("utf-8")  # strict: raises on anything that is not UTF-8
    book = _book()
    assert set(book) == {"default_language", "languages", "defaults", "replies"}
    assert book["default_language"] == "en"
    assert tuple(book["languages"]) == LANGUAGES


def test_package_ships_the_book() -> None:
    shipped = resources.files("socialcare").joinpath("_data/replies/starter_book.json")
    assert shipped.is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = pyproject.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"_data/replies/*.json"' in section


def test_every_key_in_every_language() -> None:
    replies = _book()["replies"]
    assert tuple(replies) == KEYS  # spam gets no reply; nothing else sneaks in
    for key in KEYS:
        assert set(replies[key]) == set(LANGUAGES), key


@pytest.mark.parametrize("key", KEYS)
def test_every_language_has_its_own_tone_variants(key: str) -> None:
    for language in LANGUAGES:
        value = _book()["replies"][key][language]
        assert isinstance(value, dict), (key, language)
        missing = set(REQUIRED_VARIANTS) - set(value)
        assert not missing, (key, language, missing)
        assert set(value) - {"*"} <= set(LIMITS), (key, language, set(value))
        assert all(isinstance(t, str) and t.strip() == t and t for t in value.values())
        # registers differ, not just lengths: X, TikTok, LinkedIn and the private channel
        # each get their own wording (WhatsApp and Messenger share the private one)
        tones = [value[p] for p in ("*", "twitter", "tiktok", "linkedin", "whatsapp")]
        assert len(set(tones)) == len(tones), (key, language)


def test_defaults_cover_every_language() -> None:
    defaults = _book()["defaults"]
    assert set(defaults) == {"customer", "brand"}
    for name in ("customer", "brand"):
        assert set(defaults[name]) == set(LANGUAGES), name
        for language, word in defaults[name].items():
            assert 0 < len(word) <= 30, (name, language, word)
            assert "{" not in word
            assert "}" not in word


def test_only_allowed_placeholders() -> None:
    for key, language, platform, text in _texts():
        allowed = set(COMMON)
        if key.startswith("acknowledgement"):
            allowed |= ETA
        if key.startswith("away"):
            allowed |= OPENS
        for name, spec, conversion in _fields(text):
            where = (key, language, platform, name)
            assert name in allowed, where
            assert not spec, where  # no format specs
            assert conversion is None, where  # no !r / !s


def test_acknowledgements_and_away_messages_carry_their_time() -> None:
    """An acknowledgement says when the customer will hear back, unless it is about a person in
    danger (there the text says someone is reading it now); an away message says when we open."""
    for key, language, platform, text in _texts():
        names = {name for name, _spec, _conversion in _fields(text)}
        if key.startswith("away"):
            assert "opens" in names, (key, language, platform)
        elif key in ("acknowledgement", "acknowledgement/agent", "acknowledgement/specialist"):
            if platform != "tiktok" or key == "acknowledgement":
                assert "eta" in names, (key, language, platform)
        elif key == "acknowledgement/self_harm":
            assert not names & ETA, (key, language, platform)


@pytest.mark.parametrize("platform", sorted(LIMITS))
def test_every_platform_within_its_limit_with_worst_case_fills(platform: str) -> None:
    longest = 0
    for key in KEYS:
        for language in LANGUAGES:
            text = _resolve(key, language, platform)
            assert text is not None, (key, language, platform)
            filled = text.format(**_worst(platform))
            assert len(filled) <= LIMITS[platform], (key, language, platform, len(filled))
            longest = max(longest, len(filled))
    assert longest > 0


def test_filled_with_the_defaults_reads_without_holes() -> None:
    """With no name, the default words fill the template: no empty greeting, no double spaces."""
    defaults = _book()["defaults"]
    for key, language, platform, text in _texts():
        filled = text.format(
            customer=defaults["customer"][language],
            brand=defaults["brand"][language],
            agent="Ana",
            eta="E",
            eta_time="T",
            eta_day="D",
            eta_zone="Z",
            opens="O",
            opens_time="T",
            opens_day="D",
        )
        where = (key, language, platform)
        assert "  " not in filled, where
        assert not re.search(r"\s[,.،]", filled), where
        if language != "fr":  # French sets a space before ! ? : ;
            assert not re.search(r"\s[!?:;]", filled), where


PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def test_no_phone_numbers_or_emergency_numbers() -> None:
    """Emergency and crisis numbers differ by country: the texts name the service, never a
    number (no 112, 911, 999, 988 or any run of three or more digits; \\d covers every script's
    digits)."""
    for key, language, platform, text in _texts():
        assert not PHONE.search(text), (key, language, platform)
        assert not re.search(r"\d{3,}", text), (key, language, platform)


PRIVATE_WORDS = {
    "en": ("DM", "private"),
    "es": ("privado", "mensaje directo"),
    "fr": ("DM", "privé"),
    "de": ("DM", "private"),
    "pt": ("DM", "privada"),
    "id": ("DM", "pribadi"),
    "ms": ("DM", "peribadi"),
    "ar": ("الخاص", "رسالة خاصة"),
    "he": ("פרטית", "בפרטי", "בדיירקט"),
}


@pytest.mark.parametrize("key", ["query", "request", "complaint"])
def test_public_replies_move_details_to_a_private_channel(key: str) -> None:
    """On public channels an automated reply cannot ask for an order number in the open: it
    points to a private message."""
    for language in LANGUAGES:
        for platform in ("*", "twitter", "tiktok", "instagram", "linkedin"):
            text = _resolve(key, language, platform)
            assert text is not None
            assert any(word in text for word in PRIVATE_WORDS[language]), (key, language, platform)


EMERGENCY_WORDS = {
    "en": "emergency",
    "es": "emergencia",
    "fr": "urgence",
    "de": "Notruf",
    "pt": "emergência",
    "id": "darurat",
    "ms": "kecemasan",
    "ar": "الطوارئ",
    "he": "חירום",
}


@pytest.mark.parametrize("kind", ["self_harm", "safety"])
def test_danger_acknowledgements_point_to_emergency_services(kind: str) -> None:
    for language in LANGUAGES:
        for platform in (*LIMITS, "*"):
            text = _resolve(f"acknowledgement/{kind}", language, platform)
            assert text is not None
            assert EMERGENCY_WORDS[language] in text, (kind, language, platform)


SECRET_WORDS = {
    "en": "password",
    "es": "contraseña",
    "fr": "mot de passe",
    "de": "Passw",
    "pt": "senha",
    "id": "kata sandi",
    "ms": "kata laluan",
    "ar": "كلمة المرور",
    "he": "סיסמ",
}
NEVER_WORDS = {
    "en": ("never", "do not", "don't"),
    "es": ("nunca", "no comparta", "no envíes", "ni contraseñas"),
    "fr": ("jamais", "ne communiquez", "n'envoyez", "ne partagez", "ni mot de passe"),
    "de": ("niemals", "keine"),
    "pt": ("nunca", "não compartilhe", "não envie"),
    "id": ("jangan", "tidak"),
    "ms": ("jangan", "tidak"),
    "ar": ("عدم", "لن", "دون"),
    "he": ("לעולם", "נא לא", "אין לשתף", "בלי", "לא לשלוח"),
}


def test_secrets_are_only_ever_mentioned_to_say_never() -> None:
    """A text that names passwords says not to share them (a cheap guard against a reply that
    asks for one)."""
    for key, language, platform, text in _texts():
        if SECRET_WORDS[language].lower() in text.lower():
            lowered = text.lower()
            assert any(word.lower() in lowered for word in NEVER_WORDS[language]), (
                key,
                language,
                platform,
            )


ARABIC = re.compile(r"[\u0600-\u06FF]")
HEBREW = re.compile(r"[\u0590-\u05FF]")
LATIN = re.compile(r"[A-Za-zÀ-ÿ]")


def test_each_language_in_its_script() -> None:
    for key, language, platform, text in _texts():
        letters = re.sub(r"\{[a-z_]+\}|DM", "", text)
        where = (key, language, platform)
        if language == "ar":
            assert ARABIC.search(letters), where
            assert not HEBREW.search(letters), where
            assert not LATIN.search(letters), where
        elif language == "he":
            assert HEBREW.search(letters), where
            assert not ARABIC.search(letters), where
            assert not LATIN.search(letters), where
        else:
            assert not ARABIC.search(letters), where
            assert not HEBREW.search(letters), where


INDONESIAN_ONLY = (
    "kamu", "nggak", "gak", "makasih", "kata sandi", "nomor", "menit", "akun", "kirim",
    "bisa", "layanan", "tim", "cek", "pesan",
)  # fmt: skip
MALAYSIAN_ONLY = ("kata laluan", "nombor", "minit", "akaun", "pasukan", "mesej", "sila")


def _words(text: str) -> str:
    return " " + re.sub(r"[^\w/]+", " ", text.lower()) + " "


def test_malay_is_malaysian_and_indonesian_is_indonesian() -> None:
    for key, language, platform, text in _texts():
        words = _words(text)
        if language == "ms":
            found = [w for w in INDONESIAN_ONLY if f" {w} " in words]
            assert not found, (key, platform, found)
        if language == "id":
            found = [w for w in MALAYSIAN_ONLY if f" {w} " in words]
            assert not found, (key, platform, found)


def test_sensitive_acknowledgements_admit_nothing() -> None:
    """Legal threats and press enquiries get a neutral acknowledgement: no apology, no
    admission (an apology reads as one)."""
    apologies = (
        "sorry", "apolog", "siento", "sentimos", "lamentamos", "désolé", "navré", "excuse",
        "tut uns leid", "entschuldig", "sentimos muito", "lamentamos", "maaf", "kesal",
        "يؤسفنا", "نأسف", "اعتذار", "צר לנו", "מצטערים", "מתנצלים",
    )  # fmt: skip
    for kind in ("legal_threat", "media_crisis"):
        for language in LANGUAGES:
            for platform, text in _book()["replies"][f"acknowledgement/{kind}"][language].items():
                lowered = text.lower()
                assert not any(word in lowered for word in apologies), (kind, language, platform)


DOCS = ROOT / "docs" / "replies.md"


def test_docs_limits_table_matches_the_book() -> None:
    """docs/replies.md states each platform's longest worst-case text: keep it true."""
    page = DOCS.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| .*?\(`(\w+)`\) \| [\d,]+ \| (\d+)", page, re.M))
    assert set(rows) == set(LIMITS)
    for platform, stated in rows.items():
        longest = max(
            len(text.format(**_worst(platform)))
            for key in KEYS
            for language in LANGUAGES
            if (text := _resolve(key, language, platform)) is not None
        )
        assert int(stated) == longest, (platform, stated, longest)


def test_docs_examples_quote_the_book() -> None:
    page = DOCS.read_text(encoding="utf-8")
    block = page.split("The same key, English, four ways:", 1)[1].split("```text\n", 1)[1]
    block = block.split("```", 1)[0]
    quoted: dict[str, str] = {}
    platform = ""
    for line in block.splitlines():
        if line.startswith(" "):
            quoted[platform] += " " + line.strip()
        else:
            platform, text = line.split(maxsplit=1)
            quoted[platform] = text
    assert set(quoted) == {"twitter", "tiktok", "linkedin", "whatsapp"}
    for platform, text in quoted.items():
        assert text == _resolve("query", "en", platform), platform
    table = page.split("| language | greeting in the book | without a name |", 1)[1]
    table = table.split("\n\n", 1)[0]
    for language, word in _book()["defaults"]["customer"].items():
        assert word in table, language


def test_time_phrases_have_room_beyond_the_nominal_worst_case() -> None:
    """CLDR zone names make a real {eta} longer than the nominal 60 characters in rare zones
    (French "mercredi à 09:15 (heure : Papouasie-Nouvelle-Guinée (Port Moresby))" is 67): every
    X and TikTok text with a time phrase leaves room for 75."""
    for key, language, platform, text in _texts():
        fills = {**_worst(platform), "eta": "", "opens": ""}
        if platform in ("twitter", "tiktok") and ("{eta}" in text or "{opens}" in text):
            room = LIMITS[platform] - len(text.format(**fills))
            assert room >= 75, (key, language, platform, room)
